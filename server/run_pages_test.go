package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// runYear sets up cycle 2020 for the run pages: 城关镇 (T01, 60 staff), two
// departments, three cadres, the form F (the voter page's four kinds of
// section, see browserYear) and the pending meeting M1 run by zhang with
// the voter groups cadres and village. It adds the users zhang (group, on
// staff), wang (group, not on staff) and viewer.
func runYear(a *app) {
	a.t.Helper()
	for _, u := range [][2]string{{"zhang", "group"}, {"wang", "group"}, {"viewer", "viewer"}} {
		a.call("POST", "/api/v1/users", "", map[string]string{"name": u[0], "role": u[1], "password": u[0] + "-password"}, 201, nil)
	}
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 60}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 20},
		{"code": "D02", "name": "县教育局", "kind": "department", "staff": 30}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/people", "", []map[string]any{
		{"code": "P01", "name": "张建国", "unit": "T01", "post": "党委书记"}, {"code": "P02", "name": "李卫东", "unit": "T01", "post": "镇长"},
		{"code": "P03", "name": "王秀兰", "unit": "T01", "post": "人大主席"}}, 200, nil)
	competent := map[string]any{"type": "grade", "options": []map[string]any{{"label": "优秀", "value": 1}, {"label": "称职", "value": 0.8}, {"label": "基本称职", "value": 0.5}, {"label": "不称职", "value": 0}}}
	a.call("PUT", "/api/v1/cycles/2020/forms/F", "", map[string]any{"title": "城关镇工作报告大会测评表", "sections": []map[string]any{
		{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"},
			"scale": map[string]any{"type": "grade", "options": []map[string]any{{"label": "好", "value": 1}, {"label": "较好", "value": 0.8}, {"label": "一般", "value": 0.6}, {"label": "差", "value": 0}}}},
		{"code": "mut", "title": "单位互评", "purpose": "mutual", "subjects": []string{"kind:department"}, "scale": map[string]any{"type": "score", "min": 60, "max": 100}},
		{"code": "cad", "title": "科级干部测评", "purpose": "cadre", "subjects": []string{"people:host"}, "scale": competent,
			"dimensions": []string{"德", "能", "勤", "绩", "廉"}, "limits": []map[string]any{{"options": []string{"优秀"}, "max_share": 0.3}}},
		{"code": "rec", "title": "无任用推荐", "purpose": "recommend", "subjects": []string{"person:P02", "person:P03"}, "scale": map[string]any{"type": "choose", "max": 1}, "required": false},
	}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/meetings/M1", "", map[string]any{"title": "城关镇2020年度工作报告大会", "kind": "work_report", "host": "T01", "date": "2021-01-15",
		"staff":  []string{"zhang"},
		"groups": []map[string]any{{"code": "cadres", "name": "机关干部", "form": "F"}, {"code": "village", "name": "村两委负责人", "form": "F"}}}, 201, nil)
}

// bearerOf signs name in through the API and returns its Authorization.
func bearerOf(a *app, name string) string {
	a.t.Helper()
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "none", map[string]string{"username": name, "password": name + "-password"}, 200, &login)
	return "Bearer " + login.Token
}

// apiVote casts one ballot with a slip: 好, mut D01=mut and D02=92, 称职
// for every cadre and dimension, and 李卫东 recommended.
func apiVote(a *app, token string, mut int) {
	a.t.Helper()
	a.callWithHeaders("POST", "/api/v1/ballot", map[string]string{"Authorization": "Ballot " + token, "Idempotency-Key": "k-" + token[:8]},
		map[string]any{"answers": runYearAnswers(mut)}, 201)
}

// runYearAnswers answers runYear's form: 好, mut D01=mut and D02=92, 称职
// for every cadre and dimension, and 李卫东 recommended.
func runYearAnswers(mut int) map[string]any {
	cad := map[string]any{}
	for _, p := range []string{"P01", "P02", "P03"} {
		d := map[string]string{}
		for _, x := range []string{"德", "能", "勤", "绩", "廉"} {
			d[x] = "称职"
		}
		cad[p] = d
	}
	return map[string]any{"dem": map[string]string{"T01": "好"}, "mut": map[string]int{"D01": mut, "D02": 92}, "cad": cad, "rec": []string{"P02"}}
}

// pageCase is one request to a console page or form route.
type pageCase struct {
	name     string
	method   string
	path     string
	auth     string     // Authorization header, or "cookie" for the admin's session cookie
	form     url.Values // a form post's fields; "{csrf}" stands for the session's token
	status   int
	location string // a redirect's Location prefix
	contains []string
	absent   []string
}

type pageRunner struct {
	a       *app
	session *http.Cookie
	csrf    string
}

func (p pageRunner) do(t *testing.T, c pageCase) (int, http.Header, []byte) {
	t.Helper()
	var body io.Reader
	if c.form != nil {
		f := url.Values{}
		for k, vs := range c.form {
			for _, v := range vs {
				f.Add(k, strings.ReplaceAll(v, "{csrf}", p.csrf))
			}
		}
		body = strings.NewReader(f.Encode())
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch c.auth {
	case "":
	case "cookie":
		req.AddCookie(p.session)
	default:
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := p.a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func (p pageRunner) run(t *testing.T, cases []pageCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := p.do(t, c)
			if status != c.status {
				t.Fatalf("%s %s: status %d, want %d: %.600s", c.method, c.path, status, c.status, body)
			}
			if c.location != "" && !strings.HasPrefix(h.Get("Location"), c.location) {
				t.Errorf("%s %s: Location %q, want %q…", c.method, c.path, h.Get("Location"), c.location)
			}
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") && !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("%s %s: page without the strict CSP", c.method, c.path)
			}
			for _, s := range c.contains {
				if !bytes.Contains(body, []byte(s)) {
					t.Errorf("%s %s: body lacks %q: %.600s", c.method, c.path, s, body)
				}
			}
			for _, s := range c.absent {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("%s %s: body has %q", c.method, c.path, s)
				}
			}
		})
	}
}

func newPageRunner(t *testing.T) (*app, pageRunner, map[string]string) {
	a := newApp(t)
	runYear(a)
	session, csrf := signIn(t, a)
	auth := map[string]string{"admin": "Bearer " + a.jwt}
	for _, u := range []string{"zhang", "wang", "viewer"} {
		auth[u] = bearerOf(a, u)
	}
	return a, pageRunner{a: a, session: session, csrf: csrf}, auth
}

func TestRunPagesAccess(t *testing.T) {
	_, p, auth := newPageRunner(t)
	const (
		list    = "/console/cycles/2020/meetings"
		run     = "/console/cycles/2020/meetings/M1"
		tally   = run + "/tally"
		print   = run + "/print"
		results = "/console/cycles/2020/results"
	)
	slips := url.Values{"group": {"cadres"}, "count": {"2"}, "format": {"html"}}
	p.run(t, []pageCase{
		// Not signed in: every page sends to the login page, and back.
		{name: "list/anonymous", method: "GET", path: list, status: 303, location: "/console/login?next=%2Fconsole%2Fcycles%2F2020%2Fmeetings"},
		{name: "run/anonymous", method: "GET", path: run, status: 303, location: "/console/login?next="},
		{name: "tally/anonymous", method: "GET", path: tally, status: 303, location: "/console/login?next=%2Fconsole%2Fcycles%2F2020%2Fmeetings%2FM1%2Ftally"},
		{name: "results/anonymous", method: "GET", path: results, status: 303, location: "/console/login?next="},
		{name: "print/anonymous", method: "POST", path: print, form: slips, status: 303, location: "/console/login?next=%2Fconsole%2Fcycles%2F2020%2Fmeetings%2FM1"},
		{name: "list/bad session", method: "GET", path: list, auth: "Bearer x.y.z", status: 303, location: "/console/login"},

		// The meetings list: everyone signed in; the editor for admins only.
		{name: "list/admin", method: "GET", path: list, auth: "cookie", status: 200, contains: []string{"meetings.js", `id="meeting-form"`, "工作报告大会", "全县领导干部大会", "考核组评价"}},
		{name: "list/group", method: "GET", path: list, auth: auth["zhang"], status: 200, contains: []string{"meetings.js"}, absent: []string{`id="meeting-form"`}},
		{name: "list/viewer", method: "GET", path: list, auth: auth["viewer"], status: 200, absent: []string{`id="meeting-form"`}},

		// The run page needs only a sign-in; its API calls enforce access.
		{name: "run/admin", method: "GET", path: run, auth: "cookie", status: 200, contains: []string{"meeting.js", `data-meeting="M1"`, `name="_csrf" value="` + p.csrf + `"`, `action="/console/cycles/2020/meetings/M1/print"`,
			`href="/console/cycles/2020/meetings/M1/paper"`, `id="screen-make"`}},
		{name: "run/staff", method: "GET", path: run, auth: auth["zhang"], status: 200, contains: []string{"meeting.js"}},
		{name: "run/viewer", method: "GET", path: run, auth: auth["viewer"], status: 200},

		// Results: admin and viewer; group users run meetings, they do not read the score table.
		{name: "results/admin", method: "GET", path: results, auth: "cookie", status: 200, contains: []string{"results.js", `href="/api/v1/cycles/2020/scores?format=xlsx"`}},
		{name: "results/viewer", method: "GET", path: results, auth: auth["viewer"], status: 200, contains: []string{"results.js"}},
		{name: "results/group", method: "GET", path: results, auth: auth["zhang"], status: 403},

		// The tally sheet: refused while the meeting has not closed, to everyone.
		{name: "tally/pending admin", method: "GET", path: tally, auth: "cookie", status: 409, contains: []string{"测评尚未结束", "计票单尚未生成"}, absent: []string{"sha256:", "监票人"}},
		{name: "tally/outsider", method: "GET", path: tally, auth: auth["wang"], status: 403, contains: []string{"您不是这个会议的工作人员"}},
		{name: "tally/unknown meeting", method: "GET", path: "/console/cycles/2020/meetings/NOPE/tally", auth: "cookie", status: 404},

		// Printing slips: staff and admins; the form post needs its CSRF token.
		{name: "print/viewer", method: "POST", path: print, auth: auth["viewer"], form: slips, status: 403, contains: []string{"您不是这个会议的工作人员", "meeting.js"}, absent: []string{`class="slip"`}},
		{name: "print/outsider", method: "POST", path: print, auth: auth["wang"], form: slips, status: 403, absent: []string{`class="slip"`}},
		{name: "print/staff", method: "POST", path: print, auth: auth["zhang"], form: slips, status: 201, contains: []string{`class="slip"`}},
		{name: "print/cookie without csrf", method: "POST", path: print, auth: "cookie", form: slips, status: 403, absent: []string{`class="slip"`}},
		{name: "print/cookie wrong csrf", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"00"}, "group": {"cadres"}, "count": {"2"}}, status: 403},
		{name: "print/admin cookie", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {"2"}}, status: 201, contains: []string{`class="slip"`}},
		{name: "print/unknown group", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"nope"}, "count": {"2"}}, status: 400, contains: []string{"会议没有参评类别", "meeting.js"}},
		{name: "print/no count", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {""}}, status: 400, contains: []string{"请填写要打印的选票张数"}},
		{name: "print/too many", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {"10001"}}, status: 400, contains: []string{"每批票数须在 1 到 10000 之间"}},
		{name: "print/bad format", method: "POST", path: print, auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {"1"}, "format": {"docx"}}, status: 400, contains: []string{"打印格式"}},
		{name: "print/unknown meeting", method: "POST", path: "/console/cycles/2020/meetings/NOPE/print", auth: "cookie", form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {"1"}}, status: 404},
	})
}

func TestPrintSlips(t *testing.T) {
	a, p, _ := newPageRunner(t)
	print := func(count int, format string) (int, http.Header, []byte) {
		return p.do(t, pageCase{method: "POST", path: "/console/cycles/2020/meetings/M1/print", auth: "cookie",
			form: url.Values{"_csrf": {"{csrf}"}, "group": {"cadres"}, "count": {fmt.Sprint(count)}, "format": {format}}})
	}
	// 30 slips for a host of 60 staff: the A4 page has 30 slips on 3 sheets,
	// and a warning that the rules ask for at least 50 participants.
	status, h, page := print(30, "html")
	if status != 201 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("print 30: %d %s", status, h.Get("Content-Type"))
	}
	if n := bytes.Count(page, []byte(`class="slip"`)); n != 30 {
		t.Errorf("print page has %d slips, want 30", n)
	}
	if n := bytes.Count(page, []byte(`class="sheet"`)); n != 3 {
		t.Errorf("print page has %d A4 sheets, want 3 (12 a sheet)", n)
	}
	if h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("print page headers: %v", h)
	}
	codes := regexp.MustCompile(`<p class="code">([0-9A-Z ]+)</p>`).FindAllSubmatch(page, -1)
	if len(codes) != 30 {
		t.Fatalf("%d codes on the print page", len(codes))
	}
	if !bytes.Contains(page, []byte(`data-warning="staff"`)) || !bytes.Contains(page, []byte("城关镇共有 60 名干部职工")) || !bytes.Contains(page, []byte("不足 50 张")) {
		t.Errorf("no warning for 30 slips at a 60-staff unit:\n%.1500s", page)
	}
	var turnout struct{ Issued int }
	a.call("GET", "/api/v1/cycles/2020/meetings/M1/turnout", "", nil, 200, &turnout)
	if turnout.Issued != 30 {
		t.Errorf("issued %d after printing 30", turnout.Issued)
	}
	// Printing from the console is in the audit log, as issuing by API is.
	var log struct {
		Entries []struct{ Action, Actor, Detail string }
	}
	a.call("GET", "/api/v1/audit?limit=5", "", nil, 200, &log)
	if len(log.Entries) == 0 || log.Entries[0].Action != "batch.issue" || log.Entries[0].Actor != "admin" || !strings.Contains(log.Entries[0].Detail, "30") {
		t.Errorf("printing 30 slips left no audit entry: %+v", log.Entries)
	}
	// The printed codes are real slips of the meeting's cadres group.
	code := strings.ReplaceAll(string(codes[0][1]), " ", "")
	var slip struct {
		Group struct{ Code string }
	}
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	a.call("GET", "/api/v1/ballot", "Ballot "+code, nil, 200, &slip)
	if slip.Group.Code != "cadres" {
		t.Errorf("a printed code belongs to group %q", slip.Group.Code)
	}

	// The PDF: 20 more slips on 2 pages; with 50 in all no warning is due.
	status, h, pdf := print(20, "pdf")
	if status != 201 || h.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("print pdf: %d %s %.20q", status, h.Get("Content-Type"), pdf)
	}
	if !strings.Contains(h.Get("Content-Disposition"), "slips-M1-cadres.pdf") || !bytes.Contains(pdf, []byte("/Count 2")) {
		t.Errorf("pdf: %s, want 2 pages", h.Get("Content-Disposition"))
	}
	_, _, page = print(1, "html")
	if bytes.Contains(page, []byte(`data-warning`)) {
		t.Errorf("a warning with 51 slips issued")
	}
	// Revoking a batch brings the valid slips under 50 again.
	var batches struct {
		Batches []struct {
			Batch string
			Count int
		}
	}
	a.call("GET", "/api/v1/cycles/2020/meetings/M1/batches", "", nil, 200, &batches)
	for _, b := range batches.Batches {
		if b.Count == 20 {
			a.call("POST", "/api/v1/batches/"+b.Batch+"/revoke", "", nil, 200, nil)
		}
	}
	_, _, page = print(1, "html")
	if !bytes.Contains(page, []byte("本会议目前共发出有效选票 32 张")) {
		t.Errorf("after revoking 20 of 52, want a warning with 32 valid slips:\n%.1200s", page)
	}
	// A closed meeting prints no more slips.
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, nil)
	if status, _, body := print(1, "html"); status != 409 || !bytes.Contains(body, []byte("测评已结束")) {
		t.Errorf("print after close: %d %.300s", status, body)
	}
}

func TestTallySheet(t *testing.T) {
	a, p, auth := newPageRunner(t)
	var cadres, village struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 3}, 201, &cadres)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "village", "count": 4}, 201, &village)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	for i, tok := range cadres.Tokens {
		apiVote(a, tok, 80+2*i) // 80, 82, 84
	}
	for _, tok := range village.Tokens[:3] {
		apiVote(a, tok, 90)
	}
	tally := "/console/cycles/2020/meetings/M1/tally"
	// Open: no counts, to anyone.
	p.run(t, []pageCase{
		{name: "open/admin", method: "GET", path: tally, auth: "cookie", status: 409, contains: []string{"测评尚未结束"}, absent: []string{"sha256:", "80×1", "监票人"}},
		{name: "open/staff", method: "GET", path: tally, auth: auth["zhang"], status: 409, contains: []string{"测评尚未结束"}},
	})
	var closed struct {
		Ballots int
		Digest  string
	}
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, &closed)
	if closed.Ballots != 6 {
		t.Fatalf("sealed %d ballots", closed.Ballots)
	}
	want := []string{"计票单", "城关镇2020年度工作报告大会", "2021-01-15", "工作报告大会", "城关镇", `id="tally-ballots">6<`, closed.Digest,
		`data-check="match"`, "监票人", "计票人", "日期",
		// 民主测评: 6 of 6 好.
		"<td>城关镇</td><td class=\"num\">6</td><td class=\"num\">6</td><td class=\"num\">0</td>",
		// 单位互评 D01: 6 answers, sum 80+82+84+3×90 = 516, mean 86.00, histogram.
		"<td>县财政局</td><td class=\"num\">6</td><td class=\"num\">516</td><td class=\"num\">86.00</td><td>90×3　84×1　82×1　80×1</td>",
		// 科级干部, a row per person, a block per dimension: 6 称职.
		"<td>李卫东</td><td class=\"num\">6</td><td class=\"num dim-start\">0</td><td class=\"num\">6</td>",
		// 无任用推荐: 李卫东 6 votes, 王秀兰 none.
		"<td>李卫东</td><td class=\"num\">6</td></tr>", "<td>王秀兰</td><td class=\"num\">0</td></tr>",
		// Per-group lines: each group has 3 ballots, so both are shown.
		"机关干部（3 票）", "村两委负责人（3 票）", "<td>县财政局</td><td class=\"num\">3</td><td class=\"num\">246</td><td class=\"num\">82.00</td>",
		"tally.js", "run.css"}
	p.run(t, []pageCase{
		{name: "closed/admin", method: "GET", path: tally, auth: "cookie", status: 200, contains: want, absent: []string{"不单独显示"}},
		{name: "closed/staff", method: "GET", path: tally, auth: auth["zhang"], status: 200, contains: []string{closed.Digest}},
		{name: "closed/viewer", method: "GET", path: tally, auth: auth["viewer"], status: 200, contains: []string{closed.Digest}},
		{name: "closed/outsider", method: "GET", path: tally, auth: auth["wang"], status: 403, absent: []string{closed.Digest}},
	})
}

// TestTallySheetSmallGroup: a group under k ballots is not shown on its
// own, and neither is the next smallest, on the printed sheet as in the API.
func TestTallySheetSmallGroup(t *testing.T) {
	a, p, _ := newPageRunner(t)
	var cadres, village struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 4}, 201, &cadres)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "village", "count": 1}, 201, &village)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	for _, tok := range cadres.Tokens {
		apiVote(a, tok, 88)
	}
	apiVote(a, village.Tokens[0], 60)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, nil)
	_, _, page := p.do(t, pageCase{method: "GET", path: "/console/cycles/2020/meetings/M1/tally", auth: "cookie"})
	if n := bytes.Count(page, []byte("不单独显示")); n != 2 {
		t.Errorf("%d groups suppressed on the sheet, want both (1 ballot, and 4 beside it)", n)
	}
	if !bytes.Contains(page, []byte("<td>88×4　60×1</td>")) {
		t.Errorf("the merged section is missing")
	}
	if bytes.Contains(page, []byte("<td>60×1</td>")) {
		t.Errorf("the lone ballot's score shows on its own")
	}
}

// TestResultsPageData: the page's two sources answer for admin and viewer.
func TestResultsPageData(t *testing.T) {
	a, _, auth := newPageRunner(t)
	var scores struct {
		Units []struct {
			Unit, Kind string
			Warnings   []string
		}
	}
	a.call("GET", "/api/v1/cycles/2020/scores", auth["viewer"], nil, 200, &scores)
	if len(scores.Units) != 3 {
		t.Errorf("score table has %d rows", len(scores.Units))
	}
	a.call("GET", "/api/v1/cycles/2020/cadres", auth["viewer"], nil, 200, nil)
	resp := a.get("/api/v1/cycles/2020/scores?format=xlsx")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("workbook: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &out) == nil {
		t.Errorf("the workbook is JSON")
	}
}

// TestBrowserRunMeeting walks a group leader's meeting on a phone-sized
// screen: sign in, print slips, open with the confirmation, watch a vote
// from another browser arrive without reloading, close, read the tally
// sheet and download the workbook.
func TestBrowserRunMeeting(t *testing.T) {
	b := newBrowserApp(t, 360, 740, "")
	runYear(b.app)
	run := "/console/cycles/2020/meetings/M1"

	// Sign in through the login form; it comes back to the run page.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(run))); err != nil {
		t.Fatal(err)
	}
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = 'admin'; f.password.value = 'admin-password'; f.submit(); return true; })()`)
	if err := chromedp.Do(b.ctx, chromedp.WaitVisible("#status-card")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`location.pathname === '/console/cycles/2020/meetings/M1' && !document.getElementById('print-card').hidden && document.querySelectorAll('#turnout tbody tr').length === 2`, 15*time.Second)
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the run page is %v px wide at 360 px", w)
	}
	// Printing comes first, with a count to start from; a meeting not yet
	// open claims no "live" view.
	if first := b.js(`document.querySelector('#run section.card:not([hidden])').id`).(string); first != "print-card" {
		t.Errorf("the first card of a pending meeting's page is %q, want printing", first)
	}
	if n := b.js(`document.getElementById('print-count').value`).(string); n != "50" {
		t.Errorf("张数 starts at %q, want 50", n)
	}
	time.Sleep(500 * time.Millisecond) // the event stream has connected
	if live := b.js(`document.getElementById('live').textContent`).(string); live != "" {
		t.Errorf("a pending meeting says %q", live)
	}
	if empty := b.js(`Array.prototype.filter.call(document.querySelectorAll('#run th'), function (th) { return !th.textContent.trim(); }).length`).(float64); empty > 0 {
		t.Errorf("%v table headers of the run page are empty", empty)
	}
	b.shot("1-run-pending")

	// Print 3 slips for 机关干部: 60 staff, so the page warns first.
	b.js(`(function(){ document.getElementById('print-group').value = 'cadres'; var c = document.getElementById('print-count'); c.value = '3'; c.dispatchEvent(new Event('input', {bubbles:true})); return true; })()`)
	if w := b.js(`document.getElementById('print-warning').hidden ? '' : document.getElementById('print-warning').textContent`).(string); !strings.Contains(w, "不足 50 张") {
		t.Errorf("no warning before printing 3 slips for a 60-staff unit: %q", w)
	}
	b.shot("2-print-form")
	printer, cancelPrint := b.printTab(3)
	codes := printer.js(`Array.prototype.map.call(document.querySelectorAll('.slip .code'), function(e){ return e.textContent.replace(/ /g, ''); })`).([]any)
	if warn := printer.js(`(document.querySelector('[data-warning]')||{}).textContent || ''`).(string); !strings.Contains(warn, "不足 50 张") {
		t.Errorf("the print page has no warning: %q", warn)
	}
	printer.shot("3-print-page")
	cancelPrint()

	// The run page learns of the batch from its event stream.
	b.js(`window.notReloaded = true`)
	b.waitFor(`document.getElementById('t-issued').textContent === '3' && document.querySelectorAll('#batches tbody tr[data-batch]').length === 1`, 10*time.Second)

	// Open, through the confirmation that says what happens.
	b.js(`document.getElementById('open-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if text := b.js(`document.getElementById('confirm-text').textContent`).(string); !strings.Contains(text, "只显示投票人数") {
		t.Errorf("open confirmation: %q", text)
	}
	b.shot("4-confirm-open")
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`document.getElementById('m-status').classList.contains('open') && !document.getElementById('close-btn').hidden`, 10*time.Second)

	// A voter in another browser context scans a printed slip and votes.
	vctx, cancelVoter := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancelVoter()
	voter := *b
	voter.ctx = vctx
	voter.open(codes[0].(string))
	voter.view("form")
	voter.fill()
	voter.js(`document.getElementById('review').click()`)
	voter.view("review")
	voter.js(`document.getElementById('submit').click()`)
	voter.view("done")

	// The run page shows it without a reload: turnout only, no tally.
	b.waitFor(`document.getElementById('t-cast').textContent === '1' && document.querySelector('#turnout tr[data-group=cadres] .unused').textContent === '2'`, 10*time.Second)
	if b.js(`window.notReloaded === true`) != true {
		t.Errorf("the run page reloaded")
	}
	if txt := b.js(`document.getElementById('main').innerText`).(string); strings.Contains(txt, "sha256:") || !b.js(`document.getElementById('sealed-card').hidden`).(bool) {
		t.Errorf("the run page shows results while open")
	}
	b.shot("5-run-open")
	// A big-screen link names the server's address (CEPING_BASE_URL), which
	// the projector can reach, not the one this browser used.
	b.js(`document.getElementById('screen-make').click(); true`)
	b.waitFor(`!document.getElementById('screen-link').hidden`, 10*time.Second)
	if href := b.js(`document.getElementById('screen-link').href`).(string); !strings.HasPrefix(href, "http://ceping.test/screen/2020/M1?") {
		t.Errorf("the screen link is %q, want it on the base URL http://ceping.test", href)
	}
	// Two more ballots (k = 3 before a sheet shows counts), and the page follows.
	apiVote(b.app, codes[1].(string), 88)
	apiVote(b.app, codes[2].(string), 88)
	b.waitFor(`document.getElementById('t-cast').textContent === '3' && document.getElementById('t-unused').textContent === '0'`, 10*time.Second)

	// Close: the confirmation says it cannot be undone; then the seal.
	b.js(`document.getElementById('close-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if text := b.js(`document.getElementById('confirm-text').textContent`).(string); !strings.Contains(text, "不能撤销") || !strings.Contains(text, "封存") {
		t.Errorf("close confirmation: %q", text)
	}
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`!document.getElementById('sealed-card').hidden && document.getElementById('s-ballots').textContent === '3' && /^sha256:[0-9a-f]{64}$/.test(document.getElementById('s-digest').textContent)`, 10*time.Second)
	digest := b.js(`document.getElementById('s-digest').textContent`).(string)
	if !b.js(`document.getElementById('print-card').hidden`).(bool) {
		t.Errorf("slips can still be printed after close")
	}
	for _, id := range []string{"paper-box", "blank-links", "screen-form"} {
		if !b.js(`document.getElementById('` + id + `').hidden`).(bool) {
			t.Errorf("after close the run page still offers #%s", id)
		}
	}
	b.shot("6-run-closed")

	// The tally sheet.
	b.js(`document.getElementById('tally-link').click(); true`)
	if err := chromedp.Do(b.ctx, chromedp.WaitVisible("#tally-digest")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`location.pathname.endsWith('/tally') && !!document.getElementById('tally-digest')`, 10*time.Second)
	if got := b.js(`document.getElementById('tally-digest').textContent`).(string); got != digest {
		t.Errorf("tally sheet digest %q, run page %q", got, digest)
	}
	sheet := b.js(`document.getElementById('main').innerText`).(string)
	for _, want := range []string{"计票单", "城关镇2020年度工作报告大会", "2021-01-15", "监票人", "计票人", "88×3", "92×3", "李卫东"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("tally sheet lacks %q", want)
		}
	}
	if n := b.js(`document.getElementById('tally-ballots').textContent`).(string); n != "3" {
		t.Errorf("tally sheet ballots %q", n)
	}
	b.shot("7-tally")

	// The results page and its workbook download.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/cycles/2020/results")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.querySelectorAll('#towns tr[data-unit]').length === 1 && document.querySelectorAll('#departments tr[data-unit]').length === 2`, 10*time.Second)
	b.shot("8-results")
	dir := t.TempDir()
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	b.js(`document.getElementById('xlsx').click(); true`)
	file := filepath.Join(dir, "2020年度考核结果汇总表.xlsx")
	deadline := time.Now().Add(15 * time.Second)
	for {
		data, err := os.ReadFile(file)
		if err == nil && bytes.HasPrefix(data, []byte("PK")) {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no workbook downloaded (%v)", entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
