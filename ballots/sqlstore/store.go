// Package sqlstore is the ledger of record on SQL through GORM: SQLite (a
// pure-Go driver, WAL, immediate transactions, one writer connection) by
// default, PostgreSQL when configured.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots"
)

//go:embed migrations
var migrations embed.FS

var _ ballots.Ledger = (*Store)(nil)

// Store implements ballots.Ledger.
type Store struct {
	w, r      *gorm.DB // writer and readers; the same pool on PostgreSQL
	dialect   string   // "sqlite" or "postgres"
	tokenStmt *sql.Stmt
	sealed    sync.Map // meeting id → decoded MeetingRecord, once sealed

	droppedAt atomic.Int64 // when dropIdle last closed the idle connections (Unix ns)

	path      string      // the SQLite file
	scrubDue  atomic.Bool // a sealed meeting awaits its scrub (scrub.go)
	stopScrub chan struct{}
	scrubDone chan struct{}
}

// pgConns is the size of the PostgreSQL connection pool.
const pgConns = 32

// Open connects to databaseURL — "" for SQLite in dataDir, or a
// postgres:// URL — and applies pending migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, PrepareStmt: false}
	s := &Store{}
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err := gorm.Open(postgres.Open(databaseURL), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(pgConns)
		sqlDB.SetMaxIdleConns(pgConns)
		s.w, s.r, s.dialect = db, db, "postgres"
	case databaseURL == "" || strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite://"), "sqlite:")
		if path == "" {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data folder: %w", err)
			}
			path = filepath.Join(dataDir, "ceping.db")
		}
		// secure_delete: what a write deletes or moves is zeroed, not left
		// in the page's free space (scrub.go).
		pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)&_pragma=secure_delete(1)"
		w, err := gorm.Open(sqlite.Open("file:"+url.PathEscape(path)+"?"+pragmas+"&_txlock=immediate"), cfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		wdb, _ := w.DB()
		wdb.SetMaxOpenConns(1) // one writer: SQLite serializes writes anyway
		r, err := gorm.Open(sqlite.Open("file:"+url.PathEscape(path)+"?"+pragmas), cfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		rdb, _ := r.DB()
		rdb.SetMaxOpenConns(8)
		s.w, s.r, s.dialect, s.path = w, r, "sqlite", path
	default:
		return nil, fmt.Errorf("database URL must be empty (SQLite), sqlite:PATH or postgres://…, not %q", redact(databaseURL))
	}
	classifyErrors(s.w)
	if s.r != s.w {
		classifyErrors(s.r)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	rdb, err := s.r.DB()
	if err != nil {
		return nil, err
	}
	s.tokenStmt, err = rdb.PrepareContext(ctx, s.rebind(`SELECT t.meeting_id, t.group_code, t.state, t.key_hash, m.status
		FROM tokens t JOIN meetings m ON m.id = t.meeting_id WHERE t.hash = ?`))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	// A log left by a crash, and meetings sealed before scrubbing existed
	// (or whose scrub a crash cut short), are scrubbed first. Best effort:
	// another process on the same folder (ceping user add beside a running
	// server) may hold readers; the scrubber retries every second.
	if s.dialect == "sqlite" {
		_ = s.checkpoint(ctx)
	}
	_ = s.scrubSealed(ctx)
	s.startScrubber()
	return s, nil
}

// rebind turns ? placeholders into PostgreSQL's $n for statements that
// bypass GORM.
func (s *Store) rebind(q string) string {
	if s.dialect != "postgres" {
		return q
	}
	var sb strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable)"
	}
	return p.Redacted()
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Close stops the scrubber, truncates the SQLite log and closes the
// connections.
func (s *Store) Close() error {
	s.stopScrubber()
	var errs []error
	if s.dialect == "sqlite" && s.w != nil {
		if err := s.checkpoint(context.Background()); err != nil && !errors.Is(err, errCheckpointBusy) {
			errs = append(errs, err)
		}
	}
	if s.tokenStmt != nil {
		errs = append(errs, s.tokenStmt.Close())
	}
	for _, db := range []*gorm.DB{s.w, s.r} {
		if sqlDB, err := db.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
		if s.w == s.r {
			break
		}
	}
	return errors.Join(errs...)
}

// migrate applies the dialect's migrations not yet recorded, each in its
// own transaction.
func (s *Store) migrate(ctx context.Context) error {
	db := s.w.WithContext(ctx)
	if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`).Error; err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dir := "migrations/" + s.dialect
	files, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
	for _, f := range files {
		version, err := strconv.Atoi(strings.SplitN(f.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", f.Name())
		}
		var n int64
		if err := db.Raw(`SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n).Error; err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(migrations, dir+"/"+f.Name())
		if err != nil {
			return err
		}
		err = db.Transaction(func(tx *gorm.DB) error {
			for _, stmt := range splitSQL(string(body)) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%s: %w", firstLine(stmt), err)
				}
			}
			return tx.Exec(`INSERT INTO schema_migrations (version) VALUES (?)`, version).Error
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", f.Name(), err)
		}
	}
	return nil
}

// splitSQL splits a migration into statements at semicolons ending a line,
// dropping comment lines.
func splitSQL(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if stmt := strings.TrimSpace(cur.String()); stmt != ";" {
				out = append(out, strings.TrimSuffix(stmt, ";"))
			}
			cur.Reset()
		}
	}
	if stmt := strings.TrimSpace(cur.String()); stmt != "" {
		out = append(out, stmt)
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// notFound maps gorm's not-found to the domain's.
func notFound(err error, zh, en string) error {
	// A key PostgreSQL cannot even hold (invalid UTF-8, a NUL byte) names
	// nothing that exists.
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, sql.ErrNoRows) || isUnstorableText(err) {
		return ballots.Errorf(ballots.ENotFound, "%s不存在 (%s not found)", zh, en)
	}
	return classify(err) // a row scanned past GORM: a lost connection shows here
}

// isUnstorableText reports whether PostgreSQL refused a string parameter:
// invalid byte sequence (22021) or untranslatable character (22P05).
func isUnstorableText(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "SQLSTATE 22021") || strings.Contains(err.Error(), "SQLSTATE 22P05"))
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "duplicate key")
}
