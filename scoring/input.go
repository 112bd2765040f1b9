package scoring

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Input is everything Compute needs, in the shape of `ceping score FILE.json`:
//
//	{"rules": {…}, "units": [{"code","name","kind"}], "targets": [… as in PUT targets …],
//	 "evaluations": [{"unit","component","group","scale":{…},"counts":{label:n}} | {…,"scores":[88,92]}]}
//
// Build it with ParseInput, or in Go starting from DefaultRules (a zero
// Rules is invalid).
type Input struct {
	Rules       Rules        `json:"rules"`
	Units       []Unit       `json:"units"`
	Targets     []Target     `json:"targets"`
	Evaluations []Evaluation `json:"evaluations"`
}

// Unit is an assessed town or department. Kind must be a kind of
// Rules.Categories (town or department by default).
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Staff is accepted so that the units of PUT units can be pasted as
	// they are; scoring does not use it.
	Staff int `json:"staff,omitempty"`
}

// Target is one unit's target-task scores, as in PUT targets. Indicators
// must cover every category of the unit's kind, their points summing to the
// category's points.
type Target struct {
	Unit        string       `json:"unit"`
	Indicators  []Indicator  `json:"indicators"`
	Adjustments []Adjustment `json:"adjustments,omitempty"`
	// Veto (一票否决) gives the unit the lowest grade.
	Veto bool `json:"veto,omitempty"`
}

// Indicator is one target-task indicator. It has a Completion (ratio, ≥ 0)
// or a Score (0–100), not both; with MajorLoss it may have neither, as it
// scores 0 anyway.
type Indicator struct {
	Category   string   `json:"category"`
	Name       string   `json:"name"`
	Points     float64  `json:"points"`
	Completion *float64 `json:"completion,omitempty"`
	Score      *float64 `json:"score,omitempty"`
	MajorLoss  bool     `json:"major_loss,omitempty"`
	// Pending marks an indicator of a catalogue whose value is not yet
	// approved: it has no completion or score and counts 0, and its unit's
	// row says how many are pending.
	Pending bool `json:"pending,omitempty"`
}

// Adjustment is one 加减分 entry: positive for a bonus, negative for a
// penalty, at most 100 either way.
type Adjustment struct {
	Points float64 `json:"points"`
	Reason string  `json:"reason,omitempty"`
}

// Evaluation is the sealed tally of one voter group's ballots about one unit
// for one evaluation component, from one meeting. Several entries with the
// same unit, component and group (other meetings) add up.
//
// A grade scale gives Counts by option label. A score scale gives Scores,
// one per ballot, and/or Counts as a histogram keyed by the score as a
// decimal string ({"88": 3}, the shape of sealed results), both counting.
type Evaluation struct {
	Unit      string `json:"unit"`
	Component string `json:"component"`
	Group     string `json:"group,omitempty"`
	// Meeting is optional; it is listed in the row's trace.
	Meeting string `json:"meeting,omitempty"`
	// GroupName and MeetingTitle are optional; warnings name the group by
	// them instead of its code.
	GroupName    string           `json:"group_name,omitempty"`
	MeetingTitle string           `json:"meeting_title,omitempty"`
	Scale        Scale            `json:"scale"`
	Counts       map[string]int64 `json:"counts,omitempty"`
	Scores       []float64        `json:"scores,omitempty"`
	// Ballots is how many ballots the counts come from, when that is not
	// their total (a section rating several dimensions counts one answer
	// per dimension). Optional: 0 means the total of Counts and Scores.
	Ballots int64 `json:"ballots,omitempty"`
}

// Scale types.
const (
	ScaleGrade = "grade"
	ScaleScore = "score"
)

// Scale is a section's scale, as in forms: {"type":"grade","options":[…]}
// with option values in [0,1], or {"type":"score","min":0,"max":100}.
type Scale struct {
	Type    string   `json:"type"`
	Options []Option `json:"options,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	// Step is accepted as forms give it; scoring does not use it.
	Step float64 `json:"step,omitempty"`
}

// Option is one option of a grade scale.
type Option struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
}

// MaxCount is the largest count one tally cell may hold.
const MaxCount = 1_000_000_000

const maxAdjustment = 100

// ParseInput parses and validates a score file. "rules" may be missing
// (defaults) or partial (see ParseRules). Unknown fields, bad JSON and
// invalid data are an *InputError naming the unit and field.
func ParseInput(data []byte) (Input, error) {
	in := Input{Rules: DefaultRules()}
	if len(bytes.TrimSpace(data)) == 0 {
		return Input{}, inputErr("", "", "评分输入为空")
	}
	if err := decodeStrict(data, &in); err != nil {
		return Input{}, jsonErr("", err)
	}
	if err := in.Validate(); err != nil {
		return Input{}, err
	}
	return in, nil
}

// Validate checks the rules, then units, targets and evaluations, and
// returns the first problem as an *InputError. Units need a unique code
// and a kind of the rules; a target or evaluation must name a known unit, at
// most one target per unit; indicator categories must be of the unit's
// kind with points ≥ 0 summing to each category's points; completion ≥ 0,
// score in 0–100; evaluation components must be in the rules; grade option
// values in [0,1] with unique labels; counts in 0–MaxCount and for known
// labels (grade) or scores in [min,max] (score).
func (in Input) Validate() error {
	if err := in.Rules.Validate(); err != nil {
		return err
	}
	kinds := map[string]string{}
	for i, u := range in.Units {
		field := fmt.Sprintf("units[%d]", i)
		if u.Code == "" {
			return inputErr("", field+".code", "units[%d] 缺少单位代码 code", i)
		}
		if _, dup := kinds[u.Code]; dup {
			return inputErr(u.Code, field+".code", "单位代码 code 重复")
		}
		if _, ok := in.Rules.Categories[u.Kind]; !ok {
			return inputErr(u.Code, field+".kind", "单位类型 kind %q 未知，应为 %s", u.Kind, joinKinds(in.Rules))
		}
		kinds[u.Code] = u.Kind
	}
	targeted := map[string]bool{}
	for i, t := range in.Targets {
		field := fmt.Sprintf("targets[%d]", i)
		kind, ok := kinds[t.Unit]
		if !ok {
			return inputErr(t.Unit, field+".unit", "targets 中的单位 unit %q 不在 units 中", t.Unit)
		}
		if targeted[t.Unit] {
			return inputErr(t.Unit, field+".unit", "targets 中重复出现该单位")
		}
		targeted[t.Unit] = true
		if err := validateTarget(in.Rules.Categories[kind], kind, t, field); err != nil {
			return err
		}
	}
	for i, e := range in.Evaluations {
		field := fmt.Sprintf("evaluations[%d]", i)
		if _, ok := kinds[e.Unit]; !ok {
			return inputErr(e.Unit, field+".unit", "evaluations 中的单位 unit %q 不在 units 中", e.Unit)
		}
		if _, ok := in.Rules.Components[e.Component]; !ok {
			return inputErr(e.Unit, field+".component", "评价项 component %q 未知，应为规则 components 中的一项", e.Component)
		}
		if err := validateEvaluation(e, field); err != nil {
			return err
		}
	}
	return nil
}

func joinKinds(r Rules) string {
	s := ""
	for i, k := range ordered(r.Categories, kindOrder) {
		if i > 0 {
			s += " 或 "
		}
		s += k
	}
	return s
}

func validateTarget(cats map[string]float64, kind string, t Target, field string) error {
	sums := map[string]float64{}
	for j, ind := range t.Indicators {
		f := fmt.Sprintf("%s.indicators[%d]", field, j)
		what := fmt.Sprintf("指标 %d", j+1)
		if ind.Name != "" {
			what = "指标「" + ind.Name + "」"
		}
		if _, ok := cats[ind.Category]; !ok {
			return inputErr(t.Unit, f+".category", "%s的类别 category %q 不属于 %s 类单位", what, ind.Category, kind)
		}
		if !finite(ind.Points) || ind.Points < 0 {
			return inputErr(t.Unit, f+".points", "%s的分值 points 为 %s，不能为负数", what, num(ind.Points))
		}
		switch {
		case ind.Pending && (ind.Completion != nil || ind.Score != nil || ind.MajorLoss):
			return inputErr(t.Unit, f+".pending", "%s标为待审核 pending，就不能再给完成率、得分或重大失分", what)
		case ind.Completion != nil && ind.Score != nil:
			return inputErr(t.Unit, f, "%s同时给出了完成率 completion 和得分 score，只能给一个", what)
		case ind.Completion != nil:
			if c := *ind.Completion; !finite(c) || c < 0 {
				return inputErr(t.Unit, f+".completion", "%s的完成率 completion 为 %s，不能为负数", what, num(c))
			}
		case ind.Score != nil:
			if s := *ind.Score; !finite(s) || s < 0 || s > 100 {
				return inputErr(t.Unit, f+".score", "%s的得分 score 为 %s，应在 0 到 100 之间", what, num(s))
			}
		case !ind.MajorLoss && !ind.Pending:
			return inputErr(t.Unit, f, "%s缺少完成率 completion 或得分 score", what)
		}
		sums[ind.Category] += ind.Points
	}
	for _, c := range ordered(cats, categoryOrder) {
		if math.Abs(sums[c]-cats[c]) > sumTolerance {
			return inputErr(t.Unit, field+".indicators", "类别 %s 的指标分值合计 %s，应为 %s", c, num(sums[c]), num(cats[c]))
		}
	}
	for j, a := range t.Adjustments {
		if !finite(a.Points) || math.Abs(a.Points) > maxAdjustment {
			return inputErr(t.Unit, fmt.Sprintf("%s.adjustments[%d].points", field, j),
				"加减分 points 为 %s，应在 -%d 到 %d 之间", num(a.Points), maxAdjustment, maxAdjustment)
		}
	}
	return nil
}

func validateEvaluation(e Evaluation, field string) error {
	s := e.Scale
	if e.Ballots < 0 || e.Ballots > MaxCount {
		return inputErr(e.Unit, field+".ballots", "评价项 %s 的选票数 ballots 为 %d，应在 0 到 %d 之间", e.Component, e.Ballots, MaxCount)
	}
	for _, label := range sortedKeys(e.Counts) {
		n := e.Counts[label]
		if n < 0 || n > MaxCount {
			return inputErr(e.Unit, field+".counts."+label, "评价项 %s 的票数 counts[%q] 为 %d，应在 0 到 %d 之间", e.Component, label, n, MaxCount)
		}
	}
	switch s.Type {
	case ScaleGrade:
		if len(s.Options) == 0 {
			return inputErr(e.Unit, field+".scale.options", "评价项 %s 的等级量表缺少选项 options", e.Component)
		}
		if s.Min != nil || s.Max != nil {
			return inputErr(e.Unit, field+".scale", "评价项 %s 的等级量表不能有 min 或 max", e.Component)
		}
		labels := map[string]bool{}
		for j, o := range s.Options {
			f := fmt.Sprintf("%s.scale.options[%d]", field, j)
			if o.Label == "" {
				return inputErr(e.Unit, f+".label", "评价项 %s 的选项 label 不能为空", e.Component)
			}
			if labels[o.Label] {
				return inputErr(e.Unit, f+".label", "评价项 %s 的选项 label %q 重复", e.Component, o.Label)
			}
			labels[o.Label] = true
			if !finite(o.Value) || o.Value < 0 || o.Value > 1 {
				return inputErr(e.Unit, f+".value", "评价项 %s 的选项 %q 的分值 value 为 %s，应在 0 到 1 之间", e.Component, o.Label, num(o.Value))
			}
		}
		for _, label := range sortedKeys(e.Counts) {
			if !labels[label] {
				return inputErr(e.Unit, field+".counts."+label, "评价项 %s 的票数 counts 中的选项 %q 不在量表选项中", e.Component, label)
			}
		}
		if len(e.Scores) > 0 {
			return inputErr(e.Unit, field+".scores", "评价项 %s 是等级量表，不能给出 scores", e.Component)
		}
	case ScaleScore:
		if s.Min == nil || s.Max == nil {
			return inputErr(e.Unit, field+".scale", "评价项 %s 的打分量表需要 min 和 max", e.Component)
		}
		lo, hi := *s.Min, *s.Max
		if !finite(lo) || !finite(hi) || !finite(hi-lo) || lo >= hi {
			return inputErr(e.Unit, field+".scale", "评价项 %s 的打分量表 min %s 应小于 max %s", e.Component, num(lo), num(hi))
		}
		if len(s.Options) > 0 {
			return inputErr(e.Unit, field+".scale.options", "评价项 %s 是打分量表，不能有 options", e.Component)
		}
		for j, x := range e.Scores {
			if !finite(x) || x < lo || x > hi {
				return inputErr(e.Unit, fmt.Sprintf("%s.scores[%d]", field, j), "评价项 %s 的分数 scores 中的 %s 超出 %s 到 %s", e.Component, num(x), num(lo), num(hi))
			}
		}
		for _, label := range sortedKeys(e.Counts) {
			x, err := strconv.ParseFloat(label, 64)
			if err != nil || !finite(x) || x < lo || x > hi {
				return inputErr(e.Unit, field+".counts."+label, "评价项 %s 的票数 counts 的键 %q 应为 %s 到 %s 之间的分数", e.Component, label, num(lo), num(hi))
			}
		}
	default:
		return inputErr(e.Unit, field+".scale.type", "评价项 %s 的量表类型 scale.type %q 未知，应为 grade 或 score", e.Component, s.Type)
	}
	return nil
}
