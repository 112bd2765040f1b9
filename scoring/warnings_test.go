package scoring

import (
	"regexp"
	"strings"
	"testing"
)

// TestWarningsReadable: warnings are Chinese sentences with an English half
// in a closing parenthesis; the Chinese names components, groups and
// meetings, never their codes. Numbers are not affected by names.
func TestWarningsReadable(t *testing.T) {
	in := townT01()
	in.Rules.GroupWeights = map[string]map[string]float64{Democratic: {"cadres": 0.7, "village": 0.3}}
	in.Rules.BonusCap = f64(1)
	in.Targets[0].Veto = true
	dem := gradeEval("T01", Democratic, "village", map[string]int64{"好": 1, "一般": 1})
	dem.GroupName, dem.MeetingTitle, dem.Meeting = "村两委负责人", "城关镇工作报告大会", "M-T01"
	in.Evaluations = append(in.Evaluations[:3], dem, gradeEval("T01", Democratic, "cadres", map[string]int64{"好": 8, "较好": 2}))
	in.Units = append(in.Units, Unit{Code: "T02", Name: "河口镇", Kind: Town})
	table := mustCompute(t, in)

	named := rowOf(t, table, "T01")
	unnamed := in
	unnamed.Evaluations = append([]Evaluation(nil), in.Evaluations...)
	unnamed.Evaluations[3].GroupName, unnamed.Evaluations[3].MeetingTitle = "", ""
	if plain := rowOf(t, mustCompute(t, unnamed), "T01"); plain.Total != named.Total || plain.Evaluation.Total != named.Evaluation.Total {
		t.Errorf("names changed the numbers: %v vs %v", plain.Total, named.Total)
	}

	split := regexp.MustCompile(`^(.*\S) \(([^()\p{Han}]*[a-z]{2}[^()\p{Han}]*)\)$`)
	code := regexp.MustCompile(`[（(][a-z_]+[)）]|village|M-T01`)
	var all []string
	for _, r := range table.Units {
		all = append(all, r.Warnings...)
	}
	for _, w := range all {
		m := split.FindStringSubmatch(w)
		if m == nil {
			t.Errorf("warning without an English half: %q", w)
			continue
		}
		if code.MatchString(m[1]) {
			t.Errorf("the Chinese of a warning shows a code: %q", m[1])
		}
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		"民主测评：城关镇工作报告大会的“村两委负责人”只有 2 票，少于 3 票，各类别改为合并计算",
		"一票否决：等次定为较差，不占名额",
		"加分合计 1.5 分，超过加分上限 1 分，按 1 分计",
		"还没有“社会评价”的选票，各方面评价按已有评价项折算",
		"还没有目标任务得分，目标任务得分暂记 0 分",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no warning %q in:\n%s", want, joined)
		}
	}
}
