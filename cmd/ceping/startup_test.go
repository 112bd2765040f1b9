package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestSignInFromTheFirstMoment: clients signing in as admin with the right
// password from the moment the port opens are never refused — no 401
// (admin not created yet) and no 429 (a limit tripped by those 401s).
// Connections made before the server is ready wait for it.
func TestSignInFromTheFirstMoment(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const pw = "first-moment-password"
	t.Setenv("CEPING_ADMIN_PASSWORD", pw)
	t.Setenv("CEPING_SECRET", "first-moment-secret-0123456789")
	t.Setenv("CEPING_REDIS_PREFIX", redistest.Prefix(t))
	args := []string{"serve", "-addr", addr, "-data", t.TempDir(), "-base-url", "http://" + addr}
	if db := sqltest.URL(t); db != "" {
		args = append(args, "-database", db)
	}
	if r := os.Getenv("CEPING_TEST_REDIS_URL"); r != "" {
		args = append(args, "-redis", r)
	}

	const clients, each = 6, 2
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, 1024)
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
			deadline := time.Now().Add(2 * time.Minute)
			for ok := 0; ok < each && time.Now().Before(deadline); {
				res, err := hc.Post("http://"+addr+"/api/v1/login", "application/json",
					strings.NewReader(`{"username":"admin","password":"`+pw+`"}`))
				if err != nil {
					time.Sleep(time.Millisecond) // not listening yet
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				answers <- answer{res.StatusCode, string(b)}
				if res.StatusCode == 200 {
					ok++
				}
			}
		}()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs syncBuffer
	exited := make(chan int, 1)
	go func() { exited <- Main(ctx, args, strings.NewReader(""), &out, &logs) }()
	wg.Wait()

	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "ok" {
		t.Errorf("/readyz of the started server: %d %q", res.StatusCode, b)
	}
	cancel()
	if code := <-exited; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
	close(answers)
	counts := map[int]int{}
	for a := range answers {
		counts[a.status]++
		if a.status != 200 && counts[a.status] == 1 {
			t.Errorf("a sign-in with the right password at start: %d %s", a.status, a.body)
		}
	}
	if counts[200] != clients*each {
		t.Errorf("sign-ins by status %v, want %d × 200", fmt.Sprint(counts), clients*each)
	}
}
