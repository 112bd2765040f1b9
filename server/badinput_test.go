package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
)

// bodyEndpoint is an endpoint that reads a JSON body, with a valid body and
// bodies that are wrong in its own ways.
type bodyEndpoint struct {
	name         string
	method, url  string
	as           string
	headers      map[string]string
	valid        string   // a body it would accept (used to build trailing-data cases)
	wrongType    []string // well-formed JSON with a value of the wrong type
	unknownField []string // an unknown field, at the top or nested
	invalid      []string // well-formed and well-typed, but breaking a rule: 400
}

func badInputEndpoints(slip string, pending string) []bodyEndpoint {
	ballotHeaders := map[string]string{"Authorization": "Ballot " + slip, "Idempotency-Key": "bad-input"}
	unit := `{"code":"T01","name":"城关镇","kind":"town","staff":80}`
	person := `{"code":"P01","name":"张建国","unit":"T01","post":"党委书记","leader":true}`
	return []bodyEndpoint{
		{name: "Login", method: "POST", url: "/api/v1/login",
			valid:        `{"username":"admin","password":"` + password + `"}`,
			wrongType:    []string{`{"username":1,"password":"x"}`, `{"username":"admin","password":null,"x":1}`, `[]`, `"admin"`},
			unknownField: []string{`{"username":"admin","password":"x","remember":true}`}},
		{name: "CreateCycle", method: "POST", url: "/api/v1/cycles", as: adminUser,
			valid:        `{"code":"2021","name":"2021年度目标责任考核"}`,
			wrongType:    []string{`{"code":2021,"name":"x"}`, `{"code":"2021","name":["x"]}`, `["2021"]`},
			unknownField: []string{`{"code":"2021","name":"x","year":2021}`},
			invalid: []string{`{}`, `null`, `{"code":"","name":"x"}`, `{"code":"2021/22","name":"x"}`, `{"code":"2021","name":"a\u0000b"}`,
				`{"code":"\u4e8c\u96f6","name":"x"}`, `{"code":"` + strings.Repeat("9", 65) + `","name":"x"}`}},
		{name: "PutUnits", method: "PUT", url: "/api/v1/cycles/2020/units", as: adminUser,
			valid:        `[` + unit + `]`,
			wrongType:    []string{unit, `[{"code":"T01","name":"城关镇","kind":"town","staff":"many"}]`, `[{"code":"T01","name":"城关镇","kind":"town","staff":1.5}]`, `["T01"]`, `{"units":[]}`},
			unknownField: []string{`[{"code":"T01","name":"城关镇","kind":"town","staff":80,"leader":"x"}]`},
			// A list that is not there must not replace the units with nothing.
			invalid: []string{`null`, `[{}]`, `[null]`, `[{"code":"T01","name":"城关\u0000镇","kind":"town"}]`}},
		{name: "PutPeople", method: "PUT", url: "/api/v1/cycles/2020/people", as: adminUser,
			valid:        `[` + person + `]`,
			wrongType:    []string{person, `[{"code":"P01","name":"张建国","unit":"T01","leader":"yes"}]`, `[{"code":"P01","name":"张建国","unit":1}]`},
			unknownField: []string{`[{"code":"P01","name":"张建国","unit":"T01","age":50}]`},
			invalid:      []string{`null`, `[{}]`, `[{"code":"P01","name":"张建国","unit":"T99"}]`, `[{"code":"P01","name":"张建国","unit":"T01","post":"书记\u0007"}]`}},
		{name: "PutForm", method: "PUT", url: "/api/v1/cycles/2020/forms/F-new", as: adminUser,
			valid: formWith(func(f *ballots.Form) { f.Code = "F-new" }),
			wrongType: []string{`{"title":"x","sections":{}}`, `{"title":"x","sections":[{"code":"a","scale":{"type":"score","min":"0","max":100}}]}`,
				`{"title":"x","sections":[{"code":"a","required":"no"}]}`, `{"title":"x","sections":[{"code":"a","subjects":"host"}]}`, `[]`},
			unknownField: []string{`{"title":"x","sections":[],"colour":"red"}`, `{"title":"x","sections":[{"code":"a","weight":2}]}`,
				`{"title":"x","sections":[{"code":"a","scale":{"type":"grade","options":[{"label":"好","value":1,"points":5}]}}]}`},
			invalid: []string{`null`, `{}`, `{"title":"x","sections":[{}]}`, formWith(func(f *ballots.Form) { f.Code = "F-new"; f.Sections[0].Scale.Options = nil })}},
		{name: "PutMeeting", method: "PUT", url: pending, as: adminUser,
			valid:        meetingWith(func(m *ballots.Meeting) { m.Code = "" }),
			wrongType:    []string{`{"title":"x","staff":"zhang"}`, `{"title":"x","groups":{}}`, `{"title":"x","date":20210115}`, `[]`},
			unknownField: []string{`{"title":"x","place":"礼堂"}`, `{"title":"x","groups":[{"code":"a","name":"b","form":"F-town","size":60}]}`},
			invalid: []string{`null`, `{}`, meetingWith(func(m *ballots.Meeting) { m.Code = ""; m.Date = "2021-13-01" }),
				meetingWith(func(m *ballots.Meeting) { m.Code = ""; m.Groups[0].Form = "F-none" })}},
		{name: "IssueBatch", method: "POST", url: mURL + "/batches", as: adminUser,
			valid:        `{"group":"cadres","count":1}`,
			wrongType:    []string{`{"group":"cadres","count":"ten"}`, `{"group":"cadres","count":1.5}`, `{"group":"cadres","count":1e20}`, `{"group":5,"count":1}`, `[1]`},
			unknownField: []string{`{"group":"cadres","count":1,"print":true}`},
			invalid: []string{`null`, `{}`, `{"group":"cadres","count":0}`, `{"group":"cadres","count":-5}`, `{"group":"cadres","count":10000001}`,
				`{"group":"cadres","count":10001}`, `{"group":"cadres"}`, `{"group":"nobody","count":1}`, `{"group":"","count":1}`}},
		{name: "Cast", method: "POST", url: "/api/v1/ballot", headers: ballotHeaders,
			valid:        goodVote().body(),
			wrongType:    []string{`{"answers":[]}`, `{"answers":"好"}`, `{"answers":1}`, `[]`},
			unknownField: []string{`{"answers":{},"voter":"me"}`},
			invalid:      []string{`null`, `{}`, `{"answers":null}`}},
	}
}

// badBodies are malformed bodies every JSON endpoint must answer with 400.
var badBodies = map[string]string{
	"Malformed":   `{"a":`,
	"BadComma":    `{,}`,
	"NotJSON":     `hello`,
	"Truncated":   `[{"code":"T01"`,
	"Empty":       ``,
	"Whitespace":  " \n\t ",
	"InvalidUTF8": "\xff\xfe\xfd",
	"DeepNesting": strings.Repeat("[", 20000),
	"BareNumber":  `1e999`,
}

// TestBadInput sends every JSON endpoint malformed JSON, wrong types,
// unknown fields, empty and oversized bodies and unknown codes, and checks
// that each answers 4xx in DESIGN.md's error shape and changes nothing.
func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	pending := ts.putMeeting(t, "M2", []string{groupUser}, "cadres")
	b := ts.issue(t, mURL, "cadres", 3)
	ts.open(t, mURL)
	ts.mustCast(t, b.Tokens[0], goodVote())
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 1 })
	before := ts.snapshot(t)

	var scs []scenario
	for _, e := range badInputEndpoints(b.Tokens[1], pending) {
		add := func(kind, body string) {
			scs = append(scs, scenario{name: e.name + "/" + kind, method: e.method, url: e.url, as: e.as, headers: e.headers,
				body: body, status: 400, code: "invalid"})
		}
		for kind, body := range badBodies {
			add(kind, body)
		}
		add("TrailingData", e.valid+` x`)
		add("TwoValues", e.valid+e.valid)
		for i, body := range e.wrongType {
			add("WrongType"+itoa(i), body)
		}
		for i, body := range e.unknownField {
			add("UnknownField"+itoa(i), body)
		}
		for i, body := range e.invalid {
			add("Invalid"+itoa(i), body)
		}
	}
	// Rules of the ballot request itself.
	castNoKey := map[string]string{"Authorization": "Ballot " + b.Tokens[1]}
	scs = append(scs,
		scenario{name: "Cast/NoIdempotencyKey", method: "POST", url: "/api/v1/ballot", headers: castNoKey, body: goodVote().body(), status: 400, code: "invalid"},
		scenario{name: "Cast/LongIdempotencyKey", method: "POST", url: "/api/v1/ballot",
			headers: map[string]string{"Authorization": "Ballot " + b.Tokens[1], "Idempotency-Key": strings.Repeat("k", 201)},
			body:    goodVote().body(), status: 400, code: "invalid"},
	)
	// Unknown cycles, meetings, forms and batches.
	for _, u := range []struct{ method, url, body string }{
		{"GET", "/api/v1/cycles/1999/units", ""},
		{"PUT", "/api/v1/cycles/1999/units", `[]`},
		{"GET", "/api/v1/cycles/1999/people", ""},
		{"PUT", "/api/v1/cycles/1999/people", `[]`},
		{"GET", "/api/v1/cycles/1999/forms", ""},
		{"GET", "/api/v1/cycles/1999/forms/F-town", ""},
		{"GET", "/api/v1/cycles/2020/forms/F-none", ""},
		{"PUT", "/api/v1/cycles/1999/forms/F-town", formWith(func(*ballots.Form) {})},
		{"GET", "/api/v1/cycles/1999/meetings", ""},
		{"GET", "/api/v1/cycles/1999/meetings/M1", ""},
		{"PUT", "/api/v1/cycles/1999/meetings/M1", mustJSON(seedMeeting())},
		{"GET", "/api/v1/cycles/2020/meetings/M9", ""},
		{"POST", "/api/v1/cycles/2020/meetings/M9/batches", `{"group":"cadres","count":1}`},
		{"POST", "/api/v1/cycles/1999/meetings/M1/batches", `{"group":"cadres","count":1}`},
		{"POST", "/api/v1/cycles/2020/meetings/M9/open", ""},
		{"POST", "/api/v1/cycles/2020/meetings/M9/close", ""},
		{"GET", "/api/v1/cycles/2020/meetings/M9/turnout", ""},
		{"GET", "/api/v1/cycles/2020/meetings/M9/events", ""},
		{"GET", "/api/v1/cycles/2020/meetings/M9/results", ""},
		{"GET", "/api/v1/cycles/2020/meetings/M9/ballots", ""},
		{"GET", "/api/v1/cycles/2020/meetings/%E4%BC%9A/turnout", ""},
		{"POST", "/api/v1/batches/B0000000000000000/revoke", ""},
		{"POST", "/api/v1/batches/%00/revoke", ""},
		{"GET", "/api/v1/nothing", ""},
		{"DELETE", "/api/v1/cycles/2020", ""},
	} {
		scs = append(scs, scenario{name: "Unknown/" + u.method + u.url, method: u.method, url: u.url, as: adminUser, body: u.body, status: 404, code: "not_found"})
	}
	// Wrong state: all 4xx, nothing changes.
	scs = append(scs,
		scenario{name: "State/OpenTwice", method: "POST", url: mURL + "/open", as: adminUser, status: 409, code: "conflict"},
		scenario{name: "State/ClosePending", method: "POST", url: pending + "/close", as: adminUser, status: 409, code: "conflict"},
		scenario{name: "State/PutOpenMeeting", method: "PUT", url: mURL, as: adminUser, body: `{`, status: 409, code: "conflict"},
		scenario{name: "State/PutFormOfOpenMeeting", method: "PUT", url: "/api/v1/cycles/2020/forms/F-town", as: adminUser, body: formWith(func(*ballots.Form) {}), status: 409, code: "conflict"},
		scenario{name: "State/ResultsWhileOpen", method: "GET", url: mURL + "/results", as: adminUser, status: 409, code: "meeting_open"},
		scenario{name: "State/BallotsWhileOpen", method: "GET", url: mURL + "/ballots", as: adminUser, status: 409, code: "meeting_open"},
		scenario{name: "State/CycleExists", method: "POST", url: "/api/v1/cycles", as: adminUser, body: `{"code":"2020","name":"x"}`, status: 409, code: "conflict"},
	)

	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			status, body, h := ts.doFull(t, req{method: sc.method, url: sc.url, as: sc.as, headers: sc.headers, body: sc.body})
			ts.check(t, sc, status, body)
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s %s answered with Content-Type %q, want JSON", sc.method, sc.url, ct)
			}
			if after := ts.snapshot(t); after != before {
				t.Errorf("%s %s (%q) changed stored data:\n%s", sc.method, sc.url, trim([]byte(sc.body)), diffLines(before, after))
				// Put the seed back so one failure does not fail every later case.
				ts.call(t, "PUT", "/api/v1/cycles/2020/units", adminUser, seedUnits, 200, nil)
				ts.call(t, "PUT", "/api/v1/cycles/2020/people", adminUser, seedPeople, 200, nil)
				before = ts.snapshot(t)
			}
		})
	}

	// Bodies over 1 MiB, over a real connection (app.Test returns an error
	// instead of the answer). The request announces 1 MiB + 1 bytes and
	// sends the first few: the server must refuse on the Content-Length
	// alone, with 413 in the error shape. (TestOversizedBodyAnswered sends
	// whole bodies.)
	addr := strings.TrimPrefix(ts.listen(t), "http://")
	for _, e := range badInputEndpoints(b.Tokens[1], pending) {
		t.Run(e.name+"/TooLarge", func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			if e.as != "" {
				h["Authorization"] = ts.bearer(e.as)
			}
			for k, v := range e.headers {
				h[k] = v
			}
			status, body := rawRequest(t, addr, e.method, e.url, h, BodyLimit+1, `{"x":"aaaaaaaa`)
			ts.check(t, scenario{method: e.method, url: e.url, status: 413, code: "too_large"}, status, body)
			if after := ts.snapshot(t); after != before {
				t.Fatalf("an oversized body changed stored data:\n%s", diffLines(before, after))
			}
		})
	}

	// None of it spent the slip the bad casts carried.
	t.Run("SlipStillUnspent", func(t *testing.T) {
		status, body := ts.cast(t, b.Tokens[1], "after-bad-input", goodVote().body())
		if status != 201 || !bytes.Contains(body, []byte(`"counted"`)) {
			t.Fatalf("cast after the bad requests: %d %s", status, body)
		}
	})
}

func itoa(i int) string { return string(rune('0' + i)) }

// diffLines shows the lines of a snapshot that changed.
func diffLines(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var sb strings.Builder
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x != y {
			fmt.Fprintf(&sb, "- %s\n+ %s\n", trim([]byte(x)), trim([]byte(y)))
		}
	}
	return sb.String()
}

// rawRequest writes a request announcing length body bytes but sending only
// start, and reads the answer.
func rawRequest(t *testing.T, addr, method, path string, headers map[string]string, length int, start string) (int, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", method, path, addr, length)
	for k, v := range headers {
		fmt.Fprintf(&sb, "%s: %s\r\n", k, v)
	}
	sb.WriteString("\r\n")
	sb.WriteString(start)
	if _, err := io.WriteString(conn, sb.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s announcing %d bytes: %v", method, path, length, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: %d answered as %q, want JSON", method, path, res.StatusCode, ct)
	}
	return res.StatusCode, body
}

// TestNonUTF8Codes sends codes that are not UTF-8 (raw bytes in the request
// line, which only a raw connection can send) and a NUL in a login name:
// each must be 4xx — PostgreSQL refuses such strings, and its error must not
// surface as 500.
func TestNonUTF8Codes(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	before := ts.snapshot(t)
	addr := strings.TrimPrefix(ts.listen(t), "http://")
	admin := map[string]string{"Authorization": ts.bearer(adminUser), "Content-Type": "application/json"}
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v1/cycles/\xff/units", "", 404},
		{"GET", "/api/v1/cycles/\xff\xfe/people", "", 404},
		{"GET", "/api/v1/cycles/2020/forms/\xff", "", 404},
		{"GET", "/api/v1/cycles/2020/meetings/\xff", "", 404},
		{"GET", "/api/v1/cycles/2020/meetings/\xff/turnout", "", 404},
		{"POST", "/api/v1/cycles/2020/meetings/\xff/open", "", 404},
		{"POST", "/api/v1/batches/\xff/revoke", "", 404},
		{"PUT", "/api/v1/cycles/2020/meetings/\xff", mustJSON(seedMeeting()), 400},
		{"PUT", "/api/v1/cycles/\xff/units", mustJSON(seedUnits), 404},
	} {
		t.Run(c.method+" "+strings.ToValidUTF8(c.path, "?"), func(t *testing.T) {
			status, body := rawRequest(t, addr, c.method, c.path, admin, len(c.body), c.body)
			ts.check(t, scenario{method: c.method, url: c.path, status: c.status}, status, body)
		})
	}
	if after := ts.snapshot(t); after != before {
		t.Errorf("requests with bad codes changed stored data:\n%s", diffLines(before, after))
	}
}

// TestOversizedBodyAnswered sends whole bodies over the limit, as a browser
// uploading a too-big spreadsheet does: the client must read the 413 and its
// message, not a reset connection.
func TestOversizedBodyAnswered(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	base := ts.listen(t)
	body := bytes.Repeat([]byte("a"), 4*BodyLimit)
	for i := 0; i < 10; i++ {
		req, _ := http.NewRequest("PUT", base+"/api/v1/cycles/2020/units", bytes.NewReader(body))
		req.Header.Set("Authorization", ts.bearer(adminUser))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("try %d: a 4 MiB body got %v, want a 413 answer", i, err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 413 || !strings.Contains(string(msg), "too_large") {
			t.Fatalf("try %d: %d %s", i, res.StatusCode, msg)
		}
	}
}
