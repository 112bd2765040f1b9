package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.AdjustmentStore = (*Store)(nil)

type adjustCategoriesRow struct {
	Cycle      string `gorm:"primaryKey"`
	Categories string
}

func (adjustCategoriesRow) TableName() string { return "adjustment_categories" }

type adjustmentRow struct {
	ID           int64 `gorm:"primaryKey;autoIncrement"`
	Cycle        string
	Unit         string
	Category     string
	CategoryName string
	Points       float64
	Reason       string
	Status       string
	Comment      string
	CreatedBy    string
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	DecidedBy    string
	DecidedAt    *time.Time
}

func (adjustmentRow) TableName() string { return "adjustments" }

func (r adjustmentRow) toDomain() ballots.Adjustment {
	a := ballots.Adjustment{ID: r.ID, Cycle: r.Cycle, Unit: r.Unit, Category: r.Category, CategoryName: r.CategoryName, Points: r.Points,
		Reason: r.Reason, Status: r.Status, Comment: r.Comment, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), DecidedBy: r.DecidedBy}
	if r.DecidedAt != nil {
		t := r.DecidedAt.UTC()
		a.DecidedAt = &t
	}
	return a
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// PutAdjustmentCategories implements ballots.AdjustmentStore.
func (s *Store) PutAdjustmentCategories(ctx context.Context, cycle string, cats []ballots.AdjustmentCategory) error {
	body, err := json.Marshal(cats)
	if err != nil {
		return err
	}
	row := adjustCategoriesRow{Cycle: cycle, Categories: string(body)}
	return classify(s.w.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error)
}

// AdjustmentCategories implements ballots.AdjustmentStore.
func (s *Store) AdjustmentCategories(ctx context.Context, cycle string) ([]ballots.AdjustmentCategory, bool, error) {
	var rows []adjustCategoriesRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Limit(1).Find(&rows).Error; err != nil {
		return nil, false, classify(err)
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	cats := []ballots.AdjustmentCategory{}
	if err := json.Unmarshal([]byte(rows[0].Categories), &cats); err != nil {
		return nil, false, fmt.Errorf("stored adjustment categories of %s: %w", cycle, err)
	}
	return cats, true, nil
}

// AddAdjustment implements ballots.AdjustmentStore.
func (s *Store) AddAdjustment(ctx context.Context, a ballots.Adjustment) (ballots.Adjustment, error) {
	row := adjustmentRow{Cycle: a.Cycle, Unit: a.Unit, Category: a.Category, CategoryName: a.CategoryName, Points: a.Points,
		Reason: a.Reason, Status: a.Status, Comment: a.Comment, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC(),
		DecidedBy: a.DecidedBy, DecidedAt: utcPtr(a.DecidedAt)}
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		return ballots.Adjustment{}, classify(err)
	}
	return row.toDomain(), nil
}

// Adjustments implements ballots.AdjustmentStore: oldest first.
func (s *Store) Adjustments(ctx context.Context, cycle string) ([]ballots.Adjustment, error) {
	var rows []adjustmentRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Order("id").Find(&rows).Error; err != nil {
		return nil, classify(err)
	}
	out := make([]ballots.Adjustment, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Adjustment implements ballots.AdjustmentStore.
func (s *Store) Adjustment(ctx context.Context, cycle string, id int64) (ballots.Adjustment, error) {
	var row adjustmentRow
	if err := s.r.WithContext(ctx).Where("cycle = ? AND id = ?", cycle, id).Take(&row).Error; err != nil {
		return ballots.Adjustment{}, notFound(err, fmt.Sprintf("第 %d 项加减分", id), fmt.Sprintf("adjustment %d", id))
	}
	return row.toDomain(), nil
}

// UpdateAdjustment implements ballots.AdjustmentStore: one conditional
// UPDATE, so two decisions on the same entry cannot both win.
func (s *Store) UpdateAdjustment(ctx context.Context, a ballots.Adjustment, from string) (bool, error) {
	res := s.w.WithContext(ctx).Model(&adjustmentRow{}).Where("cycle = ? AND id = ? AND status = ?", a.Cycle, a.ID, from).
		Updates(map[string]any{"status": a.Status, "points": a.Points, "comment": a.Comment, "decided_by": a.DecidedBy, "decided_at": utcPtr(a.DecidedAt)})
	if res.Error != nil {
		return false, classify(res.Error)
	}
	return res.RowsAffected == 1, nil
}
