package ballots

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Indicator collection (数据采集, rules text 三(一) and 四(一)3): the bodies
// that own each target-task indicator (考核主体) enter its value, submit
// them, and the office approves or returns each one. This file holds the
// rules; the factor arithmetic is scoring's, the storage is a
// CollectionStore's.

// Roles of the collection.
const (
	RoleAssessor = "assessor" // a body's account: enters its indicators' values
	RoleUnit     = "unit"     // an assessed unit's account: reads its own approved values
)

// Body kinds.
const (
	BodyStatistics = "statistics" // 县统计局: certifies the statistical indicators
	BodyDepartment = "department" // a functional department scoring the towns' other indicators
	BodyGroup      = "group"      // an assessment group scoring the departments' functional work
)

// Body is an assessment body (考核主体) of a year.
type Body struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Indicator methods.
const (
	MethodCompletion = "completion" // an actual value against a target
	MethodScore      = "score"      // a 0–100 score
)

// Better directions of a completion indicator.
const (
	BetterHigher = "higher"
	BetterLower  = "lower"
)

// Indicator is one line of the catalogue (目标任务分解表): a unit's
// target-task indicator, its points, how it is measured and which body
// enters it.
type Indicator struct {
	Code     string   `json:"code"`
	Unit     string   `json:"unit"`
	Category string   `json:"category"`
	Name     string   `json:"name"`
	Points   float64  `json:"points"`
	Method   string   `json:"method"`
	Target   *float64 `json:"target,omitempty"`
	Measure  string   `json:"measure,omitempty"` // the unit of target and actual, e.g. % or 亿元
	Better   string   `json:"better,omitempty"`  // completion: higher (default) or lower
	Source   string   `json:"source"`            // the body that enters it
}

// Entry statuses.
const (
	EntryDraft     = "draft"
	EntrySubmitted = "submitted"
	EntryApproved  = "approved"
	EntryReturned  = "returned"
)

// Entry is a body's value for one indicator and where it stands.
type Entry struct {
	Indicator string    `json:"indicator"`
	Status    string    `json:"status"`
	Actual    *float64  `json:"actual,omitempty"`
	Score     *float64  `json:"score,omitempty"`
	MajorLoss bool      `json:"major_loss,omitempty"`
	Reason    string    `json:"reason,omitempty"`  // why major_loss
	Note      string    `json:"note,omitempty"`    // the body's note
	Comment   string    `json:"comment,omitempty"` // the office's comment when it returned the entry
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// HasValue reports whether the entry holds what its method needs.
func (e Entry) HasValue(method string) bool {
	switch {
	case e.MajorLoss:
		return true
	case method == MethodCompletion:
		return e.Actual != nil
	}
	return e.Score != nil
}

// Editable reports whether the body may still change the entry.
func (e Entry) Editable() bool { return e.Status == EntryDraft || e.Status == EntryReturned }

// Collection is what a CollectionStore transaction sees of a year and may
// change: fn of Collect reads Catalogue and Entries and records its writes
// with Put, Drop and Replace.
type Collection struct {
	Catalogue []Indicator
	Entries   map[string]Entry // by indicator code

	put      map[string]Entry
	drop     []string
	replace  []Indicator
	replaced bool
}

// Put records an entry to write.
func (c *Collection) Put(e Entry) {
	if c.put == nil {
		c.put = map[string]Entry{}
	}
	c.put[e.Indicator] = e
	c.Entries[e.Indicator] = e
}

// Writes returns what fn recorded: entries to write, entries to delete and,
// when replaced, the new catalogue.
func (c *Collection) Writes() (put []Entry, drop []string, catalogue []Indicator, replaced bool) {
	for _, e := range c.put {
		put = append(put, e)
	}
	sort.Slice(put, func(i, j int) bool { return put[i].Indicator < put[j].Indicator })
	return put, c.drop, c.replace, c.replaced
}

// Indicator returns the catalogue's indicator code.
func (c *Collection) Indicator(code string) (Indicator, bool) {
	for _, ind := range c.Catalogue {
		if ind.Code == code {
			return ind, true
		}
	}
	return Indicator{}, false
}

// CollectionStore keeps bodies, the catalogue, entries and the deadline.
type CollectionStore interface {
	PutBodies(ctx context.Context, cycle string, bodies []Body) error
	Bodies(ctx context.Context, cycle string) ([]Body, error)
	// Collect runs fn in one transaction that no other Collect of the same
	// year interleaves with, then writes what fn recorded. An error from fn
	// writes nothing and is returned.
	Collect(ctx context.Context, cycle string, fn func(*Collection) error) error
	Indicators(ctx context.Context, cycle string) ([]Indicator, error)
	Entries(ctx context.Context, cycle string) ([]Entry, error)
	// PutDeadline sets the year's collection deadline ("" clears it).
	PutDeadline(ctx context.Context, cycle, date string) error
	Deadline(ctx context.Context, cycle string) (string, error)
}

// Collection error codes.
const (
	EEntryLocked     = "entry_locked"     // 409: the entry is submitted or approved
	EEntriesMissing  = "entries_missing"  // 422: submit with indicators that have no value
	EInvalidEntry    = "invalid_entry"    // 422: a value its indicator's method does not take
	ECatalogueInUse  = "catalogue_in_use" // 409: PUT targets while a catalogue decides them
	maxIndicators    = 50000
	maxBodies        = 1000
	maxEntryNote     = 500
	maxReturnComment = 500
)

func (s *Service) collection() (CollectionStore, error) {
	c, ok := s.ledger.(CollectionStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持数据采集 (the ledger keeps no indicator collection)")
	}
	return c, nil
}

var bodyKinds = []string{BodyStatistics, BodyDepartment, BodyGroup}

// PutBodies replaces a year's bodies. A body that indicators name as their
// source may not be dropped (EConflict naming them).
func (s *Service) PutBodies(ctx context.Context, cycle string, bodies []Body) error {
	cs, err := s.collection()
	if err != nil {
		return err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	var v validator
	if len(bodies) > maxBodies {
		v.add("", "考核主体不能超过 %d 个 (at most %d bodies)", maxBodies, maxBodies)
	}
	seen := map[string]bool{}
	for i, b := range bodies {
		f := fmt.Sprintf("[%d].", i)
		v.code(f+"code", b.Code)
		if seen[b.Code] {
			v.add(f+"code", "考核主体编码 %s 重复 (duplicate code)", b.Code)
		}
		seen[b.Code] = true
		v.text(f+"name", b.Name, true, 100)
		if !oneOf(b.Kind, bodyKinds) {
			v.add(f+"kind", "考核主体类型须为 statistics（统计局）、department（职能部门）或 group（考核组），而不是 %q (kind: statistics, department or group)", b.Kind)
		}
	}
	if err := v.err("考核主体名单"); err != nil {
		return err
	}
	inds, err := cs.Indicators(ctx, cycle)
	if err != nil {
		return err
	}
	var orphans []string
	for _, ind := range inds {
		if !seen[ind.Source] && !slices.Contains(orphans, ind.Source) {
			orphans = append(orphans, ind.Source)
		}
	}
	if len(orphans) > 0 {
		return Errorf(EConflict, "考核主体 %s 仍有指标，请先在目标任务分解表中改由其他主体填报 (bodies %s are the source of indicators)",
			strings.Join(orphans, "、"), strings.Join(orphans, ", "))
	}
	return cs.PutBodies(ctx, cycle, bodies)
}

// Bodies returns a year's bodies.
func (s *Service) Bodies(ctx context.Context, cycle string) ([]Body, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return cs.Bodies(ctx, cycle)
}

// Indicators returns a year's catalogue.
func (s *Service) Indicators(ctx context.Context, cycle string) ([]Indicator, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return cs.Indicators(ctx, cycle)
}

// Entries returns a year's entries.
func (s *Service) Entries(ctx context.Context, cycle string) ([]Entry, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return cs.Entries(ctx, cycle)
}

// ValidateCatalogue checks a catalogue's own fields against the year's
// units and bodies: codes unique, units and sources known, methods and
// their fields. The points per category are the scoring rules' to check.
func ValidateCatalogue(inds []Indicator, units map[string]Unit, bodies map[string]Body) error {
	var v validator
	if len(inds) > maxIndicators {
		v.add("", "指标不能超过 %d 个 (at most %d indicators)", maxIndicators, maxIndicators)
	}
	seen := map[string]bool{}
	for i, ind := range inds {
		f := fmt.Sprintf("[%d].", i)
		v.code(f+"code", ind.Code)
		if seen[ind.Code] {
			v.add(f+"code", "指标编码 %s 重复 (duplicate code)", ind.Code)
		}
		seen[ind.Code] = true
		if _, ok := units[ind.Unit]; !ok {
			v.add(f+"unit", "单位 %q 不在本年度单位名单中 (unknown unit)", ind.Unit)
		}
		if ind.Category == "" {
			v.add(f+"category", "请填写指标类别，如 economic（经济发展） (enter a category)")
		}
		v.text(f+"name", ind.Name, true, 100)
		if !(ind.Points > 0 && ind.Points <= 100) || math.IsNaN(ind.Points) {
			v.add(f+"points", "分值须大于 0、不超过 100 (points: above 0, at most 100)")
		}
		if _, ok := bodies[ind.Source]; !ok {
			v.add(f+"source", "考核主体 %q 不存在，请先在“考核主体”中添加 (unknown body: add it first)", ind.Source)
		}
		v.text(f+"measure", ind.Measure, false, 16)
		switch ind.Method {
		case MethodCompletion:
			if ind.Target == nil || !(*ind.Target > 0) || math.IsInf(*ind.Target, 0) {
				v.add(f+"target", "按完成率计分的指标须有大于 0 的目标值 (a completion indicator needs a target above 0)")
			}
			if ind.Better != "" && ind.Better != BetterHigher && ind.Better != BetterLower {
				v.add(f+"better", "“越高越好”填 higher，“越低越好”填 lower，而不是 %q (better: higher or lower)", ind.Better)
			}
		case MethodScore:
			if ind.Target != nil {
				v.add(f+"target", "按 0–100 评分的指标不设目标值 (a score indicator has no target)")
			}
			if ind.Better != "" {
				v.add(f+"better", "按 0–100 评分的指标不设“越高/越低越好” (a score indicator has no direction)")
			}
		default:
			v.add(f+"method", "计分方式须为 completion（完成率）或 score（0–100 评分），而不是 %q (method: completion or score)", ind.Method)
		}
	}
	return v.err("目标任务分解表")
}

// normalise fills defaults the catalogue may leave out.
func normalise(inds []Indicator) []Indicator {
	out := make([]Indicator, len(inds))
	for i, ind := range inds {
		ind.Name = strings.TrimSpace(ind.Name)
		ind.Measure = strings.TrimSpace(ind.Measure)
		if ind.Method == MethodCompletion && ind.Better == "" {
			ind.Better = BetterHigher
		}
		out[i] = ind
	}
	return out
}

// decides reports whether changing an indicator from old to new changes
// what an entered value means: its method, target, direction or source.
func decides(old, new Indicator) bool {
	return old.Method != new.Method || old.Source != new.Source || old.Better != new.Better ||
		(old.Target == nil) != (new.Target == nil) || (old.Target != nil && *old.Target != *new.Target)
}

// PutCatalogue replaces a year's catalogue, already checked by the caller
// with ValidateCatalogue and the scoring rules. It never silently loses an
// entered value: an indicator with an entry that would be dropped or whose
// method, target, direction or source would change is EConflict naming the
// codes, unless reset, which deletes those entries. It returns the codes
// whose entries it deleted.
func (s *Service) PutCatalogue(ctx context.Context, cycle string, inds []Indicator, reset bool) ([]string, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	inds = normalise(inds)
	var dropped []string
	err = cs.Collect(ctx, cycle, func(c *Collection) error {
		next := make(map[string]Indicator, len(inds))
		for _, ind := range inds {
			next[ind.Code] = ind
		}
		var hit []string
		for _, old := range c.Catalogue {
			if _, entered := c.Entries[old.Code]; !entered {
				continue
			}
			if n, ok := next[old.Code]; !ok || decides(old, n) {
				hit = append(hit, old.Code)
			}
		}
		// Entries of indicators no longer in the catalogue at all (left by
		// an earlier reset that failed half-way cannot exist: one
		// transaction) are covered above.
		if len(hit) > 0 && !reset {
			return &Error{Code: EConflict, Message: fmt.Sprintf("指标 %s 已有填报的数值，删除或改动其计分方式、目标值或考核主体会使数值作废；确需如此，请加 ?reset=1 重新提交 (indicators %s have entered values: dropping them or changing their method, target or source needs ?reset=1)",
				strings.Join(hit, "、"), strings.Join(hit, ", ")), Details: codeDetails(hit, "已有填报的数值 (has an entered value)")}
		}
		c.drop = hit
		c.replace = inds
		c.replaced = true
		dropped = hit
		return nil
	})
	return dropped, err
}

func codeDetails(codes []string, msg string) []Detail {
	out := make([]Detail, len(codes))
	for i, code := range codes {
		out[i] = Detail{Subject: code, Message: msg}
	}
	return out
}

// EntryInput is a value as a body sends it.
type EntryInput struct {
	Actual    *float64 `json:"actual"`
	Score     *float64 `json:"score"`
	MajorLoss bool     `json:"major_loss"`
	Reason    string   `json:"reason"`
	Note      string   `json:"note"`
}

// Actor is who acts on the collection: an admin, or an assessor of one
// body.
type Actor struct {
	Name string
	Role string
	Body string
}

func (a Actor) mayEnter(ind Indicator) bool {
	return a.Role == RoleAdmin || (a.Role == RoleAssessor && a.Body == ind.Source)
}

// Change is one entry before and after an operation, for the audit log.
type Change struct {
	Indicator Indicator
	Before    *Entry
	After     Entry
}

// PutEntry stores a body's value for an indicator as a draft (or keeps a
// returned entry returned until it is resubmitted). EForbidden for another
// body's indicator, EInvalidEntry for a value the method does not take,
// EEntryLocked once submitted or approved.
func (s *Service) PutEntry(ctx context.Context, cycle, code string, who Actor, in EntryInput) (Change, error) {
	changes, err := s.PutEntries(ctx, cycle, who, []EntryUpdate{{Indicator: code, Input: in}})
	if err != nil {
		return Change{}, err
	}
	return changes[0], nil
}

// EntryUpdate is one value of PutEntries.
type EntryUpdate struct {
	Indicator string
	Input     EntryInput
}

// PutEntries stores several values at once, all or nothing (a fill-in
// sheet): the first update that PutEntry would refuse is returned as its
// error, with nothing stored. Changes line up with updates.
func (s *Service) PutEntries(ctx context.Context, cycle string, who Actor, updates []EntryUpdate) ([]Change, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	var changes []Change
	err = cs.Collect(ctx, cycle, func(c *Collection) error {
		changes = changes[:0]
		now := time.Now().UTC()
		for _, u := range updates {
			ch, err := putEntry(c, u.Indicator, who, u.Input, now)
			if err != nil {
				return err
			}
			changes = append(changes, ch)
		}
		return nil
	})
	return changes, err
}

func putEntry(c *Collection, code string, who Actor, in EntryInput, now time.Time) (Change, error) {
	var ch Change
	ind, ok := c.Indicator(code)
	if !ok {
		return ch, Errorf(ENotFound, "指标 %s 不存在 (no such indicator)", code)
	}
	if !who.mayEnter(ind) {
		return ch, Errorf(EForbidden, "指标 %s 由其他考核主体填报，您不能修改 (another body enters this indicator)", code)
	}
	if err := validateEntry(ind, in); err != nil {
		return ch, err
	}
	e := Entry{Indicator: code, Status: EntryDraft}
	if old, ok := c.Entries[code]; ok {
		if !old.Editable() {
			return ch, lockedError(code, old.Status)
		}
		ch.Before = &old
		e.Status, e.Comment = old.Status, old.Comment // a returned entry keeps the office's comment until resubmitted
	}
	e.Actual, e.Score, e.MajorLoss = in.Actual, in.Score, in.MajorLoss
	e.Reason, e.Note = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Note)
	if !e.MajorLoss {
		e.Reason = ""
	}
	e.UpdatedBy, e.UpdatedAt = who.Name, now
	c.Put(e)
	ch.Indicator, ch.After = ind, e
	return ch, nil
}

func lockedError(code, status string) error {
	if status == EntryApproved {
		return Errorf(EEntryLocked, "指标 %s 的数值已审核通过，不能再改；如需更正，请联系考核办退回 (the entry is approved: ask the office to reopen it)", code)
	}
	return Errorf(EEntryLocked, "指标 %s 的数值已报送，等待考核办审核，不能再改；如需更正，请联系考核办退回 (the entry is submitted: ask the office to return it)", code)
}

func validateEntry(ind Indicator, in EntryInput) error {
	var v validator
	switch ind.Method {
	case MethodCompletion:
		if in.Score != nil {
			v.add("score", "指标 %s 按完成率计分，请填写实际完成值 actual，而不是评分 (a completion indicator takes actual, not score)", ind.Code)
		}
		if in.Actual == nil && !in.MajorLoss {
			v.add("actual", "请填写实际完成值 (enter the actual value)")
		} else if in.Actual != nil && (!(*in.Actual >= 0) || math.IsInf(*in.Actual, 0) || *in.Actual > 1e12) {
			v.add("actual", "实际完成值不能为负数 (the actual value cannot be negative)")
		}
	case MethodScore:
		if in.Actual != nil {
			v.add("actual", "指标 %s 按 0–100 评分，请填写评分 score，而不是完成值 (a score indicator takes score, not actual)", ind.Code)
		}
		if in.Score == nil && !in.MajorLoss {
			v.add("score", "请填写 0 到 100 的评分 (enter a score from 0 to 100)")
		} else if in.Score != nil && !(*in.Score >= 0 && *in.Score <= 100) {
			v.add("score", "评分须在 0 到 100 之间 (a score from 0 to 100)")
		}
	}
	if in.MajorLoss && strings.TrimSpace(in.Reason) == "" {
		v.add("reason", "认定重大失分须写明原因 (a major loss needs a reason)")
	}
	v.text("reason", in.Reason, false, maxEntryNote)
	v.text("note", in.Note, false, maxEntryNote)
	err := v.err("指标 " + ind.Code + " 的填报")
	if e, ok := err.(*Error); ok {
		e.Code = EInvalidEntry
	}
	return err
}

// SubmitBody submits every entry of a body's indicators that is a draft or
// returned. EEntriesMissing lists the indicators without a value; nothing
// is submitted then.
func (s *Service) SubmitBody(ctx context.Context, cycle, body string, who Actor) ([]Change, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	if who.Role != RoleAdmin && (who.Role != RoleAssessor || who.Body != body) {
		return nil, Errorf(EForbidden, "只能报送本单位（考核主体）的指标 (you may submit only your own body's entries)")
	}
	var changes []Change
	err = cs.Collect(ctx, cycle, func(c *Collection) error {
		var missing []string
		any := false
		for _, ind := range c.Catalogue {
			if ind.Source != body {
				continue
			}
			any = true
			e, ok := c.Entries[ind.Code]
			if !ok || !e.HasValue(ind.Method) {
				missing = append(missing, ind.Code)
			}
		}
		if !any {
			return Errorf(ENotFound, "考核主体 %s 没有需要填报的指标 (the body has no indicators)", body)
		}
		if len(missing) > 0 {
			return &Error{Code: EEntriesMissing, Message: fmt.Sprintf("还有 %d 项指标没有填写数值：%s，请填完后再报送 (%d indicators have no value)", len(missing), strings.Join(missing, "、"), len(missing)),
				Details: codeDetails(missing, "请填写数值 (enter a value)")}
		}
		now := time.Now().UTC()
		for _, ind := range c.Catalogue {
			e := c.Entries[ind.Code]
			if ind.Source != body || !e.Editable() {
				continue
			}
			before := e
			e.Status, e.Comment, e.UpdatedBy, e.UpdatedAt = EntrySubmitted, "", who.Name, now
			c.Put(e)
			changes = append(changes, Change{Indicator: ind, Before: &before, After: e})
		}
		return nil
	})
	return changes, err
}

// Review is the office's decision on entries.
type Review string

// Reviews.
const (
	Approve Review = "approve" // submitted → approved
	Return  Review = "return"  // submitted → returned, with a comment
	Reopen  Review = "reopen"  // approved → returned, with a comment (the value was wrong after all)
)

// ReviewEntries applies the office's decision to the entries named by
// codes, or with codes nil to every submitted entry of body. Approving
// needs a submitted entry; returning needs a comment and a submitted
// entry; reopening needs a comment and an approved entry.
func (s *Service) ReviewEntries(ctx context.Context, cycle string, codes []string, body string, r Review, comment, by string) ([]Change, error) {
	cs, err := s.collection()
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if r != Approve {
		var v validator
		if comment == "" {
			v.add("comment", "请写明退回的原因，填报单位会看到 (write why: the body will read it)")
		}
		v.text("comment", comment, false, maxReturnComment)
		if err := v.err("退回意见"); err != nil {
			return nil, err
		}
	}
	var changes []Change
	err = cs.Collect(ctx, cycle, func(c *Collection) error {
		targets := codes
		if codes == nil {
			any := false
			for _, ind := range c.Catalogue {
				if ind.Source == body {
					any = true
					if c.Entries[ind.Code].Status == EntrySubmitted {
						targets = append(targets, ind.Code)
					}
				}
			}
			if !any {
				return Errorf(ENotFound, "考核主体 %s 没有指标 (the body has no indicators)", body)
			}
		}
		now := time.Now().UTC()
		for _, code := range targets {
			ind, ok := c.Indicator(code)
			if !ok {
				return Errorf(ENotFound, "指标 %s 不存在 (no such indicator)", code)
			}
			e, ok := c.Entries[code]
			want := EntrySubmitted
			if r == Reopen {
				want = EntryApproved
			}
			if !ok || e.Status != want {
				return reviewStateError(code, r, e.Status, ok)
			}
			before := e
			switch r {
			case Approve:
				e.Status, e.Comment = EntryApproved, ""
			default:
				e.Status, e.Comment = EntryReturned, comment
			}
			e.UpdatedBy, e.UpdatedAt = by, now
			c.Put(e)
			changes = append(changes, Change{Indicator: ind, Before: &before, After: e})
		}
		return nil
	})
	return changes, err
}

func reviewStateError(code string, r Review, status string, entered bool) error {
	now := map[string]string{EntryDraft: "尚未报送", EntryReturned: "已退回，等待重新报送", EntrySubmitted: "已报送，尚未审核", EntryApproved: "已审核通过"}[status]
	if !entered {
		now = "还没有填报"
	}
	switch r {
	case Approve:
		return Errorf(EConflict, "指标 %s %s，只有已报送的数值可以审核通过 (only a submitted entry can be approved; it is %s)", code, now, orNone(status))
	case Return:
		return Errorf(EConflict, "指标 %s %s，只有已报送的数值可以退回；已通过的请用“重新打开” (only a submitted entry can be returned; it is %s)", code, now, orNone(status))
	}
	return Errorf(EConflict, "指标 %s %s，只有已审核通过的数值可以重新打开 (only an approved entry can be reopened; it is %s)", code, now, orNone(status))
}

func orNone(s string) string {
	if s == "" {
		return "not entered"
	}
	return s
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// PutDeadline sets the year's collection deadline, a date (YYYY-MM-DD), or
// clears it with "".
func (s *Service) PutDeadline(ctx context.Context, cycle, date string) error {
	cs, err := s.collection()
	if err != nil {
		return err
	}
	if date != "" {
		if _, perr := time.Parse(time.DateOnly, date); perr != nil || !dateRE.MatchString(date) {
			return &Error{Code: EInvalid, Message: "截止日期请写成 2021-01-10 的形式 (deadline: a date like 2021-01-10)",
				Details: []Detail{{Field: "deadline", Message: "截止日期请写成 2021-01-10 的形式 (a date like 2021-01-10)"}}}
		}
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	return cs.PutDeadline(ctx, cycle, date)
}

// Deadline returns the year's collection deadline ("" when none).
func (s *Service) Deadline(ctx context.Context, cycle string) (string, error) {
	cs, err := s.collection()
	if err != nil {
		return "", err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return "", err
	}
	return cs.Deadline(ctx, cycle)
}

// BodyProgress is one body's row of the collection board.
type BodyProgress struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Indicators int    `json:"indicators"`
	Entered    int    `json:"entered"`
	Submitted  int    `json:"submitted"` // submitted or approved: what the body has handed in
	Approved   int    `json:"approved"`
	Returned   int    `json:"returned"`
	Overdue    bool   `json:"overdue"`
}

// Progress counts a year's entries per body. A body is overdue when today
// (in loc) is past the deadline and some of its entries are not submitted.
func Progress(bodies []Body, inds []Indicator, entries []Entry, deadline string, today time.Time) []BodyProgress {
	byCode := make(map[string]Entry, len(entries))
	for _, e := range entries {
		byCode[e.Indicator] = e
	}
	rows := make([]BodyProgress, len(bodies))
	index := map[string]int{}
	for i, b := range bodies {
		rows[i] = BodyProgress{Code: b.Code, Name: b.Name, Kind: b.Kind}
		index[b.Code] = i
	}
	for _, ind := range inds {
		i, ok := index[ind.Source]
		if !ok {
			continue
		}
		r := &rows[i]
		r.Indicators++
		e, ok := byCode[ind.Code]
		if ok && e.HasValue(ind.Method) {
			r.Entered++
		}
		switch e.Status {
		case EntrySubmitted:
			r.Submitted++
		case EntryApproved:
			r.Submitted++
			r.Approved++
		case EntryReturned:
			r.Returned++
		}
	}
	past := deadline != "" && today.Format(time.DateOnly) > deadline
	for i := range rows {
		rows[i].Overdue = past && rows[i].Submitted < rows[i].Indicators
	}
	return rows
}

// BindingExists reports whether a body (role assessor) or unit (role unit)
// code exists in some year, for binding an account to it.
func (s *Service) bindingExists(ctx context.Context, role, code string) (bool, error) {
	cycles, err := s.ledger.Cycles(ctx)
	if err != nil {
		return false, err
	}
	for _, cy := range cycles {
		switch role {
		case RoleAssessor:
			cs, err := s.collection()
			if err != nil {
				return false, err
			}
			bodies, err := cs.Bodies(ctx, cy.Code)
			if err != nil {
				return false, err
			}
			for _, b := range bodies {
				if b.Code == code {
					return true, nil
				}
			}
		case RoleUnit:
			units, err := s.ledger.Units(ctx, cy.Code)
			if err != nil {
				return false, err
			}
			for _, u := range units {
				if u.Code == code {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
