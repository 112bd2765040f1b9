package scoring

import (
	"math"
	"testing"
)

// Test data builders. Every test starts from the rules text's defaults
// unless it says otherwise.

func f64(x float64) *float64 { return &x }

// fourGrades is the 民主测评 scale of DESIGN.md: 好 1, 较好 0.8, 一般 0.6, 差 0.
var fourGrades = Scale{Type: ScaleGrade, Options: []Option{
	{Label: "好", Value: 1}, {Label: "较好", Value: 0.8}, {Label: "一般", Value: 0.6}, {Label: "差", Value: 0},
}}

func gradeEval(unit, component, group string, counts map[string]int64) Evaluation {
	return Evaluation{Unit: unit, Component: component, Group: group, Scale: fourGrades, Counts: counts}
}

func scoreEval(unit, component, group string, lo, hi float64, scores ...float64) Evaluation {
	return Evaluation{Unit: unit, Component: component, Group: group,
		Scale: Scale{Type: ScaleScore, Min: f64(lo), Max: f64(hi)}, Scores: scores}
}

// allGood gives the unit every default component with three 好 ballots:
// I = 1 everywhere, so E = 20.
func allGood(unit string) []Evaluation {
	var out []Evaluation
	for _, c := range componentOrder {
		out = append(out, gradeEval(unit, c, "", map[string]int64{"好": 3}))
	}
	return out
}

// fullTarget completes every category of the kind: T = 100.
func fullTarget(unit, kind string, adjustments ...float64) Target {
	t := Target{Unit: unit}
	for c, p := range defaultCategories(kind) {
		t.Indicators = append(t.Indicators, Indicator{Category: c, Name: c, Points: p, Completion: f64(1)})
	}
	for _, a := range adjustments {
		t.Adjustments = append(t.Adjustments, Adjustment{Points: a, Reason: "test"})
	}
	return t
}

func mustCompute(t testing.TB, in Input) Table {
	t.Helper()
	table, err := Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return table
}

func rowOf(t testing.TB, table Table, unit string) Row {
	t.Helper()
	for _, r := range table.Units {
		if r.Unit == unit {
			return r
		}
	}
	t.Fatalf("no row for %s", unit)
	return Row{}
}

const eps = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= eps }

func checkNear(t testing.TB, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}
