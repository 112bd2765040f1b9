package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// api is a client that knows only DESIGN.md's HTTP API. Every call has a
// timeout; t.Errorf (not Fatal) reports from voter goroutines.
type api struct {
	t    testing.TB
	base string
	jwt  string
	hc   *http.Client
}

func newAPI(t testing.TB, base string) *api {
	return &api{t: t, base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}}}
}

// call sends a request and returns the status and body; status 0 means the
// request did not get an answer (connection refused or reset, timeout).
func (a *api) call(method, path string, hdr map[string]string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.jwt != "" {
		req.Header.Set("Authorization", "Bearer "+a.jwt)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// must sends a request, checks its status and decodes the answer into out.
func (a *api) must(method, path string, body any, want int, out any) {
	a.t.Helper()
	status, data, err := a.call(method, path, nil, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// wantError checks an error answer's status and code.
func (a *api) wantError(method, path string, hdr map[string]string, body any, status int, code string) {
	a.t.Helper()
	got, data, err := a.call(method, path, hdr, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	var e struct {
		Error struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	if got != status || e.Error.Code != code {
		a.t.Fatalf("%s %s: %d %s, want %d with code %q", method, path, got, data, status, code)
	}
}

func (a *api) login(user, password string) {
	a.t.Helper()
	var out struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	a.must("POST", "/api/v1/login", map[string]string{"username": user, "password": password}, 200, &out)
	if out.Token == "" {
		a.t.Fatalf("login %s: no token", user)
	}
	if _, err := time.Parse(time.RFC3339, out.ExpiresAt); err != nil {
		a.t.Fatalf("login %s: expires_at %q: %v", user, out.ExpiresAt, err)
	}
	a.jwt = out.Token
}

// cast posts a ballot with a slip and an Idempotency-Key; status 0 when no
// answer came.
func (a *api) cast(token, key string, answers any) (int, []byte) {
	body, _ := json.Marshal(map[string]any{"answers": answers})
	req, _ := http.NewRequest("POST", a.base+"/api/v1/ballot", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Ballot "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// errCode returns the "code" of an error body.
func errCode(data []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	return e.Error.Code
}

type turnout struct {
	Status  string `json:"status"`
	Issued  int64  `json:"issued"`
	Cast    int64  `json:"cast"`
	Revoked int64  `json:"revoked"`
	Live    bool   `json:"live"`
	Groups  []struct {
		Code   string `json:"code"`
		Issued int64  `json:"issued"`
		Cast   int64  `json:"cast"`
	} `json:"groups"`
}

// waitTurnout polls turnout until ok accepts it, for at most d.
func (a *api) waitTurnout(path string, d time.Duration, ok func(turnout) bool) turnout {
	a.t.Helper()
	deadline := time.Now().Add(d)
	var last turnout
	for {
		status, data, err := a.call("GET", path+"/turnout", nil, nil)
		if err == nil && status == 200 {
			last = turnout{}
			if err := json.Unmarshal(data, &last); err == nil && ok(last) {
				return last
			}
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("turnout of %s never as expected; last %+v (status %d, err %v)", path, last, status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// firstEvent opens the meeting's SSE stream and returns the first data line
// decoded, and the open response (for tests that keep the stream open).
func (a *api) firstEvent(ctx context.Context, path string) (turnout, *http.Response) {
	a.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.base+path+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+a.jwt)
	req.Header.Set("Accept", "text/event-stream")
	hc := &http.Client{} // no client timeout: the stream is bounded by ctx
	resp, err := hc.Do(req)
	if err != nil {
		a.t.Fatalf("events: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		a.t.Fatalf("events: status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type res struct {
		line string
		err  error
	}
	got := make(chan res, 1)
	br := bufio.NewReader(resp.Body)
	go func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				got <- res{err: err}
				return
			}
			if data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data:"); ok {
				got <- res{line: strings.TrimSpace(data)}
				return
			}
		}
	}()
	select {
	case r := <-got:
		if r.err != nil {
			resp.Body.Close()
			a.t.Fatalf("events: no data line: %v", r.err)
		}
		var t turnout
		if err := json.Unmarshal([]byte(r.line), &t); err != nil {
			resp.Body.Close()
			a.t.Fatalf("events: data line %q: %v", r.line, err)
		}
		return t, resp
	case <-time.After(10 * time.Second):
		resp.Body.Close()
		a.t.Fatalf("events: no data line within 10 s")
	}
	return turnout{}, nil
}

// syncBuffer is an io.Writer safe for a child process and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 { // keep the start; access logs can be long
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until f returns true, for at most d.
func waitFor(t testing.TB, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail returns the end of a log for a failure message.
func tail(s string) string {
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}
