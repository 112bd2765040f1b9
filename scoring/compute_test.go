package scoring

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// townT01 is the worked example: a town with every kind of indicator and
// all five components, scored with the default rules.
func townT01() Input {
	return Input{
		Rules: DefaultRules(),
		Units: []Unit{{Code: "T01", Name: "城关镇", Kind: Town}},
		Targets: []Target{{
			Unit: "T01",
			Indicators: []Indicator{
				{Category: "economic", Name: "地区生产总值", Points: 20, Completion: f64(0.95)},
				{Category: "economic", Name: "财政收入", Points: 15, Completion: f64(1.2)},
				{Category: "social", Name: "社会事业", Points: 15, Score: f64(90)},
				{Category: "environment", Name: "污染防治", Points: 10, Completion: f64(0.6)},
				{Category: "environment", Name: "植树造林", Points: 5, Completion: f64(0.61)},
				{Category: "stability", Name: "安全生产", Points: 20, Completion: f64(1), MajorLoss: true},
				{Category: "team", Name: "班子建设", Points: 15, Score: f64(80)},
			},
			Adjustments: []Adjustment{{Points: 1, Reason: "省级表彰"}, {Points: 0.5, Reason: "市级表彰"}, {Points: -0.3, Reason: "通报批评"}},
		}},
		Evaluations: []Evaluation{
			gradeEval("T01", Conference, "leaders", map[string]int64{"好": 30, "较好": 9, "一般": 1, "差": 0}),
			scoreEval("T01", Mutual, "depts", 0, 100, 80, 90, 100, 70),
			scoreEval("T01", Group, "group", 60, 100, 90, 100),
			gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}),
			gradeEval("T01", Social, "deputies", map[string]int64{"好": 5, "一般": 5}),
		},
	}
}

func TestComputeWorkedExample(t *testing.T) {
	row := rowOf(t, mustCompute(t, townT01()), "T01")

	// Target task:
	//   economic    = 20 × 0.95 + 15 × 1 (1.2 ≥ 1 → 1)         = 34
	//   social      = 15 × 90/100                               = 13.5
	//   environment = 10 × 0 (0.6 ≤ floor 0.6) + 5 × 0.61       = 3.05
	//   stability   = 20 × 0 (major loss)                       = 0
	//   team        = 15 × 80/100                               = 12
	//   T = 34 + 13.5 + 3.05 + 0 + 12 = 62.55; weighted 0.8 × 62.55 = 50.04
	wantCats := map[string]float64{"economic": 34, "social": 13.5, "environment": 3.05, "stability": 0, "team": 12}
	for c, want := range wantCats {
		checkNear(t, "category "+c, row.Target.Categories[c], want)
	}
	checkNear(t, "T", row.Target.Score, 62.55)
	checkNear(t, "weighted", row.Target.Weighted, 50.04)

	// Evaluation:
	//   conference (30×1 + 9×0.8 + 1×0.6 + 0×0)/40 = 37.8/40 = 0.945 → 6 × 0.945 = 5.67
	//   mutual     mean(80,90,100,70) = 85 → (85−0)/100 = 0.85 → 4 × 0.85 = 3.4
	//   group      mean(90,100) = 95 → (95−60)/(100−60) = 0.875 → 3 × 0.875 = 2.625
	//   democratic (8×1 + 2×0.8)/10 = 0.96 → 3 × 0.96 = 2.88
	//   social     (5×1 + 5×0.6)/10 = 0.8 → 4 × 0.8 = 3.2
	//   E = (5.67 + 3.4 + 2.625 + 2.88 + 3.2) × 20/20 = 17.775
	wantComps := map[string]float64{Conference: 5.67, Mutual: 3.4, Group: 2.625, Democratic: 2.88, Social: 3.2}
	for c, want := range wantComps {
		checkNear(t, "component "+c, row.Evaluation.Components[c], want)
	}
	checkNear(t, "E", row.Evaluation.Total, 17.775)

	// Adjustments 1 + 0.5 − 0.3 = 1.2; total 50.04 + 17.775 + 1.2 = 69.015.
	checkNear(t, "adjustments", row.Adjustments, 1.2)
	checkNear(t, "total", row.Total, 69.015)
	if row.Rank != 1 || row.Grade != "一般" { // 60 ≤ 69.02 < 80
		t.Errorf("rank %d grade %s, want 1 一般", row.Rank, row.Grade)
	}
	// The group component rests on 2 ballots, under min_group_ballots (3):
	// its points stay, and the row says they come close to individual ratings.
	if want := []string{fewBallotsWarning(Group, 2, 3)}; !slices.Equal(row.Warnings, want) {
		t.Errorf("warnings %q, want %q", row.Warnings, want)
	}

	// The JSON rounds only on output, half away from zero: 2.625 → 2.63,
	// 17.775 → 17.78, 69.015 → 69.02 (not 69.01, though the float sum is a
	// hair below 69.015).
	row.Trace = nil
	got, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"unit":"T01","name":"城关镇","kind":"town",` +
		`"target":{"score":62.55,"weighted":50.04,"categories":{"economic":34,"social":13.5,"environment":3.05,"stability":0,"team":12}},` +
		`"evaluation":{"components":{"conference":5.67,"mutual":3.4,"group":2.63,"democratic":2.88,"social":3.2},"total":17.78},` +
		`"adjustments":1.2,"total":69.02,"rank":1,"grade":"一般","warnings":["“考核组评价”只依据 2 张选票（少于 3 张），据此得分可推算个人的评价，请谨慎公开 (assessment group rests on 2 ballots, fewer than 3: its points come close to individual ratings)"]}`
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

func TestComputeTrace(t *testing.T) {
	in := townT01()
	in.Rules.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
	in.Evaluations = append(in.Evaluations,
		gradeEval("T01", Democratic, "village", map[string]int64{"好": 1, "一般": 2}))
	in.Evaluations[0].Meeting = "M-conf"
	row := rowOf(t, mustCompute(t, in), "T01")
	if len(row.Trace) != 5 {
		t.Fatalf("trace has %d components, want 5", len(row.Trace))
	}
	conf := row.Trace[0]
	if conf.Component != Conference || conf.Ballots != 40 || !conf.Pooled || !near(conf.Index, 0.945) ||
		!slices.Equal(conf.Meetings, []string{"M-conf"}) || len(conf.Groups) != 1 || conf.Groups[0].Index != nil {
		t.Errorf("conference trace %+v", conf)
	}
	dem := row.Trace[3]
	// cadres 0.96 (10 ballots), village (1 + 2×0.6)/3 = 0.7333… (3 ballots)
	// I = 0.7 × 0.96 + 0.3 × 0.7333… = 0.672 + 0.22 = 0.892
	if dem.Pooled || dem.Ballots != 13 || !near(dem.Index, 0.892) || !near(dem.Score, 3*0.892) {
		t.Errorf("democratic trace %+v", dem)
	}
	if g := dem.Groups[1]; g.Group != "village" || g.Ballots != 3 || *g.Weight != 0.3 || !near(*g.Index, 2.2/3) {
		t.Errorf("village trace %+v", g)
	}
	js, _ := json.Marshal(row)
	if !strings.Contains(string(js), `{"component":"democratic","points":3,"index":0.892,"score":2.68,"ballots":13,"pooled":false,"groups":[{"group":"cadres","ballots":10,"weight":0.7,"index":0.96},{"group":"village","ballots":3,"weight":0.3,"index":0.7333}]}`) {
		t.Errorf("trace JSON: %s", js)
	}
}

// TestComputeEvaluation covers the evaluation rules, one unit (T01, full
// targets: T = 100, weighted 80) per case.
func TestComputeEvaluation(t *testing.T) {
	type want struct {
		comps    map[string]float64
		e        float64
		warnings []string
	}
	missing := func(cs ...string) []string {
		var w []string
		for _, c := range cs {
			w = append(w, missingWarning(c))
		}
		return w
	}
	others := func(but string) []Evaluation {
		var out []Evaluation
		for _, e := range allGood("T01") {
			if e.Component != but {
				out = append(out, e)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		rules func(*Rules)
		evals []Evaluation
		want  want
	}{{
		name:  "all components full",
		evals: allGood("T01"),
		// every I = 1: 6 + 4 + 3 + 3 + 4 = 20
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 3, Social: 4}, e: 20},
	}, {
		name:  "no ballots at all",
		evals: nil,
		// nothing present: E = 0, a warning per component
		want: want{comps: map[string]float64{}, e: 0, warnings: missing(Conference, Mutual, Group, Democratic, Social)},
	}, {
		name: "missing components are left out and the rest scaled to 20",
		evals: []Evaluation{
			gradeEval("T01", Conference, "", map[string]int64{"好": 30, "较好": 9, "一般": 1}),
			gradeEval("T01", Democratic, "", map[string]int64{"好": 8, "较好": 2}),
			gradeEval("T01", Social, "", map[string]int64{"好": 0, "差": 0}), // zero ballots: missing
		},
		// conference 6 × 0.945 = 5.67, democratic 3 × 0.96 = 2.88
		// E = (5.67 + 2.88) × 20 / (6 + 3) = 8.55 × 20/9 = 19
		want: want{comps: map[string]float64{Conference: 5.67, Democratic: 2.88}, e: 19,
			warnings: missing(Mutual, Group, Social)},
	}, {
		name:  "trim drops the highest and lowest when there are 2·trim+3 scores",
		rules: func(r *Rules) { r.Trim = 1 },
		evals: append(others(Mutual), scoreEval("T01", Mutual, "", 0, 100, 100, 50, 80, 90, 85)),
		// 5 ≥ 2·1+3: drop 100 and 50 → mean(80, 90, 85) = 85 → 4 × 0.85 = 3.4
		// E = 6 + 3.4 + 3 + 3 + 4 = 19.4
		want: want{comps: map[string]float64{Conference: 6, Mutual: 3.4, Group: 3, Democratic: 3, Social: 4}, e: 19.4},
	}, {
		name:  "trim needs at least 2·trim+3 scores",
		rules: func(r *Rules) { r.Trim = 1 },
		evals: append(others(Mutual), scoreEval("T01", Mutual, "", 0, 100, 100, 50, 80, 90)),
		// 4 < 5: no trim, mean(100, 50, 80, 90) = 80 → 4 × 0.8 = 3.2; E = 19.2
		want: want{comps: map[string]float64{Conference: 6, Mutual: 3.2, Group: 3, Democratic: 3, Social: 4}, e: 19.2},
	}, {
		name:  "trim of 2 on a histogram with repeated extremes",
		rules: func(r *Rules) { r.Trim = 2 },
		evals: append(others(Mutual), Evaluation{Unit: "T01", Component: Mutual,
			Scale: Scale{Type: ScaleScore, Min: f64(0), Max: f64(100)}, Counts: map[string]int64{"100": 3, "0": 3, "50": 1}}),
		// 7 ≥ 2·2+3: drop 0, 0, 100, 100 → mean(0, 50, 100) = 50 → 4 × 0.5 = 2; E = 18
		want: want{comps: map[string]float64{Conference: 6, Mutual: 2, Group: 3, Democratic: 3, Social: 4}, e: 18},
	}, {
		name: "ballots of several meetings add up",
		evals: append(others(Mutual),
			scoreEval("T01", Mutual, "party", 0, 100, 80),
			scoreEval("T01", Mutual, "party", 0, 100, 90, 100)),
		// mean(80, 90, 100) = 90 → 4 × 0.9 = 3.6; E = 19.6
		want: want{comps: map[string]float64{Conference: 6, Mutual: 3.6, Group: 3, Democratic: 3, Social: 4}, e: 19.6},
	}, {
		name: "group weights",
		rules: func(r *Rules) {
			r.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
		},
		evals: append(others(Democratic),
			gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}),
			gradeEval("T01", Democratic, "village", map[string]int64{"好": 1, "一般": 2}),
			gradeEval("T01", Democratic, "heads", map[string]int64{"差": 3})), // no weight: weighs 0
		// cadres (8 + 1.6)/10 = 0.96; village (1 + 1.2)/3 = 0.7333…; heads 0 × weight 0
		// I = (0.7×0.96 + 0.3×0.7333… + 0×0)/(0.7 + 0.3 + 0) = 0.672 + 0.22 = 0.892
		// democratic 3 × 0.892 = 2.676; E = 6 + 4 + 3 + 2.676 + 4 = 19.676
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 2.676, Social: 4}, e: 19.676},
	}, {
		name: "group weights need not sum to 1",
		rules: func(r *Rules) {
			r.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 7, "village": 3}}
		},
		evals: append(others(Democratic),
			gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}),
			gradeEval("T01", Democratic, "village", map[string]int64{"好": 1, "一般": 2})),
		// (7×0.96 + 3×0.7333…)/10 = 0.892, as above
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 2.676, Social: 4}, e: 19.676},
	}, {
		name: "a group under min_group_ballots makes the component pool",
		rules: func(r *Rules) {
			r.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
		},
		evals: append(others(Democratic),
			gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}),
			gradeEval("T01", Democratic, "village", map[string]int64{"好": 1, "一般": 1})),
		// village has 2 < 3 ballots: pooled (8 + 1.6 + 1 + 0.6)/12 = 11.2/12 = 0.9333…
		// democratic 3 × 0.9333… = 2.8; E = 19.8
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 2.8, Social: 4}, e: 19.8,
			warnings: []string{"民主测评：参评类别“village”只有 2 票，少于 3 票，各类别改为合并计算 (democratic rating: voter group village has only 2 ballots, under 3: the groups are pooled)"}},
	}, {
		name: "one voter rating five dimensions is one ballot, not five",
		rules: func(r *Rules) {
			r.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
		},
		evals: func() []Evaluation {
			one := gradeEval("T01", Democratic, "village", map[string]int64{"好": 5})
			one.Ballots = 1 // 德能勤绩廉 of one ballot
			return append(others(Democratic), gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}), one)
		}(),
		// village has 1 < 3 ballots: pooled over the answers (8 + 1.6 + 5)/15 = 0.9733…
		// democratic 3 × 0.9733… = 2.92; E = 19.92
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 2.92, Social: 4}, e: 19.92,
			warnings: []string{"民主测评：参评类别“village”只有 1 票，少于 3 票，各类别改为合并计算 (democratic rating: voter group village has only 1 ballots, under 3: the groups are pooled)"}},
	}, {
		name: "groups that voted all without weight pool",
		rules: func(r *Rules) {
			r.GroupWeights = map[string]map[string]float64{Democratic: {"village": 1}}
		},
		evals: append(others(Democratic),
			gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2})),
		// weight of cadres is 0 and nobody else voted: pooled 0.96 → 2.88; E = 19.88
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 3, Democratic: 2.88, Social: 4}, e: 19.88,
			warnings: []string{"民主测评：参评类别都没有设置权重，各类别改为合并计算 (democratic rating: no voting group has a weight: the groups are pooled)"}},
	}, {
		name: "evaluation points follow target_weight",
		rules: func(r *Rules) {
			r.TargetWeight = 0.7
			r.Components = map[string]float64{Conference: 9, Mutual: 6, Group: 4.5, Democratic: 4.5, Social: 6}
		},
		evals: []Evaluation{
			gradeEval("T01", Conference, "", map[string]int64{"好": 1, "差": 1}),
			gradeEval("T01", Social, "", map[string]int64{"好": 1}),
		},
		// components sum to 30 = 100 × (1 − 0.7)
		// conference 9 × 0.5 = 4.5, social 6 × 1 = 6
		// E = (4.5 + 6) × 30 / (9 + 6) = 10.5 × 2 = 21
		want: want{comps: map[string]float64{Conference: 4.5, Social: 6}, e: 21,
			warnings: append(append([]string{fewBallotsWarning(Conference, 2, 3)}, missing(Mutual, Group, Democratic)...), fewBallotsWarning(Social, 1, 3))},
	}, {
		name: "grade and score ballots of one component pool by value",
		evals: append(others(Group),
			gradeEval("T01", Group, "a", map[string]int64{"较好": 1}),
			scoreEval("T01", Group, "b", 0, 10, 5)),
		// (0.8 + 5/10)/2 = 0.65 → 3 × 0.65 = 1.95; E = 18.95
		want: want{comps: map[string]float64{Conference: 6, Mutual: 4, Group: 1.95, Democratic: 3, Social: 4}, e: 18.95,
			warnings: []string{fewBallotsWarning(Group, 2, 3)}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Rules: DefaultRules(), Units: []Unit{{Code: "T01", Name: "城关镇", Kind: Town}},
				Targets: []Target{fullTarget("T01", Town)}, Evaluations: tc.evals}
			if tc.rules != nil {
				tc.rules(&in.Rules)
			}
			row := rowOf(t, mustCompute(t, in), "T01")
			if len(row.Evaluation.Components) != len(tc.want.comps) {
				t.Errorf("components %v, want %v", row.Evaluation.Components, tc.want.comps)
			}
			for c, w := range tc.want.comps {
				checkNear(t, "component "+c, row.Evaluation.Components[c], w)
			}
			checkNear(t, "E", row.Evaluation.Total, tc.want.e)
			checkNear(t, "total", row.Total, in.Rules.TargetWeight*100+tc.want.e)
			if !slices.Equal(row.Warnings, tc.want.warnings) && len(row.Warnings)+len(tc.want.warnings) > 0 {
				t.Errorf("warnings\n got %q\nwant %q", row.Warnings, tc.want.warnings)
			}
		})
	}
}

func TestComputeTargetsAndAdjustments(t *testing.T) {
	cases := []struct {
		name     string
		rules    func(*Rules)
		target   *Target
		t, adj   float64
		warnings []string
	}{{
		name: "department with completions and scores",
		target: &Target{Unit: "D01", Indicators: []Indicator{
			{Category: "work", Name: "财政收入", Points: 40, Completion: f64(0.95)},
			{Category: "work", Name: "预算执行", Points: 30, Score: f64(92)},
			{Category: "team", Name: "班子建设", Points: 30, Score: f64(88)},
		}},
		// 40 × 0.95 + 30 × 0.92 + 30 × 0.88 = 38 + 27.6 + 26.4 = 92
		t: 92,
	}, {
		name:  "completion floor is a rule",
		rules: func(r *Rules) { r.CompletionFloor = 0.5 },
		target: &Target{Unit: "D01", Indicators: []Indicator{
			{Category: "work", Points: 70, Completion: f64(0.55)},
			{Category: "team", Points: 30, Completion: f64(0.5)},
		}},
		// 70 × 0.55 (> 0.5) + 30 × 0 (≤ 0.5) = 38.5
		t: 38.5,
	}, {
		name: "major loss scores 0 without a measure",
		target: &Target{Unit: "D01", Indicators: []Indicator{
			{Category: "work", Points: 70, MajorLoss: true},
			{Category: "team", Points: 30, Score: f64(100)},
		}},
		t: 30,
	}, {
		name:     "no targets: T = 0 with a warning",
		target:   nil,
		t:        0,
		warnings: []string{"还没有目标任务得分，目标任务得分暂记 0 分 (no target scores yet: counted as 0)"},
	}, {
		name:   "adjustments without cap",
		target: ptr(fullTarget("D01", Department, 1.5, 1, -0.5)),
		// 1.5 + 1 − 0.5 = 2
		t: 100, adj: 2,
	}, {
		name:   "bonus cap caps the bonuses only",
		rules:  func(r *Rules) { r.BonusCap = f64(2) },
		target: ptr(fullTarget("D01", Department, 1.5, 1, -0.5)),
		// min(1.5 + 1, 2) − 0.5 = 1.5
		t: 100, adj: 1.5,
		warnings: []string{"加分合计 2.5 分，超过加分上限 2 分，按 2 分计 (bonuses of 2.5 exceed the cap of 2: counted as 2)"},
	}, {
		name:   "penalties are never capped",
		rules:  func(r *Rules) { r.BonusCap = f64(2) },
		target: ptr(fullTarget("D01", Department, -5, -3, 1)),
		// min(1, 2) − 5 − 3 = −7
		t: 100, adj: -7,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Rules: DefaultRules(), Units: []Unit{{Code: "D01", Name: "财政局", Kind: Department}},
				Evaluations: allGood("D01")}
			if tc.target != nil {
				in.Targets = []Target{*tc.target}
			}
			if tc.rules != nil {
				tc.rules(&in.Rules)
			}
			row := rowOf(t, mustCompute(t, in), "D01")
			checkNear(t, "T", row.Target.Score, tc.t)
			checkNear(t, "adjustments", row.Adjustments, tc.adj)
			// total = 0.8 × T + E (20) + adjustments
			checkNear(t, "total", row.Total, 0.8*tc.t+20+tc.adj)
			if len(row.Target.Categories) != 2 {
				t.Errorf("categories %v, want work and team", row.Target.Categories)
			}
			if !slices.Equal(row.Warnings, tc.warnings) && len(row.Warnings)+len(tc.warnings) > 0 {
				t.Errorf("warnings\n got %q\nwant %q", row.Warnings, tc.warnings)
			}
		})
	}
}

// TestRanksAndGrades: units with full targets and full evaluations score
// 0.8 × 100 + 20 = 100, and an adjustment sets each total.
func TestRanksAndGrades(t *testing.T) {
	type unit struct {
		code  string
		adj   float64
		veto  bool
		rank  int
		grade string
	}
	cases := []struct {
		name  string
		units []unit // expected in table order
	}{{
		name: "ten departments: quota 3, ties, veto",
		// 优秀 quota floor(0.3 × 10 + 0.5) = 3, the vetoed D04 counted in the 10.
		units: []unit{
			{"D04", -3, true, 1, "较差"},  // 97, vetoed: keeps rank 1, lowest grade, takes no quota
			{"D01", -4, false, 2, "优秀"}, // 96
			{"D02", -4, false, 2, "优秀"}, // 96, tie shares rank 2
			{"D03", -5, false, 4, "优秀"}, // 95, third 优秀: quota full
			{"D05", -9, false, 5, "良好"}, // 91 ≥ 90 but 优秀 full → 良好
			{"D06", -15, false, 6, "良好"},
			{"D07", -20, false, 7, "良好"}, // 80 reaches 良好's min
			{"D08", -20, false, 7, "良好"},
			{"D09", -40, false, 9, "一般"},  // 60
			{"D10", -50, false, 10, "较差"}, // 50
		},
	}, {
		name: "equal rank overfills the quota",
		// quota floor(0.3 × 5 + 0.5) = floor(2) = 2; the tie at 93 gives three 优秀
		units: []unit{
			{"D01", -5, false, 1, "优秀"},  // 95
			{"D02", -7, false, 2, "优秀"},  // 93
			{"D03", -7, false, 2, "优秀"},  // 93: same rank, same grade, quota overfilled
			{"D04", -15, false, 4, "良好"}, // 85
			{"D05", -30, false, 5, "一般"}, // 70
		},
	}, {
		name: "quota 0 for a lone unit",
		// floor(0.3 × 1 + 0.5) = 0: nobody can be 优秀
		units: []unit{{"D01", -1, false, 1, "良好"}},
	}, {
		name: "ranks and grades compare totals rounded to 2 decimals",
		// 90.004 and 89.996 both round to 90.00: one rank, both reach 90;
		// quota floor(0.3 × 3 + 0.5) = 1, overfilled by the tie; 89.994 → 89.99
		units: []unit{
			{"D01", -9.996, false, 1, "优秀"},
			{"D02", -10.004, false, 1, "优秀"},
			{"D03", -10.006, false, 3, "良好"},
		},
	}, {
		name: "a vetoed unit in a tie",
		// quota floor(0.3 × 4 + 0.5) = 1
		units: []unit{
			{"D01", -5, true, 1, "较差"},
			{"D02", -5, false, 1, "优秀"},
			{"D03", -6, false, 3, "良好"}, // 94: quota taken by D02 alone
			{"D04", -45, true, 4, "较差"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Rules: DefaultRules()}
			// Units go in by code, so the table's order is the ranking's.
			sorted := slices.Clone(tc.units)
			slices.SortFunc(sorted, func(a, b unit) int { return strings.Compare(a.code, b.code) })
			for _, u := range sorted {
				in.Units = append(in.Units, Unit{Code: u.code, Kind: Department})
				tg := fullTarget(u.code, Department, u.adj)
				tg.Veto = u.veto
				in.Targets = append(in.Targets, tg)
				in.Evaluations = append(in.Evaluations, allGood(u.code)...)
			}
			table := mustCompute(t, in)
			if len(table.Units) != len(tc.units) {
				t.Fatalf("%d rows", len(table.Units))
			}
			for i, want := range tc.units {
				got := table.Units[i]
				checkNear(t, want.code+" total", got.Total, 100+want.adj)
				if got.Unit != want.code || got.Rank != want.rank || got.Grade != want.grade {
					t.Errorf("row %d: %s rank %d %s, want %s rank %d %s", i, got.Unit, got.Rank, got.Grade, want.code, want.rank, want.grade)
				}
				if want.veto && !slices.Contains(got.Warnings, "一票否决：等次定为较差，不占名额 (vetoed: the lowest grade, outside the quota)") {
					t.Errorf("%s warnings %q", got.Unit, got.Warnings)
				}
			}
		})
	}
}

func TestRanksAreWithinKind(t *testing.T) {
	in := Input{Rules: DefaultRules(), Units: []Unit{
		{Code: "D01", Kind: Department}, {Code: "T01", Kind: Town}, {Code: "T02", Kind: Town}, {Code: "D02", Kind: Department},
	}}
	for i, u := range in.Units {
		in.Targets = append(in.Targets, fullTarget(u.Code, u.Kind, -float64(i)))
		in.Evaluations = append(in.Evaluations, allGood(u.Code)...)
	}
	// totals: D01 100, T01 99, T02 98, D02 97; towns first.
	var got []string
	for _, r := range mustCompute(t, in).Units {
		got = append(got, r.Unit+":"+string(rune('0'+r.Rank)))
	}
	if want := []string{"T01:1", "T02:2", "D01:1", "D02:2"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestComputeDoesNotModifyInput(t *testing.T) {
	in := townT01()
	before, _ := json.Marshal(in)
	mustCompute(t, in)
	after, _ := json.Marshal(in)
	if string(before) != string(after) {
		t.Error("Compute modified its input")
	}
}

func TestRound2(t *testing.T) {
	cases := []struct{ in, want float64 }{
		{2.675, 2.68}, // 2.67499999999999982236431605997495353221893310546875 in binary
		{-2.675, -2.68},
		{1.005, 1.01},
		{74.00499999999999, 74.01}, // float noise below a half
		{50.04 + 17.775 + 1.2, 69.02},
		{2.625, 2.63},
		{0.004999, 0},
		{-0.001, 0},
		{92.5, 92.5},
		{100, 100},
		{-7.125, -7.13},
		{1e20, 1e20},
	}
	for _, tc := range cases {
		got := Round2(tc.in)
		if got != tc.want {
			t.Errorf("Round2(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if s, _ := json.Marshal(Round2(-0.001)); string(s) != "0" {
		t.Errorf("Round2(-0.001) marshals as %s", s)
	}
}
