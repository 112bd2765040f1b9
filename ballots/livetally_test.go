package ballots_test

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/redislive/redistest"
)

// histogram reads a meeting's tally histogram straight from Redis: what
// anyone who can reach that Redis would read.
func histogram(t *testing.T, live *redislive.Live, id int64) ballots.Tally {
	t.Helper()
	all, err := live.Client().HGetAll(context.Background(), live.TallyKey(id)).Result()
	must(t, err)
	return parseHash(t, all)
}

func parseHash(t *testing.T, all map[string]string) ballots.Tally {
	h := ballots.Tally{}
	for f, v := range all {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Errorf("histogram field %q holds %q", f, v)
		}
		h[f] = n
	}
	return h
}

// ballotsIn returns the ballots per voter group a tally (or delta) counts.
func ballotsIn(t ballots.Tally) map[string]int64 {
	out := map[string]int64{}
	for f, n := range t {
		if g, ok := strings.CutPrefix(f, "b\x1f"); ok && n != 0 {
			out[g] = n
		}
	}
	return out
}

// waitLiveTurnout polls the live turnout (Live.Turnout) until it is exactly want.
func waitLiveTurnout(t *testing.T, live *redislive.Live, id int64, want map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, err := live.Turnout(context.Background(), id)
		if err == nil && maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("live turnout %v (err %v), want %v", got, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// castTogether casts one ballot per slip, all at once, and fails on any error.
func castTogether(t *testing.T, svc *ballots.Service, toks []ballots.Token) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(toks))
	for _, tok := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			errs <- svc.Cast(ctx, tok, "key", answers(t, good))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
}

// commandLog records the commands a client sends, as MONITOR would show them.
type commandLog struct {
	mu   sync.Mutex
	cmds [][]string
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }
func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		l.add(cmd)
		return next(ctx, cmd)
	}
}
func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			l.add(c)
		}
		return next(ctx, cmds)
	}
}
func (l *commandLog) add(cmd redis.Cmder) {
	var args []string
	for _, a := range cmd.Args() {
		if s, ok := a.(string); ok {
			args = append(args, s)
		}
	}
	l.mu.Lock()
	l.cmds = append(l.cmds, args)
	l.mu.Unlock()
}

// TestTallyMovesInBatchesOfK: while a meeting is open the tally histogram
// in Redis changes only by k or more ballots of a voter group at a time,
// and the commands that carry answers carry k or more ballots of each group
// in them, while turnout follows every cast exactly. The close still
// matches the recount.
func TestTallyMovesInBatchesOfK(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	id := e.rec.ID
	cadres := e.issue(t, "cadres", 7)
	village := e.issue(t, "village", 3)
	sent := &commandLog{}
	e.live.Client().AddHook(sent)

	// Watch the histogram as an outsider would, every few milliseconds.
	var seen []ballots.Tally
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		last := ballots.Tally{}
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			all, err := e.live.Client().HGetAll(ctx, e.live.TallyKey(id)).Result()
			if err != nil {
				continue
			}
			h := parseHash(t, all)
			if !h.Equal(last) {
				seen = append(seen, h)
				last = h
			}
		}
	}()

	steps := []struct {
		what    string
		toks    []ballots.Token
		turnout map[string]int64
		hist    map[string]int64 // ballots per group in the histogram
	}{
		{"1 cadre", cadres[:1], map[string]int64{"cadres": 1}, map[string]int64{}},
		{"2 more cadres", cadres[1:3], map[string]int64{"cadres": 3}, map[string]int64{"cadres": 3}},
		{"2 village", village[:2], map[string]int64{"cadres": 3, "village": 2}, map[string]int64{"cadres": 3}},
		{"3 more cadres", cadres[3:6], map[string]int64{"cadres": 6, "village": 2}, map[string]int64{"cadres": 6}},
		{"1 more village", village[2:], map[string]int64{"cadres": 6, "village": 3}, map[string]int64{"cadres": 6, "village": 3}},
		{"1 more cadre", cadres[6:], map[string]int64{"cadres": 7, "village": 3}, map[string]int64{"cadres": 6, "village": 3}},
	}
	for _, st := range steps {
		castTogether(t, e.svc, st.toks)
		waitLiveTurnout(t, e.live, id, st.turnout)
		deadline := time.Now().Add(5 * time.Second)
		for !maps.Equal(ballotsIn(histogram(t, e.live, id)), st.hist) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // and it stays there
		if got := ballotsIn(histogram(t, e.live, id)); !maps.Equal(got, st.hist) {
			t.Fatalf("after %s: histogram counts %v ballots, want %v", st.what, got, st.hist)
		}
	}
	close(stop)
	<-watched

	// Every change an outsider saw moved each group by 0 or ≥ k ballots,
	// and a group's answers only with its ballots.
	prev := ballots.Tally{}
	for _, h := range seen {
		changed := map[string]bool{}
		for f := range merged(h, prev) {
			if h[f] != prev[f] {
				changed[strings.SplitN(f, "\x1f", 3)[1]] = true
			}
		}
		for g := range changed {
			if n := h["b\x1f"+g] - prev["b\x1f"+g]; n < 3 {
				t.Fatalf("the histogram of %s moved by %d ballots: %v → %v", g, n, prev, h)
			}
		}
		prev = h
	}
	if len(seen) < 2 {
		t.Fatalf("the watcher saw %d histogram changes, want at least 2", len(seen))
	}

	// What MONITOR shows: answers only in calls that carry ≥ k ballots of
	// each group they touch; turnout calls carry no answers.
	sent.mu.Lock()
	tallyCalls := 0
	for _, args := range sent.cmds {
		joined := strings.Join(args, " ")
		if !strings.Contains(joined, "\x1f") {
			continue
		}
		tallyCalls++
		per := map[string]int64{}
		answersToo := false
		for _, a := range args {
			for _, line := range strings.Split(a, "\n") {
				f, n, ok := strings.Cut(line, "\t")
				if !ok || !strings.Contains(f, "\x1f") {
					continue
				}
				if g, ok := strings.CutPrefix(f, "b\x1f"); ok {
					v, _ := strconv.ParseInt(n, 10, 64)
					per[g] += v
				} else {
					answersToo = true
				}
			}
		}
		if !answersToo {
			continue
		}
		for g, v := range per {
			if v < 3 {
				t.Errorf("a command carried answers of %d ballots of %s: %q", v, g, joined)
			}
		}
		if len(per) == 0 {
			t.Errorf("a command carried answers without their ballots: %q", joined)
		}
	}
	sent.mu.Unlock()
	if tallyCalls < 2 || tallyCalls > 4 {
		t.Errorf("%d commands carried answers for 10 ballots, want 2 to 4 (one per k or more)", tallyCalls)
	}

	sealed, err := e.svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 10 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %q; want 10, match", sealed.Ballots, sealed.LiveCheck)
	}
}

func merged(a, b ballots.Tally) ballots.Tally {
	out := ballots.Tally{}
	out.Merge(a)
	out.Merge(b)
	return out
}

// TestTallyRestartMidBuffer: a server stops with casts in its buffer (fewer
// than k, so not in Redis). The next one claims them from the ledger without
// showing them in the histogram early, turnout stays exact, and the close
// matches.
func TestTallyRestartMidBuffer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fresh bool // Redis lost its state too (the embedded one always does)
	}{{"SameRedis", false}, {"FreshRedis", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := fixture(t)
			ctx := context.Background()
			id := e.rec.ID
			toks := e.issue(t, "cadres", 3)
			live := redistest.Open(t) // e.svc keeps its own live state; this is the restarted server's
			svc1 := ballots.NewService(e.store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
			svc1.Start(ctx)
			castN(t, svc1, toks[:2])
			waitLiveTurnout(t, live, id, map[string]int64{"cadres": 2})
			svc1.Stop() // its buffer of 2 is gone

			if tc.fresh {
				live = redistest.Open(t)
			}
			svc2 := ballots.NewService(e.store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
			svc2.Start(ctx)
			t.Cleanup(svc2.Stop)
			waitLiveTurnout(t, live, id, map[string]int64{"cadres": 2})
			time.Sleep(300 * time.Millisecond) // a few reconciles
			if h := histogram(t, live, id); len(h) != 0 {
				t.Fatalf("after the restart the histogram shows 2 ballots: %v", h)
			}
			castN(t, svc2, toks[2:])
			waitLiveTurnout(t, live, id, map[string]int64{"cadres": 3})
			deadline := time.Now().Add(5 * time.Second)
			for ballotsIn(histogram(t, live, id))["cadres"] != 3 {
				if time.Now().After(deadline) {
					t.Fatalf("histogram %v, want 3 cadres", histogram(t, live, id))
				}
				time.Sleep(10 * time.Millisecond)
			}
			sealed, err := svc2.Close(ctx, e.rec)
			must(t, err)
			if sealed.Ballots != 3 || sealed.LiveCheck != "match" {
				t.Fatalf("sealed %d ballots, live check %q; want 3, match", sealed.Ballots, sealed.LiveCheck)
			}
		})
	}
}

// TestTallyTwoServers: two servers share the ledger and Redis, each
// buffering its own casts. Neither's buffer reaches Redis below k; a close
// on one sees its own buffer and the histogram, not the other's buffer,
// and says so: "partial".
func TestTallyTwoServers(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	id := e.rec.ID
	toks := e.issue(t, "cadres", 5)
	live := redistest.Open(t)
	// No reconciler ticks: under load an apply that lags two ticks makes a
	// server claim the other's buffer (correct, but not what this shows).
	a := ballots.NewService(e.store, live, ballots.Options{Reconcile: time.Hour})
	b := ballots.NewService(e.store, live, ballots.Options{Reconcile: time.Hour})
	a.Start(ctx)
	b.Start(ctx)
	t.Cleanup(a.Stop)
	t.Cleanup(b.Stop)

	castN(t, a, toks[:2])
	castN(t, b, toks[2:4])
	waitLiveTurnout(t, live, id, map[string]int64{"cadres": 4})
	time.Sleep(300 * time.Millisecond)
	if h := histogram(t, live, id); len(h) != 0 {
		t.Fatalf("4 ballots, no server holding 3: the histogram shows %v", h)
	}
	castN(t, a, toks[4:])
	waitLiveTurnout(t, live, id, map[string]int64{"cadres": 5})
	deadline := time.Now().Add(5 * time.Second)
	for ballotsIn(histogram(t, live, id))["cadres"] != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("histogram %v, want 3 cadres", histogram(t, live, id))
		}
		time.Sleep(10 * time.Millisecond)
	}
	sealed, err := a.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 5 || sealed.LiveCheck != "partial" {
		t.Fatalf("sealed %d ballots, live check %q; want 5, partial", sealed.Ballots, sealed.LiveCheck)
	}
}
