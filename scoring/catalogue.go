package scoring

import (
	"fmt"

	"github.com/ceping/ceping/ballots"
)

// Rules that decide an indicator's factor, as Figures names them.
const (
	RuleMajorLoss = "major_loss" // 重大失分: factor 0
	RuleFloor     = "floor"      // completion at or below the floor (60%以下): factor 0
	RuleCapped    = "capped"     // completion of 100% or more: factor 1
)

// Completion is an indicator's completion ratio: actual/target when higher
// is better, target/actual when lower is better (an actual of 0 completes
// a lower-is-better target fully).
func Completion(target, actual float64, better string) float64 {
	if better == ballots.BetterLower {
		if actual <= 0 {
			return 1
		}
		return target / actual
	}
	return actual / target
}

// Factor is an indicator's share of its points, and the rule that decided
// it when a rule did ("" when the completion or score is taken as it is).
func Factor(ind Indicator, floor float64) (float64, string) {
	switch {
	case ind.MajorLoss:
		return 0, RuleMajorLoss
	case ind.Pending:
		return 0, ""
	case ind.Score != nil:
		return *ind.Score / 100, ""
	case *ind.Completion >= 1:
		return 1, RuleCapped
	case *ind.Completion <= floor: // "60%以下" includes 60%
		return 0, RuleFloor
	}
	return *ind.Completion, ""
}

// Figures is what an entered value gives: its completion (completion
// indicators), factor, points and the rule that decided the factor.
type Figures struct {
	Completion *float64 `json:"completion,omitempty"`
	Factor     float64  `json:"factor"`
	Points     float64  `json:"points"`
	Rule       string   `json:"rule,omitempty"`
}

// EntryFigures computes the figures of an entry for its indicator; nil when
// the entry holds no value yet.
func EntryFigures(ind ballots.Indicator, e ballots.Entry, floor float64) *Figures {
	si, ok := scoringIndicator(ind, e)
	if !ok {
		return nil
	}
	f, rule := Factor(si, floor)
	return &Figures{Completion: si.Completion, Factor: f, Points: ind.Points * f, Rule: rule}
}

// scoringIndicator is an indicator with its entry's value, as scoring
// computes it; false when the entry has no value.
func scoringIndicator(ind ballots.Indicator, e ballots.Entry) (Indicator, bool) {
	si := Indicator{Category: ind.Category, Name: ind.Name, Points: ind.Points, MajorLoss: e.MajorLoss}
	switch {
	case ind.Method == ballots.MethodCompletion && e.Actual != nil && ind.Target != nil:
		c := Completion(*ind.Target, *e.Actual, ind.Better)
		si.Completion = &c
	case ind.Method == ballots.MethodScore && e.Score != nil:
		s := *e.Score
		si.Score = &s
	case !e.MajorLoss:
		return si, false
	}
	// A major loss scores 0 whatever the value; the value, if given, is
	// kept for the record and its completion shown.
	return si, true
}

// FromCatalogue builds the targets of a year with a catalogue: each unit's
// indicators, valued by their approved entries; an indicator without an
// approved entry is pending and scores 0. Units are in catalogue order.
func FromCatalogue(cat []ballots.Indicator, entries []ballots.Entry) []Target {
	byCode := make(map[string]ballots.Entry, len(entries))
	for _, e := range entries {
		byCode[e.Indicator] = e
	}
	var out []Target
	index := map[string]int{}
	for _, ind := range cat {
		i, ok := index[ind.Unit]
		if !ok {
			i = len(out)
			index[ind.Unit] = i
			out = append(out, Target{Unit: ind.Unit})
		}
		si := Indicator{Category: ind.Category, Name: ind.Name, Points: ind.Points}
		if e, ok := byCode[ind.Code]; ok && e.Status == ballots.EntryApproved {
			if v, ok := scoringIndicator(ind, e); ok {
				si = v
			}
		}
		if si.Completion == nil && si.Score == nil && !si.MajorLoss {
			si.Pending = true
		}
		out[i].Indicators = append(out[i].Indicators, si)
	}
	return out
}

// CatalogueTargets is FromCatalogue without entries: the shape the
// coverage rule checks (every category of a unit's kind, points summing to
// it) when a catalogue is stored.
func CatalogueTargets(cat []ballots.Indicator) []Target {
	return FromCatalogue(cat, nil)
}

// pendingWarning names a row's indicators without an approved value.
func pendingWarning(n int) string {
	if n == 1 {
		return "有 1 项目标任务指标的数值尚未审核通过，暂记 0 分 (1 indicator has no approved value yet: it counts 0)"
	}
	return fmt.Sprintf("有 %d 项目标任务指标的数值尚未审核通过，暂记 0 分 (%d indicators have no approved value yet: they count 0)", n, n)
}
