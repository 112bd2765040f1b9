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
// twice, or after a gap end in the ledger's tally once the gap is filled.
func TestApplyInLedgerOrder(t *testing.T) {
	ctx := context.Background()
	l := redistest.Open(t)
	a := ballots.Tally{"b\x1fg": 2, "c\x1fg\x1fdem\x1fT01\x1f\x1f好": 2}
	b := ballots.Tally{"b\x1fg": 1, "c\x1fg\x1fdem\x1fT01\x1f\x1f差": 1}
	c := ballots.Tally{"b\x1fg": 3, "c\x1fg\x1fdem\x1fT01\x1f\x1f好": 3}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Apply(ctx, 7, 2, 3, b)) // arrives before a: waits
	if pos, _ := l.Position(ctx, 7); pos != 0 {
		t.Fatalf("position %d after an early group, want 0", pos)
	}
	must(l.Apply(ctx, 7, 0, 2, a)) // a, then b from pending
	must(l.Apply(ctx, 7, 0, 2, a)) // a resent: ignored
	tl, pos, err := l.Tally(ctx, 7)
	must(err)
	if pos != 3 || tl["b\x1fg"] != 3 || tl["c\x1fg\x1fdem\x1fT01\x1f\x1f好"] != 2 || tl["c\x1fg\x1fdem\x1fT01\x1f\x1f差"] != 1 {
		t.Fatalf("tally %v at %d", tl, pos)
	}
	// A group lost between commit and Redis (3→6) leaves a gap that only a
	// rebuild from the ledger fills.
	must(l.Apply(ctx, 7, 6, 7, ballots.Tally{"b\x1fg": 1}))
	if pos, _ := l.Position(ctx, 7); pos != 3 {
		t.Fatalf("position %d across a gap, want 3", pos)
	}
	full := ballots.Tally{}
	full.Merge(a)
	full.Merge(b)
	full.Merge(c)
	must(l.Rebuild(ctx, 7, 6, full)) // the ledger at 6; the waiting 6→7 applies after
	tl, pos, err = l.Tally(ctx, 7)
	must(err)
	turnout, _, _ := l.Turnout(ctx, 7)
	if pos != 7 || tl["b\x1fg"] != 7 || turnout["g"] != 7 {
		t.Fatalf("after rebuild: tally %v turnout %v at %d, want 7 ballots", tl, turnout, pos)
	}
	must(l.Rebuild(ctx, 7, 5, a)) // an older snapshot never goes back
	if pos, _ := l.Position(ctx, 7); pos != 7 {
		t.Fatalf("an older rebuild moved the position to %d", pos)
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
