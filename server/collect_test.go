package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// Accounts of the collection, added per test server.
const (
	tjjUser  = "tjj"  // assessor of the statistics bureau TJJ
	ajjUser  = "ajj"  // assessor of the emergency bureau AJJ
	unitUser = "t01"  // unit account of 城关镇
	unitT02  = "t02u" // unit account of 河口镇
)

var collectBodies = []ballots.Body{
	{Code: "TJJ", Name: "县统计局", Kind: ballots.BodyStatistics},
	{Code: "AJJ", Name: "县应急管理局", Kind: ballots.BodyDepartment},
	{Code: "G1", Name: "第一考核组", Kind: ballots.BodyGroup},
}

// collectCatalogue covers every category of both kinds for T01 and D01:
// T01's economic points are split between two statistical indicators,
// one of them better when lower.
func collectCatalogue() []map[string]any {
	return []map[string]any{
		{"code": "T01-01", "unit": "T01", "category": "economic", "name": "地区生产总值增速", "points": 20, "method": "completion", "target": 8.5, "measure": "%", "source": "TJJ"},
		{"code": "T01-02", "unit": "T01", "category": "economic", "name": "万元GDP能耗", "points": 15, "method": "completion", "target": 0.5, "measure": "吨标煤", "better": "lower", "source": "TJJ"},
		{"code": "T01-03", "unit": "T01", "category": "social", "name": "社会事业", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-04", "unit": "T01", "category": "environment", "name": "生态环境", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-05", "unit": "T01", "category": "stability", "name": "安全生产", "points": 20, "method": "score", "source": "AJJ"},
		{"code": "T01-06", "unit": "T01", "category": "team", "name": "班子建设", "points": 15, "method": "score", "source": "G1"},
		{"code": "D01-01", "unit": "D01", "category": "work", "name": "财政收入", "points": 70, "method": "completion", "target": 12, "measure": "亿元", "source": "TJJ"},
		{"code": "D01-02", "unit": "D01", "category": "team", "name": "班子建设", "points": 30, "method": "score", "source": "G1"},
	}
}

// collectYear seeds 2020, its bodies and catalogue, and signs in an
// assessor of TJJ and of AJJ and unit accounts of T01 and T02.
func collectYear(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	ts.seedYear(t)
	ts.call(t, "PUT", "/api/v1/cycles/2020/bodies", adminUser, collectBodies, 200, nil)
	ts.call(t, "PUT", "/api/v1/cycles/2020/indicators", adminUser, collectCatalogue(), 200, nil)
	ctx := context.Background()
	users := []ballots.User{{Name: tjjUser, Role: ballots.RoleAssessor, Body: "TJJ"}, {Name: ajjUser, Role: ballots.RoleAssessor, Body: "AJJ"},
		{Name: unitUser, Role: ballots.RoleUnit, Unit: "T01"}, {Name: unitT02, Role: ballots.RoleUnit, Unit: "T02"}}
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = ts.svc.AddUser(ctx, u, password) }()
	}
	wg.Wait()
	for i, u := range users {
		if errs[i] != nil {
			t.Fatalf("add %s: %v", u.Name, errs[i])
		}
		stored, err := ts.svc.User(ctx, u.Name)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := ts.srv.issueJWT(stored, "")
		if err != nil {
			t.Fatal(err)
		}
		ts.jwts[u.Name] = tok
	}
	return ts
}

type entryOut struct {
	Indicator  string   `json:"indicator"`
	Status     string   `json:"status"`
	Actual     *float64 `json:"actual"`
	Score      *float64 `json:"score"`
	Comment    string   `json:"comment"`
	Completion *float64 `json:"completion"`
	Factor     *float64 `json:"factor"`
	Points     *float64 `json:"points"`
	Rule       string   `json:"rule"`
}

func TestCollectionEntryFigures(t *testing.T) {
	ts := collectYear(t)
	const base = "/api/v1/cycles/2020/indicators/"
	cases := []struct {
		code, body         string
		completion, factor float64
		points             float64
		rule               string
	}{
		{"T01-01", `{"actual":7.9}`, 0.9294, 0.9294, 18.588, ""}, // 7.9 / 8.5
		{"T01-01", `{"actual":9}`, 1.0588, 1, 20, "capped"},
		{"T01-01", `{"actual":5.1}`, 0.6, 0, 0, "floor"}, // exactly 60%: 以下 includes it
		{"T01-02", `{"actual":0.625}`, 0.8, 0.8, 12, ""}, // lower is better: 0.5 / 0.625
		{"T01-02", `{"actual":0}`, 1, 1, 15, "capped"},
		{"T01-01", `{"actual":8,"major_loss":true,"reason":"统计造假被通报"}`, 0.9412, 0, 0, "major_loss"},
	}
	for _, tc := range cases {
		var e entryOut
		ts.call(t, "PUT", base+tc.code+"/entry", tjjUser, tc.body, 200, &e)
		if e.Status != "draft" || e.Completion == nil || math.Abs(*e.Completion-tc.completion) > 1e-9 ||
			*e.Factor != tc.factor || math.Abs(*e.Points-tc.points) > 1e-9 || e.Rule != tc.rule {
			t.Errorf("%s %s: got %+v (completion %v factor %v points %v), want completion %v factor %v points %v rule %q",
				tc.code, tc.body, e, deref(e.Completion), deref(e.Factor), deref(e.Points), tc.completion, tc.factor, tc.points, tc.rule)
		}
	}
	var e entryOut
	ts.call(t, "PUT", base+"T01-05/entry", ajjUser, `{"score":88,"note":"全年无较大事故"}`, 200, &e)
	if *e.Factor != 0.88 || *e.Points != 17.6 || e.Completion != nil {
		t.Errorf("score 88 of 20 points: %+v", e)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestCollectionRoles: every route with every role.
func TestCollectionRoles(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	ts.run(t, []scenario{
		{name: "a group user reads no catalogue", method: "GET", url: y + "/indicators", as: groupUser, status: 403, code: "forbidden"},
		{name: "anonymous reads nothing", method: "GET", url: y + "/entries", status: 401},
		{name: "an assessor cannot put the catalogue", method: "PUT", url: y + "/indicators", as: tjjUser, body: `[]`, status: 403},
		{name: "a viewer cannot put bodies", method: "PUT", url: y + "/bodies", as: viewerUser, body: `[]`, status: 403},
		{name: "the assessor sees only its body's indicators", method: "GET", url: y + "/indicators", as: tjjUser, status: 200,
			contains: []string{"T01-01", "T01-02", "D01-01"}, absent: []string{"T01-05", "T01-03"}},
		{name: "a unit sees only its own", method: "GET", url: y + "/indicators", as: unitUser, status: 200,
			contains: []string{"T01-01", "T01-06"}, absent: []string{"D01-01"}},
		{name: "an assessor cannot enter another body's indicator", method: "PUT", url: y + "/indicators/T01-05/entry", as: tjjUser, body: `{"score":90}`, status: 403, code: "forbidden"},
		{name: "a unit cannot enter its own value", method: "PUT", url: y + "/indicators/T01-01/entry", as: unitUser, body: `{"actual":9}`, status: 403},
		{name: "a viewer cannot enter", method: "PUT", url: y + "/indicators/T01-01/entry", as: viewerUser, body: `{"actual":9}`, status: 403},
		{name: "an assessor cannot submit another body", method: "POST", url: y + "/bodies/AJJ/submit", as: tjjUser, status: 403},
		{name: "an assessor cannot approve", method: "POST", url: y + "/indicators/T01-01/approve", as: tjjUser, status: 403},
		{name: "an assessor cannot approve its body", method: "POST", url: y + "/bodies/TJJ/approve", as: tjjUser, status: 403},
		{name: "an assessor cannot return", method: "POST", url: y + "/indicators/T01-01/return", as: tjjUser, body: `{"comment":"x"}`, status: 403},
		{name: "a unit cannot read the board", method: "GET", url: y + "/collection", as: unitUser, status: 403},
		{name: "a viewer cannot set the deadline", method: "PUT", url: y + "/collection", as: viewerUser, body: `{"deadline":"2021-01-10"}`, status: 403},
		{name: "an assessor reads no meeting results", method: "GET", url: mURL + "/results", as: tjjUser, status: 403},
		{name: "a unit reads no scores", method: "GET", url: y + "/scores", as: unitUser, status: 403},
		{name: "a unit reads no meetings", method: "GET", url: y + "/meetings", as: unitUser, status: 403},
		{name: "an assessor reads no audit log", method: "GET", url: "/api/v1/audit", as: tjjUser, status: 403},
	})
	// An assessor's board row is its own.
	var col collectionJSON
	ts.call(t, "GET", y+"/collection", tjjUser, nil, 200, &col)
	if len(col.Bodies) != 1 || col.Bodies[0].Code != "TJJ" || col.Bodies[0].Indicators != 3 {
		t.Errorf("the assessor's board: %+v", col.Bodies)
	}
}

// TestCollectionWorkflow: enter, submit, return, correct, resubmit,
// approve, reopen; a unit sees values only once approved; scores use only
// approved values and name the pending ones.
func TestCollectionWorkflow(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	ts.run(t, []scenario{
		{name: "a score out of range", method: "PUT", url: y + "/indicators/T01-05/entry", as: ajjUser, body: `{"score":101}`, status: 422, code: "invalid_entry", contains: []string{"0 到 100"}},
		{name: "the wrong field for the method", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"score":90}`, status: 422, code: "invalid_entry", contains: []string{"actual"}},
		{name: "a negative actual", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"actual":-1}`, status: 422, code: "invalid_entry"},
		{name: "a major loss without a reason", method: "PUT", url: y + "/indicators/T01-05/entry", as: ajjUser, body: `{"major_loss":true}`, status: 422, code: "invalid_entry", contains: []string{"原因"}},
		{name: "an unknown indicator", method: "PUT", url: y + "/indicators/NOPE/entry", as: tjjUser, body: `{"actual":1}`, status: 404},
		{name: "unknown fields are refused", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"actual":1,"status":"approved"}`, status: 400},
		{name: "a draft", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"actual":7.9}`, status: 200, contains: []string{`"status":"draft"`}},
		{name: "submit with values missing", method: "POST", url: y + "/bodies/TJJ/submit", as: tjjUser, status: 422, code: "entries_missing", contains: []string{"T01-02", "D01-01"}, absent: []string{"T01-01、"}},
		{name: "nothing to approve before submit", method: "POST", url: y + "/indicators/T01-01/approve", as: adminUser, status: 409},
		{name: "the second value", method: "PUT", url: y + "/indicators/T01-02/entry", as: tjjUser, body: `{"actual":0.625}`, status: 200},
		{name: "the third value", method: "PUT", url: y + "/indicators/D01-01/entry", as: tjjUser, body: `{"actual":11.4}`, status: 200},
		{name: "submit", method: "POST", url: y + "/bodies/TJJ/submit", as: tjjUser, status: 200, contains: []string{`"submitted":3`}},
		{name: "a submitted entry is locked", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"actual":8}`, status: 409, code: "entry_locked"},
		{name: "return needs a comment", method: "POST", url: y + "/indicators/T01-01/return", as: adminUser, body: `{"comment":" "}`, status: 400},
		{name: "the office returns one", method: "POST", url: y + "/indicators/T01-01/return", as: adminUser, body: `{"comment":"请按统计年鉴终审数填写"}`, status: 200, contains: []string{`"status":"returned"`, "统计年鉴"}},
		{name: "the unit sees no unapproved value", method: "GET", url: y + "/entries", as: unitUser, status: 200, absent: []string{"7.9", "0.625", "returned", "submitted"}},
		{name: "the body corrects it", method: "PUT", url: y + "/indicators/T01-01/entry", as: tjjUser, body: `{"actual":8.1}`, status: 200, contains: []string{`"status":"returned"`, "统计年鉴"}},
		{name: "resubmit", method: "POST", url: y + "/bodies/TJJ/submit", as: tjjUser, status: 200, contains: []string{`"submitted":1`}},
		{name: "approve the body", method: "POST", url: y + "/bodies/TJJ/approve", as: adminUser, status: 200, contains: []string{`"approved":3`}},
		{name: "an approved entry is locked", method: "PUT", url: y + "/indicators/D01-01/entry", as: tjjUser, body: `{"actual":12}`, status: 409, code: "entry_locked", contains: []string{"审核通过"}},
		{name: "the unit sees its approved values", method: "GET", url: y + "/entries", as: unitUser, status: 200, contains: []string{"8.1", "0.625", `"status":"approved"`}, absent: []string{"11.4", tjjUser}},
		{name: "reopen needs an approved entry", method: "POST", url: y + "/indicators/T01-05/reopen", as: adminUser, body: `{"comment":"x"}`, status: 409},
		{name: "reopen", method: "POST", url: y + "/indicators/D01-01/reopen", as: adminUser, body: `{"comment":"财政局提供了更正数"}`, status: 200, contains: []string{`"status":"returned"`}},
		{name: "the deadline", method: "PUT", url: y + "/collection", as: adminUser, body: `{"deadline":"2021-01-10"}`, status: 200, contains: []string{`"deadline":"2021-01-10"`, `"overdue":true`}},
		{name: "a bad deadline", method: "PUT", url: y + "/collection", as: adminUser, body: `{"deadline":"10/01/2021"}`, status: 400, contains: []string{"2021-01-10"}},
		{name: "targets are the catalogue's now", method: "PUT", url: y + "/targets", as: adminUser, body: `[]`, status: 409, code: "catalogue_in_use"},
	})

	var col collectionJSON
	ts.call(t, "GET", y+"/collection", adminUser, nil, 200, &col)
	want := map[string]ballots.BodyProgress{
		"TJJ": {Indicators: 3, Entered: 3, Submitted: 2, Approved: 2, Returned: 1, Overdue: true},
		"AJJ": {Indicators: 1, Overdue: true},
		"G1":  {Indicators: 4, Overdue: true},
	}
	for _, b := range col.Bodies {
		w := want[b.Code]
		w.Code, w.Name, w.Kind = b.Code, b.Name, b.Kind
		if b != w {
			t.Errorf("board row %s: %+v, want %+v", b.Code, b, w)
		}
	}

	// Scores: T01 has 20 × 8.1/8.5 + 15 × 0.8 approved, four indicators
	// pending; D01 has nothing approved (its only value was reopened).
	var table struct {
		Units []struct {
			Unit   string `json:"unit"`
			Target struct {
				Score float64 `json:"score"`
			} `json:"target"`
			Warnings []string `json:"warnings"`
		} `json:"units"`
	}
	ts.call(t, "GET", y+"/scores", adminUser, nil, 200, &table)
	for _, row := range table.Units {
		switch row.Unit {
		case "T01":
			if want := math.Round((20*8.1/8.5+15*0.8)*100) / 100; row.Target.Score != want {
				t.Errorf("T01 target score %v, want %v", row.Target.Score, want)
			}
			if !strings.Contains(strings.Join(row.Warnings, "|"), "有 4 项目标任务指标的数值尚未审核通过") {
				t.Errorf("T01 warnings %q lack the pending count", row.Warnings)
			}
		case "D01":
			if row.Target.Score != 0 || !strings.Contains(strings.Join(row.Warnings, "|"), "有 2 项") {
				t.Errorf("D01: %+v", row)
			}
		}
	}
	var targets []map[string]any
	ts.call(t, "GET", y+"/targets", adminUser, nil, 200, &targets)
	if len(targets) != 2 || fmt.Sprint(targets[0]["unit"]) != "T01" {
		t.Errorf("GET targets with a catalogue: %v", targets)
	}

	// The audit log: values old → new, submit, return with its comment,
	// approve, reopen.
	var log struct {
		Entries []struct{ Actor, Action, Target, Detail string }
	}
	ts.call(t, "GET", "/api/v1/audit?limit=500", adminUser, nil, 200, &log)
	var got []string
	for _, e := range log.Entries {
		if strings.HasPrefix(e.Action, "entry.") {
			got = append(got, e.Actor+" "+e.Action+" "+e.Target+" "+e.Detail)
		}
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{
		"tjj entry.put 2020/T01-01 地区生产总值增速：空 → 7.9",
		"tjj entry.put 2020/T01-01 地区生产总值增速：7.9 → 8.1",
		"tjj entry.submit 2020/TJJ 报送 3 项指标：T01-01、T01-02、D01-01",
		"admin entry.return 2020/T01-01 地区生产总值增速，退回意见：请按统计年鉴终审数填写",
		"admin entry.approve 2020/TJJ 审核通过 3 项指标",
		"admin entry.reopen 2020/D01-01 财政收入，重新打开：财政局提供了更正数",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("the audit log lacks %q:\n%s", w, all)
		}
	}
}

// TestCatalogueKeepsEnteredValues: a PUT never silently loses an entered
// value, and the coverage rule names unit and category.
func TestCatalogueKeepsEnteredValues(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":7.9}`, 200, nil)
	changed := collectCatalogue()
	changed[0]["target"] = 9.0
	renamed := collectCatalogue()
	renamed[0]["name"] = "GDP增速"
	dropped := collectCatalogue()[1:]
	dropped[0]["points"] = 35
	body := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	ts.run(t, []scenario{
		{name: "a changed target", method: "PUT", url: y + "/indicators", as: adminUser, body: body(changed), status: 409, code: "conflict", contains: []string{"T01-01", "reset=1"}},
		{name: "a dropped indicator", method: "PUT", url: y + "/indicators", as: adminUser, body: body(dropped), status: 409, contains: []string{"T01-01"}},
		{name: "a new name keeps the value", method: "PUT", url: y + "/indicators", as: adminUser, body: body(renamed), status: 200,
			after: func(t *testing.T, _ []byte) {
				ts.call(t, "GET", y+"/entries", adminUser, nil, 200, nil)
				if b := ts.call(t, "GET", y+"/entries?body=TJJ", tjjUser, nil, 200, nil); !strings.Contains(string(b), `"actual":7.9`) || !strings.Contains(string(b), "GDP增速") {
					t.Errorf("the value or the new name is gone: %s", b)
				}
			}},
		{name: "points that do not sum", method: "PUT", url: y + "/indicators", as: adminUser,
			body: body(append(collectCatalogue()[:1], collectCatalogue()[2:]...)), status: 422, code: "invalid_scoring", contains: []string{"economic", "T01"}},
		{name: "an unknown body", method: "PUT", url: y + "/indicators", as: adminUser,
			body: `[{"code":"X","unit":"T01","category":"economic","name":"x","points":35,"method":"score","source":"NOPE"}]`, status: 400, contains: []string{"NOPE", "source"}},
		{name: "completion without a target", method: "PUT", url: y + "/indicators", as: adminUser,
			body: `[{"code":"X","unit":"T01","category":"economic","name":"x","points":35,"method":"completion","source":"TJJ"}]`, status: 400, contains: []string{"target"}},
		{name: "a body still in use", method: "PUT", url: y + "/bodies", as: adminUser, body: body(collectBodies[1:]), status: 409, contains: []string{"TJJ"}},
		{name: "reset drops the value", method: "PUT", url: y + "/indicators?reset=1", as: adminUser, body: body(changed), status: 200, contains: []string{`"reset":["T01-01"]`}},
	})
	if b := ts.call(t, "GET", y+"/entries?body=TJJ", tjjUser, nil, 200, nil); strings.Contains(string(b), "7.9") {
		t.Errorf("the reset value is still there: %s", b)
	}
}

// TestCollectionAccounts: assessor and unit accounts are bound to a body
// or unit that exists.
func TestCollectionAccounts(t *testing.T) {
	ts := collectYear(t)
	ts.run(t, []scenario{
		{name: "an assessor needs a body", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"li","role":"assessor","password":"long-enough-pw"}`, status: 400, contains: []string{"body"}},
		{name: "an unknown body", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"li","role":"assessor","body":"XYZ","password":"long-enough-pw"}`, status: 400, contains: []string{"XYZ"}},
		{name: "an unknown unit", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"li","role":"unit","unit":"T99","password":"long-enough-pw"}`, status: 400, contains: []string{"T99"}},
		{name: "a viewer takes no body", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"li","role":"viewer","body":"TJJ","password":"long-enough-pw"}`, status: 400},
		{name: "an assessor", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"li","role":"assessor","body":"AJJ","password":"long-enough-pw"}`, status: 201, contains: []string{`"body":"AJJ"`}},
		{name: "a unit account", method: "POST", url: "/api/v1/users", as: adminUser, body: `{"name":"he","role":"unit","unit":"T02","password":"long-enough-pw"}`, status: 201, contains: []string{`"unit":"T02"`}},
		{name: "moved to another body", method: "PATCH", url: "/api/v1/users/li", as: adminUser, body: `{"role":"assessor","body":"TJJ"}`, status: 200, contains: []string{`"body":"TJJ"`}},
		{name: "no one else's password", method: "PUT", url: "/api/v1/users/" + ajjUser + "/password", as: unitT02,
			body: `{"password":"a-new-long-password"}`, status: 403},
	})
	// Both new roles keep their own password.
	for _, who := range []string{tjjUser, unitUser} {
		ts.call(t, "PUT", "/api/v1/users/"+who+"/password", who, `{"password":"a-new-long-password","old_password":"`+password+`"}`, 204, nil)
	}
	// The move ended the old session: a token of the AJJ binding no longer works.
	old := ts.jwts[ajjUser]
	ts.call(t, "PATCH", "/api/v1/users/"+ajjUser, adminUser, `{"role":"assessor","body":"TJJ"}`, 200, nil)
	if st, _ := ts.do(t, req{method: "GET", url: "/api/v1/cycles/2020/indicators", headers: map[string]string{"Authorization": "Bearer " + old}}); st != 401 {
		t.Errorf("a token from before the move: %d, want 401", st)
	}
}
