package sqlstore

import (
	"context"
	"time"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.PaperStore = (*Store)(nil)

type paperRow struct {
	ID        string `gorm:"primaryKey"`
	MeetingID int64
	TokenHash string
	GroupCode string
	Answers   string
	CastKey   string
	KeyedBy   string
	KeyedAt   time.Time
}

func (paperRow) TableName() string { return "paper_ballots" }

func (r paperRow) toDomain() ballots.PaperBallot {
	return ballots.PaperBallot{ID: r.ID, MeetingID: r.MeetingID, TokenHash: r.TokenHash, Group: r.GroupCode,
		Answers: []byte(r.Answers), CastKey: r.CastKey, KeyedBy: r.KeyedBy, KeyedAt: r.KeyedAt.UTC()}
}

func paperFromDomain(p ballots.PaperBallot) paperRow {
	return paperRow{ID: p.ID, MeetingID: p.MeetingID, TokenHash: p.TokenHash, GroupCode: p.Group,
		Answers: string(p.Answers), CastKey: p.CastKey, KeyedBy: p.KeyedBy, KeyedAt: p.KeyedAt.UTC()}
}

// PutPaper implements ballots.PaperStore.
func (s *Store) PutPaper(ctx context.Context, p ballots.PaperBallot) error {
	row := paperFromDomain(p)
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isUnique(err) {
			return ballots.Errorf(ballots.EConflict, "这张票的纸质票已录入 (this slip's paper ballot is already waiting)")
		}
		return err
	}
	return nil
}

// PaperBallot implements ballots.PaperStore.
func (s *Store) PaperBallot(ctx context.Context, id string) (ballots.PaperBallot, error) {
	var row paperRow
	// The writer: a confirmation right after keying must see the row.
	if err := s.w.WithContext(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return ballots.PaperBallot{}, notFound(err, "待确认的纸质票", "waiting paper ballot")
	}
	return row.toDomain(), nil
}

// PaperBallots implements ballots.PaperStore.
func (s *Store) PaperBallots(ctx context.Context, meetingID int64) ([]ballots.PaperBallot, error) {
	var rows []paperRow
	if err := s.w.WithContext(ctx).Where("meeting_id = ?", meetingID).Order("keyed_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.PaperBallot, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// DeletePaper implements ballots.PaperStore.
func (s *Store) DeletePaper(ctx context.Context, id string) (bool, error) {
	res := s.w.WithContext(ctx).Exec(`DELETE FROM paper_ballots WHERE id = ?`, id)
	return res.RowsAffected > 0, res.Error
}

// DeleteMeetingPapers implements ballots.PaperStore.
func (s *Store) DeleteMeetingPapers(ctx context.Context, meetingID int64) (int64, error) {
	res := s.w.WithContext(ctx).Exec(`DELETE FROM paper_ballots WHERE meeting_id = ?`, meetingID)
	return res.RowsAffected, res.Error
}
