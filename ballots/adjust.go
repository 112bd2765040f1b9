package ballots

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Adjustments (加减分, rules text 四(一)4 “加分因素” and its penalties): an
// entry that adds or takes points from a unit's total, in categories the
// office configures per year. The office records one directly; a unit
// account applies for its own unit and the office approves or rejects it.
// Approved and recorded entries count; scoring caps the bonuses.

// Signs of an adjustment category.
const (
	AdjustBonus   = "bonus"   // 加分
	AdjustPenalty = "penalty" // 减分
)

// Adjustment statuses.
const (
	AdjApplied   = "applied"   // a unit applied; the office has not decided
	AdjApproved  = "approved"  // the office approved an application: counts
	AdjRecorded  = "recorded"  // the office recorded it directly: counts, as approved
	AdjRejected  = "rejected"  // the office rejected the application, with a comment
	AdjWithdrawn = "withdrawn" // the unit withdrew its application before a decision
	AdjRevoked   = "revoked"   // the office revoked an approved or recorded entry, with a comment
)

// EInvalidAdjustment is the 422 for an adjustment its category does not
// allow: an unknown category, points beyond the category's max or of the
// wrong sign, a penalty applied for by a unit.
const EInvalidAdjustment = "invalid_adjustment"

const (
	maxAdjustCategories = 100
	maxAdjustReason     = 1000
	maxAdjustComment    = 500
	maxAdjustPoints     = 100 // scoring's limit on one adjustment
	maxAdjustmentsYear  = 20000
)

// AdjustmentCategory is one kind of 加减分 of a year: its sign, the points
// an entry gets when none are given (Points) and the most it may get
// (Max; when 0, Points is also the most). Points and Max are magnitudes;
// the sign is the category's.
type AdjustmentCategory struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Sign   string  `json:"sign"`
	Points float64 `json:"points,omitempty"`
	Max    float64 `json:"max,omitempty"`
}

// Limit is the most points (a magnitude) an entry of the category may get.
func (c AdjustmentCategory) Limit() float64 {
	if c.Max > 0 {
		return c.Max
	}
	return c.Points
}

func (c AdjustmentCategory) signed(x float64) float64 {
	if c.Sign == AdjustPenalty {
		return -math.Abs(x)
	}
	return math.Abs(x)
}

// DefaultAdjustmentCategories are the product's defaults for a year whose
// office has not set its own: the rules text breaks off at “4、加分因素”,
// so these are the county practice the product assumes, not the text's.
func DefaultAdjustmentCategories() []AdjustmentCategory {
	return []AdjustmentCategory{
		{Code: "national_award", Name: "获国家级表彰", Sign: AdjustBonus, Points: 1.5},
		{Code: "provincial_award", Name: "获省级表彰", Sign: AdjustBonus, Points: 1},
		{Code: "city_award", Name: "获市级表彰", Sign: AdjustBonus, Points: 0.5},
		{Code: "major_task", Name: "承担重大专项任务", Sign: AdjustBonus, Max: 1},
		{Code: "reform_promoted", Name: "改革创新经验被上级推广", Sign: AdjustBonus, Points: 0.5},
		{Code: "criticized", Name: "被上级通报批评", Sign: AdjustPenalty, Points: 1},
		{Code: "safety_accident", Name: "发生较大安全事故", Sign: AdjustPenalty, Points: 2},
		{Code: "petition_issue", Name: "信访维稳出现重大问题", Sign: AdjustPenalty, Points: 1},
	}
}

// Adjustment is one 加减分 entry of a unit and where it stands.
type Adjustment struct {
	ID           int64      `json:"id"`
	Cycle        string     `json:"cycle"`
	Unit         string     `json:"unit"`
	Category     string     `json:"category"`
	CategoryName string     `json:"category_name"` // as it was named when the entry was made
	Points       float64    `json:"points"`        // signed: negative for a penalty
	Reason       string     `json:"reason"`
	Status       string     `json:"status"`
	Comment      string     `json:"comment,omitempty"` // the office's, when it rejected, revoked or approved with one
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	DecidedBy    string     `json:"decided_by,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
}

// Counts reports whether the entry counts in the scores.
func (a Adjustment) Counts() bool { return a.Status == AdjApproved || a.Status == AdjRecorded }

// Live reports whether the entry still stands or may still come to count.
func (a Adjustment) Live() bool { return a.Counts() || a.Status == AdjApplied }

// AdjustmentStore keeps a year's categories and adjustments.
type AdjustmentStore interface {
	PutAdjustmentCategories(ctx context.Context, cycle string, cats []AdjustmentCategory) error
	// AdjustmentCategories returns the year's categories, and false when
	// the office never set them.
	AdjustmentCategories(ctx context.Context, cycle string) ([]AdjustmentCategory, bool, error)
	// AddAdjustment stores a new entry and returns it with its id.
	AddAdjustment(ctx context.Context, a Adjustment) (Adjustment, error)
	Adjustments(ctx context.Context, cycle string) ([]Adjustment, error)
	Adjustment(ctx context.Context, cycle string, id int64) (Adjustment, error)
	// UpdateAdjustment writes a's status, points, comment and decision if
	// the stored entry's status is still from; false when it is not (it
	// was decided meanwhile).
	UpdateAdjustment(ctx context.Context, a Adjustment, from string) (bool, error)
}

func (s *Service) adjustments() (AdjustmentStore, error) {
	a, ok := s.ledger.(AdjustmentStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持加减分 (the ledger keeps no adjustments)")
	}
	return a, nil
}

// ValidateAdjustmentCategories checks a year's categories.
func ValidateAdjustmentCategories(cats []AdjustmentCategory) error {
	var v validator
	if len(cats) > maxAdjustCategories {
		v.add("", "加减分类别不能超过 %d 个 (at most %d categories)", maxAdjustCategories, maxAdjustCategories)
	}
	seen := map[string]bool{}
	for i, c := range cats {
		f := fmt.Sprintf("[%d].", i)
		v.code(f+"code", c.Code)
		if seen[c.Code] {
			v.add(f+"code", "类别编码 %s 重复 (duplicate code)", c.Code)
		}
		seen[c.Code] = true
		v.text(f+"name", c.Name, true, 50)
		if c.Sign != AdjustBonus && c.Sign != AdjustPenalty {
			v.add(f+"sign", "类别须为 bonus（加分）或 penalty（减分），而不是 %q (sign: bonus or penalty)", c.Sign)
		}
		okNum := func(x float64) bool { return x >= 0 && x <= maxAdjustPoints && !math.IsNaN(x) }
		switch {
		case !okNum(c.Points):
			v.add(f+"points", "分值须在 0 到 %d 之间，写正数，加减由类别决定 (points: 0 to %d, a magnitude)", maxAdjustPoints, maxAdjustPoints)
		case !okNum(c.Max):
			v.add(f+"max", "最高分值须在 0 到 %d 之间 (max: 0 to %d)", maxAdjustPoints, maxAdjustPoints)
		case c.Points == 0 && c.Max == 0:
			v.add(f+"points", "请填写默认分值 points 或最高分值 max (give points or a max)")
		case c.Max > 0 && c.Points > c.Max:
			v.add(f+"points", "默认分值 %g 超过了最高分值 %g (points above the max)", c.Points, c.Max)
		}
	}
	return v.err("加减分类别")
}

// AdjustmentCategories returns a year's categories and whether they are the
// product's defaults (the office never set them).
func (s *Service) AdjustmentCategories(ctx context.Context, cycle string) ([]AdjustmentCategory, bool, error) {
	as, err := s.adjustments()
	if err != nil {
		return nil, false, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, false, err
	}
	cats, set, err := as.AdjustmentCategories(ctx, cycle)
	if err != nil || !set {
		return DefaultAdjustmentCategories(), true, err
	}
	return cats, false, nil
}

// PutAdjustmentCategories replaces a year's categories. A category that
// live entries (applied, approved, recorded) use may not be dropped or
// change its sign (EConflict naming it); its points may change, the
// entries keep theirs.
func (s *Service) PutAdjustmentCategories(ctx context.Context, cycle string, cats []AdjustmentCategory) error {
	as, err := s.adjustments()
	if err != nil {
		return err
	}
	for i := range cats {
		cats[i].Code, cats[i].Name = strings.TrimSpace(cats[i].Code), strings.TrimSpace(cats[i].Name)
	}
	if err := ValidateAdjustmentCategories(cats); err != nil {
		return err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return err
	}
	adjs, err := as.Adjustments(ctx, cycle)
	if err != nil {
		return err
	}
	next := make(map[string]AdjustmentCategory, len(cats))
	for _, c := range cats {
		next[c.Code] = c
	}
	var hit []string
	for _, a := range adjs {
		if !a.Live() {
			continue
		}
		n, ok := next[a.Category]
		if (!ok || (n.Sign == AdjustPenalty) != (a.Points < 0)) && !slices.Contains(hit, a.Category) {
			hit = append(hit, a.Category)
		}
	}
	if len(hit) > 0 {
		return &Error{Code: EConflict, Message: fmt.Sprintf("加减分类别 %s 已有待审核或已生效的加减分，不能删除或改变加减方向；请先处理这些加减分 (categories %s are used by pending or counted adjustments: they cannot be dropped or change sign)",
			strings.Join(hit, "、"), strings.Join(hit, ", ")), Details: codeDetails(hit, "已有加减分使用此类别 (in use)")}
	}
	return as.PutAdjustmentCategories(ctx, cycle, cats)
}

// Adjustments returns a year's adjustments, oldest first.
func (s *Service) Adjustments(ctx context.Context, cycle string) ([]Adjustment, error) {
	as, err := s.adjustments()
	if err != nil {
		return nil, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return nil, err
	}
	return as.Adjustments(ctx, cycle)
}

// AdjustmentInput is an adjustment as the office records it or a unit
// applies for it. Points may be left out when the category has a default;
// it is a magnitude, or signed as the category is.
type AdjustmentInput struct {
	Unit     string   `json:"unit"`
	Category string   `json:"category"`
	Points   *float64 `json:"points"`
	Reason   string   `json:"reason"`
}

// adjustPoints checks points for cat and returns them signed.
func adjustPoints(cat AdjustmentCategory, p *float64) (float64, error) {
	bad := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		return &Error{Code: EInvalidAdjustment, Message: msg, Details: []Detail{{Field: "points", Message: msg}}}
	}
	if p == nil {
		if cat.Points == 0 {
			return 0, bad("“%s”没有默认分值，请填写分值，最高 %g 分 (the category has no default: give points, at most %g)", cat.Name, cat.Limit(), cat.Limit())
		}
		return cat.signed(cat.Points), nil
	}
	x := *p
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0) || x == 0:
		return 0, bad("分值须为不等于 0 的数 (points: a number other than 0)")
	case cat.Sign == AdjustBonus && x < 0:
		return 0, bad("“%s”是加分类别，分值不能为负数 (a bonus category takes positive points)", cat.Name)
	case math.Abs(x) > cat.Limit()+1e-9:
		return 0, bad("“%s”最多%s %g 分，而填写的是 %g 分 (points: at most %g for this category)", cat.Name, signWord(cat.Sign), cat.Limit(), math.Abs(x), cat.Limit())
	}
	return cat.signed(x), nil
}

func signWord(sign string) string {
	if sign == AdjustPenalty {
		return "减"
	}
	return "加"
}

// AddAdjustment records an adjustment: the office's (role admin) is
// recorded at once; a unit account's (role unit) is an application for its
// own unit, bonuses only, that the office decides.
func (s *Service) AddAdjustment(ctx context.Context, cycle string, who User, in AdjustmentInput) (Adjustment, error) {
	as, err := s.adjustments()
	if err != nil {
		return Adjustment{}, err
	}
	in.Unit, in.Category, in.Reason = strings.TrimSpace(in.Unit), strings.TrimSpace(in.Category), strings.TrimSpace(in.Reason)
	status := AdjRecorded
	switch who.Role {
	case RoleAdmin:
	case RoleUnit:
		if in.Unit == "" {
			in.Unit = who.Unit
		}
		if in.Unit != who.Unit {
			return Adjustment{}, Errorf(EForbidden, "只能为本单位申请加减分 (you may apply only for your own unit)")
		}
		status = AdjApplied
	default:
		return Adjustment{}, Errorf(EForbidden, "只有考核办或被考核单位可以提出加减分 (only the office or a unit account)")
	}
	var v validator
	if in.Unit == "" {
		v.add("unit", "请选择单位 (choose a unit)")
	}
	if in.Category == "" {
		v.add("category", "请选择加减分类别 (choose a category)")
	}
	v.text("reason", in.Reason, true, maxAdjustReason)
	if err := v.err("加减分"); err != nil {
		return Adjustment{}, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return Adjustment{}, err
	}
	units, err := s.ledger.Units(ctx, cycle)
	if err != nil {
		return Adjustment{}, err
	}
	found := false
	for _, u := range units {
		found = found || u.Code == in.Unit
	}
	if !found {
		return Adjustment{}, &Error{Code: EInvalidAdjustment, Message: fmt.Sprintf("单位 %s 不在本年度单位名单中 (unknown unit)", in.Unit),
			Details: []Detail{{Field: "unit", Message: "单位不在本年度单位名单中 (unknown unit)"}}}
	}
	cats, _, err := s.AdjustmentCategories(ctx, cycle)
	if err != nil {
		return Adjustment{}, err
	}
	var cat AdjustmentCategory
	for _, c := range cats {
		if c.Code == in.Category {
			cat = c
		}
	}
	if cat.Code == "" {
		return Adjustment{}, &Error{Code: EInvalidAdjustment, Message: fmt.Sprintf("加减分类别 %q 不存在 (unknown category)", in.Category),
			Details: []Detail{{Field: "category", Message: "请从本年度的加减分类别中选择 (choose one of the year's categories)"}}}
	}
	if who.Role == RoleUnit && cat.Sign == AdjustPenalty {
		return Adjustment{}, &Error{Code: EInvalidAdjustment, Message: "减分由考核办直接记录，单位只能申请加分 (a unit applies for bonuses only; the office records penalties)",
			Details: []Detail{{Field: "category", Message: "单位只能申请加分 (bonuses only)"}}}
	}
	points, err := adjustPoints(cat, in.Points)
	if err != nil {
		return Adjustment{}, err
	}
	all, err := as.Adjustments(ctx, cycle)
	if err != nil {
		return Adjustment{}, err
	}
	if len(all) >= maxAdjustmentsYear {
		return Adjustment{}, Errorf(EConflict, "本年度的加减分已达 %d 项上限 (at most %d adjustments a year)", maxAdjustmentsYear, maxAdjustmentsYear)
	}
	a := Adjustment{Cycle: cycle, Unit: in.Unit, Category: cat.Code, CategoryName: cat.Name, Points: points, Reason: in.Reason,
		Status: status, CreatedBy: who.Name, CreatedAt: time.Now().UTC()}
	if status == AdjRecorded {
		a.DecidedBy, a.DecidedAt = who.Name, &a.CreatedAt
	}
	return as.AddAdjustment(ctx, a)
}

// AdjustAction is a step of an adjustment after it is made.
type AdjustAction string

// Adjustment actions.
const (
	AdjApprove  AdjustAction = "approve"  // office: applied → approved (points may be lowered within the category)
	AdjReject   AdjustAction = "reject"   // office: applied → rejected, with a comment
	AdjWithdraw AdjustAction = "withdraw" // the unit: applied → withdrawn
	AdjRevoke   AdjustAction = "revoke"   // office: approved or recorded → revoked, with a comment
)

// DecideAdjustment applies an action to an adjustment and returns it before
// and after. points (approve only) replaces the applied points, checked
// against the category.
func (s *Service) DecideAdjustment(ctx context.Context, cycle string, id int64, who User, act AdjustAction, comment string, points *float64) (Adjustment, Adjustment, error) {
	as, err := s.adjustments()
	if err != nil {
		return Adjustment{}, Adjustment{}, err
	}
	switch act {
	case AdjWithdraw:
		if who.Role != RoleUnit {
			return Adjustment{}, Adjustment{}, Errorf(EForbidden, "只有申请的单位可以撤回申请；考核办请用“不予通过” (only the applying unit withdraws; the office rejects)")
		}
	default:
		if who.Role != RoleAdmin {
			return Adjustment{}, Adjustment{}, Errorf(EForbidden, "只有考核办（管理员）可以审核加减分 (only the office decides adjustments)")
		}
	}
	comment = strings.TrimSpace(comment)
	var v validator
	if (act == AdjReject || act == AdjRevoke) && comment == "" {
		v.add("comment", "请写明原因，申请单位会看到 (write why: the unit will read it)")
	}
	v.text("comment", comment, false, maxAdjustComment)
	if points != nil && act != AdjApprove {
		v.add("points", "只有审核通过时可以改分值 (points only on approve)")
	}
	if err := v.err("审核意见"); err != nil {
		return Adjustment{}, Adjustment{}, err
	}
	before, err := as.Adjustment(ctx, cycle, id)
	if err != nil {
		return Adjustment{}, Adjustment{}, err
	}
	if act == AdjWithdraw && before.Unit != who.Unit {
		return Adjustment{}, Adjustment{}, Errorf(EForbidden, "只能撤回本单位的申请 (you may withdraw only your own unit's application)")
	}
	from, to := AdjApplied, map[AdjustAction]string{AdjApprove: AdjApproved, AdjReject: AdjRejected, AdjWithdraw: AdjWithdrawn, AdjRevoke: AdjRevoked}[act]
	if act == AdjRevoke {
		from = AdjApproved
		if before.Status == AdjRecorded {
			from = AdjRecorded
		}
	}
	if before.Status != from {
		return before, before, adjustStateError(before, act)
	}
	after := before
	if points != nil {
		cats, _, err := s.AdjustmentCategories(ctx, cycle)
		if err != nil {
			return before, before, err
		}
		cat := AdjustmentCategory{Name: before.CategoryName, Sign: AdjustBonus, Points: math.Abs(before.Points)}
		if before.Points < 0 {
			cat.Sign = AdjustPenalty
		}
		for _, c := range cats {
			if c.Code == before.Category {
				cat = c
			}
		}
		if after.Points, err = adjustPoints(cat, points); err != nil {
			return before, before, err
		}
	}
	now := time.Now().UTC()
	after.Status, after.Comment, after.DecidedBy, after.DecidedAt = to, comment, who.Name, &now
	ok, err := as.UpdateAdjustment(ctx, after, from)
	if err != nil {
		return before, before, err
	}
	if !ok { // decided meanwhile: say what it is now
		cur, err := as.Adjustment(ctx, cycle, id)
		if err != nil {
			return before, before, err
		}
		return cur, cur, adjustStateError(cur, act)
	}
	return before, after, nil
}

// AdjustStatusZH names a status in Chinese.
func AdjustStatusZH(status string) string {
	return map[string]string{AdjApplied: "待审核", AdjApproved: "已通过", AdjRecorded: "已记录", AdjRejected: "未通过",
		AdjWithdrawn: "已撤回", AdjRevoked: "已撤销"}[status]
}

func adjustStateError(a Adjustment, act AdjustAction) error {
	now := AdjustStatusZH(a.Status)
	switch act {
	case AdjRevoke:
		return Errorf(EConflict, "第 %d 项加减分%s，只有已通过或已记录的可以撤销 (only an approved or recorded adjustment can be revoked; it is %s)", a.ID, now, a.Status)
	case AdjWithdraw:
		return Errorf(EConflict, "第 %d 项加减分%s，只有待审核的申请可以撤回 (only a pending application can be withdrawn; it is %s)", a.ID, now, a.Status)
	}
	return Errorf(EConflict, "第 %d 项加减分%s，只有待审核的申请可以审核 (only a pending application can be decided; it is %s)", a.ID, now, a.Status)
}
