package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
	"github.com/ceping/ceping/server"
)

// app is a whole server on a fresh ledger and live state, for tests that
// drive it from outside: scores, the browser.
type app struct {
	t   testing.TB
	svc *ballots.Service
	srv *server.Server
	jwt string
}

func newApp(t testing.TB) *app {
	t.Helper()
	store := sqltest.Open(t)
	live := redistest.Open(t)
	svc := ballots.NewService(store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
	svc.Start(context.Background())
	t.Cleanup(svc.Stop)
	a := &app{t: t, svc: svc, srv: server.New(svc, server.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://ceping.test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})}
	if _, err := svc.EnsureAdmin(context.Background(), "admin-password"); err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "admin-password"}, 200, &login)
	a.jwt = login.Token
	return a
}

// call makes a request as admin (auth "" ) or with the given Authorization,
// checks the status and decodes the JSON answer into out.
func (a *app) call(method, path, auth string, body any, want int, out any) []byte {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	switch {
	case auth != "":
		req.Header.Set("Authorization", auth)
	case a.jwt != "":
		req.Header.Set("Authorization", "Bearer "+a.jwt)
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return data
}

func (a *app) callWithHeaders(method, path string, headers map[string]string, body any, want int) []byte {
	a.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	return data
}

func (a *app) get(path string) *http.Response {
	a.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+a.jwt)
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp
}
