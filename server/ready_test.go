package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestReadyz: /readyz answers 200 "ok" while the database and Redis
// answer and 503 while either does not — and again 200 once Redis is
// back — with no sign-in and nothing of the system in the body. /healthz
// only says the process runs.
func TestReadyz(t *testing.T) {
	ctx := context.Background()
	store := sqltest.OpenURL(t, sqltest.URL(t), t.TempDir())
	// An embedded Redis of the test's own, to stop and start.
	live, err := redislive.Connect("", redistest.Prefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close() })
	svc := ballots.NewService(store, live, ballots.Options{Reconcile: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	logs := &lockedBuffer{}
	srv := New(svc, Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	get := func(path string) (int, string, string) {
		res, err := srv.App().Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header.Get("Retry-After")
	}
	want := func(state string, status int, body string) {
		t.Helper()
		got, b, ra := get("/readyz")
		if got != status || b != body {
			t.Errorf("%s: /readyz %d %q, want %d %q", state, got, b, status, body)
		}
		if status == 503 && ra == "" {
			t.Errorf("%s: 503 without Retry-After", state)
		}
		for _, leak := range []string{"redis", "dial", "127.0.0.1", "sql", "closed", "refused"} {
			if strings.Contains(strings.ToLower(b), leak) {
				t.Errorf("%s: /readyz body tells %q: %s", state, leak, b)
			}
		}
		if h, hb, _ := get("/healthz"); h != 200 || hb != "ok" {
			t.Errorf("%s: /healthz %d %q, want 200 ok", state, h, hb)
		}
	}
	want("both up", 200, "ok")
	live.Embedded().Close()
	want("Redis down", 503, "not ready")
	if err := live.Embedded().Restart(); err != nil {
		t.Fatal(err)
	}
	// The server stops asking an absent Redis and pings it once a second:
	// ready again within about a second of its return.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, _, _ := get("/readyz"); got == 200 {
			break
		}
	}
	want("Redis back", 200, "ok")
	store.Close()
	want("database gone", 503, "not ready")
	if !strings.Contains(logs.String(), "not ready") {
		t.Errorf("the log does not say why the server is not ready:\n%s", logs.String())
	}
}
