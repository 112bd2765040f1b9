package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// startApp starts the real server in-process on a fresh database and key
// prefix, with admin's password set.
func startApp(t *testing.T, ctx context.Context, data, dbURL string) (*App, *api) {
	t.Helper()
	app, err := Start(ctx, Config{Addr: "127.0.0.1:0", Data: data, DatabaseURL: dbURL,
		RedisURL: os.Getenv("CEPING_TEST_REDIS_URL"), RedisPrefix: redistest.Prefix(t)}, io.Discard)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	app.Serve()
	t.Cleanup(func() {
		if err := app.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	a := newAPI(t, app.URL())
	// A connection the client dialled but never used would hold up Stop
	// (see TestShutdownWithSilentConnection): close them first.
	t.Cleanup(a.hc.CloseIdleConnections)
	return app, a
}

// TestEndToEnd walks a meeting through the HTTP API as DESIGN.md describes
// it: set-up, slips, voting (concurrent, resent), turnout, events, close,
// sealed results and the ballot list, checking that the numbers published
// are the numbers cast.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	app, a := startApp(t, ctx, t.TempDir(), sqltest.URL(t))
	const password = "e2e-admin-password"
	if got, err := app.Service.EnsureAdmin(ctx, password); err != nil || got != password {
		t.Fatalf("EnsureAdmin: %q %v", got, err)
	}
	a.wantError("POST", "/api/v1/cycles", nil, map[string]string{"code": "2020", "name": "x"}, 401, "unauthorized")
	a.wantError("POST", "/api/v1/login", nil, map[string]string{"username": "admin", "password": "wrong-password"}, 401, "unauthorized")
	a.login("admin", password)

	setupYear(a, "2020")
	a.wantError("POST", "/api/v1/cycles", nil, map[string]string{"code": "2020", "name": "again"}, 409, "conflict")

	// Slips before the meeting opens: the ballot answers meeting_not_open.
	path := "/api/v1/cycles/2020/meetings/M1"
	a.must("PUT", path, map[string]any{"title": "城关镇2020年度目标责任考核工作报告大会", "kind": "work_report",
		"host": "T01", "date": "2021-01-15", "staff": []string{},
		"groups": []map[string]string{{"code": "cadres", "name": "机关干部", "form": "F-town"}, {"code": "village", "name": "村两委", "form": "F-town"}}}, 201, nil)
	issue := func(group string, n int) []string {
		var b struct {
			Count  int      `json:"count"`
			Tokens []string `json:"tokens"`
		}
		a.must("POST", path+"/batches", map[string]any{"group": group, "count": n}, 201, &b)
		if b.Count != n || len(b.Tokens) != n {
			t.Fatalf("batch: count %d with %d tokens, want %d", b.Count, len(b.Tokens), n)
		}
		return b.Tokens
	}
	cadres, village := issue("cadres", 40), issue("village", 8)
	slip := func(tok string) map[string]string { return map[string]string{"Authorization": "Ballot " + tok} }
	a.wantError("GET", "/api/v1/ballot", slip(cadres[0]), nil, 403, "meeting_not_open")
	a.must("POST", path+"/open", nil, 200, nil)
	a.wantError("PUT", path, nil, map[string]any{"title": "x"}, 409, "conflict")

	// Reading a ballot shows the expanded sections and spends nothing.
	for range 2 {
		status, data, err := a.call("GET", "/api/v1/ballot", slip(cadres[0]), nil)
		if err != nil || status != 200 {
			t.Fatalf("GET ballot: %d %s %v", status, data, err)
		}
		var view struct {
			Meeting  struct{ Code string }
			Group    struct{ Code string }
			Sections []struct {
				Code     string
				Subjects []struct{ Code, Name string }
			}
		}
		must(t, json.Unmarshal(data, &view))
		subjects := map[string][]string{}
		for _, s := range view.Sections {
			for _, x := range s.Subjects {
				subjects[s.Code] = append(subjects[s.Code], x.Code)
			}
		}
		if view.Meeting.Code != "M1" || view.Group.Code != "cadres" || fmt.Sprint(subjects) != "map[cad:[P01 P02 P07 P08] dem:[T01] mut:[D01 D02] rec:[P07 P08]]" {
			t.Fatalf("ballot view: meeting %q group %q subjects %v", view.Meeting.Code, view.Group.Code, subjects)
		}
	}
	a.wantError("GET", "/api/v1/ballot", slip("0000-0000"), nil, 400, "invalid_token")

	// A ballot that breaks the form counts nothing; fixed, it counts.
	bad := ballotFor(0)
	bad["mut"] = map[string]int{"D01": 101, "D02": 90}
	bad["cad"] = map[string]string{"P01": "优秀", "P02": "优秀", "P07": "称职", "P08": "称职"}
	status, data := a.cast(cadres[0], "key-0", bad)
	if status != 422 || errCode(data) != "invalid_ballot" || !strings.Contains(string(data), `"section":"mut"`) || !strings.Contains(string(data), `"section":"cad"`) {
		t.Fatalf("invalid ballot: %d %s", status, data)
	}
	want := newExpected()
	wantGroup := map[string]*expected{"cadres": newExpected(), "village": newExpected()}

	// 30 concurrent voters cast the cadres' 40 slips.
	var wg sync.WaitGroup
	var acked atomic.Int64
	work := make(chan int)
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if status, data := a.cast(cadres[i], fmt.Sprintf("key-%d", i), ballotFor(i)); status != 201 {
					t.Errorf("cast cadres %d: %d %s", i, status, data)
				} else {
					acked.Add(1)
				}
			}
		}()
	}
	for i := range cadres {
		work <- i
		want.add(i)
		wantGroup["cadres"].add(i)
	}
	close(work)
	wg.Wait()
	if acked.Load() != int64(len(cadres)) {
		t.Fatalf("%d of %d casts acknowledged", acked.Load(), len(cadres))
	}
	for i, tok := range village[:5] {
		if status, data := a.cast(tok, "v", ballotFor(100+i)); status != 201 {
			t.Fatalf("cast village %d: %d %s", i, status, data)
		}
		want.add(100 + i)
		wantGroup["village"].add(100 + i)
	}

	// Resending with the same key is acknowledged again; another key is token_used.
	for i := range 5 {
		if status, data := a.cast(cadres[i], fmt.Sprintf("key-%d", i), ballotFor(i)); status != 201 {
			t.Fatalf("resend %d: %d %s", i, status, data)
		}
	}
	if status, data := a.cast(cadres[0], "another-key", ballotFor(0)); status != 409 || errCode(data) != "token_used" {
		t.Fatalf("other key: %d %s", status, data)
	}
	a.wantError("GET", "/api/v1/ballot", slip(cadres[1]), nil, 409, "token_used")

	// Turnout and the first event show what was cast, and nothing else.
	tu := a.waitTurnout(path, 10*time.Second, func(t turnout) bool { return t.Cast == want.ballots })
	if tu.Status != "open" || tu.Issued != 48 || tu.Revoked != 0 || len(tu.Groups) != 2 ||
		tu.Groups[0].Code != "cadres" || tu.Groups[0].Cast != 40 || tu.Groups[0].Issued != 40 ||
		tu.Groups[1].Code != "village" || tu.Groups[1].Cast != 5 || tu.Groups[1].Issued != 8 {
		t.Fatalf("turnout %+v", tu)
	}
	sseCtx, cancelSSE := context.WithTimeout(ctx, 15*time.Second)
	ev, resp := a.firstEvent(sseCtx, path)
	resp.Body.Close()
	cancelSSE()
	if ev.Status != "open" || ev.Cast != want.ballots || ev.Issued != 48 {
		t.Fatalf("first event %+v, want open, cast %d, issued 48", ev, want.ballots)
	}
	a.wantError("GET", path+"/results", nil, nil, 409, "meeting_open")
	a.wantError("GET", path+"/ballots", nil, nil, 409, "meeting_open")

	// Close seals exactly what was cast.
	var closed struct {
		Ballots   int64  `json:"ballots"`
		Digest    string `json:"digest"`
		LiveCheck string `json:"live_check"`
	}
	a.must("POST", path+"/close", nil, 200, &closed)
	if closed.Ballots != want.ballots || closed.LiveCheck != "match" || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(closed.Digest) {
		t.Fatalf("close: %+v, want %d ballots and live check match", closed, want.ballots)
	}
	status, data = a.cast(village[6], "late", ballotFor(7))
	if status != 403 || errCode(data) != "meeting_closed" {
		t.Fatalf("cast after close: %d %s", status, data)
	}

	var res result
	a.must("GET", path+"/results", nil, 200, &res)
	if res.Ballots != want.ballots || res.Digest != closed.Digest || res.Meeting != "M1" {
		t.Fatalf("results: %d ballots, digest %s, meeting %q; sealed %d %s", res.Ballots, res.Digest, res.Meeting, closed.Ballots, closed.Digest)
	}
	want.check(t, res.Sections)
	if len(res.Groups) != 2 {
		t.Fatalf("results groups %+v", res.Groups)
	}
	for _, g := range res.Groups {
		w := wantGroup[g.Code]
		if w == nil || g.Ballots != w.ballots || g.Suppressed {
			t.Fatalf("group %s: %d ballots suppressed=%v, want %d", g.Code, g.Ballots, g.Suppressed, w.ballots)
		}
		w.check(t, g.Sections)
	}

	// The ballot list recounts to the sealed result.
	var list struct {
		Ballots []struct {
			ID      string                     `json:"id"`
			Group   string                     `json:"group"`
			Answers map[string]json.RawMessage `json:"answers"`
		} `json:"ballots"`
	}
	a.must("GET", path+"/ballots", nil, 200, &list)
	if int64(len(list.Ballots)) != want.ballots {
		t.Fatalf("ballot list has %d ballots, want %d", len(list.Ballots), want.ballots)
	}
	ids := map[string]bool{}
	dem := map[string]int64{}
	byGroup := map[string]int64{}
	h := sha256.New()
	for _, b := range list.Ballots {
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(b.ID) || ids[b.ID] {
			t.Fatalf("ballot id %q: not random 32-hex or repeated", b.ID)
		}
		ids[b.ID] = true
		byGroup[b.Group]++
		var d map[string]string
		must(t, json.Unmarshal(b.Answers["dem"], &d))
		dem[d["T01"]]++
		var canon map[string]any
		raw, _ := json.Marshal(b.Answers)
		must(t, json.Unmarshal(raw, &canon))
		canonical, _ := json.Marshal(canon)
		fmt.Fprintf(h, "%s\t%s\t%s\n", b.ID, b.Group, canonical)
	}
	if byGroup["cadres"] != 40 || byGroup["village"] != 5 || !sameCounts(dem, want.dem) {
		t.Fatalf("ballot list: groups %v, dem %v; want 40/5 and %v", byGroup, dem, want.dem)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != closed.Digest {
		t.Errorf("digest recomputed from the ballot list %s differs from the sealed %s", got, closed.Digest)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startDemo runs `ceping demo` with extra args on dir until it has printed
// the console and the password; it returns what it printed and a stop.
func startDemo(t *testing.T, dir string, extra ...string) (string, func()) {
	t.Helper()
	args := append([]string{"demo", "-addr", "127.0.0.1:0", "-data", dir}, extra...)
	if u := os.Getenv("CEPING_TEST_REDIS_URL"); u != "" {
		args = append(args, "-redis", u)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() { exit <- Main(ctx, args, strings.NewReader(""), &stdout, &stderr) }()
	ready := regexp.MustCompile(`从头再来 \(start over\)`)
	deadline := time.Now().Add(90 * time.Second)
	for !ready.MatchString(stdout.String()) {
		select {
		case code := <-exit:
			cancel()
			t.Fatalf("demo exited with %d:\n%s\n%s", code, stdout.String(), tail(stderr.String()))
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("demo was not ready in 90 s:\n%s\n%s", stdout.String(), tail(stderr.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop := func() {
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Fatalf("demo exited with %d:\n%s", code, tail(stderr.String()))
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("demo did not return within 15 s of cancel")
		}
	}
	return stdout.String(), stop
}

// TestDemo runs `ceping demo`, votes with the link it prints and stops it;
// starts it again on the same folder (same password, no new slips, the
// meeting's true state, a year whose units rank); and starts it over with
// -reset.
func TestDemo(t *testing.T) {
	if os.Getenv("CEPING_TEST_DATABASE_URL") != "" {
		t.Skip("the demo runs on its embedded database (demo -reset clears only that)")
	}
	dir := t.TempDir()
	t.Setenv("CEPING_REDIS_PREFIX", redistest.Prefix(t))
	linkRE := regexp.MustCompile(`/b#([0-9A-Z]{27})\b`)
	consoleRE := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/`)
	passwordRE := regexp.MustCompile(`admin\s+密码 \(password\) (\S+)`)
	cycle := fmt.Sprint(time.Now().Year())
	meeting := "/api/v1/cycles/" + cycle + "/meetings/" + demoMeeting

	out, stop := startDemo(t, dir)
	if !linkRE.MatchString(out) || !passwordRE.MatchString(out) || !strings.Contains(out, "已开始投票 (open)") {
		t.Fatalf("the first start prints no link, password or state:\n%s", out)
	}
	token := linkRE.FindStringSubmatch(out)[1]
	password := passwordRE.FindStringSubmatch(out)[1]
	a := newAPI(t, consoleRE.FindStringSubmatch(out)[1])
	a.login("admin", password)

	// Build a valid ballot from what the slip shows.
	status, data, err := a.call("GET", "/api/v1/ballot", map[string]string{"Authorization": "Ballot " + token}, nil)
	if err != nil || status != 200 {
		t.Fatalf("GET ballot: %d %s %v", status, data, err)
	}
	var view struct {
		Meeting  struct{ Code, Title string }
		Sections []struct {
			Code       string
			Required   bool
			Dimensions []string
			Scale      struct {
				Type    string
				Options []struct{ Label string }
				Min     *float64
				Max     *float64
			}
			Limits   []struct{ Options []string }
			Subjects []struct{ Code string }
		}
	}
	must(t, json.Unmarshal(data, &view))
	if len(view.Sections) == 0 || !strings.Contains(view.Meeting.Title, cycle) {
		t.Fatalf("ballot without sections, or not of this year: %s", data)
	}
	answers := map[string]any{}
	for _, s := range view.Sections {
		limited := map[string]bool{}
		for _, l := range s.Limits {
			for _, o := range l.Options {
				limited[o] = true
			}
		}
		var value any
		switch s.Scale.Type {
		case "grade":
			for _, o := range s.Scale.Options {
				if !limited[o.Label] {
					value = o.Label
					break
				}
			}
		case "score":
			value = *s.Scale.Max
		case "choose":
			answers[s.Code] = []string{s.Subjects[0].Code}
			continue
		default:
			t.Fatalf("section %s: unknown scale %q", s.Code, s.Scale.Type)
		}
		m := map[string]any{}
		for _, subj := range s.Subjects {
			if len(s.Dimensions) > 0 {
				dims := map[string]any{}
				for _, d := range s.Dimensions {
					dims[d] = value
				}
				m[subj.Code] = dims
			} else {
				m[subj.Code] = value
			}
		}
		answers[s.Code] = m
	}
	if status, data := a.cast(token, "demo-1", answers); status != 201 || !strings.Contains(string(data), `"counted"`) {
		t.Fatalf("cast %v: %d %s", answers, status, data)
	}
	a.waitTurnout(meeting, 10*time.Second, func(t turnout) bool { return t.Cast == 1 })
	a.hc.CloseIdleConnections() // see TestShutdownWithSilentConnection
	stop()

	// Again on the same folder: the same password, no new slip, the truth.
	out, stop = startDemo(t, dir)
	if got := passwordRE.FindStringSubmatch(out); got == nil || got[1] != password {
		t.Errorf("the second start prints another password:\n%s", out)
	}
	if linkRE.MatchString(out) || !strings.Contains(out, "正在投票 (open)，已发选票 60 张，已投 1 张") {
		t.Errorf("the second start issues slips or hides the meeting's state:\n%s", out)
	}
	a = newAPI(t, consoleRE.FindStringSubmatch(out)[1])
	a.login("admin", password)
	var tu turnout
	if status, data, _ := a.call("GET", meeting+"/turnout", nil, nil); status != 200 || json.Unmarshal(data, &tu) != nil || tu.Issued != 60 {
		t.Errorf("turnout after the second start: %d %s, want 60 issued", status, data)
	}
	// The audit log shows the demo's own set-up, as the console's would be.
	status, data, _ = a.call("GET", "/api/v1/audit?limit=200", nil, nil)
	for _, want := range []string{`"setup.put"`, `"form.save"`, `"indicators.put"`, `"entry.return"`, `"user.create"`, `"meeting.close"`, `"batch.issue"`, "演示数据"} {
		if status != 200 || !strings.Contains(string(data), want) {
			t.Errorf("the audit log after the demo lacks %s: %d %.300s", want, status, data)
		}
	}
	// A year that ranks: every unit has a total, the grades differ.
	var table struct {
		Units []struct {
			Unit  string
			Total float64
			Grade string
		}
	}
	status, data, _ = a.call("GET", "/api/v1/cycles/"+cycle+"/scores", nil, nil)
	must(t, json.Unmarshal(data, &table))
	grades := map[string]int{}
	for _, u := range table.Units {
		if u.Total < 60 {
			t.Errorf("demo unit %s totals %.2f: the year does not look real", u.Unit, u.Total)
		}
		grades[u.Grade]++
	}
	if status != 200 || len(table.Units) != 20 || len(grades) < 2 {
		t.Errorf("demo score table: %d, %d units, grades %v", status, len(table.Units), grades)
	}
	demoCollection(t, a, cycle, out)
	a.hc.CloseIdleConnections()
	stop()

	// -reset starts over: a new year's seed, a new password and a new link.
	out, stop = startDemo(t, dir, "-reset")
	if !linkRE.MatchString(out) || passwordRE.FindStringSubmatch(out)[1] == password {
		t.Errorf("demo -reset did not start over:\n%s", out)
	}
	stop()
}

// TestUserAdd adds a viewer from the command line, then logs in as them.
func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	dbURL := sqltest.URL(t)
	args := []string{"user", "add", "wang", "--role", "viewer", "-data", dir}
	if dbURL != "" {
		args = append(args, "-database", dbURL)
	}
	var stdout, stderr syncBuffer
	if code := Main(context.Background(), args, strings.NewReader("viewer-password-1\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("user add: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	if code := Main(context.Background(), args, strings.NewReader("viewer-password-2\n"), &stdout, &stderr); code != 1 {
		t.Fatalf("user add of an existing name: exit %d, want 1", code)
	}
	if code := Main(context.Background(), []string{"user", "add", "li", "--role", "boss", "-data", dir}, strings.NewReader("viewer-password-1\n"), &stdout, &stderr); code != 1 {
		t.Fatalf("user add with a bad role: exit %d, want 1", code)
	}

	ctx := context.Background()
	app, a := startApp(t, ctx, dir, dbURL)
	// Accounts exist, so no admin is created.
	if pw, err := app.Service.EnsureAdmin(ctx, ""); err != nil || pw != "" {
		t.Fatalf("EnsureAdmin after user add: %q %v", pw, err)
	}
	a.wantError("POST", "/api/v1/login", nil, map[string]string{"username": "wang", "password": "viewer-password-2"}, 401, "unauthorized")
	a.login("wang", "viewer-password-1")
	a.must("GET", "/api/v1/cycles", nil, 200, nil)
	a.wantError("POST", "/api/v1/cycles", nil, map[string]string{"code": "2020", "name": "x"}, 403, "forbidden")
}
