package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// The accounts every test server has. Passwords are at least 8 characters.
const (
	adminUser  = "admin"
	groupUser  = "zhang" // the group user named in the seeded meeting's staff
	otherGroup = "wang"  // a group user no seeded meeting names
	viewerUser = "viewer"
	password   = "correct horse battery"
)

// testServer is a Server on a fresh ledger (SQLite, or PostgreSQL when
// CEPING_TEST_DATABASE_URL is set) and fresh live state (embedded Redis, or
// CEPING_TEST_REDIS_URL), with signed-in organizers.
type testServer struct {
	svc  *ballots.Service
	srv  *Server
	log  *lockedBuffer // everything the server and the service logged
	jwts map[string]string
}

// lockedBuffer is a bytes.Buffer that handlers on other goroutines may write
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var testUsers = []struct{ name, role string }{
	{adminUser, ballots.RoleAdmin}, {groupUser, ballots.RoleGroup},
	{otherGroup, ballots.RoleGroup}, {viewerUser, ballots.RoleViewer}}

var hashes struct {
	sync.Mutex
	byName map[string]string
}

// userHashes creates the test users once per process through
// Service.CreateUser and returns their password hashes, so later test
// servers store the same accounts without paying bcrypt again.
func userHashes(t *testing.T, svc *ballots.Service) map[string]string {
	t.Helper()
	hashes.Lock()
	defer hashes.Unlock()
	if hashes.byName != nil {
		return hashes.byName
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, len(testUsers))
	for i, u := range testUsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = svc.CreateUser(ctx, u.name, u.role, password)
		}()
	}
	wg.Wait()
	out := map[string]string{}
	for i, u := range testUsers {
		if errs[i] != nil {
			t.Fatalf("create user %s: %v", u.name, errs[i])
		}
		got, err := svc.User(ctx, u.name)
		if err != nil {
			t.Fatal(err)
		}
		out[u.name] = got.PasswordHash
	}
	hashes.byName = out
	return out
}

// newTestServer builds a started Service and a Server on it, with the users
// admin (admin), zhang and wang (group) and viewer (viewer), and a JWT for
// each. opts change the server's Config.
func newTestServer(t *testing.T, opts ...func(*Config)) *testServer {
	t.Helper()
	return newTestServerOn(t, sqltest.Open(t), opts...)
}

// newTestServerOn is newTestServer on a given store.
func newTestServerOn(t *testing.T, store *sqlstore.Store, opts ...func(*Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	live := redistest.Open(t)
	svc := ballots.NewService(store, live, ballots.Options{Reconcile: 100 * time.Millisecond, Logger: logger})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	secret := []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	cfg := Config{Secret: secret, BaseURL: "http://test", Logger: logger}
	for _, o := range opts {
		o(&cfg)
	}
	srv := New(svc, cfg)
	ts := &testServer{svc: svc, srv: srv, log: logs, jwts: map[string]string{}}

	for _, u := range testUsers {
		hash := userHashes(t, svc)[u.name]
		if err := store.CreateUser(ctx, ballots.User{Name: u.name, Role: u.role, PasswordHash: hash}); err != nil &&
			ballots.ErrorCode(err) != ballots.EConflict {
			t.Fatalf("create user %s: %v", u.name, err)
		}
		// Signing in through POST /api/v1/login costs a bcrypt comparison,
		// about a second under -race; TestLogin covers it. Here the token is
		// issued the way login issues it.
		stored, err := store.User(ctx, u.name)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := srv.issueJWT(stored, "")
		if err != nil {
			t.Fatal(err)
		}
		ts.jwts[u.name] = tok
	}
	return ts
}

// tryLogin signs in through the API and returns the JWT.
func (ts *testServer) tryLogin(name, pw string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": name, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := ts.srv.App().Test(req, -1)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return "", fmt.Errorf("login %s: %d %s", name, res.StatusCode, b)
	}
	var out struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: bad answer %s", name, b)
	}
	return out.Token, nil
}

// login signs name in and returns the JWT.
func (ts *testServer) login(t *testing.T, name, pw string) string {
	t.Helper()
	tok, err := ts.tryLogin(name, pw)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// bearer returns the Authorization header value of a signed-in user.
func (ts *testServer) bearer(user string) string {
	if user == "" {
		return ""
	}
	return "Bearer " + ts.jwts[user]
}

// req is one HTTP request to the app.
type req struct {
	method  string
	url     string
	as      string            // user whose JWT goes in Authorization ("" for none)
	headers map[string]string // extra headers; "Authorization" overrides as
	body    string
}

// do runs r through app.Test and returns the status and body.
func (ts *testServer) do(t testing.TB, r req) (int, []byte) {
	t.Helper()
	status, body, _ := ts.doFull(t, r)
	return status, body
}

// doFull is do that also returns the answer's headers.
func (ts *testServer) doFull(t testing.TB, r req) (int, []byte, http.Header) {
	t.Helper()
	var body io.Reader = http.NoBody
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.url, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.as != "" {
		hr.Header.Set("Authorization", ts.bearer(r.as))
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	res, err := ts.srv.App().Test(hr, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", r.method, r.url, err)
	}
	return res.StatusCode, b, res.Header
}

// call sends v (marshalled unless it is a string) as user, wants status and
// decodes the answer into out (when not nil).
func (ts *testServer) call(t testing.TB, method, url, as string, v any, want int, out any) []byte {
	t.Helper()
	body := ""
	switch x := v.(type) {
	case nil:
	case string:
		body = x
	default:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	status, got := ts.do(t, req{method: method, url: url, as: as, body: body})
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, url, status, want, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, got, err)
		}
	}
	return got
}

// scenario is one API call and what must come back (PocketBase ApiScenario).
type scenario struct {
	name     string
	method   string
	url      string
	as       string
	headers  map[string]string
	body     string
	status   int
	contains []string // substrings the body must contain
	absent   []string // substrings the body must not contain
	code     string   // for errors: the error code
	before   func(t *testing.T)
	after    func(t *testing.T, body []byte)
}

// run runs the scenarios in order as subtests.
func (ts *testServer) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.before != nil {
				sc.before(t)
			}
			status, body, h := ts.doFull(t, req{method: sc.method, url: sc.url, as: sc.as, headers: sc.headers, body: sc.body})
			ts.check(t, sc, status, body)
			// Every /api/v1 answer is JSON (no Accept header asks otherwise).
			if ct := h.Get("Content-Type"); strings.HasPrefix(sc.url, "/api/v1/") && !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s %s answered with Content-Type %q, want JSON", sc.method, sc.url, ct)
			}
			if sc.after != nil {
				sc.after(t, body)
			}
		})
	}
}

func (ts *testServer) check(t *testing.T, sc scenario, status int, body []byte) {
	t.Helper()
	if status != sc.status {
		t.Errorf("%s %s: status %d, want %d; body %s", sc.method, sc.url, status, sc.status, trim(body))
	}
	if status >= 500 {
		t.Errorf("%s %s: server error %d (never for bad input): %s", sc.method, sc.url, status, trim(body))
	}
	for _, s := range sc.contains {
		if !bytes.Contains(body, []byte(s)) {
			t.Errorf("%s %s: body lacks %q: %s", sc.method, sc.url, s, trim(body))
		}
	}
	for _, s := range sc.absent {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("%s %s: body has %q: %s", sc.method, sc.url, s, trim(body))
		}
	}
	if status >= 400 {
		code := errorShape(t, body)
		if sc.code != "" && code != sc.code {
			t.Errorf("%s %s: error code %q, want %q", sc.method, sc.url, code, sc.code)
		}
	}
}

func trim(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// errorShape checks that body is DESIGN.md's error shape,
// {"error":{"code","message","details"?}}, with a non-empty code and message,
// and returns the code.
func errorShape(t testing.TB, body []byte) string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Errorf("error body is not a JSON object: %q", trim(body))
		return ""
	}
	if len(top) != 1 || top["error"] == nil {
		t.Errorf("error body must hold exactly \"error\": %s", trim(body))
		return ""
	}
	type detail struct {
		ballots.Detail
		MessageEN string `json:"message_en"`
	}
	var e struct {
		Code      string   `json:"code"`
		Message   string   `json:"message"`
		MessageEN string   `json:"message_en"`
		Details   []detail `json:"details"`
	}
	dec := json.NewDecoder(bytes.NewReader(top["error"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Errorf("error body: %v: %s", err, trim(body))
		return ""
	}
	if e.Code == "" || strings.TrimSpace(e.Message) == "" {
		t.Errorf("error body needs a code and a message: %s", trim(body))
	}
	// The message is the user's, in Chinese; its English goes apart.
	if !hasHan(e.Message) || englishTail.MatchString(e.Message) {
		t.Errorf("error message is not Chinese alone: %q", e.Message)
	}
	for _, d := range e.Details {
		if strings.TrimSpace(d.Message) == "" {
			t.Errorf("error detail without a message: %s", trim(body))
		}
		if englishTail.MatchString(d.Message) {
			t.Errorf("error detail message is not Chinese alone: %q", d.Message)
		}
	}
	return e.Code
}

// errorDetails decodes an error body's details.
func errorDetails(t testing.TB, body []byte) []ballots.Detail {
	t.Helper()
	var e struct {
		Error struct {
			Details []ballots.Detail `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decode error %s: %v", body, err)
	}
	return e.Error.Details
}

// ---- Seed data ----

const (
	cycle   = "2020"
	meeting = "M1"
	formID  = "F-town"
	mURL    = "/api/v1/cycles/2020/meetings/M1"
)

// seedUnits are the towns and departments of the seeded year.
var seedUnits = []ballots.Unit{
	{Code: "T01", Name: "城关镇", Kind: "town", Staff: 80},
	{Code: "T02", Name: "河口镇", Kind: "town", Staff: 40},
	{Code: "D01", Name: "县财政局", Kind: "department", Staff: 30},
	{Code: "D02", Name: "县教育局", Kind: "department", Staff: 60},
}

// seedPeople: three cadres of the host T01 (rated in "cad"), two
// candidates elsewhere (recommended in "rec").
var seedPeople = []ballots.Person{
	{Code: "P01", Name: "张建国", Unit: "T01", Post: "党委书记", Leader: true},
	{Code: "P02", Name: "李卫东", Unit: "T01", Post: "镇长", Leader: true},
	{Code: "P03", Name: "王秀兰", Unit: "T01", Post: "人大主席", Leader: true},
	{Code: "P07", Name: "赵丽", Unit: "T02", Post: "党政办主任"},
	{Code: "P08", Name: "周鹏", Unit: "D01", Post: "办公室主任"},
}

var dims = []string{"德", "能", "勤", "绩", "廉"}

func num(x float64) *float64 { return &x }

// seedForm is the town's four-section form: grade the host, score the
// departments, grade the host's cadres on 德能勤绩廉 with at most 30% 优秀
// (1 of 3 per dimension), choose at most one reserve cadre (optional).
func seedForm(code string) ballots.Form {
	no := false
	return ballots.Form{Code: code, Title: "城关镇民主测评表", Sections: []ballots.Section{
		{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"},
			Scale: ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "好", Value: 1}, {Label: "较好", Value: 0.8}, {Label: "一般", Value: 0.6}, {Label: "差", Value: 0}}}},
		{Code: "mut", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"},
			Scale: ballots.Scale{Type: "score", Min: num(0), Max: num(100)}},
		{Code: "cad", Title: "科级干部测评", Purpose: "cadre", Subjects: []string{"people:host"}, Dimensions: dims,
			Scale:  ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "优秀", Value: 1}, {Label: "称职", Value: 0.8}, {Label: "基本称职", Value: 0.5}, {Label: "不称职", Value: 0}}},
			Limits: []ballots.Limit{{Options: []string{"优秀"}, MaxShare: 0.3}}},
		{Code: "rec", Title: "无任用推荐", Purpose: "recommend", Subjects: []string{"person:P07", "person:P08"},
			Scale: ballots.Scale{Type: "choose", Max: num(1)}, Required: &no},
	}}
}

// seedMeeting is M1: 城关镇's work-report meeting run by zhang, with two
// voter groups on the town form.
func seedMeeting() ballots.Meeting {
	return ballots.Meeting{Title: "城关镇2020年度目标责任考核工作报告大会", Kind: "work_report", Host: "T01",
		Date: "2021-01-15", Staff: []string{groupUser},
		Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: formID}, {Code: "village", Name: "村两委及集镇单位负责人", Form: formID}}}
}

// seedYear sets up cycle 2020 over HTTP: units, people, the form F-town and
// the pending meeting M1.
func (ts *testServer) seedYear(t *testing.T) {
	t.Helper()
	ts.call(t, "POST", "/api/v1/cycles", adminUser, ballots.Cycle{Code: cycle, Name: "2020年度目标责任考核"}, 201, nil)
	ts.call(t, "PUT", "/api/v1/cycles/2020/units", adminUser, seedUnits, 200, nil)
	ts.call(t, "PUT", "/api/v1/cycles/2020/people", adminUser, seedPeople, 200, nil)
	ts.call(t, "PUT", "/api/v1/cycles/2020/forms/"+formID, adminUser, seedForm(formID), 200, nil)
	ts.call(t, "PUT", mURL, adminUser, seedMeeting(), 201, nil)
}

// putMeeting creates another pending meeting of cycle 2020.
func (ts *testServer) putMeeting(t *testing.T, code string, staff []string, groups ...string) string {
	t.Helper()
	m := seedMeeting()
	m.Staff = staff
	m.Groups = nil
	for _, g := range groups {
		m.Groups = append(m.Groups, ballots.Group{Code: g, Name: "类别" + g, Form: formID})
	}
	ts.call(t, "PUT", "/api/v1/cycles/2020/meetings/"+code, adminUser, m, 201, nil)
	return "/api/v1/cycles/2020/meetings/" + code
}

// batch is the answer to POST …/batches.
type batch struct {
	Batch  string   `json:"batch"`
	Group  string   `json:"group"`
	Count  int      `json:"count"`
	Tokens []string `json:"tokens"`
	URL    string   `json:"url"`
}

// issue prints n slips for group of the meeting at url.
func (ts *testServer) issue(t *testing.T, url, group string, n int) batch {
	t.Helper()
	var b batch
	ts.call(t, "POST", url+"/batches", adminUser, map[string]any{"group": group, "count": n}, 201, &b)
	if len(b.Tokens) != n || b.Count != n || b.Group != group || b.Batch == "" {
		t.Fatalf("issue %d slips of %s: got %+v", n, group, b)
	}
	return b
}

func (ts *testServer) open(t *testing.T, url string) {
	t.Helper()
	ts.call(t, "POST", url+"/open", adminUser, nil, 200, nil)
}

func (ts *testServer) closeMeeting(t *testing.T, url string) {
	t.Helper()
	ts.call(t, "POST", url+"/close", adminUser, nil, 200, nil)
}

// vote is one filled-in ballot of F-town.
type vote struct {
	dem  string                 // 好 较好 一般 差
	mut  [2]float64             // D01, D02
	cad  [3]string              // P01..P03, the same grade on every dimension
	rec  []string               // chosen candidates
	edit func(a map[string]any) // last changes, to break a rule
}

// goodVote is a valid ballot.
func goodVote() vote {
	return vote{dem: "好", mut: [2]float64{88, 92}, cad: [3]string{"优秀", "称职", "称职"}, rec: []string{"P07"}}
}

func (v vote) answers() map[string]any {
	cad := map[string]any{}
	for i, p := range []string{"P01", "P02", "P03"} {
		d := map[string]any{}
		for _, x := range dims {
			d[x] = v.cad[i]
		}
		cad[p] = d
	}
	a := map[string]any{
		"dem": map[string]any{"T01": v.dem},
		"mut": map[string]any{"D01": v.mut[0], "D02": v.mut[1]},
		"cad": cad,
	}
	if v.rec != nil {
		a["rec"] = v.rec
	}
	if v.edit != nil {
		v.edit(a)
	}
	return a
}

func (v vote) body() string {
	b, _ := json.Marshal(map[string]any{"answers": v.answers()})
	return string(b)
}

// cast posts a ballot with a slip and an Idempotency-Key.
func (ts *testServer) cast(t testing.TB, token, key, body string) (int, []byte) {
	t.Helper()
	h := map[string]string{"Authorization": "Ballot " + token}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	return ts.do(t, req{method: "POST", url: "/api/v1/ballot", headers: h, body: body})
}

// mustCast casts v and wants 201 {"status":"counted"}.
func (ts *testServer) mustCast(t testing.TB, token string, v vote) {
	t.Helper()
	status, body := ts.cast(t, token, "k-"+token[:6], v.body())
	if status != 201 || !bytes.Contains(body, []byte(`"counted"`)) {
		t.Fatalf("cast: %d %s", status, body)
	}
}

// turnoutJSON is GET …/turnout.
type turnoutJSON struct {
	Status  string `json:"status"`
	Issued  int64  `json:"issued"`
	Cast    int64  `json:"cast"`
	Revoked int64  `json:"revoked"`
	Groups  []struct {
		Code   string `json:"code"`
		Name   string `json:"name"`
		Issued int64  `json:"issued"`
		Cast   int64  `json:"cast"`
	} `json:"groups"`
}

func (ts *testServer) turnout(t testing.TB, url string) turnoutJSON {
	t.Helper()
	var out turnoutJSON
	ts.call(t, "GET", url+"/turnout", adminUser, nil, 200, &out)
	return out
}

// waitTurnout polls turnout until ok holds: casts reach the live tally after
// they commit, and turnout is cached for half a second.
func (ts *testServer) waitTurnout(t testing.TB, url string, ok func(turnoutJSON) bool) turnoutJSON {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tu := ts.turnout(t, url)
		if ok(tu) {
			return tu
		}
		if time.Now().After(deadline) {
			t.Fatalf("turnout never reached the expected figures: %+v", tu)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snapshot is everything a bad request must leave alone: units, people,
// forms, meetings and each meeting's turnout.
func (ts *testServer) snapshot(t testing.TB) string {
	t.Helper()
	var sb strings.Builder
	for _, u := range []string{"/api/v1/cycles", "/api/v1/cycles/2020/units", "/api/v1/cycles/2020/people",
		"/api/v1/cycles/2020/forms", "/api/v1/cycles/2020/meetings"} {
		status, body := ts.do(t, req{method: "GET", url: u, as: adminUser})
		fmt.Fprintf(&sb, "%s %d %s\n", u, status, body)
	}
	var ms struct {
		Meetings []struct {
			Code string `json:"code"`
		} `json:"meetings"`
	}
	_, body := ts.do(t, req{method: "GET", url: "/api/v1/cycles/2020/meetings", as: adminUser})
	_ = json.Unmarshal(body, &ms)
	for _, m := range ms.Meetings {
		u := "/api/v1/cycles/2020/meetings/" + m.Code + "/turnout"
		status, body := ts.do(t, req{method: "GET", url: u, as: adminUser})
		// "live" says whether the cast figure came from Redis or the ledger
		// (cached for half a second): it depends on timing, not on data.
		body = liveFlag.ReplaceAll(body, nil)
		fmt.Fprintf(&sb, "%s %d %s\n", u, status, body)
		// Turnout is cached and fed asynchronously: the ledger's own count
		// is the figure a wrongly counted ballot would change at once.
		rec, err := ts.svc.Meeting(context.Background(), cycle, m.Code)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "ledger %s: status %s cast %d sealed %v\n", m.Code, rec.Meeting.Status, rec.Cast, rec.Sealed != nil)
	}
	return sb.String()
}

var liveFlag = regexp.MustCompile(`,?"live":(true|false)`)

// listen serves the app on 127.0.0.1:0 until the test ends and returns its
// base URL.
func (ts *testServer) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ts.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ts.srv.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
