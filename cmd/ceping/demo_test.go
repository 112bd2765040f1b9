package main

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
)

// demoCollection checks the demo year's indicator collection as a
// newcomer meets it (called by TestDemo on the running demo, signed in as
// admin): the board shows every state and a deadline, the score table's
// target part is the approved entries' points with the pending ones named,
// and the printed assessor account signs in and sees its own indicators.
func demoCollection(t *testing.T, a *api, cycle, out string) {
	t.Helper()
	y := "/api/v1/cycles/" + cycle
	var board struct {
		Deadline string
		Bodies   []struct {
			Code                                               string
			Indicators, Entered, Submitted, Approved, Returned int
		}
	}
	a.must("GET", y+"/collection", nil, 200, &board)
	rows := map[string]int{}
	for i, b := range board.Bodies {
		rows[b.Code] = i
	}
	if board.Deadline == "" || len(board.Bodies) != 6 {
		t.Errorf("the demo board: deadline %q, %d bodies", board.Deadline, len(board.Bodies))
	}
	b := func(code string) struct {
		Code                                               string
		Indicators, Entered, Submitted, Approved, Returned int
	} {
		return board.Bodies[rows[code]]
	}
	if tjj := b("TJJ"); tjj.Returned != 1 || tjj.Approved != tjj.Indicators-1 {
		t.Errorf("县统计局: want all approved but one returned: %+v", tjj)
	}
	if hbj := b("HBJ"); hbj.Submitted != hbj.Indicators || hbj.Approved == 0 || hbj.Approved == hbj.Indicators {
		t.Errorf("县生态环境局: want some awaiting review: %+v", hbj)
	}
	if g2 := b("G2"); g2.Submitted != 0 || g2.Entered != g2.Indicators-1 {
		t.Errorf("第二考核组: want drafts, one not entered: %+v", g2)
	}

	var entries struct {
		Entries []struct {
			Code, Unit, Category string
			Entry                *struct {
				Status, Comment, Reason string
				Points                  *float64
				Rule                    string
			}
		}
	}
	a.must("GET", y+"/entries", nil, 200, &entries)
	states, rules := map[string]int{}, map[string]int{}
	approved := map[string]float64{}
	for _, e := range entries.Entries {
		if e.Entry == nil {
			states["none"]++
			continue
		}
		states[e.Entry.Status]++
		rules[e.Entry.Rule]++
		if e.Entry.Status == "returned" && e.Entry.Comment == "" {
			t.Errorf("%s is returned without a comment", e.Code)
		}
		if e.Entry.Status == "approved" && e.Entry.Points != nil {
			approved[e.Unit] += *e.Entry.Points
		}
	}
	for _, s := range []string{"none", "draft", "submitted", "returned", "approved"} {
		if states[s] == 0 {
			t.Errorf("no entry is %s: %v", s, states)
		}
	}
	if rules["major_loss"] != 1 || rules["floor"] != 1 {
		t.Errorf("want one major loss and one below 60%%: %v", rules)
	}

	var table struct {
		Units []struct {
			Unit     string
			Target   struct{ Score float64 }
			Warnings []string
		}
	}
	a.must("GET", y+"/scores", nil, 200, &table)
	pending := 0
	for _, u := range table.Units {
		if math.Abs(u.Target.Score-approved[u.Unit]) > 0.02 {
			t.Errorf("%s: target score %.2f, approved entries give %.2f", u.Unit, u.Target.Score, approved[u.Unit])
		}
		if strings.Contains(strings.Join(u.Warnings, " "), "尚未审核通过") {
			pending++
		}
	}
	// T01–T04 wait for 县生态环境局, every department for 第二考核组.
	if pending != 4+12 {
		t.Errorf("%d rows name pending indicators, want 16", pending)
	}

	// The assessor account printed at start signs in and sees its body's indicators only.
	m := regexp.MustCompile(`用户名 tjj\s+密码 \(password\) (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo prints no assessor account:\n%s", out)
	}
	as := newAPI(t, a.base)
	as.login("tjj", m[1])
	var mine []struct{ Source string }
	status, data, _ := as.call("GET", y+"/indicators", nil, nil)
	if status != 200 || json.Unmarshal(data, &mine) != nil || len(mine) == 0 {
		t.Fatalf("tjj's indicators: %d %.200s", status, data)
	}
	for _, ind := range mine {
		if ind.Source != "TJJ" {
			t.Fatalf("tjj sees another body's indicator: %+v", ind)
		}
	}
	if !regexp.MustCompile(`用户名 chengguan\s+密码 \(password\) \S+`).MatchString(out) {
		t.Errorf("the demo prints no unit account:\n%s", out)
	}
	as.hc.CloseIdleConnections()
}
