package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the test's own admin connection
)

// The fault suite (issue 10): real `ceping serve` processes on PostgreSQL,
// a burst of voters who resend the way the voter page does, and a fault in
// the middle of the burst — the database's connections terminated, Redis
// stopped and restarted, the server killed and restarted. Whatever happens,
// no voter sees a 5xx, every acknowledged vote is sealed, and none counts
// twice.
//
// Every fault is injected at a fixed point of the burst (before slip i is
// handed to a voter), so each run is a real mid-burst fault with dozens of
// casts in flight, and the suite stops by itself: each cast gives up after
// 30 s, each wait has a deadline.
func TestFaults(t *testing.T) {
	if os.Getenv("CEPING_TEST_DATABASE_URL") == "" {
		t.Skip("the fault suite runs on PostgreSQL: set CEPING_TEST_DATABASE_URL")
	}
	t.Run("ConnectionsTerminated", testConnectionsTerminated)
	t.Run("RedisRestarted", testRedisRestarted)
	t.Run("KillAndResend", testKillAndResend)
}

const (
	faultSlips  = 400
	faultVoters = 64
)

// testConnectionsTerminated terminates every PostgreSQL backend of the
// server (pg_terminate_backend, found by the application_name the test
// gives the server) four times during the burst: idle connections and
// connections in the middle of a cast or a group commit alike. The server
// retries on fresh connections: voters see no 5xx at all, not even a 503.
func testConnectionsTerminated(t *testing.T) {
	b := newBackend(t)
	appName := "ceping-faults-" + randomHex(4)
	b.dbURL = withQuery(t, b.dbURL, "application_name", appName)
	p := startProc(t, b, "")
	logProblems(t, p)
	a := p.api()
	setupYear(a, "2020")
	path, toks := setupMeeting(a, "2020", "M1", map[string]int{"cadres": faultSlips}, "cadres")

	admin, err := sql.Open("pgx", os.Getenv("CEPING_TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var rounds, terminated int
	terminate := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var n int
		err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> pg_backend_pid()`, appName).Scan(&n)
		if err != nil {
			t.Fatalf("pg_terminate_backend: %v", err)
		}
		rounds++
		terminated += n
	}
	faults := map[int]func(){}
	for k := 1; k <= 4; k++ {
		faults[k*faultSlips/5] = terminate
	}

	var ans, org voterAnswers
	final := burst(a, path, toks["cadres"], faults, &ans, &org)
	t.Logf("%d rounds of pg_terminate_backend ended %d server connections", rounds, terminated)
	if terminated < rounds {
		t.Fatalf("only %d server connections terminated in %d rounds: the fault never hit", terminated, rounds)
	}
	checkFaultRun(t, a, path, final, &ans, &org)
}

// testRedisRestarted runs the server on a Redis of its own (a throwaway
// redis-server on a free loopback port), kills that Redis a third of the
// way into the burst and starts it again, empty, at two thirds. Voting goes
// on while it is away; the live state is rebuilt from the ledger and matches
// the recount at close.
func testRedisRestarted(t *testing.T) {
	rs := startRedis(t)
	b := newBackend(t)
	b.redisURL = rs.url()
	p := startProc(t, b, "")
	logProblems(t, p)
	a := p.api()
	setupYear(a, "2020")
	path, toks := setupMeeting(a, "2020", "M1", map[string]int{"cadres": faultSlips}, "cadres")

	var killed time.Time
	faults := map[int]func(){
		faultSlips / 3: func() { rs.kill(t); killed = time.Now() },
		2 * faultSlips / 3: func() {
			// Away for a second at least, longer than the client's timeouts.
			time.Sleep(time.Until(killed.Add(time.Second)))
			rs.start(t)
			t.Logf("Redis was away %s, a third of the casts", time.Since(killed).Round(time.Millisecond))
		},
	}
	var ans, org voterAnswers
	final := burst(a, path, toks["cadres"], faults, &ans, &org)
	checkFaultRun(t, a, path, final, &ans, &org)
}

// testKillAndResend kills the server with SIGKILL a third of the way into
// the burst and starts it again on the same address and data; voters whose
// casts got no answer send them again with the same key, as the page does.
func testKillAndResend(t *testing.T) {
	b := newBackend(t)
	p1 := startProc(t, b, "")
	a := p1.api()
	setupYear(a, "2020")
	path, toks := setupMeeting(a, "2020", "M1", map[string]int{"cadres": faultSlips}, "cadres")
	addr := strings.TrimPrefix(p1.url, "http://")

	var down time.Duration
	var p2 *proc
	faults := map[int]func(){faultSlips / 3: func() {
		start := time.Now()
		p1.cmd.Process.Signal(syscall.SIGKILL)
		if _, ok := p1.wait(10 * time.Second); !ok {
			t.Fatalf("server still running 10 s after SIGKILL")
		}
		p2 = startProcEnv(t, b, "", "CEPING_ADDR="+addr)
		down = time.Since(start)
	}}
	var ans, org voterAnswers
	final := burst(a, path, toks["cadres"], faults, &ans, &org)
	logProblems(t, p1, p2)
	t.Logf("the server was down %s", down.Round(time.Millisecond))
	if ans.count("no answer") == 0 {
		t.Errorf("no cast went unanswered: the kill landed outside the burst")
	}
	checkFaultRun(t, a, path, final, &ans, &org)
}

// logProblems logs, once the test has failed, the warnings and errors the
// servers logged (their access logs are too long for the usual tail).
func logProblems(t *testing.T, ps ...*proc) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range ps {
			if p == nil {
				continue
			}
			for _, line := range strings.Split(p.stderr.String(), "\n") {
				if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
					t.Logf("process %d: %s", p.cmd.Process.Pid, line)
				}
			}
		}
	})
}

// voterAnswers counts every answer voters got, resends included.
type voterAnswers struct {
	mu   sync.Mutex
	seen map[string]int // "201", "503 unavailable", "no answer", …
	sent int
	took time.Duration // the whole burst
}

func (v *voterAnswers) record(status int, body []byte) {
	k := "no answer"
	if status != 0 {
		k = strings.TrimSpace(fmt.Sprintf("%d %s", status, errCode(body)))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]int{}
	}
	v.seen[k]++
	v.sent++
}

func (v *voterAnswers) count(k string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.seen[k]
}

// fivexx returns the 5xx answers seen, by status and code.
func (v *voterAnswers) fivexx() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]int{}
	for k, n := range v.seen {
		if k[0] == '5' {
			out[k] = n
		}
	}
	return out
}

func (v *voterAnswers) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	keys := make([]string, 0, len(v.seen))
	for k := range v.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s ×%d", k, v.seen[k])
	}
	return sb.String()
}

// vote casts one ballot the way the voter page does (ballot.js keep()): on
// no answer, a 5xx or a 408 it sends the same ballot with the same
// Idempotency-Key again after a growing, jittered pause — the page's 1 s,
// 2 s, 4 s… scaled down to 50 ms, 100 ms … 1 s — until it gets another
// answer or 30 s have passed.
func (v *voterAnswers) vote(a *api, token, key string, ballot any) (int, []byte) {
	deadline := time.Now().Add(30 * time.Second)
	pause := 50 * time.Millisecond
	for {
		status, body := a.cast(token, key, ballot)
		v.record(status, body)
		if (status != 0 && status != 408 && status < 500) || time.Now().After(deadline) {
			return status, body
		}
		time.Sleep(pause/2 + mrand.N(pause))
		pause = min(2*pause, time.Second)
	}
}

// burst casts ballotFor(i) with slip i, for every slip, by faultVoters
// concurrent voters; before handing slip i to a voter it runs faults[i] on
// the calling goroutine. Meanwhile an organizer watches the turnout of the
// meeting at path (every answer goes into org). It returns each slip's last
// answer.
func burst(a *api, path string, tokens []string, faults map[int]func(), ans, org *voterAnswers) []int {
	start := time.Now()
	defer func() { ans.took = time.Since(start) }()
	final := make([]int, len(tokens))
	work := make(chan int)
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			status, body, _ := a.call("GET", path+"/turnout", nil, nil)
			org.record(status, body)
		}
	}()
	defer func() { close(stop); <-watched }()
	var wg sync.WaitGroup
	for range faultVoters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				final[i], _ = ans.vote(a, tokens[i], fmt.Sprintf("slip-%d-key", i), ballotFor(i))
			}
		}()
	}
	for i := range tokens {
		if f := faults[i]; f != nil {
			f()
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return final
}

// checkFaultRun checks what voters and organizers would notice after a
// faulty burst: every voter's last answer was 201 and no 5xx was seen on
// the way; the organizer watching turnout got no 500 (a 503 with
// Retry-After is allowed there: the console polls again); the turnout
// reaches every acknowledged slip; the seal holds exactly the acknowledged
// ballots (none lost, none twice: the sealed counts equal the ballots
// cast); and the live tally matched the recount.
func checkFaultRun(t *testing.T, a *api, path string, final []int, ans, org *voterAnswers) {
	t.Helper()
	acked := 0
	for i, s := range final {
		if s == 201 {
			acked++
		} else {
			t.Errorf("slip %d: last answer %d, want 201", i, s)
		}
	}
	t.Logf("%d slips, %d casts sent in %s, %d acknowledged; answers seen: %s", len(final), ans.sent, ans.took.Round(time.Millisecond), acked, ans)
	t.Logf("organizer's turnout polls: %s", org)
	if f := ans.fivexx(); len(f) > 0 {
		t.Errorf("voters saw 5xx answers: %v", f)
	}
	for k, n := range org.fivexx() {
		if !strings.HasPrefix(k, "503") {
			t.Errorf("the organizer's turnout answered %s ×%d", k, n)
		}
	}
	tu := a.waitTurnout(path, 20*time.Second, func(tu turnout) bool { return tu.Cast == int64(acked) && tu.Live })
	var closed closeResult
	a.must("POST", path+"/close", nil, 200, &closed)
	if closed.Ballots != int64(acked) {
		t.Errorf("sealed %d ballots; %d distinct slips were acknowledged", closed.Ballots, acked)
	}
	if closed.LiveCheck != "match" {
		t.Errorf("live check %q, want match (turnout before close %+v)", closed.LiveCheck, tu)
	}
	var list struct {
		Ballots []struct{ ID string } `json:"ballots"`
	}
	a.must("GET", path+"/ballots", nil, 200, &list)
	if len(list.Ballots) != acked {
		t.Errorf("ballot list has %d ballots, want %d", len(list.Ballots), acked)
	}
	var res result
	a.must("GET", path+"/results", nil, 200, &res)
	want := newExpected()
	for i, s := range final {
		if s == 201 {
			want.add(i)
		}
	}
	want.check(t, res.Sections)
}

// redisServer is a throwaway redis-server of the test's own on a free
// loopback port, which the test may kill and start again. The machine's
// shared Redis is never touched.
type redisServer struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := &redisServer{port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	rs.start(t)
	t.Cleanup(func() {
		if rs.cmd != nil {
			rs.kill(t)
		}
	})
	return rs
}

func (rs *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port) }

// start runs redis-server on the port, without persistence (it comes back
// empty, as after a crash of a cache), and waits until it answers PING.
func (rs *redisServer) start(t *testing.T) {
	t.Helper()
	rs.cmd = exec.Command("redis-server", "--port", strconv.Itoa(rs.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir(), "--loglevel", "warning")
	if err := rs.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	rs.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(rs.cmd, rs.done)
	waitFor(t, 10*time.Second, "redis-server to answer PING", func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", rs.port), 200*time.Millisecond)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return false
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		return err == nil && strings.HasPrefix(line, "+PONG")
	})
}

// kill ends the test's redis-server with SIGKILL and waits for it to exit.
func (rs *redisServer) kill(t *testing.T) {
	t.Helper()
	rs.cmd.Process.Kill()
	select {
	case <-rs.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("redis-server %d still running 10 s after SIGKILL", rs.cmd.Process.Pid)
	}
	rs.cmd = nil
}

// withQuery returns u with the query parameter k set to v.
func withQuery(t *testing.T, u, k, v string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(k, v)
	p.RawQuery = q.Encode()
	return p.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
