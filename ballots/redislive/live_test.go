package redislive_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/redislive/redistest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in      string
		addrs   int
		master  string
		cluster bool
		db      int
		wantErr bool
	}{
		{in: "redis://127.0.0.1:6379/2", addrs: 1, db: 2},
		{in: "redis://:pw@10.0.0.1:6379", addrs: 1},
		{in: "redis-sentinel://h1:26379,h2:26379/mymaster", addrs: 2, master: "mymaster"},
		{in: "redis-sentinel://h1:26379", wantErr: true},
		{in: "redis-cluster://h1:7000,h2:7001,h3:7002", addrs: 3},
		{in: "redis-cluster://h1:7000", addrs: 1, cluster: true},
		{in: "h1:7000,h2:7001", addrs: 2},
		{in: "http://x", wantErr: true},
	} {
		o, err := redislive.ParseURL(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: no error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if len(o.Addrs) != tc.addrs || o.MasterName != tc.master || o.IsClusterMode != tc.cluster || o.DB != tc.db {
			t.Errorf("%s: got addrs %v master %q cluster %v db %d", tc.in, o.Addrs, o.MasterName, o.IsClusterMode, o.DB)
		}
	}
}

// TestApplyInLedgerOrder: groups of ballots that reach Redis out of order,
// twice, or after a gap end in the ledger's turnout once the gap is filled.
func TestApplyInLedgerOrder(t *testing.T) {
	ctx := context.Background()
	l := redistest.Open(t)
	a := map[string]int64{"g": 2}
	b := map[string]int64{"g": 1}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	turnout := func(wantPos int64, want map[string]int64) {
		t.Helper()
		got, pos, err := l.Turnout(ctx, 7)
		must(err)
		if pos != wantPos || len(got) != len(want) {
			t.Fatalf("turnout %v at %d; want %v at %d", got, pos, want, wantPos)
		}
		for g, n := range want {
			if got[g] != n {
				t.Fatalf("turnout %v at %d; want %v at %d", got, pos, want, wantPos)
			}
		}
	}
	must(l.Apply(ctx, 7, 2, 3, b)) // arrives before a: waits
	if pos, _ := l.Position(ctx, 7); pos != 0 {
		t.Fatalf("position %d after an early group, want 0", pos)
	}
	must(l.Apply(ctx, 7, 0, 2, a)) // a, then b from pending
	must(l.Apply(ctx, 7, 0, 2, a)) // a resent: ignored
	turnout(3, map[string]int64{"g": 3})
	// A group lost between commit and Redis (3→6) leaves a gap that only a
	// rebuild from the ledger fills.
	must(l.Apply(ctx, 7, 6, 7, map[string]int64{"g": 1}))
	turnout(3, map[string]int64{"g": 3})
	must(l.Rebuild(ctx, 7, 6, map[string]int64{"g": 5, "h": 1})) // the ledger at 6; the waiting 6→7 applies after
	turnout(7, map[string]int64{"g": 6, "h": 1})
	must(l.Rebuild(ctx, 7, 5, a)) // an older snapshot never goes back
	turnout(7, map[string]int64{"g": 6, "h": 1})
	// Turnout never touches the tally histogram.
	if n, err := l.Client().Exists(ctx, l.TallyKey(7)).Result(); err != nil || n != 0 {
		t.Fatalf("turnout calls wrote the tally histogram (exists %d, %v)", n, err)
	}
}

// TestTallyBatches drives the histogram's bookkeeping directly: a batch
// counts once however often it is sent, waits for the live turnout, and a
// claim makes the batches and claims it covers stale.
func TestTallyBatches(t *testing.T) {
	ctx := context.Background()
	l := redistest.Open(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	add := func(b ballots.TallyBatch, want int) ballots.TallyMark {
		t.Helper()
		got, mark, err := l.AddTally(ctx, 9, b)
		must(err)
		if got != want {
			t.Fatalf("AddTally %s: outcome %d, want %d", b.ID, got, want)
		}
		return mark
	}
	hist := func(want ballots.Tally) {
		t.Helper()
		got, _, _, err := l.Tally(ctx, 9)
		must(err)
		if !got.Equal(want) {
			t.Fatalf("histogram %v, want %v", got, want)
		}
	}
	three := ballots.TallyBatch{ID: "b1", MinEnd: 1, MaxEnd: 3, Delta: ballots.Tally{"b\x1fg": 3, "c\x1fg\x1fdem\x1fT01\x1f\x1f好": 3}}
	add(three, ballots.TallyNotReady) // no turnout yet
	hist(ballots.Tally{})
	must(l.Apply(ctx, 9, 0, 3, map[string]int64{"g": 3}))
	add(three, ballots.TallyAdded)
	add(three, ballots.TallyAdded) // resent after a lost answer: counted once
	hist(three.Delta)

	// Ballots 3→5 sit in some server's buffer; a rebuild at 5 claims them.
	must(l.Apply(ctx, 9, 3, 5, map[string]int64{"g": 2}))
	if _, _, outcome, err := l.ClaimTally(ctx, 9, 2, "old"); err != nil || outcome != ballots.ClaimRetry {
		t.Fatalf("claim below a batch in the histogram: outcome %d %v, want retry", outcome, err)
	}
	got, mark, outcome, err := l.ClaimTally(ctx, 9, 5, "c1")
	must(err)
	if outcome != ballots.ClaimTaken || !got.Equal(three.Delta) || mark != (ballots.TallyMark{Base: 5, Claim: "c1"}) {
		t.Fatalf("claim: outcome %d, histogram %v, mark %+v", outcome, got, mark)
	}
	buffered := ballots.TallyBatch{ID: "b2", MinEnd: 4, MaxEnd: 5, Delta: ballots.Tally{"b\x1fg": 2}}
	if m := add(buffered, ballots.TallyStale); m.Base != 5 {
		t.Fatalf("stale batch: mark %+v", m)
	}
	add(ballots.TallyBatch{ID: "r1", Claim: "c0", Delta: ballots.Tally{"b\x1fg": 2}}, ballots.TallyStale)
	add(ballots.TallyBatch{ID: "r2", Claim: "c1", Delta: ballots.Tally{"b\x1fg": 2}}, ballots.TallyAdded)
	add(ballots.TallyBatch{ID: "b3", MinEnd: 8, MaxEnd: 8, Delta: ballots.Tally{"b\x1fg": 3}}, ballots.TallyAdded)
	hist(ballots.Tally{"b\x1fg": 8, "c\x1fg\x1fdem\x1fT01\x1f\x1f好": 3})
	if _, _, outcome, _ := l.ClaimTally(ctx, 9, 4, "c2"); outcome != ballots.ClaimSuperseded {
		t.Fatalf("claim at an older count: outcome %d, want superseded", outcome)
	}

	must(l.Drop(ctx, 9))
	add(ballots.TallyBatch{ID: "b4", MinEnd: 9, MaxEnd: 9, Delta: ballots.Tally{"b\x1fg": 3}}, ballots.TallyNotReady)
	keys, err := l.Client().Keys(ctx, "*"+strings.TrimSuffix(strings.TrimPrefix(l.TallyKey(9), "{"), "}:c")+"*").Result()
	must(err)
	if len(keys) != 0 {
		t.Fatalf("after Drop and a late batch Redis still holds %v", keys)
	}
}

// TestEmbeddedListensNowhere: the embedded Redis is reached through an
// in-memory pipe; this process opens no TCP port for it, so no other
// process can read the live tally.
func TestEmbeddedListensNowhere(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc")
	}
	before := listeningSockets(t)
	l, err := redislive.Connect("", "x:")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if _, err := l.Fail(ctx, "login", "who", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if blocked, err := l.Blocked(ctx, "login", "who", 1); err != nil || !blocked {
		t.Fatalf("embedded rate limit: blocked %v, %v", blocked, err)
	}
	if a := l.Embedded().Server().Addr(); a != nil {
		t.Fatalf("embedded Redis listens on %v", a)
	}
	after := listeningSockets(t)
	for ino := range after {
		if !before[ino] {
			t.Fatalf("a TCP listening socket appeared with the embedded Redis (inode %s)", ino)
		}
	}
}

// listeningSockets returns the inodes of this process's listening TCP sockets.
func listeningSockets(t *testing.T) map[string]bool {
	t.Helper()
	listening := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 && fs[3] == "0A" { // LISTEN
				listening[fs[9]] = true
			}
		}
	}
	own := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && listening[strings.TrimSuffix(ino, "]")] {
			own[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return own
}

// TestBreakerFailsFast: once Redis stops answering, calls fail at once with
// ErrUnavailable instead of each waiting for a connection; when it answers
// again, calls go through after the cool-down.
func TestBreakerFailsFast(t *testing.T) {
	m := miniredis.RunT(t)
	addr := m.Addr()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	l := redislive.New(rdb, "x:")
	defer l.Close()
	ctx := context.Background()
	if _, err := l.Blocked(ctx, "login", "who", 5); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := l.Blocked(ctx, "login", "who", 5); err == nil {
		t.Fatal("no error with Redis stopped")
	}
	for i := 0; i < 3; i++ {
		if _, err := l.Blocked(ctx, "login", "who", 5); !errors.Is(err, redislive.ErrUnavailable) {
			t.Fatalf("call %d after a failure: %v, want ErrUnavailable", i, err)
		}
	}
	if err := m.StartAddr(addr); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := l.Blocked(ctx, "login", "who", 5)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis back but calls still fail: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTransient: errors of a Redis that is away are transient (503 to a
// request, never 500); others are not.
func TestTransient(t *testing.T) {
	l := redislive.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1}), "t:")
	defer l.Close()
	err := l.Client().Ping(context.Background()).Err()
	if err == nil || !l.Transient(err) {
		t.Errorf("a refused connection (%v) is not transient", err)
	}
	if !l.Transient(redislive.ErrUnavailable) {
		t.Error("the open breaker is not transient")
	}
	if l.Transient(errors.New("ERR wrong number of arguments")) {
		t.Error("a command error is transient")
	}
}
