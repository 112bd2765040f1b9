package server_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func num(x float64) *float64 { return &x }

// scoreYear sets up two towns and two departments, a town meeting where
// cadres rate their town (民主测评, grade) and town committee members score
// the departments (单位互评), and casts the given ballots.
func scoreYear(a *app, dem []string, mut [][2]float64) {
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town"}, {"code": "T02", "name": "河口镇", "kind": "town"},
		{"code": "D01", "name": "县财政局", "kind": "department"}, {"code": "D02", "name": "县教育局", "kind": "department"}}, 200, nil)
	grade := map[string]any{"type": "grade", "options": []map[string]any{{"label": "好", "value": 1}, {"label": "较好", "value": 0.8}, {"label": "一般", "value": 0.6}, {"label": "差", "value": 0}}}
	a.call("PUT", "/api/v1/cycles/2020/forms/dem", "", map[string]any{"title": "民主测评表", "sections": []map[string]any{
		{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"}, "scale": grade}}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/forms/mut", "", map[string]any{"title": "单位互评表", "sections": []map[string]any{
		{"code": "mut", "title": "单位互评", "purpose": "mutual", "subjects": []string{"kind:department"}, "scale": map[string]any{"type": "score", "min": 0, "max": 100}}}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/meetings/M1", "", map[string]any{"title": "城关镇工作报告大会", "kind": "work_report", "host": "T01", "date": "2021-01-15",
		"groups": []map[string]any{{"code": "cadres", "name": "机关干部", "form": "dem"}, {"code": "committee", "name": "镇党委班子", "form": "mut"}}}, 201, nil)
	var b1, b2 struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": len(dem)}, 201, &b1)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "committee", "count": len(mut)}, 201, &b2)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	for i, g := range dem {
		a.castAs(b1.Tokens[i], map[string]any{"dem": map[string]string{"T01": g}})
	}
	for i, s := range mut {
		a.castAs(b2.Tokens[i], map[string]any{"mut": map[string]float64{"D01": s[0], "D02": s[1]}})
	}
}

func (a *app) castAs(token string, answers map[string]any) {
	a.t.Helper()
	req := map[string]any{"answers": answers}
	a.callKey("POST", "/api/v1/ballot", "Ballot "+token, "k-"+token[:6], req, 201)
}

func (a *app) callKey(method, path, auth, key string, body any, want int) {
	a.t.Helper()
	a.callWithHeaders(method, path, map[string]string{"Authorization": auth, "Idempotency-Key": key}, body, want)
}

func TestScoresFromSealedMeetings(t *testing.T) {
	a := newApp(t)
	// 民主测评 of T01: 3 × 好 (1) + 1 × 较好 (0.8) → I = 3.8/4 = 0.95 → 3 × 0.95 = 2.85 points.
	// 单位互评 of D01: 80, 90, 100 → mean 90 → I = 0.9 → 4 × 0.9 = 3.6; D02: 60, 70, 80 → 0.7 → 2.8.
	scoreYear(a, []string{"好", "好", "好", "较好"}, [][2]float64{{80, 60}, {90, 70}, {100, 80}})

	var before struct {
		Units    []map[string]any
		Warnings []string
	}
	a.call("GET", "/api/v1/cycles/2020/scores", "", nil, 200, &before)
	if len(before.Warnings) != 1 || !strings.Contains(before.Warnings[0], "城关镇工作报告大会") {
		t.Fatalf("an open meeting must be named in the warnings: %v", before.Warnings)
	}
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, nil)

	// D01: work 40 × 0.95 + 30 × 0.92 = 65.6; team 30 × 0.88 = 26.4 → T = 92 → 0.8 × 92 = 73.6.
	targets := []map[string]any{{"unit": "D01", "indicators": []map[string]any{
		{"category": "work", "name": "财政收入", "points": 40, "completion": 0.95},
		{"category": "work", "name": "预算执行", "points": 30, "score": 92},
		{"category": "team", "name": "班子建设", "points": 30, "score": 88}}, "adjustments": []map[string]any{{"points": 1, "reason": "省级表彰"}}}}
	a.call("PUT", "/api/v1/cycles/2020/targets", "", targets, 200, nil)

	var table struct {
		Units []struct {
			Unit   string
			Target struct{ Score, Weighted float64 }
			Eval   struct {
				Components map[string]float64
				Total      float64
			} `json:"evaluation"`
			Adjustments, Total float64
			Rank               int
			Grade              string
			Warnings           []string
		}
		Warnings []string
	}
	a.call("GET", "/api/v1/cycles/2020/scores", "", nil, 200, &table)
	if len(table.Warnings) != 0 {
		t.Errorf("warnings after close: %v", table.Warnings)
	}
	rows := map[string]int{}
	for i, u := range table.Units {
		rows[u.Unit] = i
	}
	t01 := table.Units[rows["T01"]]
	// Only 民主测评 present: E = 2.85 × 20 / 3 = 19.
	if t01.Eval.Components["democratic"] != 2.85 || t01.Eval.Total != 19 {
		t.Errorf("T01 evaluation %+v, want democratic 2.85, total 19", t01.Eval)
	}
	d01 := table.Units[rows["D01"]]
	// E = 3.6 × 20 / 4 = 18; total = 73.6 + 18 + 1 = 92.6.
	if d01.Target.Score != 92 || d01.Target.Weighted != 73.6 || d01.Eval.Components["mutual"] != 3.6 || d01.Eval.Total != 18 || d01.Adjustments != 1 || d01.Total != 92.6 {
		t.Errorf("D01 row %+v", d01)
	}
	if d01.Rank != 1 || d01.Grade != "优秀" {
		t.Errorf("D01 rank %d grade %s, want 1 优秀 (92.6 ≥ 90, quota floor(0.3×2+0.5) = 1)", d01.Rank, d01.Grade)
	}
	d02 := table.Units[rows["D02"]]
	// No targets: T = 0; E = 2.8 × 20 / 4 = 14; total 14 → 较差, rank 2.
	if d02.Total != 14 || d02.Rank != 2 || d02.Grade != "较差" || len(d02.Warnings) == 0 {
		t.Errorf("D02 row %+v", d02)
	}

	resp := a.get("/api/v1/cycles/2020/scores?format=xlsx")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	raw, _ := io.ReadAll(resp.Body)
	// Zip tools list every part with today's date, not the invalid 1980-00-00.
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if y := f.Modified.Year(); y < time.Now().Year()-1 || f.ModifiedDate == 0 {
			t.Errorf("workbook part %s dated %v (DOS date %d)", f.Name, f.Modified, f.ModifiedDate)
		}
	}
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := book.GetCellValue("县级各部门", "C3"); h != "折算得分(×0.8)" {
		t.Errorf("the weighted column is headed %q, want 折算得分(×0.8) as on the page", h)
	}
	// Row 1 is the red 结果尚不完整 caveat (D02 has no targets).
	title, _ := book.GetCellValue("县级各部门", "A2")
	head, _ := book.GetCellValue("县级各部门", "A3")
	unit, _ := book.GetCellValue("县级各部门", "A4")
	total, _ := book.GetCellValue("县级各部门", "K4")
	grade, _ := book.GetCellValue("县级各部门", "M4")
	if !strings.Contains(title, "2020年度目标责任考核") || head != "单位" || unit != "县财政局" || total != "92.60" || grade != "优秀" {
		t.Errorf("workbook: title %q, header %q, first row %q total %q grade %q", title, head, unit, total, grade)
	}
	if sheets := book.GetSheetList(); len(sheets) != 4 {
		t.Errorf("sheets %v, want towns, departments, cadres, rules", sheets)
	}
}

func TestTargetsRejected(t *testing.T) {
	a := newApp(t)
	scoreYear(a, []string{"好"}, [][2]float64{{80, 60}})
	bad := []map[string]any{{"unit": "D01", "indicators": []map[string]any{
		{"category": "work", "name": "财政收入", "points": 40, "completion": 0.95},
		{"category": "team", "name": "班子建设", "points": 30, "score": 88}}}}
	body := string(a.call("PUT", "/api/v1/cycles/2020/targets", "", bad, 422, nil))
	if !strings.Contains(body, "D01") || !strings.Contains(body, "work") {
		t.Errorf("422 must name the unit and category: %s", body)
	}
	for name, tc := range map[string]struct {
		body any
		want int
	}{
		"unknown unit":   {[]map[string]any{{"unit": "X9", "indicators": []map[string]any{}}}, 422},
		"negative":       {[]map[string]any{{"unit": "D01", "indicators": []map[string]any{{"category": "work", "name": "a", "points": 70, "completion": -1}, {"category": "team", "name": "b", "points": 30, "score": 88}}}}, 422},
		"score over 100": {[]map[string]any{{"unit": "D01", "indicators": []map[string]any{{"category": "work", "name": "a", "points": 70, "score": 101}, {"category": "team", "name": "b", "points": 30, "score": 88}}}}, 422},
		"not a list":     {map[string]any{"unit": "D01"}, 400},
	} {
		t.Run(name, func(t *testing.T) { a.call("PUT", "/api/v1/cycles/2020/targets", "", tc.body, tc.want, nil) })
	}
	var stored []any
	a.call("GET", "/api/v1/cycles/2020/targets", "", nil, 200, &stored)
	if len(stored) != 0 {
		t.Errorf("rejected targets were stored: %v", stored)
	}
	a.call("PUT", "/api/v1/cycles/2020/rules", "", map[string]any{"target_weight": 2}, 422, nil)
	a.call("PUT", "/api/v1/cycles/2020/rules", "", map[string]any{"trim": 1}, 200, nil)
	var rules map[string]any
	a.call("GET", "/api/v1/cycles/2020/rules", "", nil, 200, &rules)
	if rules["trim"] != float64(1) || rules["target_weight"] != 0.8 {
		t.Errorf("rules after PUT: %v", rules)
	}
}
