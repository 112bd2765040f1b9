package server_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestSmallGroupsAcrossFormsInEveryView is the audit's attack on a town
// meeting whose groups answer different forms, through every view anyone
// can read: the results API, the ballot list, the tally sheet, the big
// screen, the cadre report and the score workbook.
//
// cadres (5 ballots) and village (1) answer the town form F; committee (2)
// alone answers the mutual form FM, rating the departments with scores
// nobody else gives (37, 41). Before, FM was published in full (both
// ballots), and village was cadres+village minus cadres.
func TestSmallGroupsAcrossFormsInEveryView(t *testing.T) {
	a, p, auth := newPageRunner(t)
	a.call("PUT", "/api/v1/cycles/2020/forms/FM", "", map[string]any{"title": "单位互评表", "sections": []map[string]any{
		{"code": "mutual", "title": "单位互评（镇党委班子成员）", "purpose": "mutual", "subjects": []string{"kind:department"},
			"scale": map[string]any{"type": "score", "min": 0, "max": 100}}}}, 200, nil)
	const m = "/api/v1/cycles/2020/meetings/M1"
	a.call("PUT", m, "", map[string]any{"title": "城关镇2020年度工作报告大会", "kind": "work_report", "host": "T01", "date": "2021-01-15",
		"staff": []string{"zhang"}, "groups": []map[string]any{{"code": "cadres", "name": "机关干部", "form": "F"},
			{"code": "village", "name": "村两委负责人", "form": "F"}, {"code": "committee", "name": "镇党委班子成员", "form": "FM"}}}, 200, nil)
	var cadres, village, committee struct{ Tokens []string }
	a.call("POST", m+"/batches", "", map[string]any{"group": "cadres", "count": 5}, 201, &cadres)
	a.call("POST", m+"/batches", "", map[string]any{"group": "village", "count": 1}, 201, &village)
	a.call("POST", m+"/batches", "", map[string]any{"group": "committee", "count": 2}, 201, &committee)
	a.call("POST", m+"/open", "", nil, 200, nil)
	for _, tok := range cadres.Tokens {
		apiVote(a, tok, 80)
	}
	apiVote(a, village.Tokens[0], 61) // the lone village ballot: D01 = 61
	for i, tok := range committee.Tokens {
		a.callWithHeaders("POST", "/api/v1/ballot", map[string]string{"Authorization": "Ballot " + tok, "Idempotency-Key": "k"},
			map[string]any{"answers": map[string]any{"mutual": map[string]int{"D01": 37 + 4*i, "D02": 41}}}, 201)
	}
	var link struct{ Path string }
	a.call("POST", m+"/screen-link", "", map[string]any{"hours": 2, "show_results": true}, 201, &link)
	a.call("POST", m+"/close", "", nil, 200, nil)

	// Scores only the hidden ballots gave, in any view's spelling.
	secret := regexp.MustCompile(`"(37|41|61)"|>(37|41|61)[<×]|(37|41|61)×`)

	t.Run("results", func(t *testing.T) {
		body := a.call("GET", m+"/results", "", nil, 200, nil)
		if secret.Match(body) {
			t.Errorf("results show a hidden ballot's score (%s): %s", secret.Find(body), clip(body))
		}
		var res struct {
			Ballots  int64
			Sections []struct {
				Form, Section string
				Ballots       int64
				Suppressed    bool
				Subjects      []json.RawMessage
			}
			Groups []struct {
				Code       string
				Ballots    int64
				Suppressed bool
			}
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		shown := map[string]int64{}
		for _, s := range res.Sections {
			if s.Suppressed != (len(s.Subjects) == 0) {
				t.Errorf("section %s/%s: suppressed %v with %d subjects", s.Form, s.Section, s.Suppressed, len(s.Subjects))
			}
			if !s.Suppressed {
				shown[s.Form+"/"+s.Section] = s.Ballots
			}
		}
		// FM has 2 ballots: hidden. F's mutual section is hidden too, or the
		// departments' mutual score minus it would be the committee's.
		want := map[string]int64{"F/dem": 6, "F/cad": 6, "F/rec": 6}
		if !mapsEqual(shown, want) {
			t.Errorf("shown sections %v, want %v", shown, want)
		}
		for _, g := range res.Groups {
			if !g.Suppressed {
				t.Errorf("group %s (%d ballots) is shown on its own", g.Code, g.Ballots)
			}
		}
	})
	t.Run("ballot list", func(t *testing.T) {
		var list struct {
			Ballots    []json.RawMessage
			Suppressed bool
		}
		a.call("GET", m+"/ballots", "", nil, 200, &list)
		if len(list.Ballots) != 0 || !list.Suppressed {
			t.Errorf("%d ballots listed (suppressed %v): every group is hidden somewhere, so none may be", len(list.Ballots), list.Suppressed)
		}
	})
	t.Run("tally sheet", func(t *testing.T) {
		_, _, page := p.do(t, pageCase{method: "GET", path: "/console/cycles/2020/meetings/M1/tally", auth: "cookie"})
		if secret.Match(page) {
			t.Errorf("the tally sheet shows a hidden ballot's score: %s", secret.Find(page))
		}
		if n := bytes.Count(page, []byte("本表不单独公布计票结果")); n != 2 {
			t.Errorf("%d tables say they are withheld, want 2 (FM's and F's mutual)", n)
		}
		if !bytes.Contains(page, []byte("本表由 机关干部、村两委负责人 作答，共 6 票")) {
			t.Errorf("the sheet does not say who answered F's tables")
		}
	})
	t.Run("big screen", func(t *testing.T) {
		u, _ := url.Parse(link.Path)
		body := a.call("GET", u.Path+"/results?"+u.RawQuery, "none", nil, 200, nil)
		if secret.Match(body) || strings.Contains(string(body), `"mutual"`) || strings.Contains(string(body), `"suppressed"`) {
			t.Errorf("the big screen shows what results hide: %s", clip(body))
		}
	})
	t.Run("cadre report", func(t *testing.T) {
		body := a.call("GET", "/api/v1/cycles/2020/cadres", auth["viewer"], nil, 200, nil)
		if !strings.Contains(string(body), `"ballots":6`) || secret.Match(body) {
			t.Errorf("cadre report: %s", clip(body))
		}
	})
	t.Run("workbook", func(t *testing.T) {
		book := a.call("GET", "/api/v1/cycles/2020/scores?format=xlsx", "", nil, 200, nil)
		f, err := excelize.OpenReader(bytes.NewReader(book))
		if err != nil {
			t.Fatal(err)
		}
		for _, sheet := range f.GetSheetList() {
			rows, _ := f.GetRows(sheet)
			for _, row := range rows {
				for _, c := range row {
					if c == "37" || c == "41" || c == "61" {
						t.Errorf("sheet %s shows %s", sheet, c)
					}
				}
			}
		}
	})
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// TestScoreRowWarnsOfUnpublishedBallots: a department's mutual points pool
// M1's published section (5 ballots) with M2's committee (2 ballots, its
// table withheld). The points minus M1's results are the committee's two
// ballots: the row says so, and a unit without such ballots does not.
func TestScoreRowWarnsOfUnpublishedBallots(t *testing.T) {
	a, _, _ := newPageRunner(t)
	a.call("PUT", "/api/v1/cycles/2020/forms/FM", "", map[string]any{"title": "单位互评表", "sections": []map[string]any{
		{"code": "mutual", "title": "单位互评", "purpose": "mutual", "subjects": []string{"unit:D01"},
			"scale": map[string]any{"type": "score", "min": 0, "max": 100}}}}, 200, nil)
	const m1, m2 = "/api/v1/cycles/2020/meetings/M1", "/api/v1/cycles/2020/meetings/M2"
	a.call("PUT", m2, "", map[string]any{"title": "镇党委班子互评", "kind": "other", "host": "T01", "date": "2021-01-16",
		"groups": []map[string]any{{"code": "committee", "name": "镇党委班子成员", "form": "FM"}}}, 201, nil)
	var cadres, committee struct{ Tokens []string }
	a.call("POST", m1+"/batches", "", map[string]any{"group": "cadres", "count": 5}, 201, &cadres)
	a.call("POST", m2+"/batches", "", map[string]any{"group": "committee", "count": 2}, 201, &committee)
	a.call("POST", m1+"/open", "", nil, 200, nil)
	a.call("POST", m2+"/open", "", nil, 200, nil)
	for _, tok := range cadres.Tokens {
		apiVote(a, tok, 80)
	}
	for _, tok := range committee.Tokens {
		a.callWithHeaders("POST", "/api/v1/ballot", map[string]string{"Authorization": "Ballot " + tok, "Idempotency-Key": "k"},
			map[string]any{"answers": map[string]any{"mutual": map[string]int{"D01": 40}}}, 201)
	}
	a.call("POST", m1+"/close", "", nil, 200, nil)
	a.call("POST", m2+"/close", "", nil, 200, nil)
	var table struct {
		Units []struct {
			Unit     string
			Warnings []string
		}
	}
	a.call("GET", "/api/v1/cycles/2020/scores", "", nil, 200, &table)
	warned := map[string]bool{}
	for _, u := range table.Units {
		for _, w := range u.Warnings {
			if strings.Contains(w, "2 张选票所在的测评表因票数太少未公布") {
				warned[u.Unit] = true
			}
		}
	}
	if !warned["D01"] || warned["D02"] || warned["T01"] {
		t.Errorf("rows warned of unpublished ballots: %v, want D01 only", warned)
	}
}
