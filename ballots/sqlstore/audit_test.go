package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestAuditEntriesFor: the entries of the targets asked for, newest first,
// no others, at most limit; a target nobody touched has none.
func TestAuditEntriesFor(t *testing.T) {
	st := sqltest.Open(t)
	ctx := context.Background()
	at := time.Date(2021, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, e := range []ballots.AuditEntry{
		{Actor: "tjj", Action: "entry.put", Target: "2020/T01-01", Detail: "a"},
		{Actor: "tjj", Action: "entry.put", Target: "2020/T01-02", Detail: "b"},
		{Actor: "tjj", Action: "entry.submit", Target: "2020/TJJ", Detail: "c"},
		{Actor: "admin", Action: "entry.return", Target: "2020/T01-01", Detail: "d"},
		{Actor: "admin", Action: "entry.put", Target: "2021/T01-01", Detail: "e"},
	} {
		e.At = at.Add(time.Duration(i) * time.Minute)
		if err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	details := func(targets []string, limit int) string {
		t.Helper()
		got, err := st.AuditEntriesFor(ctx, targets, limit)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, e := range got {
			s += e.Detail
		}
		return s
	}
	t.Run("OK", func(t *testing.T) {
		if got := details([]string{"2020/T01-01", "2020/TJJ"}, 10); got != "dca" {
			t.Errorf("entries of 2020/T01-01 and 2020/TJJ: %q, want dca (newest first, no other year or code)", got)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		if got := details([]string{"2020/T01-01", "2020/TJJ"}, 2); got != "dc" {
			t.Errorf("limit 2: %q, want dc", got)
		}
	})
	t.Run("None", func(t *testing.T) {
		if got := details([]string{"2020/NOPE"}, 10); got != "" {
			t.Errorf("an untouched target: %q", got)
		}
	})
}
