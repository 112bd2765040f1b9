package ballots

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cycle is one year's assessment.
type Cycle struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Unit kinds.
const (
	KindTown       = "town"
	KindDepartment = "department"
)

// Unit is a town or a county department being assessed.
type Unit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Staff int    `json:"staff"`
}

// Person is a cadre who can be rated or recommended.
type Person struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Post   string `json:"post"`
	Leader bool   `json:"leader"`
}

// Scale types.
const (
	ScaleGrade  = "grade"
	ScaleScore  = "score"
	ScaleChoose = "choose"
)

// Option is one grade of a grade scale, e.g. 优秀 worth 1.
type Option struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// Scale says how a section's subjects are answered.
type Scale struct {
	Type    string   `json:"type"`
	Options []Option `json:"options,omitempty"` // grade
	Min     *float64 `json:"min,omitempty"`     // score
	Max     *float64 `json:"max,omitempty"`     // score: highest score; choose: most names
	Step    float64  `json:"step,omitempty"`    // score: 1 unless given
}

// Limit caps how many answers of a section (per dimension) may use the
// given options: MaxCount if set, else floor(MaxShare × subjects + 0.5).
type Limit struct {
	Options  []string `json:"options"`
	MaxShare float64  `json:"max_share,omitempty"`
	MaxCount *int     `json:"max_count,omitempty"`
}

// Section purposes.
var purposes = []string{"conference", "mutual", "group", "democratic", "social", "team", "cadre", "integrity", "recommend", "other"}

// Section is one part of a form: a title, who is rated and how.
type Section struct {
	Code       string   `json:"code"`
	Title      string   `json:"title"`
	Purpose    string   `json:"purpose"`
	Subjects   []string `json:"subjects"`
	Scale      Scale    `json:"scale"`
	Limits     []Limit  `json:"limits,omitempty"`
	Required   *bool    `json:"required,omitempty"`
	Dimensions []string `json:"dimensions,omitempty"`
}

// IsRequired reports whether the section must be answered (the default).
func (s Section) IsRequired() bool { return s.Required == nil || *s.Required }

// Form is a ballot form: the paper form's sections.
type Form struct {
	Code     string    `json:"code"`
	Title    string    `json:"title"`
	Sections []Section `json:"sections"`
}

// Meeting kinds and statuses.
var meetingKinds = []string{"work_report", "conference", "social", "group", "other"}

const (
	StatusPending = "pending"
	StatusOpen    = "open"
	StatusClosed  = "closed"
)

// Group is a voter group of a meeting; each votes on its own form.
type Group struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Form string `json:"form"`
}

// Meeting is one sitting where slips are cast.
type Meeting struct {
	Code   string   `json:"code"`
	Title  string   `json:"title"`
	Kind   string   `json:"kind"`
	Host   string   `json:"host,omitempty"`
	Date   string   `json:"date"`
	Staff  []string `json:"staff"`
	Groups []Group  `json:"groups"`
	Status string   `json:"status"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// validator collects field errors so a person sees all of them at once.
type validator struct{ details []Detail }

func (v *validator) add(field, format string, args ...any) {
	v.details = append(v.details, Detail{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) code(field, s string) {
	switch {
	case s == "":
		v.add(field, "请填写编码，如 T01 (enter a code)")
	case !codeRE.MatchString(s):
		v.add(field, "编码 %q 不能用：请用字母或数字（可加 _ . -），最多 64 位，如 T01 (invalid code)", s)
	}
}

func (v *validator) text(field, s string, required bool, max int) {
	switch {
	case strings.TrimSpace(s) == "" && required:
		v.add(field, "不能为空 (required)")
	case utf8.RuneCountInString(s) > max:
		v.add(field, "不能超过 %d 个字 (at most %d characters)", max, max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.add(field, "不能含控制字符 (no control characters)")
	}
}

func (v *validator) err(what string) error {
	if len(v.details) == 0 {
		return nil
	}
	n := len(v.details)
	en := fmt.Sprintf("%d problems", n)
	if n == 1 {
		en = "1 problem"
	}
	return &Error{Code: EInvalid, Message: fmt.Sprintf("%s有 %d 处错误，请修改后重新提交 (%s)", what, n, en), Details: v.details}
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// Validate checks a cycle's fields.
func (c Cycle) Validate() error {
	var v validator
	v.code("code", c.Code)
	v.text("name", c.Name, true, 100)
	return v.err("考核年度")
}

// ValidateUnits checks a list of units: fields, kinds and unique codes.
func ValidateUnits(units []Unit) error {
	var v validator
	seen := map[string]bool{}
	if len(units) > 5000 {
		v.add("", "单位不能超过 5000 个 (at most 5000 units)")
	}
	for i, u := range units {
		f := fmt.Sprintf("[%d].", i)
		v.code(f+"code", u.Code)
		if seen[u.Code] {
			v.add(f+"code", "单位编码 %s 重复 (duplicate code)", u.Code)
		}
		seen[u.Code] = true
		v.text(f+"name", u.Name, true, 100)
		if u.Kind != KindTown && u.Kind != KindDepartment {
			v.add(f+"kind", "单位类型须为 town（镇）或 department（部门），而不是 %q", u.Kind)
		}
		if u.Staff < 0 || u.Staff > 1000000 {
			v.add(f+"staff", "人数须在 0 到 1000000 之间 (staff out of range)")
		}
	}
	return v.err("单位名单")
}

// ValidatePeople checks a list of people against the cycle's unit codes.
func ValidatePeople(people []Person, units map[string]Unit) error {
	var v validator
	seen := map[string]bool{}
	if len(people) > 50000 {
		v.add("", "人员不能超过 50000 人 (at most 50000 people)")
	}
	for i, p := range people {
		f := fmt.Sprintf("[%d].", i)
		v.code(f+"code", p.Code)
		if seen[p.Code] {
			v.add(f+"code", "人员编码 %s 重复 (duplicate code)", p.Code)
		}
		seen[p.Code] = true
		v.text(f+"name", p.Name, true, 50)
		v.text(f+"post", p.Post, false, 100)
		if _, ok := units[p.Unit]; !ok {
			v.add(f+"unit", "单位 %q 不存在，请先添加该单位 (unknown unit)", p.Unit)
		}
	}
	return v.err("人员名单")
}

// Validate checks a form's structure. Selectors are resolved only when a
// meeting opens, against that meeting's host and the cycle's units and people.
func (f Form) Validate() error {
	var v validator
	v.code("code", f.Code)
	v.text("title", f.Title, true, 100)
	if len(f.Sections) == 0 {
		v.add("sections", "表单至少要有一个测评项目 (a form needs at least one section)")
	}
	if len(f.Sections) > 50 {
		v.add("sections", "测评项目不能超过 50 个 (at most 50 sections)")
	}
	seen := map[string]bool{}
	for i, s := range f.Sections {
		p := fmt.Sprintf("sections[%d].", i)
		v.code(p+"code", s.Code)
		if seen[s.Code] {
			v.add(p+"code", "测评项目编码 %s 重复 (duplicate section code)", s.Code)
		}
		seen[s.Code] = true
		v.text(p+"title", s.Title, true, 100)
		if !oneOf(s.Purpose, purposes) {
			v.add(p+"purpose", "用途须为 %s 之一，而不是 %q", strings.Join(purposes, "|"), s.Purpose)
		}
		if len(s.Subjects) == 0 || len(s.Subjects) > 500 {
			v.add(p+"subjects", "须有 1 到 500 个测评对象选择器 (1 to 500 subject selectors)")
		}
		for j, sel := range s.Subjects {
			if _, _, err := parseSelector(sel); err != nil {
				v.add(fmt.Sprintf("%ssubjects[%d]", p, j), "%s", err.Error())
			}
		}
		validateScale(&v, p+"scale.", s.Scale)
		if s.Scale.Type == ScaleChoose && len(s.Dimensions) > 0 {
			v.add(p+"dimensions", "推荐（choose）项目不能分维度 (a choose section has no dimensions)")
		}
		dims := map[string]bool{}
		for j, d := range s.Dimensions {
			v.text(fmt.Sprintf("%sdimensions[%d]", p, j), d, true, 20)
			if dims[d] {
				v.add(fmt.Sprintf("%sdimensions[%d]", p, j), "维度 %s 重复 (duplicate dimension)", d)
			}
			dims[d] = true
		}
		if len(s.Dimensions) > 10 {
			v.add(p+"dimensions", "维度不能超过 10 个 (at most 10 dimensions)")
		}
		for j, l := range s.Limits {
			lp := fmt.Sprintf("%slimits[%d].", p, j)
			if s.Scale.Type != ScaleGrade {
				v.add(lp+"options", "只有等次（grade）项目可以设置比例限制 (limits apply to grade scales)")
				continue
			}
			if len(l.Options) == 0 {
				v.add(lp+"options", "须指明受限的等次 (name the limited options)")
			}
			for _, o := range l.Options {
				if optionIndex(s.Scale.Options, o) < 0 {
					v.add(lp+"options", "等次 %q 不在本项目的选项中 (unknown option)", o)
				}
			}
			if l.MaxCount == nil && (l.MaxShare <= 0 || l.MaxShare > 1) {
				v.add(lp+"max_share", "比例须在 0 到 1 之间（如 0.3），或给出 max_count (max_share in (0,1])")
			}
			if l.MaxCount != nil && *l.MaxCount < 0 {
				v.add(lp+"max_count", "不能为负数 (must not be negative)")
			}
		}
	}
	return v.err("表单")
}

func validateScale(v *validator, p string, sc Scale) {
	switch sc.Type {
	case ScaleGrade:
		if len(sc.Options) < 2 || len(sc.Options) > 10 {
			v.add(p+"options", "等次须有 2 到 10 个选项 (2 to 10 options)")
		}
		seen := map[string]bool{}
		for i, o := range sc.Options {
			v.text(fmt.Sprintf("%soptions[%d].label", p, i), o.Label, true, 20)
			if seen[o.Label] {
				v.add(fmt.Sprintf("%soptions[%d].label", p, i), "选项 %s 重复 (duplicate option)", o.Label)
			}
			seen[o.Label] = true
			if o.Value < 0 || o.Value > 1 || math.IsNaN(o.Value) {
				v.add(fmt.Sprintf("%soptions[%d].value", p, i), "分值须在 0 到 1 之间 (value in [0,1])")
			}
		}
	case ScaleScore:
		if sc.Min == nil || sc.Max == nil {
			v.add(p+"min", "打分项目须给出 min 和 max (a score scale needs min and max)")
			return
		}
		if *sc.Min < 0 || *sc.Max > 10000 || *sc.Min >= *sc.Max {
			v.add(p+"max", "须 0 ≤ min < max ≤ 10000 (0 ≤ min < max ≤ 10000)")
		}
		if sc.Step < 0 || (sc.Step > 0 && sc.Step > *sc.Max-*sc.Min) {
			v.add(p+"step", "步长须为正数且不大于分值范围 (step must be positive and within the range)")
		}
	case ScaleChoose:
		if sc.Max == nil || *sc.Max < 1 || *sc.Max != math.Trunc(*sc.Max) || *sc.Max > 500 {
			v.add(p+"max", "推荐项目须给出最多可选人数 max（1–500 的整数）")
		}
	default:
		v.add(p+"type", "类型须为 grade（等次）、score（打分）或 choose（推荐），而不是 %q", sc.Type)
	}
}

func optionIndex(opts []Option, label string) int {
	for i, o := range opts {
		if o.Label == label {
			return i
		}
	}
	return -1
}

// parseSelector splits a subject selector into its kind and argument.
func parseSelector(sel string) (kind, arg string, err error) {
	switch {
	case sel == "host", sel == "people:host":
		return sel, "", nil
	case sel == "kind:town", sel == "kind:department":
		return "kind", strings.TrimPrefix(sel, "kind:"), nil
	}
	k, a, ok := strings.Cut(sel, ":")
	if ok && (k == "unit" || k == "people" || k == "person") && codeRE.MatchString(a) {
		return k, a, nil
	}
	return "", "", fmt.Errorf("测评对象 %q 无效：可用 host、unit:编码、kind:town、kind:department、people:host、people:单位编码、person:编码", sel)
}

// Validate checks a meeting's own fields; references to units, forms and
// users are checked by the Service. Its messages name the field as the
// meetings editor labels it.
func (m Meeting) Validate() error {
	var v validator
	v.named("code", "会议编码", "meeting code", m.Code)
	switch {
	case strings.TrimSpace(m.Title) == "":
		v.add("title", "请填写会议名称 (enter the meeting's title)")
	default:
		v.text("title", m.Title, true, 100)
	}
	switch {
	case m.Kind == "":
		v.add("kind", "请选择会议类型 (choose the kind of meeting)")
	case !oneOf(m.Kind, meetingKinds):
		v.add("kind", "会议类型须为 %s 之一，而不是 %q", strings.Join(meetingKinds, "|"), m.Kind)
	}
	if strings.TrimSpace(m.Date) == "" {
		v.add("date", "请选择会议日期 (choose the meeting's date)")
	} else if _, err := time.Parse("2006-01-02", m.Date); err != nil {
		v.add("date", "日期须为 YYYY-MM-DD 格式，如 2021-01-15 (date as YYYY-MM-DD)")
	}
	if m.Host != "" {
		v.code("host", m.Host)
	}
	switch {
	case len(m.Groups) == 0:
		v.add("groups", "请至少添加一个参评人员类别 (add at least one voter group)")
	case len(m.Groups) > 50:
		v.add("groups", "参评人员类别不能超过 50 个 (at most 50 voter groups)")
	}
	seen := map[string]bool{}
	for i, g := range m.Groups {
		p := fmt.Sprintf("groups[%d].", i)
		v.named(p+"code", "类别编码", "group code", g.Code)
		if seen[g.Code] && g.Code != "" {
			v.add(p+"code", "类别编码 %s 重复，每个类别的编码须不同 (duplicate group code)", g.Code)
		}
		seen[g.Code] = true
		if strings.TrimSpace(g.Name) == "" {
			v.add(p+"name", "请填写类别名称，如“机关干部” (enter the group's name)")
		} else {
			v.text(p+"name", g.Name, true, 50)
		}
		if g.Form == "" {
			v.add(p+"form", "请选择这个类别使用的测评表 (choose a form)")
		} else {
			v.code(p+"form", g.Form)
		}
	}
	for i, s := range m.Staff {
		v.text(fmt.Sprintf("staff[%d]", i), s, true, 64)
	}
	return v.err("会议")
}

// named checks a code the meetings editor fills in by itself (M01, G1):
// empty, it asks for it by its label; otherwise it must be a valid code.
func (v *validator) named(field, label, labelEN, s string) {
	switch {
	case s == "":
		v.add(field, "请填写%s (enter the %s)", label, labelEN)
	case !codeRE.MatchString(s):
		v.add(field, "%s %q 无效：须为 1–64 位字母、数字、_ . -，以字母或数字开头，如 M01 (invalid %s)", label, s, labelEN)
	}
}
