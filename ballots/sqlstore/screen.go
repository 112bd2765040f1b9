package sqlstore

import (
	"context"
	"time"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.ScreenLinkStore = (*Store)(nil)

type screenLinkRow struct {
	ID          string `gorm:"primaryKey"`
	MeetingID   int64
	ExpiresAt   time.Time
	ShowResults bool
	IssuedBy    string
	IssuedAt    time.Time
	RevokedAt   *time.Time
	RevokedBy   string
}

func (screenLinkRow) TableName() string { return "screen_links" }

func (r screenLinkRow) toDomain() ballots.ScreenLink {
	l := ballots.ScreenLink{ID: r.ID, MeetingID: r.MeetingID, ExpiresAt: r.ExpiresAt.UTC(), ShowResults: r.ShowResults,
		IssuedBy: r.IssuedBy, IssuedAt: r.IssuedAt.UTC(), RevokedBy: r.RevokedBy}
	if r.RevokedAt != nil {
		at := r.RevokedAt.UTC()
		l.RevokedAt = &at
	}
	return l
}

func screenLinkFromDomain(l ballots.ScreenLink) screenLinkRow {
	r := screenLinkRow{ID: l.ID, MeetingID: l.MeetingID, ExpiresAt: l.ExpiresAt.UTC(), ShowResults: l.ShowResults,
		IssuedBy: l.IssuedBy, IssuedAt: l.IssuedAt.UTC(), RevokedBy: l.RevokedBy}
	if l.RevokedAt != nil {
		at := l.RevokedAt.UTC()
		r.RevokedAt = &at
	}
	return r
}

// CreateScreenLink implements ballots.ScreenLinkStore.
func (s *Store) CreateScreenLink(ctx context.Context, l ballots.ScreenLink) error {
	row := screenLinkFromDomain(l)
	return s.w.WithContext(ctx).Create(&row).Error
}

// ScreenLink implements ballots.ScreenLinkStore. It reads from the writer:
// a revocation must hold on the next request, on SQLite's readers too.
func (s *Store) ScreenLink(ctx context.Context, id string) (ballots.ScreenLink, error) {
	var row screenLinkRow
	if err := s.w.WithContext(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return ballots.ScreenLink{}, notFound(err, "大屏幕链接", "screen link")
	}
	return row.toDomain(), nil
}

// ScreenLinks implements ballots.ScreenLinkStore.
func (s *Store) ScreenLinks(ctx context.Context, meetingID int64) ([]ballots.ScreenLink, error) {
	var rows []screenLinkRow
	if err := s.w.WithContext(ctx).Where("meeting_id = ?", meetingID).Order("issued_at DESC, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.ScreenLink, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// RevokeScreenLink implements ballots.ScreenLinkStore: the first
// revocation's time and name stay.
func (s *Store) RevokeScreenLink(ctx context.Context, id, by string, at time.Time) (ballots.ScreenLink, error) {
	err := s.w.WithContext(ctx).Exec(`UPDATE screen_links SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`,
		at.UTC(), by, id).Error
	if err != nil {
		return ballots.ScreenLink{}, err
	}
	return s.ScreenLink(ctx, id)
}
