package ballots_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/glebarez/sqlite"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// waitTurnout polls a meeting's turnout until ok accepts it, for at most 10 s.
func waitTurnout(t *testing.T, svc *ballots.Service, id int64, what string, ok func(ballots.Turnout) bool) ballots.Turnout {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last ballots.Turnout
	var err error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last, err = svc.TurnoutByID(ctx, id)
		cancel()
		if err == nil && ok(last) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("turnout never showed %s; last %+v, err %v", what, last, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// castN casts one ballot per slip, each within 5 s, and fails on any error.
func castN(t *testing.T, svc *ballots.Service, toks []ballots.Token) {
	t.Helper()
	for i, tok := range toks {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := svc.Cast(ctx, tok, "key", answers(t, good))
		cancel()
		if err != nil {
			t.Fatalf("cast %d: %v (after %s)", i, err, time.Since(start))
		}
	}
}

// TestRedisStoppedMidMeeting: Redis goes away in the middle of a meeting and
// comes back empty. No vote is lost, turnout stays readable from the ledger,
// the live state is rebuilt, and the close matches (invariant 10).
func TestRedisStoppedMidMeeting(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	m, err := miniredis.Run()
	must(t, err)
	addr := m.Addr()
	current := m
	t.Cleanup(func() { current.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 0, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	live := redislive.New(rdb, redistest.Prefix(t))
	t.Cleanup(func() { live.Close() })
	svc := ballots.NewService(e.store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	id := e.rec.ID
	toks := e.issue(t, "cadres", 15)

	castN(t, svc, toks[:5])
	waitTurnout(t, svc, id, "5 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 5 && tu.Live })

	m.Close() // Redis is gone
	start := time.Now()
	castN(t, svc, toks[5:10])
	t.Logf("5 casts with Redis down took %s", time.Since(start).Round(time.Millisecond))
	tu := waitTurnout(t, svc, id, "10 cast from the ledger", func(tu ballots.Turnout) bool { return tu.Cast == 10 })
	if tu.Live || tu.Issued != 15 || tu.Status != ballots.StatusOpen {
		t.Fatalf("turnout with Redis down: %+v; want 10 of 15 cast, open, live false", tu)
	}

	// Redis comes back on the same address, empty.
	m2 := miniredis.NewMiniRedis()
	must(t, m2.StartAddr(addr))
	current = m2
	start = time.Now()
	waitTurnout(t, svc, id, "10 cast, live again", func(tu ballots.Turnout) bool { return tu.Cast == 10 && tu.Live })
	t.Logf("live state rebuilt %s after Redis came back", time.Since(start).Round(time.Millisecond))
	if pos, err := live.Position(ctx, id); err != nil || pos != 10 {
		t.Fatalf("live position after rebuild: %d %v, want 10", pos, err)
	}

	castN(t, svc, toks[10:])
	waitTurnout(t, svc, id, "15 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 15 && tu.Live })
	sealed, err := svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 15 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %q; want 15, match", sealed.Ballots, sealed.LiveCheck)
	}
}

// TestLostBatchRepaired: another process commits ballots and dies before
// telling Redis. The live state lags the ledger; the reconciler rebuilds it.
func TestLostBatchRepaired(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	live := redistest.Open(t) // this process's live state; e.svc writes to another one
	svc := ballots.NewService(e.store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	id := e.rec.ID
	toks := e.issue(t, "cadres", 8)

	castN(t, svc, toks[:3])
	waitTurnout(t, svc, id, "3 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 3 && tu.Live })
	// Ledger 3→5 through e.svc: this live state never hears of it.
	castN(t, e.svc, toks[3:5])
	// Ledger 5→6 here: its Apply skips ahead of position 3 and must wait.
	castN(t, svc, toks[5:6])
	waitTurnout(t, svc, id, "6 cast, live", func(tu ballots.Turnout) bool { return tu.Cast == 6 && tu.Live })
	if pos, err := live.Position(ctx, id); err != nil || pos != 6 {
		t.Fatalf("live position %d %v, want 6", pos, err)
	}
	castN(t, svc, toks[6:])
	sealed, err := svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 8 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %q; want 8, match", sealed.Ballots, sealed.LiveCheck)
	}
}

// TestBallotRowsAreAnonymous reads the ballots table directly (invariant 6):
// its columns are exactly id, meeting_id, group_code and answers; ids are
// random 32-hex; no row holds a slip code or its hash; and the order the
// rows are stored in does not follow the order they were cast in.
func TestBallotRowsAreAnonymous(t *testing.T) {
	ctx := context.Background()
	dbURL, dir := sqltest.URL(t), t.TempDir()
	store := sqltest.OpenURL(t, dbURL, dir)
	svc := ballots.NewService(store, redistest.Open(t), ballots.Options{Reconcile: 100 * time.Millisecond})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	rec := openYear(t, svc)
	b, err := svc.IssueBatch(ctx, rec, "cadres", 20)
	must(t, err)
	// One at a time, so each ballot is its own commit; D01's score is the
	// casting order.
	for i, tok := range b.Tokens {
		a := strings.Replace(good, `"D01":88`, fmt.Sprintf(`"D01":%d`, i), 1)
		must(t, svc.Cast(ctx, tok, "key", answers(t, a)))
	}
	_, err = svc.Close(ctx, rec)
	must(t, err)

	var db *gorm.DB
	if dbURL == "" {
		db, err = gorm.Open(sqlite.Open(filepath.Join(dir, "ceping.db")), &gorm.Config{Logger: logger.Discard})
	} else {
		db, err = gorm.Open(postgres.Open(dbURL), &gorm.Config{Logger: logger.Discard})
	}
	must(t, err)
	if sqlDB, err := db.DB(); err == nil {
		t.Cleanup(func() { sqlDB.Close() })
	}

	cols, err := db.Migrator().ColumnTypes("ballots")
	must(t, err)
	var names []string
	for _, c := range cols {
		names = append(names, c.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "answers,group_code,id,meeting_id" {
		t.Errorf("ballots columns %v; want exactly id, meeting_id, group_code, answers", names)
	}

	type row struct {
		ID, GroupCode, Answers string
		MeetingID              int64
	}
	var rows []row
	// SQLite reads a table without ORDER BY in storage order; PostgreSQL's
	// physical order is ctid.
	q := `SELECT id, group_code, answers, meeting_id FROM ballots WHERE meeting_id = ?`
	if dbURL != "" {
		q += " ORDER BY ctid"
	}
	must(t, db.Raw(q, rec.ID).Scan(&rows).Error)
	if len(rows) != 20 {
		t.Fatalf("%d ballot rows, want 20", len(rows))
	}
	hexRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	var secrets []string
	for _, tok := range b.Tokens {
		secrets = append(secrets, tok.String(), tok.Hash())
	}
	var scores []int
	for _, r := range rows {
		if !hexRE.MatchString(r.ID) {
			t.Errorf("ballot id %q is not 32 random hex digits", r.ID)
		}
		for _, s := range secrets {
			if strings.Contains(r.Answers, s) || strings.Contains(r.ID, s) || strings.Contains(r.GroupCode, s) {
				t.Fatalf("ballot row %s holds a slip code or hash", r.ID)
			}
		}
		var d01 int
		if _, err := fmt.Sscanf(r.Answers[strings.Index(r.Answers, `"D01":`):], `"D01":%d`, &d01); err != nil {
			t.Fatalf("answers %s: %v", r.Answers, err)
		}
		scores = append(scores, d01)
	}
	// In random order about half of the neighbours ascend; in casting order all 19 do.
	ascending := 0
	for i := 1; i < len(scores); i++ {
		if scores[i] > scores[i-1] {
			ascending++
		}
	}
	if ascending >= 17 {
		t.Errorf("ballot rows in storage order (%s) follow the casting order: %v", map[bool]string{true: "PostgreSQL ctid", false: "SQLite"}[dbURL != ""], scores)
	}

	if dbURL != "" {
		// The seal rewrote every row in one transaction: xmin no longer
		// tells commits apart.
		var n int64
		must(t, db.Raw(`SELECT count(DISTINCT xmin::text) FROM ballots WHERE meeting_id = ?`, rec.ID).Scan(&n).Error)
		if n != 1 {
			t.Errorf("sealed ballot rows carry %d distinct xmin values, want 1", n)
		}
	}

	// Nothing joins a slip to a ballot: the tokens table has no ballot id and no time.
	cols, err = db.Migrator().ColumnTypes("tokens")
	must(t, err)
	names = names[:0]
	for _, c := range cols {
		names = append(names, c.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "batch_id,group_code,hash,key_hash,meeting_id,state" {
		t.Errorf("tokens columns %v", names)
	}
}

// openYear sets up, on svc, the year of fixture (the same form, so good is a
// valid ballot) and opens its meeting.
func openYear(t *testing.T, svc *ballots.Service) ballots.MeetingRecord {
	t.Helper()
	ctx := context.Background()
	must(t, svc.CreateCycle(ctx, ballots.Cycle{Code: "2020", Name: "2020年度目标责任考核"}))
	must(t, svc.PutUnits(ctx, "2020", []ballots.Unit{
		{Code: "T01", Name: "城关镇", Kind: "town"}, {Code: "D01", Name: "县财政局", Kind: "department"}, {Code: "D02", Name: "县教育局", Kind: "department"}}))
	must(t, svc.PutPeople(ctx, "2020", []ballots.Person{
		{Code: "P01", Name: "张三", Unit: "T01"}, {Code: "P02", Name: "李四", Unit: "T01"}, {Code: "P07", Name: "王五", Unit: "T01"}}))
	req := false
	competent := ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "优秀", Value: 1}, {Label: "称职", Value: 0.8}, {Label: "基本称职", Value: 0.5}, {Label: "不称职", Value: 0}}}
	must(t, svc.PutForm(ctx, "2020", ballots.Form{Code: "F-town", Title: "城关镇民主测评表", Sections: []ballots.Section{
		{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"},
			Scale: ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "好", Value: 1}, {Label: "较好", Value: 0.8}, {Label: "一般", Value: 0.6}, {Label: "差", Value: 0}}}},
		{Code: "mut", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"}, Scale: ballots.Scale{Type: "score", Min: f(0), Max: f(100)}},
		{Code: "cad", Title: "科级干部测评", Purpose: "cadre", Subjects: []string{"people:host"}, Scale: competent,
			Limits: []ballots.Limit{{Options: []string{"优秀"}, MaxShare: 0.3}}},
		{Code: "rec", Title: "无任用推荐", Purpose: "recommend", Subjects: []string{"person:P07", "person:P02"},
			Scale: ballots.Scale{Type: "choose", Max: f(1)}, Required: &req},
	}}))
	_, err := svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M1", Title: "城关镇2020年度工作报告大会", Kind: "work_report",
		Host: "T01", Date: "2021-01-15", Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: "F-town"}}})
	must(t, err)
	rec, err := svc.Meeting(ctx, "2020", "M1")
	must(t, err)
	must(t, svc.Open(ctx, rec))
	rec, err = svc.Meeting(ctx, "2020", "M1")
	must(t, err)
	return rec
}
