package scoring

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	t.Run("empty and null give the defaults", func(t *testing.T) {
		for _, in := range []string{"", " ", "null", "{}"} {
			r, err := ParseRules([]byte(in))
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			if !reflect.DeepEqual(r, DefaultRules()) {
				t.Errorf("%q: %+v", in, r)
			}
		}
	})
	t.Run("the issue's rules text parses to the defaults", func(t *testing.T) {
		text := `{"target_weight": 0.8,
 "components": {"conference": 6, "mutual": 4, "group": 3, "democratic": 3, "social": 4},
 "categories": {"town": {"economic": 35, "social": 15, "environment": 15, "stability": 20, "team": 15},
                "department": {"work": 70, "team": 30}},
 "completion_floor": 0.6, "trim": 0, "group_weights": {}, "bonus_cap": null,
 "grades": [{"name": "优秀", "min": 90, "max_share": 0.3}, {"name": "良好", "min": 80},
            {"name": "一般", "min": 60}, {"name": "较差"}],
 "min_group_ballots": 3,
 "flag_share": 0.3333}`
		r, err := ParseRules([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r, DefaultRules()) {
			t.Errorf("%+v", r)
		}
	})
	t.Run("given fields replace, the rest keep defaults", func(t *testing.T) {
		r, err := ParseRules([]byte(`{"trim": 1, "bonus_cap": 3,
			"categories": {"department": {"work": 60, "team": 40}},
			"group_weights": {"democratic": {"cadres": 0.7, "village": 0.3}}}`))
		if err != nil {
			t.Fatal(err)
		}
		want := DefaultRules()
		want.Trim = 1
		want.BonusCap = f64(3)
		want.Categories[Department] = map[string]float64{"work": 60, "team": 40}
		want.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("got %+v\nwant %+v", r, want)
		}
	})
	t.Run("marshal round-trips", func(t *testing.T) {
		r := DefaultRules()
		r.BonusCap = f64(2)
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRules(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Errorf("%s → %+v", data, back)
		}
	})
	bad := []struct {
		json, field, msg string
	}{
		{`{"trim": -1}`, "rules.trim", "规则 trim 为 -1，不能为负数"},
		{`{"weight": 1}`, "weight", "未知字段 weight"},
		{`{"grades": [{"name": "优秀", "min": 90, "share": 0.3}, {"name": "较差"}]}`, "share", "未知字段 share"},
		{`{"trim": 1.5}`, "trim", "字段 trim 的类型错误"},
		{`{"trim": 1} x`, "", "JSON 之后还有多余内容"},
		{`{"target_weight": 1.2}`, "rules.target_weight", "规则 target_weight 为 1.2，应在 0 到 1 之间"},
		{`{"components": {"conference": 6, "speech": 4}}`, "rules.components.speech", "评价项 speech 未知"},
		{`{"components": {}}`, "rules.components", "不能为空"},
		{`{"categories": {"town": {"economic": 35, "social": 15}}}`, "rules.categories.town", "规则 categories.town 的类别分值合计 50，应为 100"},
		{`{"group_weights": {"democratic": {"cadres": -1}}}`, "rules.group_weights.democratic.cadres", "权重 -1"},
		{`{"group_weights": {"speech": {"cadres": 1}}}`, "rules.group_weights.speech", "不在 components 中"},
		{`{"components": {"conference": 20}, "group_weights": {"democratic": {"cadres": 1}}}`, "rules.group_weights.democratic", "不在 components 中"},
		{`{"bonus_cap": -1}`, "rules.bonus_cap", "bonus_cap 为 -1"},
		{`{"grades": []}`, "rules.grades", "不能为空"},
		{`{"grades": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 95}, {"name": "较差"}]}`, "rules.grades[1].min", "应逐级递减"},
		{`{"grades": [{"name": "优秀", "min": 90}, {"name": "较差", "min": 0}]}`, "rules.grades[1]", "最后一个等次"},
		{`{"grades": [{"name": "优秀"}, {"name": "较差"}]}`, "rules.grades[0].min", "缺少 min"},
		{`{"grades": [{"name": "优秀", "min": 90, "max_share": 2}, {"name": "较差"}]}`, "rules.grades[0].max_share", "应在 0 到 1 之间"},
		{`{"grades": [{"name": "A", "min": 90}, {"name": "A"}]}`, "rules.grades[1].name", "重复"},
		{`{"min_group_ballots": 0}`, "rules.min_group_ballots", "应至少为 1"},
		{`{"flag_share": -0.1}`, "rules.flag_share", "flag_share"},
	}
	for _, tc := range bad {
		t.Run(tc.json, func(t *testing.T) {
			_, err := ParseRules([]byte(tc.json))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if ie.Field != tc.field || !strings.Contains(ie.Error(), tc.msg) {
				t.Errorf("field %q error %q, want field %q containing %q", ie.Field, ie.Error(), tc.field, tc.msg)
			}
		})
	}
}

// TestValidateInput: each bad input names its unit and field.
func TestValidateInput(t *testing.T) {
	cases := []struct {
		name          string
		edit          func(*Input)
		unit, field   string
		message       string // Error() contains it
		exactErrorMsg bool
	}{{
		name: "category points do not sum to the category's",
		edit: func(in *Input) {
			in.Targets[0].Indicators[0].Points = 15 // economic: 15 + 15 = 30
			in.Targets[0].Indicators[3].Points = 15 // keep the environment sum
			in.Targets[0].Indicators[4].Points = 0
		},
		unit: "T01", field: "targets[0].indicators",
		message: "单位 T01：类别 economic 的指标分值合计 30，应为 35", exactErrorMsg: true,
	}, {
		name: "a category missing",
		edit: func(in *Input) { in.Targets[0].Indicators = in.Targets[0].Indicators[:6] },
		unit: "T01", field: "targets[0].indicators", message: "单位 T01：类别 team 的指标分值合计 0，应为 15", exactErrorMsg: true,
	}, {
		name: "a category of the other kind",
		edit: func(in *Input) { in.Targets[0].Indicators[0].Category = "work" },
		unit: "T01", field: "targets[0].indicators[0].category", message: `类别 category "work" 不属于 town 类单位`,
	}, {
		name: "negative completion",
		edit: func(in *Input) { in.Targets[0].Indicators[0].Completion = f64(-0.1) },
		unit: "T01", field: "targets[0].indicators[0].completion", message: "单位 T01：指标「地区生产总值」的完成率 completion 为 -0.1，不能为负数", exactErrorMsg: true,
	}, {
		name: "score above 100",
		edit: func(in *Input) { in.Targets[0].Indicators[2].Score = f64(101) },
		unit: "T01", field: "targets[0].indicators[2].score", message: "得分 score 为 101，应在 0 到 100 之间",
	}, {
		name: "completion and score both",
		edit: func(in *Input) { in.Targets[0].Indicators[2].Completion = f64(1) },
		unit: "T01", field: "targets[0].indicators[2]", message: "同时给出了完成率 completion 和得分 score",
	}, {
		name: "neither completion nor score",
		edit: func(in *Input) { in.Targets[0].Indicators[2].Score = nil },
		unit: "T01", field: "targets[0].indicators[2]", message: "缺少完成率 completion 或得分 score",
	}, {
		name: "negative points",
		edit: func(in *Input) { in.Targets[0].Indicators[1].Points = -1 },
		unit: "T01", field: "targets[0].indicators[1].points", message: "分值 points 为 -1",
	}, {
		name: "adjustment too large",
		edit: func(in *Input) { in.Targets[0].Adjustments[0].Points = 500 },
		unit: "T01", field: "targets[0].adjustments[0].points", message: "加减分 points 为 500",
	}, {
		name: "target of an unknown unit",
		edit: func(in *Input) { in.Targets[0].Unit = "T99" },
		unit: "T99", field: "targets[0].unit", message: `单位 T99：targets 中的单位 unit "T99" 不在 units 中`,
	}, {
		name: "two targets for one unit",
		edit: func(in *Input) { in.Targets = append(in.Targets, in.Targets[0]) },
		unit: "T01", field: "targets[1].unit", message: "重复",
	}, {
		name: "unknown unit kind",
		edit: func(in *Input) { in.Units[0].Kind = "village" },
		unit: "T01", field: "units[0].kind", message: `单位类型 kind "village" 未知，应为 town 或 department`,
	}, {
		name: "duplicate unit",
		edit: func(in *Input) { in.Units = append(in.Units, in.Units[0]) },
		unit: "T01", field: "units[1].code", message: "单位代码 code 重复",
	}, {
		name: "unit without code",
		edit: func(in *Input) { in.Units[0].Code = "" },
		unit: "", field: "units[0].code", message: "缺少单位代码 code",
	}, {
		name: "negative count",
		edit: func(in *Input) { in.Evaluations[0].Counts["差"] = -1 },
		unit: "T01", field: "evaluations[0].counts.差", message: `单位 T01：评价项 conference 的票数 counts["差"] 为 -1，应在 0 到 1000000000 之间`, exactErrorMsg: true,
	}, {
		name: "unknown component",
		edit: func(in *Input) { in.Evaluations[0].Component = "speech" },
		unit: "T01", field: "evaluations[0].component", message: `评价项 component "speech" 未知`,
	}, {
		name: "component not in the rules",
		edit: func(in *Input) { delete(in.Rules.Components, Social); in.Rules.TargetWeight = 0.84 },
		unit: "T01", field: "evaluations[4].component", message: `评价项 component "social" 未知`,
	}, {
		name: "evaluation of an unknown unit",
		edit: func(in *Input) { in.Evaluations[1].Unit = "X01" },
		unit: "X01", field: "evaluations[1].unit", message: `evaluations 中的单位 unit "X01" 不在 units 中`,
	}, {
		name: "unknown option label",
		edit: func(in *Input) { in.Evaluations[0].Counts["很好"] = 1 },
		unit: "T01", field: "evaluations[0].counts.很好", message: `选项 "很好" 不在量表选项中`,
	}, {
		name: "option value above 1",
		edit: func(in *Input) {
			in.Evaluations[0].Scale = Scale{Type: ScaleGrade, Options: []Option{{Label: "好", Value: 100}}}
			in.Evaluations[0].Counts = nil
		},
		unit: "T01", field: "evaluations[0].scale.options[0].value", message: "分值 value 为 100，应在 0 到 1 之间",
	}, {
		name: "score outside its scale",
		edit: func(in *Input) { in.Evaluations[1].Scores[0] = 120 },
		unit: "T01", field: "evaluations[1].scores[0]", message: "分数 scores 中的 120 超出 0 到 100",
	}, {
		name: "histogram key not a score",
		edit: func(in *Input) { in.Evaluations[1].Counts = map[string]int64{"好": 1} },
		unit: "T01", field: "evaluations[1].counts.好", message: "应为 0 到 100 之间的分数",
	}, {
		name: "score scale without max",
		edit: func(in *Input) { in.Evaluations[1].Scale.Max = nil },
		unit: "T01", field: "evaluations[1].scale", message: "需要 min 和 max",
	}, {
		name: "score scale with min above max",
		edit: func(in *Input) { in.Evaluations[1].Scale.Min = f64(100); in.Evaluations[1].Scale.Max = f64(0) },
		unit: "T01", field: "evaluations[1].scale", message: "min 100 应小于 max 0",
	}, {
		name: "scores on a grade scale",
		edit: func(in *Input) { in.Evaluations[0].Scores = []float64{1} },
		unit: "T01", field: "evaluations[0].scores", message: "不能给出 scores",
	}, {
		name: "unknown scale type",
		edit: func(in *Input) { in.Evaluations[0].Scale.Type = "choose" },
		unit: "T01", field: "evaluations[0].scale.type", message: `量表类型 scale.type "choose" 未知`,
	}, {
		name: "invalid rules",
		edit: func(in *Input) { in.Rules.Trim = -2 },
		unit: "", field: "rules.trim", message: "规则 trim 为 -2，不能为负数", exactErrorMsg: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := townT01()
			tc.edit(&in)
			_, err := Compute(in)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if ie.Unit != tc.unit || ie.Field != tc.field {
				t.Errorf("unit %q field %q, want %q %q (%v)", ie.Unit, ie.Field, tc.unit, tc.field, err)
			}
			if tc.exactErrorMsg && err.Error() != tc.message || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q, want %q", err, tc.message)
			}
		})
	}
}

func TestParseInput(t *testing.T) {
	t.Run("the CLI file shape", func(t *testing.T) {
		data := `{
		  "rules": {"trim": 1},
		  "units": [{"code": "D01", "name": "财政局", "kind": "department", "staff": 40}],
		  "targets": [{"unit": "D01", "indicators": [
		      {"category": "work", "name": "财政收入", "points": 40, "completion": 0.95},
		      {"category": "work", "name": "预算执行", "points": 30, "score": 92, "major_loss": false},
		      {"category": "team", "name": "班子建设", "points": 30, "score": 88}],
		    "adjustments": [{"points": 1, "reason": "表彰"}], "veto": false}],
		  "evaluations": [
		    {"unit": "D01", "component": "democratic", "group": "cadres",
		     "scale": {"type": "grade", "options": [{"label":"好","value":1},{"label":"较好","value":0.8},{"label":"一般","value":0.6},{"label":"差","value":0}]},
		     "counts": {"好": 30, "较好": 9, "一般": 1, "差": 0}},
		    {"unit": "D01", "component": "mutual", "group": "towns", "meeting": "M01",
		     "scale": {"type": "score", "min": 0, "max": 100, "step": 0.5},
		     "scores": [88, 92, 70, 100, 95]}]}`
		in, err := ParseInput([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if in.Rules.Trim != 1 || in.Rules.TargetWeight != 0.8 {
			t.Errorf("rules %+v", in.Rules)
		}
		row := rowOf(t, mustCompute(t, in), "D01")
		// T = 40 × 0.95 + 30 × 0.92 + 30 × 0.88 = 92; weighted 73.6
		// democratic 3 × 0.945 = 2.835
		// mutual: trim 1 of 5 drops 70 and 100 → mean(88, 92, 95) = 91.666… → 4 × 0.91666… = 3.666…
		// E = (2.835 + 3.666…) × 20 / (3 + 4) = 6.501666… × 20/7 = 18.5761904…
		// total = 73.6 + 18.5761904… + 1 = 93.1761904…
		checkNear(t, "T", row.Target.Score, 92)
		checkNear(t, "E", row.Evaluation.Total, (2.835+4*275.0/300)*20/7)
		checkNear(t, "total", row.Total, 73.6+(2.835+4*275.0/300)*20/7+1)
		js, _ := json.Marshal(row)
		if !strings.Contains(string(js), `"evaluation":{"components":{"mutual":3.67,"democratic":2.84},"total":18.58},"adjustments":1,"total":93.18,"rank":1,"grade":"良好"`) {
			t.Errorf("JSON %s", js)
		}
	})
	t.Run("missing rules take the defaults", func(t *testing.T) {
		in, err := ParseInput([]byte(`{"units": [], "rules": null}`))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(in.Rules, DefaultRules()) {
			t.Errorf("rules %+v", in.Rules)
		}
		in, err = ParseInput([]byte(`{}`))
		if err != nil || !reflect.DeepEqual(in.Rules, DefaultRules()) {
			t.Errorf("rules %+v, %v", in.Rules, err)
		}
		table := mustCompute(t, in)
		if js, _ := json.Marshal(table); string(js) != `{"units":[]}` {
			t.Errorf("empty table %s", js)
		}
	})
	bad := []struct{ json, unit, field, msg string }{
		{``, "", "", "评分输入为空"},
		{`{"units": [{"code": "T01", "kind": "town", "colour": "red"}]}`, "", "colour", "未知字段 colour"},
		{`{"units": [`, "", "", "JSON 格式错误"},
		{`{"rules": {"trim": "1"}}`, "", "rules.trim", "字段 rules.trim 的类型错误"},
		{`{"rules": {"bogus": 1}}`, "", "rules.bogus", "未知字段 rules.bogus"},
		{`{"units": [{"code": "T01", "kind": "town"}], "evaluations": [{"unit": "T01", "component": "social", "scale": {"type": "grade", "options": [{"label": "好", "value": 1}]}, "counts": {"好": 1.5}}]}`,
			"", "evaluations.counts", "类型错误"},
		{`{"units": [{"code": "T01", "kind": "town"}], "targets": [{"unit": "T01", "indicators": []}]}`,
			"T01", "targets[0].indicators", "单位 T01：类别 economic 的指标分值合计 0，应为 35"},
		{`[]`, "", "", "类型错误"},
	}
	for _, tc := range bad {
		t.Run(tc.json, func(t *testing.T) {
			_, err := ParseInput([]byte(tc.json))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if ie.Unit != tc.unit || ie.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("unit %q field %q error %q, want %q %q %q", ie.Unit, ie.Field, err, tc.unit, tc.field, tc.msg)
			}
		})
	}
}
