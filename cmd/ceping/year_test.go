package main

import (
	"fmt"
	"testing"
)

// The year of these tests, in DESIGN.md's words: two towns, two
// departments, four people of the host town and the example form.
var (
	testUnits = []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 80},
		{"code": "T02", "name": "河口镇", "kind": "town", "staff": 40},
		{"code": "D01", "name": "县财政局", "kind": "department", "staff": 30},
		{"code": "D02", "name": "县教育局", "kind": "department", "staff": 60},
	}
	testPeople = []map[string]any{
		{"code": "P01", "name": "张三", "unit": "T01", "post": "党委书记", "leader": true},
		{"code": "P02", "name": "李四", "unit": "T01", "post": "镇长", "leader": true},
		{"code": "P07", "name": "王五", "unit": "T01", "post": "党政办主任"},
		{"code": "P08", "name": "赵六", "unit": "T01", "post": "经济发展办主任"},
	}
	testForm = map[string]any{"title": "城关镇民主测评表", "sections": []any{
		map[string]any{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"},
			"scale": map[string]any{"type": "grade", "options": []any{
				map[string]any{"label": "好", "value": 1}, map[string]any{"label": "较好", "value": 0.8},
				map[string]any{"label": "一般", "value": 0.6}, map[string]any{"label": "差", "value": 0}}}},
		map[string]any{"code": "mut", "title": "单位互评", "purpose": "mutual", "subjects": []string{"kind:department"},
			"scale": map[string]any{"type": "score", "min": 0, "max": 100}},
		map[string]any{"code": "cad", "title": "科级干部测评", "purpose": "cadre", "subjects": []string{"people:host"},
			"scale": map[string]any{"type": "grade", "options": []any{
				map[string]any{"label": "优秀", "value": 1}, map[string]any{"label": "称职", "value": 0.8},
				map[string]any{"label": "基本称职", "value": 0.5}, map[string]any{"label": "不称职", "value": 0}}},
			"limits": []any{map[string]any{"options": []string{"优秀"}, "max_share": 0.3}}},
		map[string]any{"code": "rec", "title": "无任用推荐", "purpose": "recommend", "subjects": []string{"person:P07", "person:P08"},
			"scale": map[string]any{"type": "choose", "max": 1}, "required": false},
	}}
	grades = []string{"好", "较好", "一般", "差"}
)

// setupYear creates the cycle with its units, people and form F-town.
func setupYear(a *api, cycle string) {
	a.t.Helper()
	a.must("POST", "/api/v1/cycles", map[string]string{"code": cycle, "name": cycle + "年度目标责任考核"}, 201, nil)
	a.must("PUT", "/api/v1/cycles/"+cycle+"/units", testUnits, 200, nil)
	a.must("PUT", "/api/v1/cycles/"+cycle+"/people", testPeople, 200, nil)
	a.must("PUT", "/api/v1/cycles/"+cycle+"/forms/F-town", testForm, 200, nil)
}

// setupMeeting creates a work-report meeting of T01 with the given groups
// (all on F-town), issues slips per group and opens it. It returns the
// meeting's API path and the slips by group.
func setupMeeting(a *api, cycle, code string, slips map[string]int, groups ...string) (string, map[string][]string) {
	a.t.Helper()
	var gs []map[string]string
	for _, g := range groups {
		gs = append(gs, map[string]string{"code": g, "name": "参评人员 " + g, "form": "F-town"})
	}
	path := "/api/v1/cycles/" + cycle + "/meetings/" + code
	a.must("PUT", path, map[string]any{"title": "城关镇2020年度目标责任考核工作报告大会 " + code, "kind": "work_report",
		"host": "T01", "date": "2021-01-15", "staff": []string{}, "groups": gs}, 201, nil)
	tokens := map[string][]string{}
	for _, g := range groups {
		for left := slips[g]; left > 0; left -= 10000 {
			var b struct {
				Batch  string   `json:"batch"`
				Group  string   `json:"group"`
				Count  int      `json:"count"`
				Tokens []string `json:"tokens"`
			}
			n := min(left, 10000)
			a.must("POST", path+"/batches", map[string]any{"group": g, "count": n}, 201, &b)
			if b.Count != n || len(b.Tokens) != n || b.Group != g || b.Batch == "" {
				a.t.Fatalf("batch of %d for %s: got count %d, %d tokens, group %q, batch %q", n, g, b.Count, len(b.Tokens), b.Group, b.Batch)
			}
			tokens[g] = append(tokens[g], b.Tokens...)
		}
	}
	a.must("POST", path+"/open", nil, 200, nil)
	return path, tokens
}

// ballotFor is voter i's ballot: every choice is a function of i, so the
// expected counts can be computed.
func ballotFor(i int) map[string]any {
	cad := map[string]string{"P01": "称职", "P02": "称职", "P07": "基本称职", "P08": "称职"}
	if i%3 == 0 {
		cad["P01"] = "优秀"
	}
	a := map[string]any{
		"dem": map[string]string{"T01": grades[i%4]},
		"mut": map[string]int{"D01": 60 + i%40, "D02": 100 - i%7},
		"cad": cad,
	}
	switch {
	case i%2 == 0:
		a["rec"] = []string{"P07"}
	case i%5 == 0:
		a["rec"] = []string{"P08"}
	}
	return a
}

// expected counts what a set of ballotFor ballots should add up to.
type expected struct {
	ballots int64
	dem     map[string]int64 // grade → count, T01
	mutD01  map[string]int64 // score → count
	sumD02  float64
	cadP01  map[string]int64
	rec     map[string]int64
}

func newExpected() *expected {
	return &expected{dem: map[string]int64{}, mutD01: map[string]int64{}, cadP01: map[string]int64{}, rec: map[string]int64{}}
}

func (e *expected) add(i int) {
	b := ballotFor(i)
	e.ballots++
	e.dem[b["dem"].(map[string]string)["T01"]]++
	e.mutD01[fmt.Sprint(b["mut"].(map[string]int)["D01"])]++
	e.sumD02 += float64(b["mut"].(map[string]int)["D02"])
	e.cadP01[b["cad"].(map[string]string)["P01"]]++
	if r, ok := b["rec"].([]string); ok {
		e.rec[r[0]]++
	}
}

// result is the sealed results document.
type result struct {
	Meeting   string          `json:"meeting"`
	Ballots   int64           `json:"ballots"`
	Digest    string          `json:"digest"`
	LiveCheck string          `json:"live_check"`
	Sections  []sectionResult `json:"sections"`
	Groups    []struct {
		Code       string          `json:"code"`
		Ballots    int64           `json:"ballots"`
		Suppressed bool            `json:"suppressed"`
		Sections   []sectionResult `json:"sections"`
	} `json:"groups"`
}

type sectionResult struct {
	Form     string `json:"form"`
	Section  string `json:"section"`
	Purpose  string `json:"purpose"`
	Subjects []struct {
		Subject   string           `json:"subject"`
		Dimension string           `json:"dimension"`
		Answered  int64            `json:"answered"`
		Counts    map[string]int64 `json:"counts"`
		Count     *int64           `json:"count"`
		Sum       *float64         `json:"sum"`
		Histogram map[string]int64 `json:"histogram"`
	} `json:"subjects"`
}

// check compares the merged sections of a result with the expectation.
func (e *expected) check(t testing.TB, secs []sectionResult) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range secs {
		for _, sub := range s.Subjects {
			key := s.Section + "/" + sub.Subject
			seen[key] = true
			switch key {
			case "dem/T01":
				if sub.Answered != e.ballots || !sameCounts(sub.Counts, e.dem) {
					t.Errorf("dem/T01: answered %d counts %v; cast %d ballots with %v", sub.Answered, sub.Counts, e.ballots, e.dem)
				}
			case "mut/D01":
				if sub.Count == nil || *sub.Count != e.ballots || !sameCounts(sub.Histogram, e.mutD01) {
					t.Errorf("mut/D01: count %v histogram %v; cast %d ballots with %v", sub.Count, sub.Histogram, e.ballots, e.mutD01)
				}
			case "mut/D02":
				if sub.Sum == nil || *sub.Sum != e.sumD02 {
					t.Errorf("mut/D02: sum %v, cast %v", sub.Sum, e.sumD02)
				}
			case "cad/P01":
				if !sameCounts(sub.Counts, e.cadP01) {
					t.Errorf("cad/P01: counts %v, cast %v", sub.Counts, e.cadP01)
				}
			case "rec/P07", "rec/P08":
				if sub.Count == nil || *sub.Count != e.rec[sub.Subject] {
					t.Errorf("%s: count %v, cast %d", key, sub.Count, e.rec[sub.Subject])
				}
			}
		}
	}
	for _, k := range []string{"dem/T01", "mut/D01", "mut/D02", "cad/P01", "rec/P07", "rec/P08"} {
		if !seen[k] {
			t.Errorf("result has no %s", k)
		}
	}
}

// sameCounts compares counts, ignoring zeros.
func sameCounts(got, want map[string]int64) bool {
	for k, v := range got {
		if want[k] != v {
			return false
		}
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
