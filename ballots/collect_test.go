package ballots_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
)

// collectFixture adds bodies and a two-indicator catalogue for T01 to the
// fixture's year (coverage is the server's check, with the rules).
func collectFixture(t *testing.T) *env {
	t.Helper()
	e := fixture(t)
	ctx := context.Background()
	must(t, e.svc.PutBodies(ctx, "2020", []ballots.Body{{Code: "TJJ", Name: "县统计局", Kind: ballots.BodyStatistics}}))
	_, err := e.svc.PutCatalogue(ctx, "2020", []ballots.Indicator{
		{Code: "A", Unit: "T01", Category: "economic", Name: "地区生产总值", Points: 20, Method: ballots.MethodCompletion, Target: f(8), Source: "TJJ"},
		{Code: "B", Unit: "T01", Category: "economic", Name: "财政收入", Points: 15, Method: ballots.MethodCompletion, Target: f(3), Source: "TJJ"},
	}, false)
	must(t, err)
	return e
}

// TestCatalogueRaceKeepsValues: values entered while the office drops the
// indicator are never lost silently — either the catalogue PUT sees them
// and is refused, or the entry finds no indicator; no entry is left
// without its indicator. On PostgreSQL this exercises the year's lock.
func TestCatalogueRaceKeepsValues(t *testing.T) {
	e := collectFixture(t)
	ctx := context.Background()
	admin := ballots.Actor{Name: "admin", Role: ballots.RoleAdmin}
	onlyA := []ballots.Indicator{{Code: "A", Unit: "T01", Category: "economic", Name: "地区生产总值", Points: 35, Method: ballots.MethodCompletion, Target: f(8), Source: "TJJ"}}
	var wg sync.WaitGroup
	stored := make(chan float64, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := float64(i + 1)
			_, err := e.svc.PutEntry(ctx, "2020", "B", admin, ballots.EntryInput{Actual: &v})
			switch ballots.ErrorCode(err) {
			case "":
				stored <- v
			case ballots.ENotFound, ballots.EUnavailable:
			default:
				t.Errorf("put entry: %v", err)
			}
		}()
	}
	var putErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, putErr = e.svc.PutCatalogue(ctx, "2020", onlyA, false)
	}()
	wg.Wait()
	close(stored)
	n := 0
	for range stored {
		n++
	}
	cat, err := e.svc.Indicators(ctx, "2020")
	must(t, err)
	entries, err := e.svc.Entries(ctx, "2020")
	must(t, err)
	codes := map[string]bool{}
	for _, ind := range cat {
		codes[ind.Code] = true
	}
	for _, en := range entries {
		if !codes[en.Indicator] {
			t.Errorf("entry %s outlived its indicator", en.Indicator)
		}
	}
	switch {
	case putErr == nil && n > 0 && codes["B"]:
		t.Errorf("the catalogue PUT succeeded but B is still there")
	case putErr == nil && len(entries) > 0:
		t.Errorf("the catalogue dropped B yet entries remain: %+v", entries)
	case putErr != nil && ballots.ErrorCode(putErr) != ballots.EConflict:
		t.Errorf("the catalogue PUT: %v, want success or conflict", putErr)
	case putErr != nil && (n == 0 || len(entries) != 1):
		t.Errorf("the catalogue PUT was refused with %d values stored and %d entries", n, len(entries))
	}
}

// TestSubmitLocksEntries: after a submit no value changes until the office
// returns it, and a returned entry keeps the comment until resubmitted.
func TestSubmitLocksEntries(t *testing.T) {
	e := collectFixture(t)
	ctx := context.Background()
	tjj := ballots.Actor{Name: "tjj", Role: ballots.RoleAssessor, Body: "TJJ"}
	other := ballots.Actor{Name: "x", Role: ballots.RoleAssessor, Body: "AJJ"}
	if _, err := e.svc.PutEntry(ctx, "2020", "A", other, ballots.EntryInput{Actual: f(1)}); ballots.ErrorCode(err) != ballots.EForbidden {
		t.Fatalf("another body's assessor: %v", err)
	}
	_, err := e.svc.PutEntry(ctx, "2020", "A", tjj, ballots.EntryInput{Actual: f(7)})
	must(t, err)
	if _, err := e.svc.SubmitBody(ctx, "2020", "TJJ", tjj); ballots.ErrorCode(err) != ballots.EEntriesMissing {
		t.Fatalf("submit with B empty: %v", err)
	}
	_, err = e.svc.PutEntry(ctx, "2020", "B", tjj, ballots.EntryInput{MajorLoss: true, Reason: "数据造假"})
	must(t, err)
	ch, err := e.svc.SubmitBody(ctx, "2020", "TJJ", tjj)
	must(t, err)
	if len(ch) != 2 {
		t.Fatalf("submitted %d, want 2", len(ch))
	}
	if _, err := e.svc.PutEntry(ctx, "2020", "A", tjj, ballots.EntryInput{Actual: f(9)}); ballots.ErrorCode(err) != ballots.EEntryLocked {
		t.Fatalf("a submitted entry changed: %v", err)
	}
	if _, err := e.svc.ReviewEntries(ctx, "2020", []string{"A"}, "", ballots.Return, "", "admin"); ballots.ErrorCode(err) != ballots.EInvalid {
		t.Fatalf("a return without comment: %v", err)
	}
	_, err = e.svc.ReviewEntries(ctx, "2020", []string{"A"}, "", ballots.Return, "请核对", "admin")
	must(t, err)
	after, err := e.svc.PutEntry(ctx, "2020", "A", tjj, ballots.EntryInput{Actual: f(8)})
	must(t, err)
	if after.After.Status != ballots.EntryReturned || after.After.Comment != "请核对" {
		t.Errorf("a corrected returned entry: %+v", after.After)
	}
	// Several values at once are all or nothing: B is locked (submitted),
	// so A's new value is not stored either.
	if _, err := e.svc.PutEntries(ctx, "2020", tjj, []ballots.EntryUpdate{{Indicator: "A", Input: ballots.EntryInput{Actual: f(9.5)}},
		{Indicator: "B", Input: ballots.EntryInput{Actual: f(1)}}}); ballots.ErrorCode(err) != ballots.EEntryLocked {
		t.Fatalf("a batch with a locked entry: %v", err)
	}
	if entries, _ := e.svc.Entries(ctx, "2020"); *entries[0].Actual != 8 {
		t.Fatalf("a refused batch stored A = %v", *entries[0].Actual)
	}
	if _, err := e.svc.ReviewEntries(ctx, "2020", nil, "TJJ", ballots.Approve, "", "admin"); err != nil {
		t.Fatal(err)
	}
	entries, err := e.svc.Entries(ctx, "2020")
	must(t, err)
	for _, en := range entries {
		want := ballots.EntryApproved
		if en.Indicator == "A" {
			want = ballots.EntryReturned // not resubmitted: approving the body leaves it
		}
		if en.Status != want {
			t.Errorf("%s is %s, want %s", en.Indicator, en.Status, want)
		}
	}
}

func TestProgressDeadline(t *testing.T) {
	bodies := []ballots.Body{{Code: "TJJ"}, {Code: "AJJ"}}
	inds := []ballots.Indicator{{Code: "A", Source: "TJJ", Method: ballots.MethodScore}, {Code: "B", Source: "AJJ", Method: ballots.MethodScore}}
	entries := []ballots.Entry{{Indicator: "A", Status: ballots.EntrySubmitted, Score: f(90)}, {Indicator: "B", Status: ballots.EntryDraft, Score: f(80)}}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(23 * time.Hour) }
	for _, tc := range []struct {
		today   string
		overdue [2]bool
	}{{"2021-01-10", [2]bool{false, false}}, {"2021-01-11", [2]bool{false, true}}} {
		rows := ballots.Progress(bodies, inds, entries, "2021-01-10", day(tc.today))
		if rows[0].Overdue != tc.overdue[0] || rows[1].Overdue != tc.overdue[1] {
			t.Errorf("on %s: overdue %v %v, want %v", tc.today, rows[0].Overdue, rows[1].Overdue, tc.overdue)
		}
		if rows[1].Entered != 1 || rows[1].Submitted != 0 || rows[0].Submitted != 1 {
			t.Errorf("counts: %+v", rows)
		}
	}
}
