package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

// PutRules implements ballots.Ledger.
func (s *Store) PutRules(ctx context.Context, cycle string, rules []byte) error {
	res := s.w.WithContext(ctx).Exec(`UPDATE cycles SET rules = ? WHERE code = ?`, string(rules), cycle)
	if res.Error == nil && res.RowsAffected == 0 {
		return ballots.Errorf(ballots.ENotFound, "考核年度 %s 不存在 (cycle not found)", cycle)
	}
	return res.Error
}

// Rules implements ballots.Ledger; nil when the year uses the defaults.
func (s *Store) Rules(ctx context.Context, cycle string) ([]byte, error) {
	var rules sql.NullString
	if err := s.r.WithContext(ctx).Raw(`SELECT rules FROM cycles WHERE code = ?`, cycle).Row().Scan(&rules); err != nil {
		return nil, notFound(err, "考核年度 "+cycle, "cycle "+cycle)
	}
	if !rules.Valid {
		return nil, nil
	}
	return []byte(rules.String), nil
}

// PutTargets implements ballots.Ledger: it replaces the year's targets.
func (s *Store) PutTargets(ctx context.Context, cycle string, targets []ballots.UnitTargets) error {
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM targets WHERE cycle = ?`, cycle).Error; err != nil {
			return err
		}
		for i, t := range targets {
			if err := tx.Exec(`INSERT INTO targets (cycle, unit, body, pos) VALUES (?, ?, ?, ?)`, cycle, t.Unit, string(t.JSON), i).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// Targets implements ballots.Ledger.
func (s *Store) Targets(ctx context.Context, cycle string) ([]ballots.UnitTargets, error) {
	rows, err := s.r.WithContext(ctx).Raw(`SELECT unit, body FROM targets WHERE cycle = ? ORDER BY pos`, cycle).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ballots.UnitTargets
	for rows.Next() {
		var t ballots.UnitTargets
		var body string
		if err := rows.Scan(&t.Unit, &body); err != nil {
			return nil, err
		}
		t.JSON = json.RawMessage(body)
		out = append(out, t)
	}
	return out, rows.Err()
}
