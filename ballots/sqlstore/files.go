package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.FileStore = (*Store)(nil)

// fileColumns are a file's columns but its bytes.
const fileColumns = `id, cycle, owner_kind, owner_key, name, content_type, size, sha256, uploaded_by, uploaded_at`

type scanner interface{ Scan(dest ...any) error }

func scanFile(r scanner, extra ...any) (ballots.File, error) {
	var f ballots.File
	var at time.Time
	dest := append([]any{&f.ID, &f.Cycle, &f.OwnerKind, &f.OwnerKey, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.UploadedBy, &at}, extra...)
	err := r.Scan(dest...)
	f.UploadedAt = at.UTC()
	return f, err
}

// PutFile implements ballots.FileStore. The bytes go to the driver as they
// are: no copy is made here.
func (s *Store) PutFile(ctx context.Context, f ballots.File, data []byte, replace bool) ([]ballots.File, error) {
	var old []ballots.File
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if replace {
			var err error
			if old, err = files(tx, `WHERE cycle = ? AND owner_kind = ? AND owner_key = ?`, f.Cycle, f.OwnerKind, f.OwnerKey); err != nil {
				return err
			}
			if err := tx.Exec(`DELETE FROM files WHERE cycle = ? AND owner_kind = ? AND owner_key = ?`, f.Cycle, f.OwnerKind, f.OwnerKey).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO files (`+fileColumns+`, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.Cycle, f.OwnerKind, f.OwnerKey, f.Name, f.ContentType, f.Size, f.SHA256, f.UploadedBy, f.UploadedAt.UTC(), data).Error
	})
	if err != nil {
		return nil, err
	}
	return old, nil
}

func files(db *gorm.DB, where string, args ...any) ([]ballots.File, error) {
	rows, err := db.Raw(`SELECT `+fileColumns+` FROM files `+where+` ORDER BY uploaded_at, id`, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ballots.File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FileInfo implements ballots.FileStore.
func (s *Store) FileInfo(ctx context.Context, id string) (ballots.File, error) {
	f, err := scanFile(s.r.WithContext(ctx).Raw(`SELECT `+fileColumns+` FROM files WHERE id = ?`, id).Row())
	if err != nil {
		return ballots.File{}, notFound(err, "文件", "file")
	}
	return f, nil
}

// FileData implements ballots.FileStore: the driver's bytes are scanned
// raw and copied once, so a 20 MB file is held once when this returns.
func (s *Store) FileData(ctx context.Context, id string) (ballots.File, []byte, error) {
	var data []byte
	var f ballots.File
	err := func() error {
		rows, err := s.r.WithContext(ctx).Raw(`SELECT `+fileColumns+`, data FROM files WHERE id = ?`, id).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		var raw sql.RawBytes
		if f, err = scanFile(rows, &raw); err != nil {
			return err
		}
		data = append(make([]byte, 0, len(raw)), raw...)
		return rows.Err()
	}()
	if err != nil {
		return ballots.File{}, nil, notFound(err, "文件", "file")
	}
	return f, data, nil
}

// Files implements ballots.FileStore.
func (s *Store) Files(ctx context.Context, cycle, kind, key string) ([]ballots.File, error) {
	db := s.r.WithContext(ctx)
	if key == "" {
		return files(db, `WHERE cycle = ? AND owner_kind = ?`, cycle, kind)
	}
	return files(db, `WHERE cycle = ? AND owner_kind = ? AND owner_key = ?`, cycle, kind, key)
}

// DeleteFile implements ballots.FileStore.
func (s *Store) DeleteFile(ctx context.Context, id string) error {
	res := s.w.WithContext(ctx).Exec(`DELETE FROM files WHERE id = ?`, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return ballots.Errorf(ballots.ENotFound, "文件不存在 (file not found)")
	}
	return res.Error
}
