package ballots

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// ---- Accounts ----

// CreateUser adds an organizer account without a display name; see AddUser.
func (s *Service) CreateUser(ctx context.Context, name, role, password string) error {
	return s.AddUser(ctx, User{Name: name, Role: role}, password)
}

// AddUser adds an organizer account: u's login name, role and display name
// (姓名, may be empty), with password. EInvalid for a bad name, display
// name, role or password; EConflict if the name is taken.
func (s *Service) AddUser(ctx context.Context, u User, password string) error {
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	var v validator
	switch {
	case u.Name == "":
		v.add("name", "请填写登录名，如 zhangsan (enter a login name, e.g. zhangsan)")
	case !codeRE.MatchString(u.Name):
		v.add("name", "登录名请用字母或数字（如 zhangsan），姓名填在“姓名”一栏 (login names use letters and digits, e.g. zhangsan; put the person's name in the name field)")
	}
	v.text("display_name", u.DisplayName, false, 32)
	bound := u.Body + u.Unit
	if u.Body != "" && u.Unit != "" {
		v.add("unit", "账号只能绑定考核主体或单位之一 (bind a body or a unit, not both)")
	}
	s.checkRole(ctx, &v, &u, bound)
	if n := utf8.RuneCountInString(password); n < 8 || len(password) > 72 {
		v.add("password", "密码须为 8 到 72 个字符 (password: 8 to 72 characters)")
	}
	if err := v.err("账号"); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash = string(hash)
	u.Generation = s.newGeneration()
	return s.ledger.CreateUser(ctx, u)
}

// newGeneration is a new account's first session generation: random, in
// [1, 2^52), so that it is exact as a JSON number and no token of an
// earlier account with the same name matches it.
func (s *Service) newGeneration() int64 {
	b := make([]byte, 8)
	if _, err := io.ReadFull(s.opt.Rand, b); err != nil {
		panic(fmt.Sprintf("read random: %v", err)) // crypto/rand does not fail
	}
	return int64(binary.BigEndian.Uint64(b)>>12) | 1
}

// Authenticate returns the user whose name and password match, or
// EUnauthorized (the same for an unknown name as for a wrong password).
func (s *Service) Authenticate(ctx context.Context, name, password string) (User, error) {
	bad := Errorf(EUnauthorized, "用户名或密码错误 (wrong username or password)")
	u, err := s.ledger.User(ctx, name)
	if ErrorCode(err) == ENotFound {
		// Spend the same time as a real check so names cannot be probed.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, bad
	}
	if err != nil {
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return User{}, bad
	}
	return u, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// User returns an account by name.
func (s *Service) User(ctx context.Context, name string) (User, error) {
	return s.ledger.User(ctx, name)
}

// EnsureAdmin creates the user admin when no account exists yet, with
// password, or a generated one if password is empty. It returns the
// password it set, or "" when accounts already existed.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (string, error) {
	n, err := s.ledger.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if password == "" {
		password = GeneratePassword()
	}
	if err := s.CreateUser(ctx, "admin", RoleAdmin, password); err != nil {
		return "", err
	}
	return password, nil
}

// GeneratePassword returns 16 random characters that are easy to read aloud.
func GeneratePassword() string {
	const chars = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// CanRun reports whether u may run meeting m: admins run all, group users
// the meetings whose staff lists them.
func CanRun(u User, m Meeting) bool {
	return u.Role == RoleAdmin || (u.Role == RoleGroup && oneOf(u.Name, m.Staff))
}

// CanRead reports whether u may read m's turnout and results.
func CanRead(u User, m Meeting) bool { return u.Role == RoleViewer || CanRun(u, m) }

// ---- Setting up a year ----

// CreateCycle adds a year. EConflict if its code exists.
func (s *Service) CreateCycle(ctx context.Context, c Cycle) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.ledger.CreateCycle(ctx, c)
}

// Cycles lists the years.
func (s *Service) Cycles(ctx context.Context) ([]Cycle, error) { return s.ledger.Cycles(ctx) }

// PutUnits replaces a year's units.
func (s *Service) PutUnits(ctx context.Context, cycle string, units []Unit) error {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	if err := ValidateUnits(units); err != nil {
		return err
	}
	// A unit still named by a person or by a meeting's host stays.
	keep := map[string]bool{}
	for _, u := range units {
		keep[u.Code] = true
	}
	people, err := s.ledger.People(ctx, cycle)
	if err != nil {
		return err
	}
	meetings, err := s.ledger.Meetings(ctx, cycle)
	if err != nil {
		return err
	}
	// One line per unit that would lose its people, naming them.
	var v validator
	left, order := map[string][]string{}, []string(nil)
	for _, p := range people {
		if !keep[p.Unit] {
			if left[p.Unit] == nil {
				order = append(order, p.Unit)
			}
			left[p.Unit] = append(left[p.Unit], p.Name)
		}
	}
	// Units are named as the clerk knows them, from the list as stored.
	names := map[string]string{}
	unitName := func(code string) string {
		if len(names) == 0 {
			if old, err := s.ledger.Units(ctx, cycle); err == nil {
				for _, u := range old {
					names[u.Code] = u.Name
				}
			}
		}
		if n := names[code]; n != "" {
			return n
		}
		return "单位 " + code
	}
	for _, code := range order {
		who := left[code]
		list := strings.Join(who, "、")
		if len(who) > 5 {
			list = strings.Join(who[:5], "、") + "等"
		}
		v.details = append(v.details, Detail{Field: "units", Subject: code, Message: fmt.Sprintf(
			"%s还有 %d 名人员（%s），不能删除：请先在人员名单中把他们改为其他单位或删除 (%s still has %d people)", unitName(code), len(who), list, code, len(who))})
	}
	for _, m := range meetings {
		if m.Meeting.Host != "" && !keep[m.Meeting.Host] {
			v.details = append(v.details, Detail{Field: "units", Subject: m.Meeting.Host, Message: fmt.Sprintf(
				"%s是会议“%s”的被考核单位，不能删除 (%s is assessed in meeting %s)", unitName(m.Meeting.Host), m.Meeting.Title, m.Meeting.Host, m.Meeting.Code)})
		}
	}
	if err := v.err("单位名单"); err != nil {
		return err
	}
	return s.ledger.PutUnits(ctx, cycle, units)
}

// Units lists a year's units.
func (s *Service) Units(ctx context.Context, cycle string) ([]Unit, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return s.ledger.Units(ctx, cycle)
}

// PutPeople replaces a year's people; each must belong to a known unit.
func (s *Service) PutPeople(ctx context.Context, cycle string, people []Person) error {
	units, err := s.Units(ctx, cycle)
	if err != nil {
		return err
	}
	byCode := map[string]Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	if err := ValidatePeople(people, byCode); err != nil {
		return err
	}
	return s.ledger.PutPeople(ctx, cycle, people)
}

// People lists a year's people.
func (s *Service) People(ctx context.Context, cycle string) ([]Person, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return s.ledger.People(ctx, cycle)
}

// PutForm stores a form. EConflict once a meeting using it has opened.
func (s *Service) PutForm(ctx context.Context, cycle string, f Form) error {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return s.ledger.PutForm(ctx, cycle, f)
}

// Form returns a form.
func (s *Service) Form(ctx context.Context, cycle, code string) (Form, error) {
	return s.ledger.Form(ctx, cycle, code)
}

// DeleteForm removes a year's form and returns it. ENotFound for an
// unknown year or form; EConflict, naming the meetings, while any meeting —
// pending, open or closed — uses it: a form a meeting uses never goes.
func (s *Service) DeleteForm(ctx context.Context, cycle, code string) (Form, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return Form{}, err
	}
	return s.ledger.DeleteForm(ctx, cycle, code)
}

// PutMeeting creates or replaces a meeting. An open or closed meeting
// answers EConflict before anything else is checked.
func (s *Service) PutMeeting(ctx context.Context, cycle string, m Meeting) (bool, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return false, err
	}
	if rec, err := s.ledger.Meeting(ctx, cycle, m.Code); err == nil && rec.Meeting.Status != StatusPending {
		return false, Errorf(EConflict, "会议已开始或已结束，不能再修改 (the meeting has opened: it can no longer change)")
	} else if err != nil && ErrorCode(err) != ENotFound {
		return false, err
	}
	if err := m.Validate(); err != nil {
		return false, err
	}
	var v validator
	if m.Host != "" {
		units, err := s.ledger.Units(ctx, cycle)
		if err != nil {
			return false, err
		}
		found := false
		for _, u := range units {
			found = found || u.Code == m.Host
		}
		if !found {
			v.add("host", "单位 %s 不在本年度的单位名单中，请重新选择本次会议的被考核单位 (unknown unit)", m.Host)
		}
	}
	for i, g := range m.Groups {
		if _, err := s.ledger.Form(ctx, cycle, g.Form); ErrorCode(err) == ENotFound {
			v.add(fmt.Sprintf("groups[%d].form", i), "测评表 %s 不存在，请重新选择，或先在“测评表”页新建 (unknown form)", g.Form)
		} else if err != nil {
			return false, err
		}
	}
	for i, name := range m.Staff {
		u, err := s.ledger.User(ctx, name)
		switch {
		case ErrorCode(err) == ENotFound:
			v.add(fmt.Sprintf("staff[%d]", i), "账号 %q 不存在 (unknown user)", name)
		case err != nil:
			return false, err
		case u.Role != RoleGroup:
			v.add(fmt.Sprintf("staff[%d]", i), "账号 %q 不是考核组（group）账号，管理员本就可以主持所有会议 (staff are group users)", name)
		}
	}
	if err := v.err("会议"); err != nil {
		return false, err
	}
	// A meeting that could not open on the day is refused now, while the
	// admin who can fix it is at the editor: the same expansion Open runs.
	if _, err := s.expandGroups(ctx, cycle, m, false); err != nil {
		return false, err
	}
	m.Status = StatusPending
	return s.ledger.PutMeeting(ctx, cycle, m)
}

// expandGroups expands each voter group's form for meeting m against the
// year's units and people as they are now: what Open snapshots. A form
// that names a unit or person the lists lack, or leaves a section with no
// one to rate, makes it an ENotReady error (422) with one detail per voter
// group, at groups[i].form, in the clerk's words. For saving (open false)
// the words are for the admin at the meetings editor; for opening they
// are for a group leader, who can change nothing, so they say who can: an
// admin, and where. Groups with the same problem then share one detail.
func (s *Service) expandGroups(ctx context.Context, cycle string, m Meeting, open bool) ([]GroupDef, error) {
	units, err := s.ledger.Units(ctx, cycle)
	if err != nil {
		return nil, err
	}
	people, err := s.ledger.People(ctx, cycle)
	if err != nil {
		return nil, err
	}
	var defs []GroupDef
	var details []Detail
	var names, codes [][]string // open: the groups of each detail
	zhOf, enOf := []string{}, []string{}
	for i, g := range m.Groups {
		f, err := s.ledger.Form(ctx, cycle, g.Form)
		if err != nil {
			return nil, fmt.Errorf("meeting %s: form %s: %w", m.Code, g.Form, err)
		}
		secs, gaps := expandSections(f, m.Host, units, people)
		if len(gaps) == 0 {
			defs = append(defs, GroupDef{Code: g.Code, Name: g.Name, Form: f.Code, FormTitle: f.Title, Sections: secs})
			continue
		}
		zh, en := gapsText(gaps, open)
		field := fmt.Sprintf("groups[%d].form", i)
		if !open {
			details = append(details, Detail{Field: field, Message: zh + " (" + en + ")"})
			continue
		}
		zh = "测评表“" + f.Title + "”：" + zh
		merged := false
		for j := range details {
			if zhOf[j] == zh {
				names[j] = append(names[j], g.Name)
				codes[j] = append(codes[j], g.Code)
				merged = true
			}
		}
		if !merged {
			details = append(details, Detail{Field: field})
			names = append(names, []string{g.Name})
			codes = append(codes, []string{g.Code})
			zhOf, enOf = append(zhOf, zh), append(enOf, en)
		}
	}
	for j := range names {
		details[j].Message = "参评人员类别“" + strings.Join(names[j], "”、“") + "”的" + zhOf[j] + " (voter groups " + strings.Join(codes[j], ", ") + ": " + enOf[j] + ")"
	}
	if len(details) == 0 {
		return defs, nil
	}
	n := len(details)
	if open {
		return nil, &Error{Code: ENotReady, Details: details, Message: fmt.Sprintf(
			"还不能开始测评：有 %d 处测评表没有人可评，需要管理员按下列说明补充后才能开始 (voting cannot open yet: %d forms have no one to rate; an admin must fix what follows)", n, n)}
	}
	return nil, &Error{Code: ENotReady, Details: details, Message: fmt.Sprintf(
		"这样保存的会议到时无法开始测评：%d 个参评人员类别的测评表没有人可评，请按各类别下的说明修改后再保存 (the meeting could not open: the forms of %d voter groups have no one to rate)", n, n)}
}

// Meeting returns a meeting record.
func (s *Service) Meeting(ctx context.Context, cycle, code string) (MeetingRecord, error) {
	return s.ledger.Meeting(ctx, cycle, code)
}

// Meetings lists a year's meetings.
func (s *Service) Meetings(ctx context.Context, cycle string) ([]MeetingRecord, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return s.ledger.Meetings(ctx, cycle)
}

// MaxBatch is the largest number of slips one batch may hold.
const MaxBatch = 10000

// IssuedBatch is a new batch with its slips' codes: the only time the
// plaintext codes exist.
type IssuedBatch struct {
	Batch
	Tokens []Token `json:"-"`
}

// IssueBatch creates count slips for a group of a meeting that has not
// closed. EInvalid for an unknown group or a count outside 1..MaxBatch.
func (s *Service) IssueBatch(ctx context.Context, rec MeetingRecord, group string, count int) (IssuedBatch, error) {
	var v validator
	found := false
	for _, g := range rec.Meeting.Groups {
		found = found || g.Code == group
	}
	if !found {
		names := make([]string, len(rec.Meeting.Groups))
		for i, g := range rec.Meeting.Groups {
			names[i] = g.Name
		}
		v.add("group", "会议没有参评类别 %q，可选：%s (unknown group)", group, strings.Join(names, "、"))
	}
	if count < 1 || count > MaxBatch {
		v.add("count", "每批票数须在 1 到 %d 之间 (count from 1 to %d)", MaxBatch, MaxBatch)
	}
	if err := v.err("发放选票"); err != nil {
		return IssuedBatch{}, err
	}
	if rec.Meeting.Status == StatusClosed {
		return IssuedBatch{}, Errorf(EConflict, "测评已结束，不能再发放选票 (the meeting has closed)")
	}
	b := IssuedBatch{Batch: Batch{ID: "B" + s.randomHex(8), MeetingID: rec.ID, Group: group, Count: count}}
	hashes := make([]string, count)
	for i := range hashes {
		t, err := NewToken(s.opt.Rand)
		if err != nil {
			return IssuedBatch{}, fmt.Errorf("issue batch: %w", err)
		}
		b.Tokens = append(b.Tokens, t)
		hashes[i] = t.Hash()
	}
	if err := s.ledger.CreateBatch(ctx, b.Batch, hashes); err != nil {
		return IssuedBatch{}, err
	}
	s.turnoutChanged(ctx, rec.ID)
	// Its number is its place among the meeting's batches, as listed.
	list, err := s.Batches(ctx, rec)
	if err != nil {
		return IssuedBatch{}, fmt.Errorf("issue batch: number: %w", err)
	}
	for _, x := range list {
		if x.ID == b.ID {
			b.Number = x.Number
		}
	}
	return b, nil
}

// RevokeBatch voids a batch's unused slips.
func (s *Service) RevokeBatch(ctx context.Context, id string) (Batch, int64, error) {
	b, n, err := s.ledger.RevokeBatch(ctx, id)
	if err == nil {
		s.turnoutChanged(ctx, b.MeetingID)
	}
	return b, n, err
}

// BatchMeeting returns the meeting a batch belongs to, for permission checks.
func (s *Service) BatchMeeting(ctx context.Context, batchID string) (MeetingRecord, error) {
	return s.ledger.BatchMeeting(ctx, batchID)
}

// Open snapshots the meeting's forms, units and people and opens voting.
func (s *Service) Open(ctx context.Context, rec MeetingRecord) error {
	if rec.Meeting.Status != StatusPending {
		return Errorf(EConflict, "会议已经开始或已结束 (the meeting is %s)", rec.Meeting.Status)
	}
	m := rec.Meeting
	// Checked when the meeting was saved, and again now: units and people
	// may have changed since.
	groups, err := s.expandGroups(ctx, rec.Cycle, m, true)
	if err != nil {
		return fmt.Errorf("open meeting %s: %w", m.Code, err)
	}
	def := MeetingDef{Cycle: rec.Cycle, Code: m.Code, Title: m.Title, Kind: m.Kind, Host: m.Host, Date: m.Date, Groups: groups}
	if err := s.ledger.OpenMeeting(ctx, rec.ID, def); err != nil {
		return err
	}
	s.turnoutChanged(ctx, rec.ID)
	return nil
}

// Close ends voting and seals the tally: it recounts the ledger, compares
// the recount with the live tally, and stores the count, the digest and the
// recount. A meeting closed but not yet sealed (a crash in between) is
// sealed by calling Close again.
func (s *Service) Close(ctx context.Context, rec MeetingRecord) (Sealed, error) {
	switch {
	case rec.Meeting.Status == StatusPending:
		return Sealed{}, Errorf(EConflict, "会议尚未开始 (the meeting has not opened)")
	case rec.Sealed != nil:
		return Sealed{}, Errorf(EConflict, "会议已经结束并封存 (the meeting is already closed and sealed)")
	case rec.Meeting.Status == StatusOpen:
		if _, err := s.ledger.CloseMeeting(ctx, rec.ID); err != nil {
			return Sealed{}, err
		}
	}
	recount, n, ballots, err := s.recountBallots(ctx, rec.ID)
	if err != nil {
		return Sealed{}, fmt.Errorf("close meeting %s: %w", rec.Meeting.Code, err)
	}
	sealed := Sealed{Ballots: n, Digest: Digest(ballots), Tally: recount, LiveCheck: s.liveCheck(ctx, rec.ID, n, recount)}
	if err := s.ledger.Seal(ctx, rec.ID, sealed); err != nil {
		return Sealed{}, err
	}
	if sealed.LiveCheck == "mismatch" {
		s.log.Error("close: live tally differs from the ledger recount; the recount is sealed", "meeting", rec.Meeting.Code)
	}
	s.turnoutChanged(ctx, rec.ID)
	if err := s.live.Drop(ctx, rec.ID); err != nil {
		s.log.Warn("close: drop live state", "err", err)
	}
	s.dropTally(rec.ID)
	// Paper ballots still waiting can no longer count: their copies (a
	// slip's hash beside its answers) go now, not at the next look.
	if ps, ok := s.ledger.(PaperStore); ok {
		if _, err := ps.DeleteMeetingPapers(ctx, rec.ID); err != nil {
			s.log.Warn("close: delete waiting paper ballots", "err", err)
		}
	}
	return sealed, nil
}

// ---- Watching and results ----

// Turnout is the only figure shown while a meeting is open.
type Turnout struct {
	Status  string         `json:"status"`
	Issued  int64          `json:"issued"`
	Cast    int64          `json:"cast"`
	Revoked int64          `json:"revoked"`
	Groups  []GroupTurnout `json:"groups"`
	Live    bool           `json:"live"` // false: read from the ledger while Redis is away
}

// GroupTurnout is one voter group's turnout.
type GroupTurnout struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Issued int64  `json:"issued"`
	Cast   int64  `json:"cast"`
}

type cachedTurnout struct {
	at  time.Time
	val Turnout
}

func (s *Service) turnoutChanged(ctx context.Context, id int64) {
	s.turnoutCache.Delete(id)
	if err := s.live.Notify(ctx, id); err != nil {
		s.liveFailed(err)
	}
	s.hub.poke(id)
}

// TurnoutByID returns a meeting's turnout: slips issued and revoked from
// the ledger (cached for half a second), ballots cast from the live state,
// or from the ledger while the live state is away or behind.
func (s *Service) TurnoutByID(ctx context.Context, id int64) (Turnout, error) {
	if c, ok := s.turnoutCache.Load(id); ok && time.Since(c.(cachedTurnout).at) < 500*time.Millisecond {
		return c.(cachedTurnout).val, nil
	}
	rec, err := s.ledger.MeetingByID(ctx, id)
	if err != nil {
		return Turnout{}, err
	}
	t := Turnout{Status: rec.Meeting.Status, Groups: []GroupTurnout{}}
	live, pos, err := s.live.Turnout(ctx, id)
	t.Live = err == nil && pos >= rec.Cast && rec.Meeting.Status == StatusOpen
	rows, err := s.ledger.Turnout(ctx, id, !t.Live)
	if err != nil {
		return Turnout{}, err
	}
	byGroup := map[string]TurnoutRow{}
	for _, r := range rows {
		byGroup[r.Group] = r
	}
	for _, g := range rec.Meeting.Groups {
		r := byGroup[g.Code]
		gt := GroupTurnout{Code: g.Code, Name: g.Name, Issued: r.Issued, Cast: r.Cast}
		if t.Live {
			gt.Cast = live[g.Code]
		}
		t.Issued += gt.Issued
		t.Cast += gt.Cast
		t.Revoked += r.Revoked
		t.Groups = append(t.Groups, gt)
	}
	s.turnoutCache.Store(id, cachedTurnout{at: time.Now(), val: t})
	return t, nil
}

// Results returns a closed meeting's sealed result; EMeetingOpen before.
func (s *Service) Results(ctx context.Context, rec MeetingRecord) (Result, error) {
	if rec.Sealed == nil || rec.Def == nil {
		return Result{}, Errorf(EMeetingOpen, "测评进行中或尚未封存，结束后才能查看结果 (results are sealed until the meeting closes)")
	}
	return Publish(rec.Def, *rec.Sealed, s.opt.MinGroup), nil
}

// BallotList is the anonymous ballots of a closed meeting, for recounting.
type BallotList struct {
	Ballots    []Ballot `json:"ballots"`
	Suppressed bool     `json:"suppressed,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Ballots returns a closed meeting's anonymous ballots in random-key order:
// those PublishBallots allows. Ballots of groups that results hide are left
// out, as their answers' shape would name the group; a meeting with fewer
// than k ballots lists none.
func (s *Service) Ballots(ctx context.Context, rec MeetingRecord) (BallotList, error) {
	if rec.Sealed == nil || rec.Def == nil {
		return BallotList{}, Errorf(EMeetingOpen, "测评进行中或尚未封存，结束后才能查看选票 (ballots are sealed until the meeting closes)")
	}
	if rec.Sealed.Ballots < s.opt.MinGroup {
		return BallotList{Ballots: []Ballot{}, Suppressed: true,
			Note: fmt.Sprintf("票数少于 %d 张，不公开选票 (fewer than %d ballots: not shown)", s.opt.MinGroup, s.opt.MinGroup)}, nil
	}
	_, _, all, err := s.recountBallots(ctx, rec.ID)
	if err != nil {
		return BallotList{}, err
	}
	list := BallotList{Ballots: PublishBallots(rec.Def, *rec.Sealed, s.opt.MinGroup, all)}
	if len(list.Ballots) < len(all) {
		list.Suppressed = true
		list.Note = fmt.Sprintf("票数少于 %d 张的参评类别（或与之合并才够 %d 张的类别）的 %d 张选票不单独公开，已计入结果合计 (%d ballots of groups too small to show on their own are left out; results count them)",
			s.opt.MinGroup, s.opt.MinGroup, len(all)-len(list.Ballots), len(all)-len(list.Ballots))
	}
	sort.Slice(list.Ballots, func(i, j int) bool { return list.Ballots[i].ID < list.Ballots[j].ID })
	return list, nil
}

// IsNotFound reports whether err is ENotFound.
func IsNotFound(err error) bool { return ErrorCode(err) == ENotFound }

// Forms lists a year's forms.
func (s *Service) Forms(ctx context.Context, cycle string) ([]Form, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return s.ledger.Forms(ctx, cycle)
}

// SetPassword replaces a user's password and ends every session of the
// account (see User.Generation). EInvalid for a bad password, ENotFound for
// an unknown user.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if n := utf8.RuneCountInString(password); n < 8 || len(password) > 72 {
		return &Error{Code: EInvalid, Message: "新密码须为 8 到 72 个字符 (the new password needs 8 to 72 characters)",
			Details: []Detail{{Field: "password", Message: "新密码须为 8 到 72 个字符 (8 to 72 characters)"}}}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	return s.ledger.SetPassword(ctx, name, string(hash))
}

// ChangePassword sets a user's own password after checking the current one
// and, like SetPassword, ends the account's sessions:
// EInvalid (field old_password) when it does not match, so that a signed-in
// user is told, not signed out.
func (s *Service) ChangePassword(ctx context.Context, name, old, password string) error {
	u, err := s.ledger.User(ctx, name)
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(old)) != nil {
		return &Error{Code: EInvalid, Message: "原密码不正确，密码没有修改 (the current password is wrong; nothing changed)",
			Details: []Detail{{Field: "old_password", Message: "原密码不正确 (wrong current password)"}}}
	}
	return s.SetPassword(ctx, name, password)
}

// SetDisplayName changes an account's display name (姓名; "" removes it).
// EInvalid for a bad name, ENotFound for an unknown account.
func (s *Service) SetDisplayName(ctx context.Context, name, display string) error {
	var v validator
	v.text("display_name", display, false, 32)
	if err := v.err("姓名"); err != nil {
		return err
	}
	return s.ledger.SetDisplayName(ctx, name, strings.TrimSpace(display))
}

// ---- Scoring inputs ----

// PutRules stores a year's scoring rules, already validated by the caller.
func (s *Service) PutRules(ctx context.Context, cycle string, rules []byte) error {
	return s.ledger.PutRules(ctx, cycle, rules)
}

// Rules returns a year's stored rules, nil for the defaults.
func (s *Service) Rules(ctx context.Context, cycle string) ([]byte, error) {
	return s.ledger.Rules(ctx, cycle)
}

// PutTargets replaces a year's target-task data, already validated by the
// caller against the year's units.
func (s *Service) PutTargets(ctx context.Context, cycle string, targets []UnitTargets) error {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	return s.ledger.PutTargets(ctx, cycle, targets)
}

// Targets returns a year's target-task data.
func (s *Service) Targets(ctx context.Context, cycle string) ([]UnitTargets, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return s.ledger.Targets(ctx, cycle)
}

// Cycle returns a year.
func (s *Service) Cycle(ctx context.Context, code string) (Cycle, error) {
	return s.ledger.Cycle(ctx, code)
}

// SetRole changes an account's role (one without a binding) and ends its
// sessions; see SetRoleBound.
func (s *Service) SetRole(ctx context.Context, name, role string) error {
	return s.SetRoleBound(ctx, name, role, "")
}

// SetRoleBound changes an account's role and, for an assessor or a unit
// account, the body or unit it is bound to, and ends its sessions, so the
// new role applies from the next sign-in. EInvalid for an unknown role or
// a binding that does not fit it, ENotFound for an unknown account,
// EConflict when it would leave no admin.
func (s *Service) SetRoleBound(ctx context.Context, name, role, bound string) error {
	u := User{Name: name, Role: role}
	var v validator
	s.checkRole(ctx, &v, &u, bound)
	if err := v.err("账号"); err != nil {
		return err
	}
	users, err := s.ledger.Users(ctx)
	if err != nil {
		return err
	}
	admins := 0
	var target *User
	for i, x := range users {
		if x.Role == RoleAdmin {
			admins++
		}
		if x.Name == name {
			target = &users[i]
		}
	}
	switch {
	case target == nil:
		return Errorf(ENotFound, "账号 %s 不存在 (no such user)", name)
	case target.Role == role && target.Body == u.Body && target.Unit == u.Unit:
		return nil // nothing changes, and no session ends
	case target.Role == RoleAdmin && role != RoleAdmin && admins == 1:
		return Errorf(EConflict, "不能取消最后一个管理员的管理员角色 (the last admin stays an admin)")
	}
	return s.ledger.SetRole(ctx, name, role, u.Body, u.Unit)
}

// roleChoice is the message for a role that is not one.
const roleChoice = "请选择角色：管理员、考核组、只读、考核主体填报或被考核单位 (choose a role: admin, group, viewer, assessor or unit)"

// checkRole checks u.Role and sets u.Body or u.Unit from bound: an
// assessor is bound to a body, a unit account to a unit, both existing in
// some year; other roles take no binding.
func (s *Service) checkRole(ctx context.Context, v *validator, u *User, bound string) {
	bound = strings.TrimSpace(bound)
	u.Body, u.Unit = "", ""
	switch u.Role {
	case RoleAdmin, RoleGroup, RoleViewer:
		if bound != "" {
			v.add("role", "此角色不绑定考核主体或单位 (this role is bound to no body or unit)")
		}
		return
	case RoleAssessor, RoleUnit:
	default:
		v.add("role", roleChoice)
		return
	}
	field, what, whatEN := "body", "考核主体", "body"
	if u.Role == RoleUnit {
		field, what, whatEN = "unit", "单位", "unit"
	}
	if bound == "" {
		v.add(field, "请选择该账号所属的%s (choose the account's %s)", what, whatEN)
		return
	}
	ok, err := s.bindingExists(ctx, u.Role, bound)
	if err != nil {
		v.add(field, "暂时无法核对%s，请稍后再试 (could not check the %s: try again)", what, whatEN)
		return
	}
	if !ok {
		v.add(field, "%s %q 不在任何考核年度中，请先添加 (no year has %s %q)", what, bound, whatEN, bound)
		return
	}
	if u.Role == RoleAssessor {
		u.Body = bound
	} else {
		u.Unit = bound
	}
}

// EndSessions signs an account out everywhere: every token issued to it so
// far stops working (see User.Generation). ENotFound for an unknown account.
func (s *Service) EndSessions(ctx context.Context, name string) error {
	return s.ledger.EndSessions(ctx, name)
}

// Ready reports whether the ledger and the live state answer, each asked
// with ctx if it can be pinged: nil, or the first failure.
func (s *Service) Ready(ctx context.Context) error {
	type pinger interface{ Ping(context.Context) error }
	if p, ok := s.ledger.(pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	if p, ok := s.live.(pinger); ok && s.live != nil {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("live state: %w", err)
		}
	}
	return nil
}

// Users lists the organizer accounts.
func (s *Service) Users(ctx context.Context) ([]User, error) { return s.ledger.Users(ctx) }

// DeleteUser removes an account. The last admin stays: EConflict.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	users, err := s.ledger.Users(ctx)
	if err != nil {
		return err
	}
	admins := 0
	var target *User
	for i, u := range users {
		if u.Role == RoleAdmin {
			admins++
		}
		if u.Name == name {
			target = &users[i]
		}
	}
	if target == nil {
		return Errorf(ENotFound, "账号 %s 不存在 (no such user)", name)
	}
	if target.Role == RoleAdmin && admins == 1 {
		return Errorf(EConflict, "不能删除最后一个管理员账号 (the last admin stays)")
	}
	return s.ledger.DeleteUser(ctx, name)
}

// Batches lists a meeting's batches in issue order, numbered from 1 (第 1
// 批, 第 2 批 …) as their slips are printed.
func (s *Service) Batches(ctx context.Context, rec MeetingRecord) ([]BatchInfo, error) {
	list, err := s.ledger.Batches(ctx, rec.ID)
	for i := range list {
		list[i].Number = i + 1
	}
	return list, err
}
