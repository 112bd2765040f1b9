// Package scoring turns target-task scores and sealed evaluation tallies into
// the county's 100-point score table, with ranks and grades (等次), following
// DESIGN.md's "Scoring rules". It is pure: data in, table out, no I/O, and it
// imports nothing of the project.
//
// Every number is computed from unrounded parts; numbers are rounded to 2
// decimals, half away from zero, only when they are output (JSON), and ranks
// and grades compare totals rounded the same way (Round2).
package scoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Evaluation components (各方面评价), in the order the rules text lists them.
// Rules.Components may use only these names: they are the form section
// purposes that score points.
const (
	Conference = "conference" // 全县领导干部大会评价
	Mutual     = "mutual"     // 单位互评
	Group      = "group"      // 考核组评价
	Democratic = "democratic" // 民主测评
	Social     = "social"     // 社会评价
)

// Unit kinds of the rules text.
const (
	Town       = "town"
	Department = "department"
)

var componentOrder = []string{Conference, Mutual, Group, Democratic, Social}

var componentNames = map[string]string{
	Conference: "全县领导干部大会评价",
	Mutual:     "单位互评",
	Group:      "考核组评价",
	Democratic: "民主测评",
	Social:     "社会评价",
}

// categoryOrder is the output order of the rules text's categories; other
// category names follow in alphabetical order.
var categoryOrder = []string{"economic", "social", "environment", "stability", "work", "team"}

// kindOrder is the output order of unit kinds; other kinds follow in
// alphabetical order.
var kindOrder = []string{Town, Department}

// Grade is one 等次. A unit gets the first grade, in Rules.Grades order,
// whose Min its rounded total reaches (no Min: any total) and whose quota
// floor(MaxShare × units of the kind + 0.5) is not yet full (no MaxShare: no
// quota).
type Grade struct {
	Name     string   `json:"name"`
	Min      *float64 `json:"min,omitempty"`
	MaxShare *float64 `json:"max_share,omitempty"`
}

// Rules are a cycle's scoring rules. The zero value is not valid: start from
// DefaultRules or ParseRules.
type Rules struct {
	// TargetWeight is the share of the target-task score (0–100) in the
	// total. The evaluation score is worth the sum of the component points
	// (20 by default), and Validate requires 100 × TargetWeight plus that
	// sum to make 100.
	TargetWeight float64 `json:"target_weight"`
	// Components maps each evaluation component to its points.
	Components map[string]float64 `json:"components"`
	// Categories maps a unit kind to its target-task categories and their
	// points, which sum to 100.
	Categories map[string]map[string]float64 `json:"categories"`
	// CompletionFloor: a completion at or below it scores 0.
	CompletionFloor float64 `json:"completion_floor"`
	// Trim drops the Trim highest and Trim lowest scores of a score scale
	// when there are at least 2·Trim+3 of them.
	Trim int `json:"trim"`
	// GroupWeights maps a component to voter-group weights; a component
	// without weights pools all its ballots.
	GroupWeights map[string]map[string]float64 `json:"group_weights"`
	// BonusCap caps the sum of a unit's positive adjustments; nil: no cap.
	BonusCap *float64 `json:"bonus_cap"`
	// Grades, best first. The last grade is the one a veto gives; it has
	// neither Min nor MaxShare, so every unit gets a grade.
	Grades []Grade `json:"grades"`
	// MinGroupBallots: a weighted component falls back to pooling when a
	// group that voted has fewer ballots than this.
	MinGroupBallots int `json:"min_group_ballots"`
	// FlagShare: a cadre or team result is flagged when its last option's
	// share exceeds this (see SummarizeSections).
	FlagShare float64 `json:"flag_share"`
}

func ptr[T any](v T) *T { return &v }

// DefaultRules returns the rules text's numbers and the product's defaults
// (DESIGN.md "Scoring rules"). Each call returns fresh maps and slices.
func DefaultRules() Rules {
	return Rules{
		TargetWeight: 0.8,
		Components:   defaultComponents(),
		Categories: map[string]map[string]float64{
			Town:       defaultCategories(Town),
			Department: defaultCategories(Department),
		},
		CompletionFloor: 0.6,
		Trim:            0,
		GroupWeights:    map[string]map[string]float64{},
		BonusCap:        nil,
		Grades: []Grade{
			{Name: "优秀", Min: ptr(90.0), MaxShare: ptr(0.3)},
			{Name: "良好", Min: ptr(80.0)},
			{Name: "一般", Min: ptr(60.0)},
			{Name: "较差"},
		},
		MinGroupBallots: 3,
		FlagShare:       0.3333,
	}
}

func defaultComponents() map[string]float64 {
	return map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 3, Social: 4}
}

func defaultCategories(kind string) map[string]float64 {
	switch kind {
	case Town:
		return map[string]float64{"economic": 35, "social": 15, "environment": 15, "stability": 20, "team": 15}
	case Department:
		return map[string]float64{"work": 70, "team": 30}
	}
	return nil
}

// rulesPatch is the JSON form of Rules in which every field may be missing;
// a missing or null field keeps its default.
type rulesPatch struct {
	TargetWeight    *float64                       `json:"target_weight"`
	Components      *map[string]float64            `json:"components"`
	Categories      map[string]map[string]float64  `json:"categories"`
	CompletionFloor *float64                       `json:"completion_floor"`
	Trim            *int                           `json:"trim"`
	GroupWeights    *map[string]map[string]float64 `json:"group_weights"`
	BonusCap        *float64                       `json:"bonus_cap"`
	Grades          *[]Grade                       `json:"grades"`
	MinGroupBallots *int                           `json:"min_group_ballots"`
	FlagShare       *float64                       `json:"flag_share"`
}

// ParseRules parses a rules object and validates it. Every field is
// optional: a missing (or null) field takes its DefaultRules value. Given
// fields replace their default whole, except "categories", which replaces
// per unit kind (so {"categories":{"department":{…}}} keeps the town
// categories). "bonus_cap": null means no cap (the default). Empty input or
// "null" gives DefaultRules. Unknown fields, bad JSON and invalid rules are
// an *InputError.
func ParseRules(data []byte) (Rules, error) {
	r, err := parseRules(data, "")
	if err != nil {
		return Rules{}, err
	}
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

func parseRules(data []byte, prefix string) (Rules, error) {
	r := DefaultRules()
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return r, nil
	}
	var p rulesPatch
	if err := decodeStrict(data, &p); err != nil {
		return Rules{}, jsonErr(prefix, err)
	}
	if p.TargetWeight != nil {
		r.TargetWeight = *p.TargetWeight
	}
	if p.Components != nil && *p.Components != nil {
		r.Components = *p.Components
	}
	for kind, cats := range p.Categories {
		if cats != nil {
			r.Categories[kind] = cats
		}
	}
	if p.CompletionFloor != nil {
		r.CompletionFloor = *p.CompletionFloor
	}
	if p.Trim != nil {
		r.Trim = *p.Trim
	}
	if p.GroupWeights != nil && *p.GroupWeights != nil {
		r.GroupWeights = *p.GroupWeights
	}
	r.BonusCap = p.BonusCap
	if p.Grades != nil && *p.Grades != nil {
		r.Grades = *p.Grades
	}
	if p.MinGroupBallots != nil {
		r.MinGroupBallots = *p.MinGroupBallots
	}
	if p.FlagShare != nil {
		r.FlagShare = *p.FlagShare
	}
	return r, nil
}

// UnmarshalJSON decodes a rules object the way ParseRules does, merging over
// the defaults, without validating (Validate does that).
func (r *Rules) UnmarshalJSON(data []byte) error {
	v, err := parseRules(data, "rules")
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// decodeStrict decodes exactly one JSON value, rejecting unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return errTrailing
	}
	return nil
}

const (
	maxComponentPoints = 100
	sumTolerance       = 1e-6
)

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the rules and returns the first problem as an *InputError
// whose Field is "rules.…":
//   - target_weight, completion_floor, flag_share and every max_share in [0,1];
//   - components: at least one, names among conference, mutual, group,
//     democratic, social, points in (0,100];
//   - categories: at least one kind; each kind at least one category, points
//     > 0, summing to 100;
//   - trim ≥ 0, min_group_ballots ≥ 1, bonus_cap ≥ 0 when set;
//   - group_weights: components that exist, weights ≥ 0;
//   - grades: at least one, names unique and non-empty; every grade but the
//     last has a min, the mins strictly descending; the last grade has
//     neither min nor max_share.
func (r Rules) Validate() error {
	in01 := func(field string, x float64) error {
		if !finite(x) || x < 0 || x > 1 {
			return inputErr("", "rules."+field, "规则 %s 为 %s，应在 0 到 1 之间", field, num(x))
		}
		return nil
	}
	if err := in01("target_weight", r.TargetWeight); err != nil {
		return err
	}
	if len(r.Components) == 0 {
		return inputErr("", "rules.components", "规则 components 不能为空")
	}
	for _, c := range sortedKeys(r.Components) {
		p := r.Components[c]
		field := "rules.components." + c
		if _, ok := componentNames[c]; !ok {
			return inputErr("", field, "规则 components 中的评价项 %s 未知，应为 conference、mutual、group、democratic 或 social", c)
		}
		if !finite(p) || p <= 0 || p > maxComponentPoints {
			return inputErr("", field, "规则 components.%s 的分值 %s 应大于 0 且不超过 %d", c, num(p), maxComponentPoints)
		}
	}
	if sum := r.evaluationPoints(); math.Abs(100*r.TargetWeight+sum-100) > 1e-6 {
		return inputErr("", "rules.target_weight", "目标任务权重 target_weight %s 与各方面评价分值合计 %s 不符：应满足 100 × target_weight + 合计 = 100", num(r.TargetWeight), num(sum))
	}
	if len(r.Categories) == 0 {
		return inputErr("", "rules.categories", "规则 categories 不能为空")
	}
	for _, kind := range sortedKeys(r.Categories) {
		cats := r.Categories[kind]
		field := "rules.categories." + kind
		if kind == "" {
			return inputErr("", field, "规则 categories 中的单位类型不能为空")
		}
		if len(cats) == 0 {
			return inputErr("", field, "规则 categories.%s 不能为空", kind)
		}
		sum := 0.0
		for _, c := range sortedKeys(cats) {
			p := cats[c]
			if c == "" {
				return inputErr("", field, "规则 categories.%s 中的类别名不能为空", kind)
			}
			if !finite(p) || p <= 0 || p > 100 {
				return inputErr("", field+"."+c, "规则 categories.%s.%s 的分值 %s 应大于 0 且不超过 100", kind, c, num(p))
			}
			sum += p
		}
		if math.Abs(sum-100) > sumTolerance {
			return inputErr("", field, "规则 categories.%s 的类别分值合计 %s，应为 100", kind, num(sum))
		}
	}
	if err := in01("completion_floor", r.CompletionFloor); err != nil {
		return err
	}
	if r.Trim < 0 {
		return inputErr("", "rules.trim", "规则 trim 为 %d，不能为负数", r.Trim)
	}
	for _, c := range sortedKeys(r.GroupWeights) {
		field := "rules.group_weights." + c
		if _, ok := r.Components[c]; !ok {
			return inputErr("", field, "规则 group_weights 中的评价项 %s 不在 components 中", c)
		}
		ws := r.GroupWeights[c]
		for _, g := range sortedKeys(ws) {
			if w := ws[g]; !finite(w) || w < 0 || w > 1e6 {
				return inputErr("", field+"."+g, "规则 group_weights.%s.%s 的权重 %s 应为不小于 0 的数", c, g, num(w))
			}
		}
	}
	if r.BonusCap != nil {
		if b := *r.BonusCap; !finite(b) || b < 0 {
			return inputErr("", "rules.bonus_cap", "规则 bonus_cap 为 %s，应为不小于 0 的数或 null", num(b))
		}
	}
	if len(r.Grades) == 0 {
		return inputErr("", "rules.grades", "规则 grades 不能为空")
	}
	seen := map[string]bool{}
	last := len(r.Grades) - 1
	for i, g := range r.Grades {
		field := fmt.Sprintf("rules.grades[%d]", i)
		if g.Name == "" {
			return inputErr("", field+".name", "规则 grades[%d] 的 name 不能为空", i)
		}
		if seen[g.Name] {
			return inputErr("", field+".name", "规则 grades 中的等次 %s 重复", g.Name)
		}
		seen[g.Name] = true
		if i == last {
			if g.Min != nil || g.MaxShare != nil {
				return inputErr("", field, "规则 grades 的最后一个等次 %s 不能有 min 或 max_share（一票否决和未达到任何 min 的单位都归入它）", g.Name)
			}
			continue
		}
		if g.Min == nil {
			return inputErr("", field+".min", "规则 grades[%d]（%s）缺少 min，只有最后一个等次可以没有", i, g.Name)
		}
		if !finite(*g.Min) {
			return inputErr("", field+".min", "规则 grades[%d]（%s）的 min 无效", i, g.Name)
		}
		if i > 0 && *g.Min >= *r.Grades[i-1].Min {
			return inputErr("", field+".min", "规则 grades 的 min 应逐级递减：%s 的 min %s 不低于上一等次的 %s", g.Name, num(*g.Min), num(*r.Grades[i-1].Min))
		}
		if g.MaxShare != nil {
			if err := in01(fmt.Sprintf("grades[%d].max_share", i), *g.MaxShare); err != nil {
				return err
			}
		}
	}
	if r.MinGroupBallots < 1 {
		return inputErr("", "rules.min_group_ballots", "规则 min_group_ballots 为 %d，应至少为 1", r.MinGroupBallots)
	}
	return in01("flag_share", r.FlagShare)
}

// evaluationPoints is the evaluation score's full points: 100 × (1 −
// target_weight), 20 with the default weight 0.8.
// evaluationPoints is what E is scaled to: the components' points together
// (DESIGN.md's 20).
func (r Rules) evaluationPoints() float64 {
	var sum float64
	for _, p := range r.Components {
		sum += p
	}
	return sum
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ordered returns the keys of m, those in first in that order, the rest
// sorted.
func ordered[V any](m map[string]V, first []string) []string {
	keys := make([]string, 0, len(m))
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	return keys
}
