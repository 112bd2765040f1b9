package server

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWorkbookIndicatorDetail: with a catalogue, the 考核汇总表 gains a 指标明细
// sheet: one row per indicator with its source body and status, values and
// points of approved entries only, and per unit a 小计 equal to the score
// table's target score.
func TestWorkbookIndicatorDetail(t *testing.T) {
	ts := collectYear(t)
	put := func(code, as, body string) {
		ts.call(t, "PUT", y20+"/indicators/"+code+"/entry", as, body, 200, nil)
	}
	put("T01-01", tjjUser, `{"actual":7.9}`)
	put("T01-02", tjjUser, `{"actual":0.625}`)
	put("D01-01", tjjUser, `{"actual":12,"major_loss":true,"reason":"统计数据被通报"}`)
	ts.call(t, "POST", y20+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y20+"/indicators/T01-01/approve", adminUser, nil, 200, nil)
	ts.call(t, "POST", y20+"/indicators/D01-01/approve", adminUser, nil, 200, nil) // T01-02 stays submitted
	put("T01-05", ajjUser, `{"score":88}`)
	ts.call(t, "POST", y20+"/bodies/AJJ/submit", ajjUser, nil, 200, nil)
	ts.call(t, "POST", y20+"/bodies/AJJ/approve", adminUser, nil, 200, nil)
	put("D01-02", adminUser, `{"score":90}`) // a draft: not counted

	var scores struct {
		Units []struct {
			Unit, Name string
			Target     struct{ Score float64 }
			Warnings   []string
		}
	}
	ts.call(t, "GET", y20+"/scores", adminUser, nil, 200, &scores)
	want := map[string]float64{}
	for _, u := range scores.Units {
		want[u.Name] = u.Target.Score
	}
	// 18.59 (7.9/8.5 of 20) + 17.6 (88 of 20); D01: 0 (major loss).
	if math.Abs(want["城关镇"]-36.19) > 0.005 || want["县财政局"] != 0 {
		t.Fatalf("target scores: %+v", want)
	}
	rows := sheetRows(t, ts.get(t, y20+"/scores?format=xlsx", adminUser), "指标明细")
	head := rows[1]
	col := map[string]int{}
	for j, h := range head {
		col[h] = j
	}
	for _, h := range []string{"单位", "类别", "指标名称", "目标值", "实际完成值", "评分", "完成率", "系数", "得分", "考核主体", "状态"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("no column %s: %v", h, head)
		}
	}
	at := func(r []string, h string) string {
		if col[h] < len(r) {
			return r[col[h]]
		}
		return ""
	}
	sums := map[string]float64{}
	subtotals := map[string]float64{}
	seen := map[string][]string{}
	for _, r := range rows[2:] {
		p, err := strconv.ParseFloat(at(r, "得分"), 64)
		if err != nil {
			t.Fatalf("得分 of %v: %v", r, err)
		}
		if at(r, "类别") == "小计" {
			subtotals[r[0]] = p
			continue
		}
		sums[r[0]] += p
		seen[at(r, "指标编码")] = r
	}
	if len(seen) != 8 {
		t.Errorf("%d indicator rows, want 8", len(seen))
	}
	for name, score := range want {
		if math.Abs(subtotals[name]-score) > 0.005 || math.Abs(sums[name]-score) > 0.011 {
			t.Errorf("%s: rows sum %v, 小计 %v, score table %v", name, sums[name], subtotals[name], score)
		}
	}
	checks := []struct{ code, col, want string }{
		{"T01-01", "状态", "已通过"}, {"T01-01", "实际完成值", "7.9"}, {"T01-01", "考核主体", "县统计局"}, {"T01-01", "类别", "经济发展"},
		{"T01-01", "得分", "18.59"}, {"T01-01", "系数", "0.93"}, {"T01-01", "完成率", "92.94%"},
		{"T01-02", "状态", "待审核"}, {"T01-02", "实际完成值", ""}, {"T01-02", "得分", "0.00"}, {"T01-02", "目标值", "0.5"},
		{"D01-01", "说明", "重大失分，不得分：统计数据被通报"}, {"D01-02", "状态", "填报中"}, {"D01-02", "评分", ""},
		{"T01-03", "状态", "未填报"}, {"T01-05", "评分", "88"}, {"T01-05", "得分", "17.60"},
	}
	for _, c := range checks {
		if got := at(seen[c.code], c.col); got != c.want {
			t.Errorf("%s %s: %q, want %q (row %v)", c.code, c.col, got, c.want, seen[c.code])
		}
	}
	// The score sheet's row names what is pending.
	town := sheetRows(t, ts.get(t, y20+"/scores?format=xlsx", adminUser), "各镇")
	if !strings.Contains(strings.Join(flatten(town), "|"), "尚未审核通过") {
		t.Error("the towns sheet does not name the pending indicators")
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// TestWorkbookNoCatalogue: a year without a catalogue has no 指标明细 sheet.
func TestWorkbookNoCatalogue(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	book := ts.get(t, y20+"/scores?format=xlsx", adminUser)
	if names := sheetNames(t, book); strings.Contains(strings.Join(names, ","), "指标明细") {
		t.Errorf("sheets %v: a 指标明细 sheet without a catalogue", names)
	}
}

func sheetNames(t *testing.T, book []byte) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}
