package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

type userRow struct {
	Name         string `gorm:"primaryKey"`
	Role         string
	DisplayName  string
	PasswordHash string
	SessionGen   int64
	Body         string
	Unit         string
}

func (userRow) TableName() string { return "users" }

func (r userRow) toDomain() ballots.User {
	return ballots.User{Name: r.Name, Role: r.Role, DisplayName: r.DisplayName, PasswordHash: r.PasswordHash, Generation: r.SessionGen, Body: r.Body, Unit: r.Unit}
}

type cycleRow struct {
	Code string `gorm:"primaryKey"`
	Name string
}

func (cycleRow) TableName() string { return "cycles" }

type unitRow struct {
	Cycle string `gorm:"primaryKey"`
	Code  string `gorm:"primaryKey"`
	Name  string
	Kind  string
	Staff int
	Pos   int
}

func (unitRow) TableName() string { return "units" }

type personRow struct {
	Cycle  string `gorm:"primaryKey"`
	Code   string `gorm:"primaryKey"`
	Name   string
	Unit   string
	Post   string
	Leader bool
	Pos    int
}

func (personRow) TableName() string { return "people" }

type formRow struct {
	Cycle string `gorm:"primaryKey"`
	Code  string `gorm:"primaryKey"`
	Body  string
}

func (formRow) TableName() string { return "forms" }

type meetingRow struct {
	ID        int64 `gorm:"primaryKey"`
	Cycle     string
	Code      string
	Body      string
	Status    string
	Def       *string
	CastCount int64
	Sealed    *string
}

func (meetingRow) TableName() string { return "meetings" }

func (r meetingRow) toDomain() (ballots.MeetingRecord, error) {
	rec := ballots.MeetingRecord{ID: r.ID, Cycle: r.Cycle, Cast: r.CastCount}
	if err := json.Unmarshal([]byte(r.Body), &rec.Meeting); err != nil {
		return rec, fmt.Errorf("meeting %d: %w", r.ID, err)
	}
	rec.Meeting.Status = r.Status
	if r.Def != nil {
		rec.Def = &ballots.MeetingDef{}
		if err := json.Unmarshal([]byte(*r.Def), rec.Def); err != nil {
			return rec, fmt.Errorf("meeting %d snapshot: %w", r.ID, err)
		}
	}
	if r.Sealed != nil {
		rec.Sealed = &ballots.Sealed{}
		if err := json.Unmarshal([]byte(*r.Sealed), rec.Sealed); err != nil {
			return rec, fmt.Errorf("meeting %d seal: %w", r.ID, err)
		}
	}
	return rec, nil
}

type batchRow struct {
	ID        string `gorm:"primaryKey"`
	MeetingID int64
	GroupCode string
	Count     int
	Revoked   bool
}

func (batchRow) TableName() string { return "batches" }

// CreateUser implements ballots.Ledger.
func (s *Store) CreateUser(ctx context.Context, u ballots.User) error {
	err := s.w.WithContext(ctx).Create(&userRow{Name: u.Name, Role: u.Role, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash, SessionGen: u.Generation, Body: u.Body, Unit: u.Unit}).Error
	if isUnique(err) {
		return ballots.Errorf(ballots.EConflict, "账号 %s 已存在 (user exists)", u.Name)
	}
	return err
}

// User implements ballots.Ledger.
func (s *Store) User(ctx context.Context, name string) (ballots.User, error) {
	var r userRow
	if err := s.r.WithContext(ctx).Take(&r, "name = ?", name).Error; err != nil {
		return ballots.User{}, notFound(err, "账号", "user")
	}
	return r.toDomain(), nil
}

// CountUsers implements ballots.Ledger.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&userRow{}).Count(&n).Error
	return n, err
}

// CreateCycle implements ballots.Ledger.
func (s *Store) CreateCycle(ctx context.Context, c ballots.Cycle) error {
	err := s.w.WithContext(ctx).Create(&cycleRow{Code: c.Code, Name: c.Name}).Error
	if isUnique(err) {
		return ballots.Errorf(ballots.EConflict, "考核年度 %s 已存在 (cycle exists)", c.Code)
	}
	return err
}

// Cycle implements ballots.Ledger.
func (s *Store) Cycle(ctx context.Context, code string) (ballots.Cycle, error) {
	var r cycleRow
	if err := s.r.WithContext(ctx).Take(&r, "code = ?", code).Error; err != nil {
		return ballots.Cycle{}, notFound(err, "考核年度 "+code, "cycle "+code)
	}
	return ballots.Cycle{Code: r.Code, Name: r.Name}, nil
}

// Cycles implements ballots.Ledger.
func (s *Store) Cycles(ctx context.Context) ([]ballots.Cycle, error) {
	var rows []cycleRow
	if err := s.r.WithContext(ctx).Order("code").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Cycle, len(rows))
	for i, r := range rows {
		out[i] = ballots.Cycle{Code: r.Code, Name: r.Name}
	}
	return out, nil
}

// PutUnits implements ballots.Ledger.
func (s *Store) PutUnits(ctx context.Context, cycle string, units []ballots.Unit) error {
	rows := make([]unitRow, len(units))
	for i, u := range units {
		rows[i] = unitRow{Cycle: cycle, Code: u.Code, Name: u.Name, Kind: u.Kind, Staff: u.Staff, Pos: i}
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("cycle = ?", cycle).Delete(&unitRow{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.CreateInBatches(rows, 200).Error
	})
}

// Units implements ballots.Ledger.
func (s *Store) Units(ctx context.Context, cycle string) ([]ballots.Unit, error) {
	var rows []unitRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Order("pos").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Unit, len(rows))
	for i, r := range rows {
		out[i] = ballots.Unit{Code: r.Code, Name: r.Name, Kind: r.Kind, Staff: r.Staff}
	}
	return out, nil
}

// PutPeople implements ballots.Ledger.
func (s *Store) PutPeople(ctx context.Context, cycle string, people []ballots.Person) error {
	rows := make([]personRow, len(people))
	for i, p := range people {
		rows[i] = personRow{Cycle: cycle, Code: p.Code, Name: p.Name, Unit: p.Unit, Post: p.Post, Leader: p.Leader, Pos: i}
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("cycle = ?", cycle).Delete(&personRow{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.CreateInBatches(rows, 200).Error
	})
}

// People implements ballots.Ledger.
func (s *Store) People(ctx context.Context, cycle string) ([]ballots.Person, error) {
	var rows []personRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Order("pos").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Person, len(rows))
	for i, r := range rows {
		out[i] = ballots.Person{Code: r.Code, Name: r.Name, Unit: r.Unit, Post: r.Post, Leader: r.Leader}
	}
	return out, nil
}

// PutForm implements ballots.Ledger.
func (s *Store) PutForm(ctx context.Context, cycle string, f ballots.Form) error {
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []meetingRow
		if err := tx.Where("cycle = ? AND status <> ?", cycle, ballots.StatusPending).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			rec, err := r.toDomain()
			if err != nil {
				return err
			}
			for _, g := range rec.Meeting.Groups {
				if g.Form == f.Code {
					return ballots.Errorf(ballots.EConflict, "表单 %s 已被会议 %s 使用且会议已开始，不能再修改；请另建新表单 (form in use by an opened meeting)", f.Code, rec.Meeting.Code)
				}
			}
		}
		return tx.Save(&formRow{Cycle: cycle, Code: f.Code, Body: string(body)}).Error
	})
}

// Form implements ballots.Ledger.
func (s *Store) Form(ctx context.Context, cycle, code string) (ballots.Form, error) {
	var r formRow
	if err := s.r.WithContext(ctx).Take(&r, "cycle = ? AND code = ?", cycle, code).Error; err != nil {
		return ballots.Form{}, notFound(err, "表单 "+code, "form "+code)
	}
	var f ballots.Form
	err := json.Unmarshal([]byte(r.Body), &f)
	return f, err
}

// Forms implements ballots.Ledger.
func (s *Store) Forms(ctx context.Context, cycle string) ([]ballots.Form, error) {
	var rows []formRow
	if err := s.r.WithContext(ctx).Where("cycle = ?", cycle).Order("code").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.Form, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal([]byte(r.Body), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteForm implements ballots.Ledger. It locks the form's row first (on
// PostgreSQL; SQLite's immediate transaction holds the one write lock), so
// a meeting saved at the same time either is seen here and keeps the form,
// or finds the form gone (PutMeeting takes a share lock on its forms).
func (s *Store) DeleteForm(ctx context.Context, cycle, code string) (ballots.Form, error) {
	var f ballots.Form
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := `SELECT body FROM forms WHERE cycle = ? AND code = ?`
		if s.dialect == "postgres" {
			q += ` FOR UPDATE`
		}
		var body string
		if err := tx.Raw(q, cycle, code).Row().Scan(&body); err != nil {
			return notFound(err, "测评表 "+code, "form "+code)
		}
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			return fmt.Errorf("form %s: %w", code, err)
		}
		var rows []meetingRow
		if err := tx.Where("cycle = ?", cycle).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		var users, codes []string
		opened := false
		for _, r := range rows {
			rec, err := r.toDomain()
			if err != nil {
				return err
			}
			for _, g := range rec.Meeting.Groups {
				if g.Form == code {
					users = append(users, fmt.Sprintf("「%s」（%s）", rec.Meeting.Title, statusName(rec.Meeting.Status)))
					codes = append(codes, rec.Meeting.Code)
					opened = opened || rec.Meeting.Status != ballots.StatusPending
					break
				}
			}
		}
		if len(users) > 0 {
			advice := "请先在这些会议中改用其他测评表，再删除。"
			if opened {
				advice = "已开始或已结束的会议要按原表计票，它们所用的测评表须一直保留；尚未开始的会议可先改用其他测评表。"
			}
			return ballots.Errorf(ballots.EConflict, "测评表「%s」正被会议%s使用，不能删除。%s(the form is used by meeting %s and cannot be deleted)",
				f.Title, strings.Join(users, "、"), advice, strings.Join(codes, ", "))
		}
		return tx.Where("cycle = ? AND code = ?", cycle, code).Delete(&formRow{}).Error
	})
	return f, err
}

// statusName is a meeting status in Chinese, for messages.
func statusName(status string) string {
	switch status {
	case ballots.StatusPending:
		return "未开始"
	case ballots.StatusOpen:
		return "进行中"
	case ballots.StatusClosed:
		return "已结束"
	}
	return status
}

// lockForms checks inside tx that the forms a meeting names exist, taking a
// share lock on them on PostgreSQL so that DeleteForm cannot remove one
// until the meeting is saved (and then sees it).
func (s *Store) lockForms(tx *gorm.DB, cycle string, m ballots.Meeting) error {
	for _, g := range m.Groups {
		q := `SELECT count(*) FROM forms WHERE cycle = ? AND code = ?`
		if s.dialect == "postgres" {
			q = `SELECT count(*) FROM (SELECT 1 FROM forms WHERE cycle = ? AND code = ? FOR SHARE) AS f`
		}
		var n int64
		if err := tx.Raw(q, cycle, g.Form).Row().Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ballots.Errorf(ballots.EConflict, "测评表 %q 不存在（可能刚被删除），请重新选择测评表后再保存会议 (form %s not found)", g.Form, g.Form)
		}
	}
	return nil
}

// PutMeeting implements ballots.Ledger.
func (s *Store) PutMeeting(ctx context.Context, cycle string, m ballots.Meeting) (bool, error) {
	m.Status = ""
	body, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	created := false
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r meetingRow
		err := tx.Take(&r, "cycle = ? AND code = ?", cycle, m.Code).Error
		if err == gorm.ErrRecordNotFound {
			if err := s.lockForms(tx, cycle, m); err != nil {
				return err
			}
			created = true
			return tx.Create(&meetingRow{Cycle: cycle, Code: m.Code, Body: string(body), Status: ballots.StatusPending}).Error
		}
		if err != nil {
			return err
		}
		if r.Status != ballots.StatusPending {
			return ballots.Errorf(ballots.EConflict, "会议已开始或已结束，不能再修改 (the meeting has opened: it can no longer change)")
		}
		if err := s.lockForms(tx, cycle, m); err != nil {
			return err
		}
		return tx.Model(&meetingRow{}).Where("id = ? AND status = ?", r.ID, ballots.StatusPending).Update("body", string(body)).Error
	})
	return created, err
}

func (s *Store) meetingWhere(ctx context.Context, query string, args ...any) (ballots.MeetingRecord, error) {
	var r meetingRow
	if err := s.r.WithContext(ctx).Take(&r, append([]any{query}, args...)...).Error; err != nil {
		return ballots.MeetingRecord{}, notFound(err, "会议", "meeting")
	}
	return s.decodeMeeting(r)
}

// decodeMeeting decodes a row, reusing the decoding of a sealed meeting:
// its row never changes again, and its snapshot and seal are the largest
// JSON the ledger holds. Callers must not modify the returned snapshot or
// seal.
func (s *Store) decodeMeeting(r meetingRow) (ballots.MeetingRecord, error) {
	if r.Sealed != nil {
		if rec, ok := s.sealed.Load(r.ID); ok {
			return rec.(ballots.MeetingRecord), nil
		}
	}
	rec, err := r.toDomain()
	if err == nil && r.Sealed != nil {
		s.sealed.Store(r.ID, rec)
	}
	return rec, err
}

// Meeting implements ballots.Ledger.
func (s *Store) Meeting(ctx context.Context, cycle, code string) (ballots.MeetingRecord, error) {
	return s.meetingWhere(ctx, "cycle = ? AND code = ?", cycle, code)
}

// MeetingByID implements ballots.Ledger.
func (s *Store) MeetingByID(ctx context.Context, id int64) (ballots.MeetingRecord, error) {
	return s.meetingWhere(ctx, "id = ?", id)
}

func (s *Store) meetingsWhere(ctx context.Context, query string, args ...any) ([]ballots.MeetingRecord, error) {
	var rows []meetingRow
	if err := s.r.WithContext(ctx).Where(query, args...).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.MeetingRecord, 0, len(rows))
	for _, r := range rows {
		rec, err := s.decodeMeeting(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Meetings implements ballots.Ledger.
func (s *Store) Meetings(ctx context.Context, cycle string) ([]ballots.MeetingRecord, error) {
	return s.meetingsWhere(ctx, "cycle = ?", cycle)
}

// OpenMeetings implements ballots.Ledger.
func (s *Store) OpenMeetings(ctx context.Context) ([]ballots.MeetingRecord, error) {
	return s.meetingsWhere(ctx, "status = ?", ballots.StatusOpen)
}

// BatchMeeting implements ballots.Ledger.
func (s *Store) BatchMeeting(ctx context.Context, batchID string) (ballots.MeetingRecord, error) {
	var b batchRow
	if err := s.r.WithContext(ctx).Take(&b, "id = ?", batchID).Error; err != nil {
		return ballots.MeetingRecord{}, notFound(err, "批次 "+batchID, "batch "+batchID)
	}
	return s.MeetingByID(ctx, b.MeetingID)
}

// SetPassword implements ballots.Ledger.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return s.updateUser(ctx, name, map[string]any{"password_hash": hash, "session_gen": gorm.Expr("session_gen + 1")})
}

// SetRole implements ballots.Ledger.
func (s *Store) SetRole(ctx context.Context, name, role, body, unit string) error {
	return s.updateUser(ctx, name, map[string]any{"role": role, "body": body, "unit": unit, "session_gen": gorm.Expr("session_gen + 1")})
}

// EndSessions implements ballots.Ledger.
func (s *Store) EndSessions(ctx context.Context, name string) error {
	return s.updateUser(ctx, name, map[string]any{"session_gen": gorm.Expr("session_gen + 1")})
}

// updateUser changes columns of one account; ENotFound if there is none.
func (s *Store) updateUser(ctx context.Context, name string, cols map[string]any) error {
	res := s.w.WithContext(ctx).Model(&userRow{}).Where("name = ?", name).Updates(cols)
	if (res.Error == nil && res.RowsAffected == 0) || isUnstorableText(res.Error) {
		return ballots.Errorf(ballots.ENotFound, "账号 %s 不存在 (no such user)", name)
	}
	return res.Error
}

// SetDisplayName implements ballots.Ledger.
func (s *Store) SetDisplayName(ctx context.Context, name, display string) error {
	res := s.w.WithContext(ctx).Model(&userRow{}).Where("name = ?", name).Update("display_name", display)
	if res.Error == nil && res.RowsAffected == 0 {
		return ballots.Errorf(ballots.ENotFound, "账号 %s 不存在 (no such user)", name)
	}
	return res.Error
}

// Users implements ballots.Ledger.
func (s *Store) Users(ctx context.Context) ([]ballots.User, error) {
	var rows []userRow
	if err := s.r.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ballots.User, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
		out[i].PasswordHash = ""
	}
	return out, nil
}

// DeleteUser implements ballots.Ledger.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	res := s.w.WithContext(ctx).Where("name = ?", name).Delete(&userRow{})
	if res.Error == nil && res.RowsAffected == 0 {
		return ballots.Errorf(ballots.ENotFound, "账号 %s 不存在 (no such user)", name)
	}
	return res.Error
}
