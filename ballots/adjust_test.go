package ballots

import (
	"testing"
)

// TestDefaultAdjustmentCategories: the product's defaults pass the checks
// an office's own categories must pass, and each has a default or a max.
func TestDefaultAdjustmentCategories(t *testing.T) {
	cats := DefaultAdjustmentCategories()
	if err := ValidateAdjustmentCategories(cats); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	signs := map[string]int{}
	for _, c := range cats {
		signs[c.Sign]++
		if c.Limit() <= 0 {
			t.Errorf("%s has neither points nor a max", c.Code)
		}
	}
	if signs[AdjustBonus] != 5 || signs[AdjustPenalty] != 3 {
		t.Errorf("signs %v, want 5 bonuses and 3 penalties", signs)
	}
}

// TestAdjustPoints: points take the category's sign, its default when
// left out, and never more than its limit.
func TestAdjustPoints(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	award := AdjustmentCategory{Code: "a", Name: "获省级表彰", Sign: AdjustBonus, Points: 1}
	task := AdjustmentCategory{Code: "t", Name: "承担重大专项任务", Sign: AdjustBonus, Max: 1}
	accident := AdjustmentCategory{Code: "s", Name: "发生较大安全事故", Sign: AdjustPenalty, Points: 2}
	for _, tc := range []struct {
		cat  AdjustmentCategory
		in   *float64
		want float64
		bad  bool
	}{
		{award, nil, 1, false},
		{award, f(0.5), 0.5, false},
		{award, f(1.01), 0, true},
		{award, f(-1), 0, true},
		{award, f(0), 0, true},
		{task, nil, 0, true},
		{task, f(1), 1, false},
		{task, f(1.2), 0, true},
		{accident, nil, -2, false},
		{accident, f(1.5), -1.5, false},
		{accident, f(-1.5), -1.5, false},
		{accident, f(-2.5), 0, true},
	} {
		got, err := adjustPoints(tc.cat, tc.in)
		if tc.bad {
			if ErrorCode(err) != EInvalidAdjustment || len(ErrorDetails(err)) != 1 || ErrorDetails(err)[0].Field != "points" {
				t.Errorf("%s %v: %v, want invalid_adjustment naming points", tc.cat.Code, tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %v: %v %v, want %v", tc.cat.Code, tc.in, got, err, tc.want)
		}
	}
}

// TestValidateAdjustmentCategories: every field is named.
func TestValidateAdjustmentCategories(t *testing.T) {
	err := ValidateAdjustmentCategories([]AdjustmentCategory{
		{Code: "a", Name: "甲", Sign: AdjustBonus, Points: 1},
		{Code: "a", Name: "", Sign: "plus"},
		{Code: "b", Name: "乙", Sign: AdjustPenalty, Points: 2, Max: 1},
		{Code: "c", Name: "丙", Sign: AdjustPenalty, Points: 101},
	})
	want := map[string]bool{"[1].code": true, "[1].name": true, "[1].sign": true, "[1].points": true, "[2].points": true, "[3].points": true}
	got := map[string]bool{}
	for _, d := range ErrorDetails(err) {
		got[d.Field] = true
	}
	for f := range want {
		if !got[f] {
			t.Errorf("no detail for %s in %v", f, err)
		}
	}
}
