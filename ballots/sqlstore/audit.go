package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.AuditStore = (*Store)(nil)

type auditRow struct {
	ID     int64 `gorm:"primaryKey"`
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail string
}

func (auditRow) TableName() string { return "audit_log" }

func (r auditRow) toDomain() ballots.AuditEntry {
	return ballots.AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action, Target: r.Target, Detail: r.Detail}
}

// AppendAudit implements ballots.AuditStore: an insert, never anything else.
func (s *Store) AppendAudit(ctx context.Context, e ballots.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return s.w.WithContext(ctx).Exec(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		e.At.UTC(), e.Actor, e.Action, e.Target, e.Detail).Error
}

// AuditEntries implements ballots.AuditStore.
func (s *Store) AuditEntries(ctx context.Context, before int64, limit int) ([]ballots.AuditEntry, error) {
	q := s.r.WithContext(ctx).Order("id DESC").Limit(limit)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	return findAudit(q)
}

// AuditEntriesFor implements ballots.AuditStore. The log has no index on
// target: this reads the table once, which at a county's size (thousands
// of entries a year) costs milliseconds.
func (s *Store) AuditEntriesFor(ctx context.Context, targets []string, limit int) ([]ballots.AuditEntry, error) {
	return findAudit(s.r.WithContext(ctx).Where("target IN ?", targets).Order("id DESC").Limit(limit))
}

func findAudit(q *gorm.DB) ([]ballots.AuditEntry, error) {
	var rows []auditRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}
