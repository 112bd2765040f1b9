package server

import (
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// consolePagePaths lists every GET console page the server registers,
// with its parameters filled in for the seeded year.
func consolePagePaths(ts *testServer) []string {
	fill := strings.NewReplacer(":cycle", cycle, ":meeting", meeting, ":group", "cadres")
	seen := map[string]bool{}
	var out []string
	for _, r := range ts.srv.App().GetRoutes(true) {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/console") || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		out = append(out, fill.Replace(r.Path))
	}
	return out
}

// TestCollectPagesClosed: an assessor and a unit account open their own
// page and no other console page: every other one answers 403 (or, for
// /console, sends them to their page); the login page stays open.
func TestCollectPagesClosed(t *testing.T) {
	ts := collectYear(t)
	paths := consolePagePaths(ts)
	if len(paths) < 10 {
		t.Fatalf("only %d console pages found: %v", len(paths), paths)
	}
	own := map[string]string{tjjUser: "/console/cycles/2020/collect", unitUser: "/console/cycles/2020/mine"}
	// A unit account also applies for its 加减分 (adjust_pages.go).
	also := map[string]string{unitUser: "/console/cycles/2020/adjustments"}
	also2 := map[string]string{unitUser: "/console/cycles/2020/reports"} // and uploads its reports (reports_pages.go)
	for _, who := range []string{tjjUser, unitUser} {
		for _, p := range paths {
			status, body, h := ts.doFull(t, req{method: "GET", url: p, as: who})
			switch p {
			case own[who], also[who], also2[who]:
				if status != 200 {
					t.Errorf("%s opens its own page %s: %d %s", who, p, status, body)
				}
			case "/console":
				if status != 303 || h.Get("Location") != own[who] {
					t.Errorf("%s at /console: %d → %q, want 303 → %s", who, status, h.Get("Location"), own[who])
				}
			case "/console/login", "/console/password":
				if status != 200 {
					t.Errorf("%s at %s: %d", who, p, status)
				}
			default:
				if status != 403 {
					t.Errorf("%s at %s: %d, want 403", who, p, status)
				}
			}
		}
	}
	for _, p := range own {
		if status, _, h := ts.doFull(t, req{method: "GET", url: p}); status != 303 || !strings.HasPrefix(h.Get("Location"), "/console/login?next=") {
			t.Errorf("anonymous at %s: %d → %q, want the login page", p, status, h.Get("Location"))
		}
		for _, other := range []string{adminUser, groupUser, viewerUser} {
			if status, _ := ts.do(t, req{method: "GET", url: p, as: other}); status != 403 {
				t.Errorf("%s at %s: %d, want 403", other, p, status)
			}
		}
	}
	// Organizers still land on the overview.
	if status, body := ts.do(t, req{method: "GET", url: "/console", as: adminUser}); status != 200 || !strings.Contains(string(body), "overview.js") {
		t.Errorf("admin at /console: %d", status)
	}
}

// TestCollectPagesContent: each page carries what its script cannot read
// under its role (the year, its body's or unit's name, unit names), the
// nav offers only the account's own page, and an unknown year is 404.
func TestCollectPagesContent(t *testing.T) {
	ts := collectYear(t)
	ts.run(t, []scenario{
		{name: "the assessor's page", method: "GET", url: "/console/cycles/2020/collect", as: tjjUser, status: 200,
			contains: []string{`data-cycle="2020"`, `data-body="TJJ"`, `data-bound="县统计局"`, "城关镇", `data-floor="60"`, "collect.js", "我的填报", "2020年度目标责任考核"},
			absent:   []string{"概览", "/console/users", "/console/audit", "results"}},
		{name: "the unit's page", method: "GET", url: "/console/cycles/2020/mine", as: unitUser, status: 200,
			contains: []string{`data-cycle="2020"`, `data-bound="城关镇"`, "mine.js", "本单位指标", "被考核单位"},
			absent:   []string{"概览", "/console/users"}},
		{name: "an unknown year", method: "GET", url: "/console/cycles/1999/collect", as: tjjUser, status: 404},
		{name: "the organizer's nav is unchanged", method: "GET", url: "/console", as: adminUser, status: 200, contains: []string{"概览", "/console/users"}, absent: []string{"我的填报"}},
	})
}

// TestCollectLanding: /console sends an account to the newest year it has
// indicators in, not merely the newest year; with no indicators anywhere,
// to the newest year (whose page says so).
func TestCollectLanding(t *testing.T) {
	ts := collectYear(t)
	ts.call(t, "POST", "/api/v1/cycles", adminUser, ballots.Cycle{Code: "2021", Name: "2021年度目标责任考核"}, 201, nil)
	land := func(who string) string {
		t.Helper()
		status, _, h := ts.doFull(t, req{method: "GET", url: "/console", as: who})
		if status != 303 {
			t.Fatalf("%s at /console: %d", who, status)
		}
		return h.Get("Location")
	}
	if got := land(tjjUser); got != "/console/cycles/2020/collect" {
		t.Errorf("the assessor lands on %s, want 2020 (2021 has no catalogue)", got)
	}
	if got := land(unitUser); got != "/console/cycles/2020/mine" {
		t.Errorf("the unit lands on %s", got)
	}
	// T02 has no indicators anywhere: its account lands on the newest year.
	if b := ts.call(t, "GET", "/console/cycles/2021/mine", unitT02, nil, 200, nil); !strings.Contains(string(b), `data-cycle="2021"`) {
		t.Errorf("the unit's page of a year without indicators: %s", b)
	}
	if got := land(unitT02); got != "/console/cycles/2021/mine" {
		t.Errorf("a unit without indicators lands on %s, want the newest year", got)
	}
}
