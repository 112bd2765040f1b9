package ballots_test

import (
	"context"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestConnectionsTerminated: an administrator terminates every database
// connection of the server (pg_terminate_backend) between two groups of
// casts and again while casts are on their way. The ledger retries on fresh
// connections: every cast is acknowledged, none fails, none counts twice.
func TestConnectionsTerminated(t *testing.T) {
	base := os.Getenv("CEPING_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("pg_terminate_backend needs PostgreSQL: set CEPING_TEST_DATABASE_URL")
	}
	u, err := url.Parse(sqltest.URL(t))
	must(t, err)
	q := u.Query()
	q.Set("application_name", "ceping-terminated-"+t.Name())
	u.RawQuery = q.Encode()
	e := fixtureOn(t, sqltest.OpenURL(t, u.String(), t.TempDir()), ballots.Options{Reconcile: time.Hour})
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	must(t, err)
	t.Cleanup(func() {
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	terminated := 0
	terminate := func() {
		var n int
		must(t, admin.Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?`,
			q.Get("application_name")).Row().Scan(&n))
		terminated += n
	}
	ctx := context.Background()
	toks := e.issue(t, "cadres", 60)
	ballot := answers(t, good)
	errs := make([]error, len(toks))
	var wg sync.WaitGroup
	for i := range toks {
		switch i {
		case 20:
			wg.Wait()
			terminate() // every idle connection of the pool is dead now
		case 40:
			terminate() // and again, with casts on their way
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			errs[i] = e.svc.Cast(cctx, toks[i], "key", ballot)
		}()
	}
	wg.Wait()
	if terminated == 0 {
		t.Fatalf("no connection was terminated")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("cast %d: %v", i, err)
		}
	}
	waitTurnout(t, e.svc, e.rec.ID, "60 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 60 && tu.Live })
	sealed, err := e.svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 60 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %q; want 60, match", sealed.Ballots, sealed.LiveCheck)
	}
	t.Logf("%d connections terminated", terminated)
}

// TestCommitAnswerLost: PostgreSQL commits a group of casts, but the answer
// to its COMMIT never comes back (the connection drops on the way). The
// ledger retries on a fresh connection and finds the group landed: every
// voter in it is acknowledged — never told that their own slip was used —
// and the live tally applies the group exactly once, in its place.
func TestCommitAnswerLost(t *testing.T) {
	proxy := sqltest.NewProxy(t, sqltest.URL(t))
	store := sqltest.OpenURL(t, proxy.URL(), t.TempDir())
	// No reconciler after the start: only the applier can bring the live
	// state up to the ledger, so a group applied twice, late or never shows
	// in the turnout and in the close's live check.
	e := fixtureOn(t, store, ballots.Options{Reconcile: time.Hour})
	ctx := context.Background()
	toks := e.issue(t, "cadres", 30)
	castN(t, e.svc, toks[:5])

	proxy.LoseCommitAnswer("cast_count") // the group commit's UPDATE meetings SET cast_count
	ballot := answers(t, good)
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			errs[i] = e.svc.Cast(cctx, toks[5+i], "key", ballot)
		}()
	}
	wg.Wait()
	if n := proxy.Lost(); n != 1 {
		t.Fatalf("the proxy lost %d COMMIT answers, want 1", n)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("cast %d (its group's COMMIT answer was lost): %v; want it acknowledged", 5+i, err)
		}
	}
	castN(t, e.svc, toks[25:])
	waitTurnout(t, e.svc, e.rec.ID, "30 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 30 && tu.Live })
	if pos, err := e.live.Position(ctx, e.rec.ID); err != nil || pos != 30 {
		t.Fatalf("live position %d (%v), want 30", pos, err)
	}

	// The voter's page resends after an unanswered cast: acknowledged again.
	if err := e.svc.Cast(ctx, toks[5], "key", ballot); err != nil {
		t.Errorf("resend with the same key: %v, want acknowledged", err)
	}
	if err := e.svc.Cast(ctx, toks[5], "another key", ballot); ballots.ErrorCode(err) != ballots.ETokenUsed {
		t.Errorf("cast with another key: %v, want token_used", err)
	}

	sealed, err := e.svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 30 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %q; want 30, match", sealed.Ballots, sealed.LiveCheck)
	}
}

// TestDatabaseAway: while PostgreSQL refuses every connection, reading a
// ballot and casting it fail with unavailable (a 503 with Retry-After at
// the HTTP edge), never an internal error; once it is back, the resend with
// the same key counts.
func TestDatabaseAway(t *testing.T) {
	proxy := sqltest.NewProxy(t, sqltest.URL(t))
	store := sqltest.OpenURL(t, proxy.URL(), t.TempDir())
	e := fixtureOn(t, store, ballots.Options{Reconcile: 100 * time.Millisecond})
	ctx := context.Background()
	toks := e.issue(t, "cadres", 3)
	castN(t, e.svc, toks[:1])

	proxy.Down()
	if _, err := e.svc.Ballot(ctx, toks[1]); ballots.ErrorCode(err) != ballots.EUnavailable {
		t.Errorf("ballot with the database away: %v, want unavailable", err)
	}
	if err := e.svc.Cast(ctx, toks[1], "key", answers(t, good)); ballots.ErrorCode(err) != ballots.EUnavailable {
		t.Errorf("cast with the database away: %v, want unavailable", err)
	}
	if _, err := e.svc.Meeting(ctx, "2020", "M1"); ballots.ErrorCode(err) != ballots.EUnavailable {
		t.Errorf("an organizer's read with the database away: %v, want unavailable", err)
	}

	proxy.Up()
	if err := e.svc.Cast(ctx, toks[1], "key", answers(t, good)); err != nil {
		t.Fatalf("resend once the database is back: %v", err)
	}
	waitTurnout(t, e.svc, e.rec.ID, "2 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 2 && tu.Live })
}
