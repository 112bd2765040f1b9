package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds ./cmd/ceping once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ceping-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ceping")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a `ceping serve` child process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, once done
}

// backend is where a group of processes keeps its data: the data folder
// (SQLite, the secret) and, when the tests run on real services, one
// PostgreSQL schema and one Redis prefix.
type backend struct {
	data, dbURL, redisURL, prefix string
}

func newBackend(t *testing.T) backend {
	return backend{data: t.TempDir(), dbURL: sqltest.URL(t), redisURL: os.Getenv("CEPING_TEST_REDIS_URL"), prefix: redistest.Prefix(t)}
}

const procPassword = "process-admin-password"

var listenRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// startProc starts `ceping serve` on the backend (a data folder of its own
// if data is set) and waits for the address it prints.
func startProc(t *testing.T, b backend, data string) *proc {
	t.Helper()
	return startProcEnv(t, b, data)
}

// startProcEnv is startProc with extra KEY=VALUE settings, which override
// the defaults (e.g. CEPING_ADDR to restart on the same port).
func startProcEnv(t *testing.T, b backend, data string, extra ...string) *proc {
	t.Helper()
	if data == "" {
		data = b.data
	}
	p := &proc{t: t, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), "serve")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CEPING_") {
			env = append(env, kv)
		}
	}
	env = append(env, "CEPING_DATA="+data, "CEPING_ADDR=127.0.0.1:0", "CEPING_ADMIN_PASSWORD="+procPassword,
		"CEPING_SECRET=process-test-secret-0123456789", "CEPING_BASE_URL=http://127.0.0.1", "CEPING_REDIS_PREFIX="+b.prefix)
	if b.dbURL != "" {
		env = append(env, "CEPING_DATABASE_URL="+b.dbURL)
	} else if data != b.data {
		// A second process on the same SQLite file.
		env = append(env, "CEPING_DATABASE_URL=sqlite:"+filepath.Join(b.data, "ceping.db"))
	}
	if b.redisURL != "" {
		env = append(env, "CEPING_REDIS_URL="+b.redisURL)
	}
	p.cmd.Env = append(env, extra...) // the last value of a key wins
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.cmd.Path, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("process %d stdout:\n%s\nstderr:\n%s", p.cmd.Process.Pid, tail(p.stdout.String()), tail(p.stderr.String()))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if u := listenRE.FindString(p.stdout.String()); u != "" {
			p.url = u
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("ceping serve exited (%v) before listening:\n%s\n%s", p.err, p.stdout.String(), tail(p.stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("ceping serve printed no address in 30 s:\n%s\n%s", p.stdout.String(), tail(p.stderr.String()))
		}
	}
}

// wait waits up to d for the process to exit and returns its exit code.
func (p *proc) wait(d time.Duration) (int, bool) {
	select {
	case <-p.done:
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			return ee.ExitCode(), true
		}
		if p.err != nil {
			return -1, true
		}
		return 0, true
	case <-time.After(d):
		return 0, false
	}
}

func (p *proc) api() *api {
	a := newAPI(p.t, p.url)
	a.login("admin", procPassword)
	return a
}

type closeResult struct {
	Ballots   int64  `json:"ballots"`
	Digest    string `json:"digest"`
	LiveCheck string `json:"live_check"`
}

// TestKillDuringBurst kills the server with SIGKILL in the middle of a burst
// of votes, restarts it on the same data and resends every slip with the
// key it used: every acknowledged vote is counted, none twice.
func TestKillDuringBurst(t *testing.T) {
	const slips, voters, killAfter = 300, 32, 100
	b := newBackend(t)
	p1 := startProc(t, b, "")
	a := p1.api()
	setupYear(a, "2020")
	path, toks := setupMeeting(a, "2020", "M1", map[string]int{"cadres": slips}, "cadres")
	tokens := toks["cadres"]
	key := func(i int) string { return fmt.Sprintf("slip-%d-key", i) }

	acked1 := make([]atomic.Bool, slips)
	var acks atomic.Int64
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() { p1.cmd.Process.Signal(syscall.SIGKILL) })
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var other sync.Map // status → count, for the log
	for range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				status, data := a.cast(tokens[i], key(i), ballotFor(i))
				switch status {
				case 201:
					acked1[i].Store(true)
					if acks.Add(1) >= killAfter {
						kill()
					}
				case 0: // no answer: the server is gone
				default:
					n, _ := other.LoadOrStore(fmt.Sprintf("%d %s", status, errCode(data)), new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
				}
			}
		}()
	}
	for i := range tokens {
		work <- i
	}
	close(work)
	wg.Wait()
	kill()
	if code, ok := p1.wait(10 * time.Second); !ok {
		t.Fatalf("server still running 10 s after SIGKILL")
	} else {
		t.Logf("first run: %d acknowledged before the kill; process exit %d", acks.Load(), code)
	}
	other.Range(func(k, v any) bool {
		t.Errorf("first run answered %v %d times (want only 201 or no answer)", k, v.(*atomic.Int64).Load())
		return true
	})
	if acks.Load() < killAfter {
		t.Fatalf("only %d acknowledged before the kill, want at least %d", acks.Load(), killAfter)
	}
	if acks.Load() == slips {
		t.Logf("every slip was acknowledged before the kill landed: the test proves less than it should")
	}

	// Restart on the same data; every voter resends with the same key.
	p2 := startProc(t, b, "")
	a2 := p2.api()
	status2 := make([]int, slips)
	body2 := make([][]byte, slips)
	work = make(chan int)
	for range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				status2[i], body2[i] = a2.cast(tokens[i], key(i), ballotFor(i))
			}
		}()
	}
	for i := range tokens {
		work <- i
	}
	close(work)
	wg.Wait()
	distinct := 0
	for i := range slips {
		switch {
		case status2[i] == 201:
			distinct++
		case acked1[i].Load():
			t.Errorf("slip %d was acknowledged before the kill, but its resend got %d %s", i, status2[i], body2[i])
			distinct++
		default:
			t.Errorf("slip %d: resend after restart got %d %s", i, status2[i], body2[i])
		}
	}
	tu := a2.waitTurnout(path, 15*time.Second, func(t turnout) bool { return t.Cast == int64(distinct) && t.Live })
	t.Logf("second run: turnout %d cast of %d issued, live %v", tu.Cast, tu.Issued, tu.Live)

	var closed closeResult
	a2.must("POST", path+"/close", nil, 200, &closed)
	if closed.Ballots != int64(distinct) {
		t.Errorf("sealed %d ballots; %d distinct slips were acknowledged", closed.Ballots, distinct)
	}
	if closed.LiveCheck != "match" {
		t.Errorf("live check %q, want match", closed.LiveCheck)
	}
	var list struct {
		Ballots []struct{ ID string } `json:"ballots"`
	}
	a2.must("GET", path+"/ballots", nil, 200, &list)
	if len(list.Ballots) != distinct {
		t.Errorf("ballot list has %d ballots, want %d", len(list.Ballots), distinct)
	}
}

// TestTwoProcesses runs two servers on one database (and one Redis when the
// tests have one): one slip raced through both with 50 keys counts once;
// 200 slips cast through both all count.
func TestTwoProcesses(t *testing.T) {
	b := newBackend(t)
	p1 := startProc(t, b, "")
	p2 := startProc(t, b, t.TempDir()) // its own data folder, the same database
	a1 := p1.api()
	a2 := p2.api()
	setupYear(a1, "2020")
	pathRace, race := setupMeeting(a1, "2020", "RACE", map[string]int{"cadres": 3}, "cadres")
	pathMany, many := setupMeeting(a2, "2020", "MANY", map[string]int{"cadres": 200}, "cadres")
	apis := []*api{a1, a2}

	t.Run("OneSlipFiftyKeys", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[string]int{}
		start := make(chan struct{})
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status, data := apis[i%2].cast(race["cadres"][0], fmt.Sprintf("race-key-%d", i), ballotFor(i))
				mu.Lock()
				got[fmt.Sprintf("%d %s", status, errCode(data))]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if got["201 "] != 1 || got["409 token_used"] != 49 {
			t.Errorf("50 casts of one slip with 50 keys over two processes: %v; want one 201 and 49 409 token_used", got)
		}
		var closed closeResult
		a2.must("POST", pathRace+"/close", nil, 200, &closed)
		if closed.Ballots != 1 {
			t.Errorf("sealed %d ballots, want 1", closed.Ballots)
		}
		if b.redisURL != "" && closed.LiveCheck != "match" && closed.LiveCheck != "partial" {
			// partial: the other process still buffers fewer than k of its casts.
			t.Errorf("live check %q with a shared Redis, want match or partial", closed.LiveCheck)
		}
		t.Logf("close: %+v", closed)
	})

	t.Run("TwoHundredSlips", func(t *testing.T) {
		var wg sync.WaitGroup
		var acked atomic.Int64
		work := make(chan int)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if status, data := apis[i%2].cast(many["cadres"][i], "k", ballotFor(i)); status != 201 {
						t.Errorf("cast %d through process %d: %d %s", i, i%2+1, status, data)
					} else {
						acked.Add(1)
					}
				}
			}()
		}
		for i := range 200 {
			work <- i
		}
		close(work)
		wg.Wait()
		// Both processes see every vote in turnout.
		for _, a := range apis {
			a.waitTurnout(pathMany, 15*time.Second, func(t turnout) bool { return t.Cast == acked.Load() })
		}
		var closed closeResult
		a1.must("POST", pathMany+"/close", nil, 200, &closed)
		if closed.Ballots != 200 || acked.Load() != 200 {
			t.Errorf("sealed %d ballots, %d acknowledged; want 200", closed.Ballots, acked.Load())
		}
		if b.redisURL != "" && closed.LiveCheck != "match" && closed.LiveCheck != "partial" {
			// partial: the other process still buffers fewer than k of its casts.
			t.Errorf("live check %q with a shared Redis, want match or partial", closed.LiveCheck)
		}
		t.Logf("close: %+v", closed)
		var res result
		a2.must("GET", pathMany+"/results", nil, 200, &res)
		want := newExpected()
		for i := range 200 {
			want.add(i)
		}
		want.check(t, res.Sections)
	})
}

// TestGracefulShutdown sends SIGTERM to a server with an event stream open:
// it exits 0 within a few seconds and ends the stream.
func TestGracefulShutdown(t *testing.T) {
	b := newBackend(t)
	p := startProc(t, b, "")
	a := p.api()
	setupYear(a, "2020")
	path, toks := setupMeeting(a, "2020", "M1", map[string]int{"cadres": 5}, "cadres")
	if status, data := a.cast(toks["cadres"][0], "k", ballotFor(0)); status != 201 {
		t.Fatalf("cast: %d %s", status, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ev, resp := a.firstEvent(ctx, path)
	defer resp.Body.Close()
	if ev.Status != "open" || ev.Issued != 5 {
		t.Fatalf("first event %+v", ev)
	}
	streamEnded := make(chan error, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				streamEnded <- err
				return
			}
		}
	}()

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, exited := p.wait(8 * time.Second)
	if !exited {
		t.Fatalf("still running 8 s after SIGTERM")
	}
	t.Logf("exited %d after %s", code, time.Since(start).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	select {
	case err := <-streamEnded:
		t.Logf("event stream ended: %v", err)
	case <-time.After(3 * time.Second):
		t.Fatalf("the event stream stayed open after the process exited")
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("errors logged during shutdown:\n%s", tail(p.stderr.String()))
	}
}

// TestShutdownWithSilentConnection: a client that has opened a connection
// but sent nothing yet (a browser's preconnect, a phone that lost signal)
// must not hold up a graceful shutdown: SIGTERM still exits 0 within a few
// seconds.
func TestShutdownWithSilentConnection(t *testing.T) {
	b := newBackend(t)
	p := startProc(t, b, "")
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(200 * time.Millisecond) // let the server accept it

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, exited := p.wait(15 * time.Second)
	took := time.Since(start).Round(time.Millisecond)
	if !exited {
		t.Fatalf("still running 15 s after SIGTERM")
	}
	if code != 0 || took > 5*time.Second {
		t.Fatalf("after SIGTERM with one silent connection open: exit %d after %s; want 0 within 5 s\n%s", code, took, tail(p.stderr.String()))
	}
}
