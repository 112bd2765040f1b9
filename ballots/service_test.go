package ballots_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

type env struct {
	svc   *ballots.Service
	store *sqlstore.Store
	live  *redislive.Live
	rec   ballots.MeetingRecord
}

func f(x float64) *float64 { return &x }

// fixture sets up a year with three towns, two departments, a town's
// work-report meeting with two voter groups, and opens it.
func fixture(t *testing.T) *env {
	t.Helper()
	return fixtureOn(t, sqltest.Open(t))
}

// fixtureOn is fixture on a given ledger.
func fixtureOn(t *testing.T, store *sqlstore.Store) *env {
	t.Helper()
	ctx := context.Background()
	live := redistest.Open(t)
	svc := ballots.NewService(store, live, ballots.Options{Reconcile: 100 * time.Millisecond})
	svc.Start(ctx)
	t.Cleanup(svc.Stop)
	must(t, svc.CreateCycle(ctx, ballots.Cycle{Code: "2020", Name: "2020年度目标责任考核"}))
	must(t, svc.PutUnits(ctx, "2020", []ballots.Unit{
		{Code: "T01", Name: "城关镇", Kind: "town", Staff: 80},
		{Code: "T02", Name: "河口镇", Kind: "town", Staff: 40},
		{Code: "D01", Name: "县财政局", Kind: "department", Staff: 30},
		{Code: "D02", Name: "县教育局", Kind: "department", Staff: 60},
	}))
	must(t, svc.PutPeople(ctx, "2020", []ballots.Person{
		{Code: "P01", Name: "张三", Unit: "T01", Post: "党委书记", Leader: true},
		{Code: "P02", Name: "李四", Unit: "T01", Post: "镇长", Leader: true},
		{Code: "P07", Name: "王五", Unit: "T01", Post: "副镇长"},
	}))
	req := false
	must(t, svc.PutForm(ctx, "2020", ballots.Form{Code: "F-town", Title: "城关镇民主测评表", Sections: []ballots.Section{
		{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"},
			Scale: ballots.Scale{Type: "grade", Options: []ballots.Option{{"好", 1}, {"较好", 0.8}, {"一般", 0.6}, {"差", 0}}}},
		{Code: "mut", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"},
			Scale: ballots.Scale{Type: "score", Min: f(0), Max: f(100)}},
		{Code: "cad", Title: "科级干部测评", Purpose: "cadre", Subjects: []string{"people:host"},
			Scale:  ballots.Scale{Type: "grade", Options: []ballots.Option{{"优秀", 1}, {"称职", 0.8}, {"基本称职", 0.5}, {"不称职", 0}}},
			Limits: []ballots.Limit{{Options: []string{"优秀"}, MaxShare: 0.3}}},
		{Code: "rec", Title: "无任用推荐", Purpose: "recommend", Subjects: []string{"person:P07", "person:P02"},
			Scale: ballots.Scale{Type: "choose", Max: f(1)}, Required: &req},
	}}))
	_, err := svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M1", Title: "城关镇2020年度工作报告大会", Kind: "work_report",
		Host: "T01", Date: "2021-01-15", Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: "F-town"}, {Code: "village", Name: "村两委", Form: "F-town"}}})
	must(t, err)
	rec, err := svc.Meeting(ctx, "2020", "M1")
	must(t, err)
	must(t, svc.Open(ctx, rec))
	rec, err = svc.Meeting(ctx, "2020", "M1")
	must(t, err)
	return &env{svc: svc, store: store, live: live, rec: rec}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) issue(t *testing.T, group string, n int) []ballots.Token {
	t.Helper()
	b, err := e.svc.IssueBatch(context.Background(), e.rec, group, n)
	must(t, err)
	return b.Tokens
}

func answers(t testing.TB, s string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	must(t, json.Unmarshal([]byte(s), &m))
	return m
}

const good = `{"dem":{"T01":"好"},"mut":{"D01":88,"D02":92},"cad":{"P01":"优秀","P02":"称职","P07":"称职"},"rec":["P07"]}`

func TestCastAndClose(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	toks := e.issue(t, "cadres", 10)

	t.Run("OK", func(t *testing.T) {
		must(t, e.svc.Cast(ctx, toks[0], "k1", answers(t, good)))
	})
	t.Run("Resend", func(t *testing.T) {
		must(t, e.svc.Cast(ctx, toks[0], "k1", answers(t, good)))
	})
	t.Run("ErrTokenUsed", func(t *testing.T) {
		err := e.svc.Cast(ctx, toks[0], "k2", answers(t, good))
		if ballots.ErrorCode(err) != ballots.ETokenUsed {
			t.Fatalf("got %v, want token_used", err)
		}
	})
	t.Run("ErrInvalidBallot", func(t *testing.T) {
		err := e.svc.Cast(ctx, toks[1], "k", answers(t, `{"dem":{"T01":"好"},"mut":{"D01":101,"D02":92},"cad":{"P01":"优秀","P02":"优秀","P07":"称职"}}`))
		if ballots.ErrorCode(err) != ballots.EInvalidBallot {
			t.Fatalf("got %v, want invalid_ballot", err)
		}
		rules := map[string]bool{}
		for _, d := range ballots.ErrorDetails(err) {
			rules[d.Section+"/"+d.Rule] = true
		}
		if !rules["mut/out_of_range"] || !rules["cad/limit"] {
			t.Fatalf("details %v: want mut/out_of_range and cad/limit", ballots.ErrorDetails(err))
		}
		// Fixed, the same slip counts.
		must(t, e.svc.Cast(ctx, toks[1], "k", answers(t, good)))
	})
	for _, tok := range toks[2:5] {
		must(t, e.svc.Cast(ctx, tok, "k", answers(t, good)))
	}
	res, err := e.svc.Results(ctx, e.rec)
	if ballots.ErrorCode(err) != ballots.EMeetingOpen {
		t.Fatalf("results while open: %v %v", res, err)
	}
	sealed, err := e.svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 5 || sealed.LiveCheck != "match" {
		t.Fatalf("sealed %d ballots, live check %s; want 5, match", sealed.Ballots, sealed.LiveCheck)
	}
	rec, _ := e.svc.Meeting(ctx, "2020", "M1")
	res, err = e.svc.Results(ctx, rec)
	must(t, err)
	if res.Ballots != 5 || res.Sections[0].Subjects[0].Counts["好"] != 5 {
		t.Fatalf("result %+v", res)
	}
	if err := e.svc.Cast(ctx, toks[6], "k", answers(t, good)); ballots.ErrorCode(err) != ballots.EClosed {
		t.Fatalf("cast after close: %v", err)
	}
}

func TestConcurrentCastsOfOneToken(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	toks := e.issue(t, "cadres", 3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := e.svc.Cast(ctx, toks[0], fmt.Sprintf("key-%d", i), answers(t, good))
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if ballots.ErrorCode(err) != ballots.ETokenUsed {
				t.Errorf("cast %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d casts acknowledged, want 1", ok)
	}
	sealed, err := e.svc.Close(ctx, e.rec)
	must(t, err)
	if sealed.Ballots != 1 {
		t.Fatalf("sealed %d ballots, want 1", sealed.Ballots)
	}
}
