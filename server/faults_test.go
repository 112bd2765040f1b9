package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestUnclassifiedStorageFailure: a storage failure that reaches the error
// handler unclassified (a row iteration cut short by a reset connection) is
// still answered 503 with Retry-After, as the ledger judges it; any other
// foreign error stays a 500 internal error.
func TestUnclassifiedStorageFailure(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("turnout rows: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), 503, "unavailable"},
		{errors.New("something of ours broke"), 500, "internal"},
	} {
		// A route of its own that fails with c.err, on the server's one
		// error handler.
		app := fiber.New(fiber.Config{ErrorHandler: ts.srv.handleError})
		app.Get("/api/v1/fails", func(*fiber.Ctx) error { return c.err })
		res, err := app.Test(httptest.NewRequest("GET", "/api/v1/fails", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		retry := res.Header.Get("Retry-After")
		if res.StatusCode != c.status || errorShape(t, body) != c.code || (retry != "") != (c.status == 503) {
			t.Errorf("%v: %d %s, Retry-After %q; want %d %s", c.err, res.StatusCode, body, retry, c.status, c.code)
		}
	}
}

// TestDatabaseAway: while PostgreSQL refuses every connection, a voter's
// ballot, a cast and an organizer's read answer 503 unavailable with
// Retry-After and a message in Chinese with its English apart — never a
// 500 — and the operator's log says why, without an "internal error". Once
// the database is back, the voter's resend with the same key counts.
func TestDatabaseAway(t *testing.T) {
	proxy := sqltest.NewProxy(t, sqltest.URL(t))
	ts := newTestServerOn(t, sqltest.OpenURL(t, proxy.URL(), t.TempDir()))
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 3)
	ts.open(t, mURL)
	ts.mustCast(t, b.Tokens[0], goodVote())

	proxy.Down()
	slip := map[string]string{"Authorization": "Ballot " + b.Tokens[1]}
	cast := map[string]string{"Authorization": "Ballot " + b.Tokens[1], "Idempotency-Key": "k1"}
	for _, r := range []req{
		{method: "GET", url: "/api/v1/ballot", headers: slip},
		{method: "POST", url: "/api/v1/ballot", headers: cast, body: goodVote().body()},
		{method: "GET", url: "/api/v1/cycles/2020/units", as: adminUser},
	} {
		status, body, hdr := ts.doFull(t, r)
		if status != 503 || hdr.Get("Retry-After") != "2" {
			t.Errorf("%s %s with the database away: %d, Retry-After %q: %s; want 503 with Retry-After 2",
				r.method, r.url, status, hdr.Get("Retry-After"), trim(body))
			continue
		}
		if code := errorShape(t, body); code != "unavailable" {
			t.Errorf("%s %s: code %q, want unavailable", r.method, r.url, code)
		}
		if !strings.Contains(string(body), `"message_en"`) {
			t.Errorf("%s %s: no English message: %s", r.method, r.url, trim(body))
		}
	}

	proxy.Up()
	if status, body := ts.cast(t, b.Tokens[1], "k1", goodVote().body()); status != 201 {
		t.Fatalf("resend once the database is back: %d %s", status, body)
	}
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 2 })
	logs := ts.log.String()
	if strings.Contains(logs, "internal error") {
		t.Errorf("a database outage was logged as an internal error:\n%s", logs)
	}
	if !strings.Contains(logs, "service unavailable") {
		t.Errorf("the outage was not logged for the operator:\n%s", logs)
	}
}
