package sqlstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestScrubAtStart: a meeting sealed without a scrub — by a version before
// scrubbing existed, or one a crash cut short — keeps its ballots laid out
// in casting order; the next start scrubs it.
func TestScrubAtStart(t *testing.T) {
	if os.Getenv("CEPING_TEST_DATABASE_URL") != "" {
		t.Skip("reads SQLite's files")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlstore.Open(ctx, "", dir)
	must(t, err)
	must(t, s.CreateCycle(ctx, ballots.Cycle{Code: "2020", Name: "2020"}))
	must(t, s.PutForm(ctx, "2020", ballots.Form{Code: "F", Title: "表"}))
	_, err = s.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M", Title: "会", Kind: "work_report", Date: "2021-01-15",
		Groups: []ballots.Group{{Code: "g", Name: "组", Form: "F"}}})
	must(t, err)
	rec, err := s.Meeting(ctx, "2020", "M")
	must(t, err)
	must(t, s.OpenMeeting(ctx, rec.ID, ballots.MeetingDef{Cycle: "2020", Code: "M", Groups: []ballots.GroupDef{{Code: "g"}}}))
	var k sqltest.Known
	var hashes []string
	for i := 0; i < 30; i++ {
		h := sha256.Sum256([]byte(randomHex(16)))
		hashes = append(hashes, hex.EncodeToString(h[:]))
	}
	must(t, s.CreateBatch(ctx, ballots.Batch{ID: "B1", MeetingID: rec.ID, Group: "g", Count: len(hashes)}, hashes))
	for _, h := range hashes {
		id := randomHex(16)
		out, _, err := s.CommitCasts(ctx, []ballots.Cast{{TokenHash: h, KeyHash: randomHex(32), MeetingID: rec.ID,
			Ballot: ballots.Ballot{ID: id, Group: "g"}, JSON: []byte(`{"dem":{"T01":"好"}}`)}})
		must(t, err)
		if out[0] != ballots.CastCounted {
			t.Fatalf("outcome %d", out[0])
		}
		k.Slips, k.Ballots = append(k.Slips, h), append(k.Ballots, id)
	}
	_, err = s.CloseMeeting(ctx, rec.ID)
	must(t, err)
	// Sealed the way an older version did: no scrub.
	raw, err := gorm.Open(sqlite.Open(filepath.Join(dir, "ceping.db")), &gorm.Config{Logger: logger.Discard})
	must(t, err)
	must(t, raw.Exec(`UPDATE meetings SET sealed = '{}' WHERE id = ?`, rec.ID).Error)
	if db, err := raw.DB(); err == nil {
		db.Close()
	}
	must(t, s.Close())
	before, err := sqltest.Search(sqltest.CopyFolder(t, dir), k)
	must(t, err)
	if len(before.Layouts) == 0 {
		t.Fatalf("an unscrubbed meeting shows no casting order: the test proves nothing (%v)", before)
	}

	s, err = sqlstore.Open(ctx, "", dir)
	must(t, err)
	defer s.Close()
	after, err := sqltest.Search(sqltest.CopyFolder(t, dir), k)
	must(t, err)
	if len(after.Layouts) != 0 || len(after.Remnants) != 0 || after.WALFrames != 0 {
		t.Fatalf("after a start: %v", after)
	}
	rows, n, err := s.Ballots(ctx, rec.ID)
	must(t, err)
	if len(rows) != 30 || n != 30 {
		t.Fatalf("%d ballots, count %d after the scrub, want 30", len(rows), n)
	}
}

// castMeeting opens meeting code with one group, issues slips and casts
// the first cast of them with answers, 50 to a commit; it returns the
// meeting's id, the slips' hashes and ballots' ids in casting order, and
// all the slips' hashes.
func castMeeting(tb testing.TB, s *sqlstore.Store, code string, slips, cast, per int, answers []byte) (int64, sqltest.Known, []string) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Cycle(ctx, "2020"); err != nil {
		must(tb, s.CreateCycle(ctx, ballots.Cycle{Code: "2020", Name: "2020"}))
		must(tb, s.PutForm(ctx, "2020", ballots.Form{Code: "F", Title: "表"}))
	}
	_, err := s.PutMeeting(ctx, "2020", ballots.Meeting{Code: code, Title: "会", Kind: "work_report", Date: "2021-01-15",
		Groups: []ballots.Group{{Code: "g", Name: "组", Form: "F"}}})
	must(tb, err)
	rec, err := s.Meeting(ctx, "2020", code)
	must(tb, err)
	must(tb, s.OpenMeeting(ctx, rec.ID, ballots.MeetingDef{Cycle: "2020", Code: code, Groups: []ballots.GroupDef{{Code: "g"}}}))
	hashes := make([]string, slips)
	for i := range hashes {
		hashes[i] = randomHex(32)
	}
	must(tb, s.CreateBatch(ctx, ballots.Batch{ID: "B" + code, MeetingID: rec.ID, Group: "g", Count: slips}, hashes))
	var k sqltest.Known
	for i := 0; i < cast; i += per {
		var casts []ballots.Cast
		for _, h := range hashes[i:min(i+per, cast)] {
			id := randomHex(16)
			casts = append(casts, ballots.Cast{TokenHash: h, KeyHash: randomHex(32), MeetingID: rec.ID,
				Ballot: ballots.Ballot{ID: id, Group: "g"}, JSON: answers})
			k.Slips, k.Ballots = append(k.Slips, h), append(k.Ballots, id)
		}
		out, _, err := s.CommitCasts(ctx, casts)
		must(tb, err)
		for _, o := range out {
			if o != ballots.CastCounted {
				tb.Fatalf("outcome %d", o)
			}
		}
	}
	return rec.ID, k, hashes
}

// TestWalIndexTail: a log that grew past the wal-index's first block (more
// than 4062 frames, here in one commit of large ballots) leaves none of its
// page numbers in the index once the log is truncated.
func TestWalIndexTail(t *testing.T) {
	if os.Getenv("CEPING_TEST_DATABASE_URL") != "" {
		t.Skip("reads SQLite's files")
	}
	dir := t.TempDir()
	s := sqltest.OpenURL(t, "", dir)
	big := []byte(`{"note":"` + strings.Repeat("好", 4500) + `"}`) // ~13.5 KB: 4 overflow pages
	castMeeting(t, s, "M", 1100, 1100, 1100, big)
	var r sqltest.Report
	deadline := time.Now().Add(20 * time.Second) // 19 MB to checkpoint, maybe under -race
	for {
		var err error
		r, err = sqltest.Search(sqltest.CopyFolder(t, dir), sqltest.Known{})
		must(t, err)
		if r.WALFrames == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log was not truncated: %v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ceping.db-shm")); err != nil || fi.Size() <= 32768 {
		t.Fatalf("the wal-index never grew past its first block (%v): the test proves nothing", err)
	}
	for _, p := range r.ShmTrail {
		if p != 1 {
			t.Fatalf("the wal-index lists pages of %d frames of a truncated log: %v", len(r.ShmTrail), r.ShmTrail[:min(20, len(r.ShmTrail))])
		}
	}
}

// BenchmarkSealScrub measures a seal in a ledger holding a county's years of
// history (on SQLite, the seal's VACUUM rewrites all of it): 40 sealed
// meetings of 500 slips and 400 ballots of about 1 KB each (~25 MB).
// go test -run - -bench SealScrub -benchtime 5x ./ballots/sqlstore/
func BenchmarkSealScrub(b *testing.B) {
	ctx := context.Background()
	s := sqltest.Open(b)
	answers := []byte(`{"cad":{` + strings.Repeat(`"P0000001":{"德":"优秀","能":"称职","勤":"称职","绩":"优秀","廉":"称职"},`, 8) + `"P9":{"德":"优秀"}}}`)
	for i := 0; i < 40; i++ {
		id, _, _ := castMeeting(b, s, fmt.Sprintf("H%d", i), 500, 400, 50, answers)
		_, err := s.CloseMeeting(ctx, id)
		must(b, err)
		must(b, s.Seal(ctx, id, ballots.Sealed{}))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id, _, _ := castMeeting(b, s, fmt.Sprintf("N%d", i), 100, 80, 50, answers)
		_, err := s.CloseMeeting(ctx, id)
		must(b, err)
		b.StartTimer()
		must(b, s.Seal(ctx, id, ballots.Sealed{}))
	}
}

// BenchmarkCommitCasts measures the ledger's share of a vote: group commits
// of 64 casts of a realistic ballot (about 1 KB), with the scrubber's
// checkpoints running as in production. One op is one vote.
// go test -run - -bench CommitCasts -benchtime 20000x ./ballots/sqlstore/
func BenchmarkCommitCasts(b *testing.B) {
	ctx := context.Background()
	s := sqltest.Open(b)
	answers := []byte(`{"cad":{` + strings.Repeat(`"P0000001":{"德":"优秀","能":"称职","勤":"称职","绩":"优秀","廉":"称职"},`, 8) + `"P9":{"德":"优秀"}}}`)
	id, _, hashes := castMeeting(b, s, "M", b.N, 0, 64, answers)
	b.ResetTimer()
	for i := 0; i < b.N; i += 64 {
		var casts []ballots.Cast
		for _, h := range hashes[i:min(i+64, b.N)] {
			casts = append(casts, ballots.Cast{TokenHash: h, KeyHash: randomHex(32), MeetingID: id,
				Ballot: ballots.Ballot{ID: randomHex(16), Group: "g"}, JSON: answers})
		}
		_, _, err := s.CommitCasts(ctx, casts)
		must(b, err)
	}
}
