package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.CollectionStore = (*Store)(nil)

type bodyRow struct {
	Cycle string `gorm:"primaryKey"`
	Code  string `gorm:"primaryKey"`
	Name  string
	Kind  string
	Pos   int
}

func (bodyRow) TableName() string { return "bodies" }

type indicatorRow struct {
	Cycle    string `gorm:"primaryKey"`
	Code     string `gorm:"primaryKey"`
	Unit     string
	Category string
	Name     string
	Points   float64
	Method   string
	Target   *float64
	Measure  string
	Better   string
	Source   string
	Pos      int
}

func (indicatorRow) TableName() string { return "indicators" }

func (r indicatorRow) toDomain() ballots.Indicator {
	return ballots.Indicator{Code: r.Code, Unit: r.Unit, Category: r.Category, Name: r.Name, Points: r.Points,
		Method: r.Method, Target: r.Target, Measure: r.Measure, Better: r.Better, Source: r.Source}
}

type entryRow struct {
	Cycle     string `gorm:"primaryKey"`
	Indicator string `gorm:"primaryKey"`
	Status    string
	Actual    *float64
	Score     *float64
	MajorLoss bool
	Reason    string
	Note      string
	Comment   string
	UpdatedBy string
	UpdatedAt time.Time
}

func (entryRow) TableName() string { return "entries" }

func (r entryRow) toDomain() ballots.Entry {
	return ballots.Entry{Indicator: r.Indicator, Status: r.Status, Actual: r.Actual, Score: r.Score, MajorLoss: r.MajorLoss,
		Reason: r.Reason, Note: r.Note, Comment: r.Comment, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt.UTC()}
}

func entryFromDomain(cycle string, e ballots.Entry) entryRow {
	return entryRow{Cycle: cycle, Indicator: e.Indicator, Status: e.Status, Actual: e.Actual, Score: e.Score, MajorLoss: e.MajorLoss,
		Reason: e.Reason, Note: e.Note, Comment: e.Comment, UpdatedBy: e.UpdatedBy, UpdatedAt: e.UpdatedAt.UTC()}
}

// PutBodies implements ballots.CollectionStore: it replaces the year's bodies.
func (s *Store) PutBodies(ctx context.Context, cycle string, bodies []ballots.Body) error {
	rows := make([]bodyRow, len(bodies))
	for i, b := range bodies {
		rows[i] = bodyRow{Cycle: cycle, Code: b.Code, Name: b.Name, Kind: b.Kind, Pos: i}
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("cycle = ?", cycle).Delete(&bodyRow{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.CreateInBatches(rows, 200).Error
	})
}

// Bodies implements ballots.CollectionStore.
func (s *Store) Bodies(ctx context.Context, cycle string) ([]ballots.Body, error) {
	var rows []bodyRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Order("pos").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Body, len(rows))
	for i, r := range rows {
		out[i] = ballots.Body{Code: r.Code, Name: r.Name, Kind: r.Kind}
	}
	return out, nil
}

// Indicators implements ballots.CollectionStore.
func (s *Store) Indicators(ctx context.Context, cycle string) ([]ballots.Indicator, error) {
	return indicators(s.r.WithContext(ctx), cycle)
}

func indicators(db *gorm.DB, cycle string) ([]ballots.Indicator, error) {
	var rows []indicatorRow
	if err := db.Where("cycle = ?", cycle).Order("pos").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Indicator, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Entries implements ballots.CollectionStore.
func (s *Store) Entries(ctx context.Context, cycle string) ([]ballots.Entry, error) {
	return entries(s.r.WithContext(ctx), cycle)
}

func entries(db *gorm.DB, cycle string) ([]ballots.Entry, error) {
	var rows []entryRow
	if err := db.Where("cycle = ?", cycle).Order("indicator").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Collect implements ballots.CollectionStore. Collects of one year take
// turns: on PostgreSQL the year's row is locked first; SQLite has one
// writer.
func (s *Store) Collect(ctx context.Context, cycle string, fn func(*ballots.Collection) error) error {
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := `SELECT code FROM cycles WHERE code = ?`
		if s.dialect == "postgres" {
			q += ` FOR UPDATE`
		}
		var code string
		if err := tx.Raw(q, cycle).Row().Scan(&code); err != nil {
			return notFound(err, "考核年度 "+cycle, "cycle "+cycle)
		}
		cat, err := indicators(tx, cycle)
		if err != nil {
			return err
		}
		es, err := entries(tx, cycle)
		if err != nil {
			return err
		}
		c := &ballots.Collection{Catalogue: cat, Entries: make(map[string]ballots.Entry, len(es))}
		for _, e := range es {
			c.Entries[e.Indicator] = e
		}
		if err := fn(c); err != nil {
			return err
		}
		put, drop, catalogue, replaced := c.Writes()
		if len(drop) > 0 {
			if err := tx.Where("cycle = ? AND indicator IN ?", cycle, drop).Delete(&entryRow{}).Error; err != nil {
				return err
			}
		}
		if replaced {
			if err := replaceCatalogue(tx, cycle, catalogue); err != nil {
				return err
			}
		}
		for _, e := range put {
			row := entryFromDomain(cycle, e)
			if err := tx.Save(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// replaceCatalogue makes the year's indicators cat. Indicators that keep
// an entry are updated in place (the entry refers to them); the others are
// deleted and inserted anew.
func replaceCatalogue(tx *gorm.DB, cycle string, cat []ballots.Indicator) error {
	if err := tx.Exec(`DELETE FROM indicators WHERE cycle = ? AND code NOT IN (SELECT indicator FROM entries WHERE cycle = ?)`, cycle, cycle).Error; err != nil {
		return err
	}
	var kept []string
	if err := tx.Raw(`SELECT code FROM indicators WHERE cycle = ?`, cycle).Scan(&kept).Error; err != nil {
		return err
	}
	has := make(map[string]bool, len(kept))
	for _, k := range kept {
		has[k] = true
	}
	var fresh []indicatorRow
	for i, ind := range cat {
		row := indicatorRow{Cycle: cycle, Code: ind.Code, Unit: ind.Unit, Category: ind.Category, Name: ind.Name, Points: ind.Points,
			Method: ind.Method, Target: ind.Target, Measure: ind.Measure, Better: ind.Better, Source: ind.Source, Pos: i}
		if has[ind.Code] {
			if err := tx.Save(&row).Error; err != nil {
				return err
			}
			delete(has, ind.Code)
			continue
		}
		fresh = append(fresh, row)
	}
	if len(has) > 0 { // an entered indicator the new catalogue leaves out: the domain drops its entry first
		left := make([]string, 0, len(has))
		for k := range has {
			left = append(left, k)
		}
		return ballots.Errorf(ballots.EConflict, "指标 %v 仍有填报的数值，不能删除 (indicators with entries cannot be dropped)", left)
	}
	if len(fresh) == 0 {
		return nil
	}
	return tx.CreateInBatches(fresh, 200).Error
}

// PutDeadline implements ballots.CollectionStore.
func (s *Store) PutDeadline(ctx context.Context, cycle, date string) error {
	res := s.w.WithContext(ctx).Exec(`UPDATE cycles SET collect_deadline = ? WHERE code = ?`, date, cycle)
	if res.Error == nil && res.RowsAffected == 0 {
		return ballots.Errorf(ballots.ENotFound, "考核年度 %s 不存在 (cycle not found)", cycle)
	}
	return res.Error
}

// Deadline implements ballots.CollectionStore.
func (s *Store) Deadline(ctx context.Context, cycle string) (string, error) {
	var d sql.NullString
	if err := s.r.WithContext(ctx).Raw(`SELECT collect_deadline FROM cycles WHERE code = ?`, cycle).Row().Scan(&d); err != nil {
		return "", notFound(err, "考核年度 "+cycle, "cycle "+cycle)
	}
	return d.String, nil
}
