package ballots

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Subject is one thing rated in a section: a unit or a person.
type Subject struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// SectionDef is a section with its selectors expanded into subjects.
type SectionDef struct {
	Code       string    `json:"code"`
	Title      string    `json:"title"`
	Purpose    string    `json:"purpose"`
	Scale      Scale     `json:"scale"`
	Limits     []Limit   `json:"limits,omitempty"`
	Required   bool      `json:"required"`
	Dimensions []string  `json:"dimensions,omitempty"`
	Subjects   []Subject `json:"subjects"`
}

// GroupDef is what one voter group sees: its form, expanded.
type GroupDef struct {
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	Form      string       `json:"form"`
	FormTitle string       `json:"form_title"`
	Sections  []SectionDef `json:"sections"`
}

// MeetingDef is the snapshot taken when a meeting opens. Ballots are
// validated, tallied and reported against it, so editing units, people or
// forms later never changes an open or closed meeting.
type MeetingDef struct {
	Cycle  string     `json:"cycle"`
	Code   string     `json:"code"`
	Title  string     `json:"title"`
	Kind   string     `json:"kind"`
	Host   string     `json:"host,omitempty"`
	Date   string     `json:"date"`
	Groups []GroupDef `json:"groups"`
}

// Group returns the definition of the voter group code.
func (d *MeetingDef) Group(code string) (*GroupDef, bool) {
	for i := range d.Groups {
		if d.Groups[i].Code == code {
			return &d.Groups[i], true
		}
	}
	return nil, false
}

// gap is why a section of a form would have no one to rate, or names a
// unit or person the lists do not hold, found when a form is expanded for
// a meeting. It is reported in the clerk's words: what is missing and
// where an admin adds it (see gap.text).
type gap struct {
	kind     string   // "host", "unit", "person", "people", "units", "many", "selector"
	code     string   // the unit or person code it is about
	name     string   // the unit's name (people), or the kind's name (units)
	others   bool     // units: the host is the only one of its kind (单位互评 skips it)
	sections []string // titles of the sections it affects
	err      string   // selector: the parse error
}

// unitKindNames are the unit kinds as the set-up page names them.
var unitKindNames = map[string]string{KindTown: "镇", KindDepartment: "县级部门"}

// expandSections resolves a form's selectors for a meeting hosted by host.
// Every section that names a unit or person not in the lists, or that
// comes out with no one to rate, adds a gap; gaps of the same cause are
// merged, naming all their sections.
func expandSections(f Form, host string, units []Unit, people []Person) ([]SectionDef, []gap) {
	unitByCode := map[string]Unit{}
	for _, u := range units {
		unitByCode[u.Code] = u
	}
	var gaps []gap
	note := func(g gap, section string) {
		for i := range gaps {
			if gaps[i].kind == g.kind && gaps[i].code == g.code && gaps[i].name == g.name && gaps[i].err == g.err {
				if !oneOf(section, gaps[i].sections) {
					gaps[i].sections = append(gaps[i].sections, section)
				}
				return
			}
		}
		g.sections = []string{section}
		gaps = append(gaps, g)
	}
	var out []SectionDef
	for _, s := range f.Sections {
		sd := SectionDef{Code: s.Code, Title: s.Title, Purpose: s.Purpose, Scale: s.Scale, Limits: s.Limits,
			Required: s.IsRequired(), Dimensions: s.Dimensions}
		seen := map[string]bool{}
		add := func(code, name string) {
			if !seen[code] {
				seen[code] = true
				sd.Subjects = append(sd.Subjects, Subject{Code: code, Name: name})
			}
		}
		missing := false // the section names something the lists lack
		var empty *gap   // why the first selector that gave nothing gave nothing
		for _, sel := range s.Subjects {
			kind, arg, err := parseSelector(sel)
			if err != nil {
				note(gap{kind: "selector", err: err.Error()}, s.Title)
				missing = true
				continue
			}
			if (kind == "host" || kind == "people:host") && host == "" {
				note(gap{kind: "host"}, s.Title)
				missing = true
				continue
			}
			before := len(sd.Subjects)
			switch kind {
			case "host", "unit":
				code := arg
				if kind == "host" {
					code = host
				}
				u, ok := unitByCode[code]
				if !ok {
					note(gap{kind: "unit", code: code}, s.Title)
					missing = true
					continue
				}
				add(u.Code, u.Name)
			case "kind":
				found := false
				for _, u := range units {
					if u.Kind != arg {
						continue
					}
					found = true
					if s.Purpose != "mutual" || u.Code != host {
						// A unit does not rate itself in 单位互评.
						add(u.Code, u.Name)
					}
				}
				if len(sd.Subjects) == before && empty == nil {
					empty = &gap{kind: "units", code: arg, name: unitKindNames[arg], others: found}
				}
			case "people:host", "people":
				code := arg
				if kind == "people:host" {
					code = host
				}
				u, ok := unitByCode[code]
				if !ok {
					note(gap{kind: "unit", code: code}, s.Title)
					missing = true
					continue
				}
				for _, p := range people {
					if p.Unit == code {
						add(p.Code, p.Name)
					}
				}
				if len(sd.Subjects) == before && empty == nil {
					empty = &gap{kind: "people", code: u.Code, name: u.Name}
				}
			case "person":
				found := false
				for _, p := range people {
					if p.Code == arg {
						add(p.Code, p.Name)
						found = true
					}
				}
				if !found {
					note(gap{kind: "person", code: arg}, s.Title)
					missing = true
				}
			}
		}
		if len(sd.Subjects) == 0 && !missing {
			if empty == nil {
				empty = &gap{kind: "units"}
			}
			note(*empty, s.Title)
		}
		if len(sd.Subjects) > 2000 {
			note(gap{kind: "many"}, s.Title)
		}
		out = append(out, sd)
	}
	return out, gaps
}

// text says what the gap is and how it is fixed, as "中文 (english)". While
// the meeting is being set up (open false) the admin is at the meetings
// editor and may also choose another form; when a group leader opens the
// meeting, the message says who fixes it: an admin, under 年度设置.
func (g gap) text(open bool) string {
	secs := "“" + strings.Join(g.sections, "”、“") + "”"
	var what, whatEN, where, whereEN, add, addEN string
	switch g.kind {
	case "host":
		what = secs + "要评本次会议的被考核单位，但会议没有选择被考核单位。"
		whatEN = "the form rates the unit assessed, but the meeting names none"
		if open {
			return what + "请管理员在“会议”页编辑本会议，选择本次会议的被考核单位。 (" + whatEN + ": an admin must choose it in the meetings editor)"
		}
		return what + "请选择本次会议的被考核单位，或为这个类别选择其他测评表。 (" + whatEN + ": choose the unit assessed, or another form for this group)"
	case "unit":
		what = fmt.Sprintf("%s要评单位 %s，但单位名单中没有这个单位。", secs, g.code)
		whatEN = fmt.Sprintf("the form rates unit %s, which is not in the units list", g.code)
		where, whereEN, add, addEN = "“年度设置 › ① 单位名单”", "Year set-up › Units", "添加这个单位", "add it"
	case "person":
		what = fmt.Sprintf("%s要评人员 %s，但人员名单中没有这个人。", secs, g.code)
		whatEN = fmt.Sprintf("the form rates person %s, who is not in the people list", g.code)
		where, whereEN, add, addEN = "“年度设置 › ② 人员名单”", "Year set-up › People", "添加这个人", "add them"
	case "people":
		what = fmt.Sprintf("%s在人员名单中还没有人员，%s没有人可评。", g.name, secs)
		whatEN = fmt.Sprintf("unit %s has no people in the people list, so the form has no one to rate", g.code)
		where, whereEN, add, addEN = "“年度设置 › ② 人员名单”", "Year set-up › People", "添加"+g.name+"的人员", "add its people"
	case "units":
		if g.name == "" {
			what = secs + "没有任何测评对象。"
			whatEN = "a section of the form has no one to rate"
			where, whereEN, add, addEN = "“年度设置”", "Year set-up", "添加单位或人员", "add units or people"
			break
		}
		if g.others {
			what = fmt.Sprintf("单位名单中除本次会议的被考核单位外没有其他%s，%s没有单位可评。", g.name, secs)
		} else {
			what = fmt.Sprintf("单位名单中还没有%s，%s没有单位可评。", g.name, secs)
		}
		whatEN = fmt.Sprintf("the units list has no other unit of kind %s, so the form has no unit to rate", g.code)
		where, whereEN, add, addEN = "“年度设置 › ① 单位名单”", "Year set-up › Units", "添加"+g.name, "add them"
	case "many":
		what = secs + "的测评对象超过 2000 个。"
		if open {
			return what + "请管理员在“测评表”中缩小这一项的范围。 (a section has over 2000 subjects: an admin must narrow it in the form)"
		}
		return what + "请在“测评表”中缩小这一项的范围，或为这个类别选择其他测评表。 (a section has over 2000 subjects: narrow it in the form, or choose another form)"
	default:
		return g.err
	}
	if open {
		return fmt.Sprintf("%s请管理员在%s中%s后再开始测评。 (%s: an admin must %s under %s before voting can open)", what, where, add, whatEN, addEN, whereEN)
	}
	return fmt.Sprintf("%s请先在%s中%s，或为这个类别选择其他测评表。 (%s: %s under %s, or choose another form for this group)", what, where, add, whatEN, addEN, whereEN)
}

// gapsText joins the texts of gaps: the Chinese sentences together, and
// their English.
func gapsText(gaps []gap, open bool) (zh, en string) {
	var zs, es []string
	for _, g := range gaps {
		t := g.text(open)
		if i := strings.LastIndex(t, " ("); i >= 0 && strings.HasSuffix(t, ")") {
			zs, es = append(zs, t[:i]), append(es, t[i+2:len(t)-1])
			continue
		}
		zs = append(zs, t)
	}
	return strings.Join(zs, ""), strings.Join(es, "; ")
}

// expandForm resolves a form's selectors for a meeting hosted by host. A
// form it cannot expand is an ENotReady error with one detail per gap,
// worded for whoever opens the meeting.
func expandForm(f Form, host string, units []Unit, people []Person) ([]SectionDef, error) {
	secs, gaps := expandSections(f, host, units, people)
	if len(gaps) == 0 {
		return secs, nil
	}
	details := make([]Detail, len(gaps))
	for i, g := range gaps {
		details[i] = Detail{Field: "forms." + f.Code, Message: g.text(true)}
	}
	return nil, &Error{Code: ENotReady, Message: fmt.Sprintf("测评表“%s”还没有人可评，暂不能开始测评 (the form %s has no one to rate yet)", f.Title, f.Code), Details: details}
}

// Answers is a validated ballot: section code → the section's answers in
// the shape they were cast (map of subject to label or score, map of subject
// to dimension to label or score, or a sorted list of chosen codes).
type Answers map[string]any

// ValidateAnswers checks raw answers against the group's form and returns
// them normalized. A broken rule is an EInvalidBallot error whose details name
// the section, subject and rule, so the voter can fix it and send again.
func (g *GroupDef) ValidateAnswers(raw map[string]json.RawMessage) (Answers, error) {
	var details []Detail
	bad := func(sec, subj, rule, format string, args ...any) {
		details = append(details, Detail{Section: sec, Subject: subj, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	known := map[string]bool{}
	out := Answers{}
	for i := range g.Sections {
		s := &g.Sections[i]
		known[s.Code] = true
		msg, present := raw[s.Code]
		if present && string(msg) == "null" {
			present = false
		}
		if !present {
			if s.Required {
				bad(s.Code, "", "required", "“%s”尚未填写 (section %s is required)", s.Title, s.Code)
			}
			continue
		}
		var ans any
		var ok bool
		if s.Scale.Type == ScaleChoose {
			ans, ok = s.validateChoose(msg, bad)
		} else {
			ans, ok = s.validateRated(msg, bad)
		}
		if ok {
			out[s.Code] = ans
		}
	}
	for code := range raw {
		if !known[code] {
			bad(code, "", "unknown_section", "本表没有测评项目 %q (unknown section)", code)
		}
	}
	if len(details) > 0 {
		sort.SliceStable(details, func(i, j int) bool { return g.sectionIndex(details[i].Section) < g.sectionIndex(details[j].Section) })
		return nil, &Error{Code: EInvalidBallot, Message: "选票有误：" + details[0].Message, Details: details}
	}
	return out, nil
}

func (g *GroupDef) sectionIndex(code string) int {
	for i, s := range g.Sections {
		if s.Code == code {
			return i
		}
	}
	return len(g.Sections)
}

type badFunc func(sec, subj, rule, format string, args ...any)

func (s *SectionDef) subject(code string) bool {
	for _, x := range s.Subjects {
		if x.Code == code {
			return true
		}
	}
	return false
}

func (s *SectionDef) validateChoose(msg json.RawMessage, bad badFunc) (any, bool) {
	var list []any
	if err := json.Unmarshal(msg, &list); err != nil {
		bad(s.Code, "", "type", "“%s”应为所选人员编码的列表 (expected a list of codes)", s.Title)
		return nil, false
	}
	ok := true
	seen := map[string]bool{}
	codes := make([]string, 0, len(list))
	for _, x := range list {
		c, isString := x.(string)
		switch {
		case !isString || !s.subject(c):
			bad(s.Code, fmt.Sprint(x), "unknown_subject", "“%s”中没有候选人 %v (unknown candidate)", s.Title, x)
			ok = false
		case seen[c]:
			bad(s.Code, c, "duplicate", "“%s”中同一人只能选一次 (chosen twice)", s.Title)
			ok = false
		}
		seen[c] = true
		codes = append(codes, c)
	}
	if max := int(*s.Scale.Max); len(codes) > max {
		bad(s.Code, "", "too_many", "“%s”最多选 %d 人，已选 %d 人 (at most %d)", s.Title, max, len(codes), max)
		ok = false
	}
	if s.Required && len(codes) == 0 {
		bad(s.Code, "", "required", "“%s”至少要选 1 人 (choose at least one)", s.Title)
		ok = false
	}
	sort.Strings(codes)
	return codes, ok
}

// validateRated checks a grade or score section, with or without dimensions.
// The section is decoded once; answers are then checked by type.
func (s *SectionDef) validateRated(msg json.RawMessage, bad badFunc) (any, bool) {
	var bySubject map[string]any
	if err := json.Unmarshal(msg, &bySubject); err != nil || bySubject == nil {
		bad(s.Code, "", "type", "“%s”的答案格式不对：应为 {测评对象编码: 答案} (expected an object keyed by subject)", s.Title)
		return nil, false
	}
	ok := true
	out := make(map[string]any, len(bySubject))
	for subj := range bySubject {
		if !s.subject(subj) {
			bad(s.Code, subj, "unknown_subject", "“%s”中没有测评对象 %q (unknown subject)", s.Title, subj)
			ok = false
		}
	}
	// Count limited answers per dimension ("" when there are none).
	limited := make([]map[string]int, len(s.Limits))
	for i := range limited {
		limited[i] = map[string]int{}
	}
	step := s.Scale.Step
	if step == 0 {
		step = 1
	}
	check := func(subj, dim string, v any) (any, bool) {
		where := subj
		if dim != "" {
			where = subj + "·" + dim
		}
		if s.Scale.Type == ScaleGrade {
			label, isString := v.(string)
			if !isString || optionIndex(s.Scale.Options, label) < 0 {
				bad(s.Code, subj, "unknown_option", "“%s”对 %s 的选择无效，可选：%s (unknown option)", s.Title, where, s.optionLabels())
				return nil, false
			}
			for i, l := range s.Limits {
				if oneOf(label, l.Options) {
					limited[i][dim]++
				}
			}
			return label, true
		}
		x, isNum := v.(float64)
		if !isNum {
			bad(s.Code, subj, "type", "“%s”对 %s 的打分应为数字 (expected a number)", s.Title, where)
			return nil, false
		}
		if x < *s.Scale.Min || x > *s.Scale.Max {
			bad(s.Code, subj, "out_of_range", "“%s”对 %s 的打分须在 %s 到 %s 之间 (score out of range)", s.Title, where, fmtNum(*s.Scale.Min), fmtNum(*s.Scale.Max))
			return nil, false
		}
		if q := (x - *s.Scale.Min) / step; math.Abs(q-math.Round(q)) > 1e-9 {
			bad(s.Code, subj, "step", "“%s”对 %s 的打分须是 %s 的整数倍 (score must be a multiple of %s)", s.Title, where, fmtNum(step), fmtNum(step))
			return nil, false
		}
		return x, true
	}
	for _, subj := range s.Subjects {
		v := bySubject[subj.Code]
		if v == nil {
			if s.Required {
				bad(s.Code, subj.Code, "required", "“%s”还没有评价 %s (every subject must be answered)", s.Title, subj.Name)
				ok = false
			}
			continue
		}
		if len(s.Dimensions) == 0 {
			a, good := check(subj.Code, "", v)
			ok = ok && good
			out[subj.Code] = a
			continue
		}
		byDim, isObj := v.(map[string]any)
		if !isObj {
			bad(s.Code, subj.Code, "type", "“%s”对 %s 应按维度（%s）作答 (expected an object keyed by dimension)", s.Title, subj.Name, strings.Join(s.Dimensions, "、"))
			ok = false
			continue
		}
		for d := range byDim {
			if !oneOf(d, s.Dimensions) {
				bad(s.Code, subj.Code, "unknown_dimension", "“%s”没有维度 %q (unknown dimension)", s.Title, d)
				ok = false
			}
		}
		dims := make(map[string]any, len(s.Dimensions))
		for _, d := range s.Dimensions {
			dv := byDim[d]
			if dv == nil {
				if s.Required {
					bad(s.Code, subj.Code, "required", "“%s”还没有评价 %s 的“%s” (every dimension must be answered)", s.Title, subj.Name, d)
					ok = false
				}
				continue
			}
			a, good := check(subj.Code, d, dv)
			ok = ok && good
			dims[d] = a
		}
		out[subj.Code] = dims
	}
	n := len(s.Subjects)
	for i, l := range s.Limits {
		allowed := l.Allowed(n)
		for dim, count := range limited[i] {
			if count > allowed {
				where := ""
				if dim != "" {
					where = "（" + dim + "）"
				}
				bad(s.Code, "", "limit", "“%s”%s中“%s”最多 %d 个，已选 %d 个 (at most %d)", s.Title, where, strings.Join(l.Options, "/"), allowed, count, allowed)
				ok = false
			}
		}
	}
	return out, ok
}

// Allowed returns how many answers of n subjects may use the limit's options.
func (l Limit) Allowed(n int) int {
	if l.MaxCount != nil {
		return *l.MaxCount
	}
	return int(math.Floor(l.MaxShare*float64(n) + 0.5))
}

func (s *SectionDef) optionLabels() string {
	labels := make([]string, len(s.Scale.Options))
	for i, o := range s.Scale.Options {
		labels[i] = o.Label
	}
	return strings.Join(labels, "、")
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
