package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// TestAnonymity runs a whole vote over a real connection from 127.0.0.1,
// with the server's and the service's logs going to a buffer, and checks
// that no slip code (plain, grouped, lower case), no token hash and no client
// address reached the log, that answers carry the privacy headers, and that
// what is kept of a ballot is its random id, its group and its answers.
func TestAnonymity(t *testing.T) {
	ts := newTestServer(t) // logs to ts.log, a buffer
	ts.seedYear(t)
	base := ts.listen(t)
	var mu sync.Mutex
	var clientAddrs []string
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			clientAddrs = append(clientAddrs, c.LocalAddr().String())
			mu.Unlock()
		}
		return c, err
	}}}
	do := func(method, path string, headers map[string]string, body string) (int, []byte, http.Header) {
		t.Helper()
		hr, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			hr.Header.Set("Content-Type", "application/json")
		}
		for k, v := range headers {
			hr.Header.Set(k, v)
		}
		res, err := client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b, res.Header
	}
	admin := map[string]string{"Authorization": ts.bearer(adminUser)}

	status, body, _ := do("POST", mURL+"/batches", admin, `{"group":"cadres","count":5}`)
	if status != 201 {
		t.Fatalf("batch: %d %s", status, body)
	}
	var b batch
	_ = json.Unmarshal(body, &b)
	small := ts.issue(t, mURL, "village", 3)
	do("POST", mURL+"/open", admin, "")

	cast := []vote{
		goodVote(),
		{dem: "较好", mut: [2]float64{70, 75}, cad: [3]string{"称职", "称职", "称职"}, rec: []string{"P08"}},
		{dem: "差", mut: [2]float64{10, 20}, cad: [3]string{"不称职", "基本称职", "称职"}},
		{dem: "一般", mut: [2]float64{60, 61}, cad: [3]string{"称职", "优秀", "称职"}, rec: []string{}},
	}
	for i, v := range cast {
		tok := b.Tokens[i]
		slipH := slip(tok, "key-"+tok[:4])
		for range 2 { // WeChat reads the link once more by itself
			if status, body, _ := do("GET", "/api/v1/ballot", slip(tok), ""); status != 200 {
				t.Fatalf("read ballot: %d %s", status, body)
			}
		}
		bad := v
		bad.edit = func(a map[string]any) { a["dem"] = map[string]any{"T01": "极好"} }
		if status, _, _ := do("POST", "/api/v1/ballot", slipH, bad.body()); status != 422 {
			t.Fatalf("bad ballot: %d", status)
		}
		if status, body, _ := do("POST", "/api/v1/ballot", slipH, v.body()); status != 201 {
			t.Fatalf("cast: %d %s", status, body)
		}
		if status, _, _ := do("POST", "/api/v1/ballot", slipH, v.body()); status != 201 {
			t.Fatalf("resend: %d", status)
		}
		if status, _, _ := do("POST", "/api/v1/ballot", slip(tok, "other"), v.body()); status != 409 {
			t.Fatalf("other key: %d", status)
		}
	}
	// The code as printed on the slip, and as typed in lower case.
	if status, _, _ := do("GET", "/api/v1/ballot", slip(groupedOf(b.Tokens[4])), ""); status != 200 {
		t.Fatalf("grouped code: %d", status)
	}
	if status, _, _ := do("GET", "/api/v1/ballot", slip(strings.ToLower(b.Tokens[4])), ""); status != 200 {
		t.Fatalf("lower-case code: %d", status)
	}
	for _, tok := range small.Tokens { // the village group: three ballots, enough to be listed
		ts.mustCast(t, tok, goodVote())
	}
	do("GET", "/api/v1/ballot", slip(typo(b.Tokens[4])), "")
	do("GET", "/api/v1/ballot", slip(neverIssued()), "")
	do("GET", mURL+"/turnout", admin, "")
	do("POST", mURL+"/close", admin, "")
	status, body, hdr := do("GET", mURL+"/ballots", admin, "")
	if status != 200 {
		t.Fatalf("ballots: %d %s", status, body)
	}
	if hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("API answers Referrer-Policy %q", hdr.Get("Referrer-Policy"))
	}
	_, _, hdr = do("GET", "/b", nil, "")
	if hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the ballot page answers Referrer-Policy %q", hdr.Get("Referrer-Policy"))
	}

	// The log.
	logged := ts.log.String()
	if !strings.Contains(logged, "route=/api/v1/ballot") {
		t.Fatalf("the access log is missing; the test would prove nothing:\n%s", logged)
	}
	var secrets []string
	for _, code := range append(append([]string{}, b.Tokens...), small.Tokens...) {
		tok, err := ballots.ParseToken(code)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, code, strings.ToLower(code), tok.Grouped(), tok.Hash(), code[:13])
	}
	secrets = append(secrets, "127.0.0.1")
	mu.Lock()
	secrets = append(secrets, clientAddrs...)
	mu.Unlock()
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	if strings.Contains(logged, "Ballot ") || strings.Contains(logged, "Idempotency") {
		t.Errorf("the log holds request headers:\n%s", logged)
	}

	// What is kept of a ballot: id, group, answers.
	var list struct {
		Ballots []map[string]json.RawMessage `json:"ballots"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Ballots) != 7 {
		t.Fatalf("%d ballots listed, want 7", len(list.Ballots))
	}
	for _, x := range list.Ballots {
		var keys []string
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, []string{"answers", "group", "id"}) {
			t.Errorf("a listed ballot has fields %v, want id, group, answers", keys)
		}
	}
	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the ballot list holds %q", s)
		}
	}

	rec, err := ts.svc.Meeting(context.Background(), cycle, meeting)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := ts.svc.Ballots(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := reflect.TypeOf(ballots.Ballot{}).NumField(); n != 3 {
		t.Errorf("ballots.Ballot has %d fields, want id, group and answers only", n)
	}
	raw, _ := json.Marshal(kept)
	for _, s := range append(secrets, "2021-01-15", "time", "ip", "user_agent", "created_at") {
		if bytes.Contains(raw, []byte(`"`+s+`"`)) {
			t.Errorf("a kept ballot holds %q: %s", s, trim(raw))
		}
	}
	if len(kept.Ballots) != 7 {
		t.Errorf("Service.Ballots: %d, want 7", len(kept.Ballots))
	}
}

// groupedOf returns a code in the groups of four printed on slips.
func groupedOf(code string) string {
	tok, err := ballots.ParseToken(code)
	if err != nil {
		panic(err)
	}
	return tok.Grouped()
}
