package ballots_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// counted returns the ledger's count of the fixture's meeting.
func (e *env) counted(t *testing.T) int64 {
	t.Helper()
	rec, err := e.svc.Meeting(context.Background(), "2020", "M1")
	must(t, err)
	return rec.Cast
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if ballots.ErrorCode(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

func TestPaperBallots(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	toks := e.issue(t, "village", 8)

	t.Run("KeyedIsNotCounted", func(t *testing.T) {
		p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", toks[0], answers(t, good))
		must(t, err)
		if p.ID == "" || p.Group != "village" || p.KeyedBy != "zhang" || p.KeyedAt.IsZero() {
			t.Fatalf("keyed %+v", p)
		}
		if n := e.counted(t); n != 0 {
			t.Fatalf("a keyed paper ballot counted: ledger count %d", n)
		}
		// The slip is unspent: it still opens its ballot.
		if _, err := e.svc.Ballot(ctx, toks[0]); err != nil {
			t.Fatalf("slip after keying: %v", err)
		}
		list, err := e.svc.PaperBallots(ctx, e.rec)
		must(t, err)
		if len(list) != 1 || list[0].ID != p.ID || !strings.Contains(string(list[0].Answers), "好") {
			t.Fatalf("waiting list %+v", list)
		}
		// The waiting copy holds the slip's hash, not its code.
		if strings.Contains(string(list[0].Answers), toks[0].String()) || list[0].TokenHash != toks[0].Hash() {
			t.Fatalf("waiting copy %+v", list[0])
		}
	})

	t.Run("ErrKeyedTwice", func(t *testing.T) {
		_, err := e.svc.KeyPaper(ctx, e.rec, "li", toks[0], answers(t, good))
		wantCode(t, err, ballots.EConflict)
		_, err = e.svc.PaperForm(ctx, e.rec, toks[0])
		wantCode(t, err, ballots.EConflict)
	})

	t.Run("ErrSamePerson", func(t *testing.T) {
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		wantCode(t, e.svc.ConfirmPaper(ctx, e.rec, "zhang", list[0].ID, toks[0]), ballots.EConflict)
		if n := e.counted(t); n != 0 {
			t.Fatalf("count %d after a refused confirmation", n)
		}
	})

	t.Run("ErrWrongCode", func(t *testing.T) {
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		wantCode(t, e.svc.ConfirmPaper(ctx, e.rec, "li", list[0].ID, toks[1]), ballots.EInvalid)
	})

	t.Run("ConfirmCastsOnce", func(t *testing.T) {
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		id := list[0].ID
		must(t, e.svc.ConfirmPaper(ctx, e.rec, "li", id, toks[0]))
		if n := e.counted(t); n != 1 {
			t.Fatalf("count %d after confirming, want 1", n)
		}
		wantCode(t, e.svc.ConfirmPaper(ctx, e.rec, "wang", id, toks[0]), ballots.ENotFound)
		list, _ = e.svc.PaperBallots(ctx, e.rec)
		if len(list) != 0 {
			t.Fatalf("waiting after confirm: %+v", list)
		}
		// The slip is spent: by phone it is used, on paper refused at keying.
		wantCode(t, e.svc.Cast(ctx, toks[0], "phone", answers(t, good)), ballots.ETokenUsed)
		_, err := e.svc.KeyPaper(ctx, e.rec, "zhang", toks[0], answers(t, good))
		wantCode(t, err, ballots.ETokenUsed)
		if n := e.counted(t); n != 1 {
			t.Fatalf("count %d, want 1", n)
		}
		waitCast(t, e, 1)
	})

	t.Run("PhoneWins", func(t *testing.T) {
		p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", toks[2], answers(t, good))
		must(t, err)
		must(t, e.svc.Cast(ctx, toks[2], "phone-key", answers(t, good)))
		wantCode(t, e.svc.ConfirmPaper(ctx, e.rec, "li", p.ID, toks[2]), ballots.ETokenUsed)
		if n := e.counted(t); n != 2 {
			t.Fatalf("count %d, want 2: the phone's ballot and the first paper one", n)
		}
		// The void waiting copy is gone.
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		if len(list) != 0 {
			t.Fatalf("waiting after a failed confirm: %+v", list)
		}
	})

	t.Run("ErrInvalidAnswers", func(t *testing.T) {
		_, err := e.svc.KeyPaper(ctx, e.rec, "zhang", toks[3], answers(t, `{"dem":{"T01":"好"},"mut":{"D01":101,"D02":92},"cad":{"P01":"优秀","P02":"优秀","P07":"称职"}}`))
		wantCode(t, err, ballots.EInvalidBallot)
		rules := map[string]bool{}
		for _, d := range ballots.ErrorDetails(err) {
			rules[d.Section+"/"+d.Rule] = true
		}
		if !rules["mut/out_of_range"] || !rules["cad/limit"] {
			t.Fatalf("details %v", ballots.ErrorDetails(err))
		}
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		if len(list) != 0 {
			t.Fatalf("an invalid paper ballot waits: %+v", list)
		}
	})

	t.Run("ErrSlips", func(t *testing.T) {
		unknown, _ := ballots.NewToken(strings.NewReader(strings.Repeat("x", 16)))
		_, err := e.svc.KeyPaper(ctx, e.rec, "zhang", unknown, answers(t, good))
		wantCode(t, err, ballots.ENotFound)
		b, err := e.svc.IssueBatch(ctx, e.rec, "cadres", 1)
		must(t, err)
		_, _, err = e.svc.RevokeBatch(ctx, b.ID)
		must(t, err)
		_, err = e.svc.KeyPaper(ctx, e.rec, "zhang", b.Tokens[0], answers(t, good))
		wantCode(t, err, ballots.ETokenRevoked)
	})

	t.Run("Discard", func(t *testing.T) {
		p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", toks[4], answers(t, good))
		must(t, err)
		must(t, e.svc.DiscardPaper(ctx, e.rec, p.ID))
		wantCode(t, e.svc.DiscardPaper(ctx, e.rec, p.ID), ballots.ENotFound)
		// Discarded, the slip may be keyed again or used by phone.
		_, err = e.svc.KeyPaper(ctx, e.rec, "zhang", toks[4], answers(t, good))
		must(t, err)
	})

	t.Run("RevokedWhileWaiting", func(t *testing.T) {
		b, err := e.svc.IssueBatch(ctx, e.rec, "cadres", 1)
		must(t, err)
		p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", b.Tokens[0], answers(t, good))
		must(t, err)
		_, _, err = e.svc.RevokeBatch(ctx, b.ID)
		must(t, err)
		wantCode(t, e.svc.ConfirmPaper(ctx, e.rec, "li", p.ID, b.Tokens[0]), ballots.ETokenRevoked)
	})

	t.Run("ClosedMeeting", func(t *testing.T) {
		list, _ := e.svc.PaperBallots(ctx, e.rec)
		if len(list) != 1 { // toks[4], keyed again above
			t.Fatalf("waiting %+v", list)
		}
		before := e.counted(t)
		_, err := e.svc.Close(ctx, e.rec)
		must(t, err)
		rec, _ := e.svc.Meeting(ctx, "2020", "M1")
		// Close deleted the waiting copy: there is nothing left to confirm.
		wantCode(t, e.svc.ConfirmPaper(ctx, rec, "li", list[0].ID, toks[4]), ballots.ENotFound)
		if rec.Cast != before || rec.Sealed.Ballots != before {
			t.Fatalf("count %d sealed %d, want %d", rec.Cast, rec.Sealed.Ballots, before)
		}
		_, err = e.svc.KeyPaper(ctx, rec, "zhang", toks[5], answers(t, good))
		wantCode(t, err, ballots.EClosed)
		list, err = e.svc.PaperBallots(ctx, rec)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("waiting after close: %+v", list)
		}
	})
}

// TestPaperOtherMeeting: a slip of one meeting cannot be keyed or confirmed
// through another.
func TestPaperOtherMeeting(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	_, err := e.svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M2", Title: "另一个会", Kind: "work_report", Host: "T01",
		Date: "2021-01-16", Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: "F-town"}}})
	must(t, err)
	m2, _ := e.svc.Meeting(ctx, "2020", "M2")
	must(t, e.svc.Open(ctx, m2))
	m2, _ = e.svc.Meeting(ctx, "2020", "M2")
	tok := e.issue(t, "cadres", 1)[0]
	_, err = e.svc.KeyPaper(ctx, m2, "zhang", tok, answers(t, good))
	wantCode(t, err, ballots.ENotFound)
	p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", tok, answers(t, good))
	must(t, err)
	wantCode(t, e.svc.ConfirmPaper(ctx, m2, "li", p.ID, tok), ballots.ENotFound)
	wantCode(t, e.svc.DiscardPaper(ctx, m2, p.ID), ballots.ENotFound)
}

// TestConcurrentConfirm: two people confirming the same paper ballot at
// once count it once.
func TestConcurrentConfirm(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	tok := e.issue(t, "cadres", 1)[0]
	p, err := e.svc.KeyPaper(ctx, e.rec, "zhang", tok, answers(t, good))
	must(t, err)
	errs := make(chan error, 2)
	for _, who := range []string{"li", "wang"} {
		go func() { errs <- e.svc.ConfirmPaper(ctx, e.rec, who, p.ID, tok) }()
	}
	for range 2 {
		if err := <-errs; err != nil && ballots.ErrorCode(err) != ballots.ENotFound {
			t.Errorf("confirm: %v", err)
		}
	}
	if n := e.counted(t); n != 1 {
		t.Fatalf("count %d, want 1", n)
	}
}

func waitCast(t *testing.T, e *env, cast int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tu, err := e.svc.TurnoutByID(context.Background(), e.rec.ID)
		must(t, err)
		if tu.Cast == cast {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("turnout %+v, want cast %d", tu, cast)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAuditLog: entries come back newest first, page by id, carry no slip
// code, and the table refuses changes and deletes even from SQL.
func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	url, dir := sqltest.URL(t), t.TempDir()
	e := fixture(t)
	store := sqltest.OpenURL(t, url, dir)
	svc := ballots.NewService(store, e.live, ballots.Options{})
	tok := e.issue(t, "cadres", 1)[0]
	for i, a := range []string{"login", "batch.issue", "meeting.open"} {
		must(t, svc.Audit(ctx, ballots.AuditEntry{Actor: "admin", Action: a, Target: "2020/M1", Detail: "n=" + string(rune('0'+i))}))
	}
	must(t, svc.Audit(ctx, ballots.AuditEntry{Actor: "admin", Action: "oops", Detail: "code " + tok.String() + " keyed"}))
	all, err := svc.AuditLog(ctx, 0, 10)
	must(t, err)
	if len(all) != 4 || all[0].Action != "oops" || all[3].Action != "login" || all[0].At.IsZero() {
		t.Fatalf("log %+v", all)
	}
	if strings.Contains(all[0].Detail, tok.String()) || !strings.Contains(all[0].Detail, "keyed") {
		t.Fatalf("a slip code reached the audit log: %q", all[0].Detail)
	}
	page, err := svc.AuditLog(ctx, all[1].ID, 1)
	must(t, err)
	if len(page) != 1 || page[0].ID != all[2].ID {
		t.Fatalf("page before %d: %+v", all[1].ID, page)
	}

	var db *gorm.DB
	if url == "" {
		db, err = gorm.Open(sqlite.Open(filepath.Join(dir, "ceping.db")), &gorm.Config{Logger: logger.Discard})
	} else {
		db, err = gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	}
	must(t, err)
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := db.Exec(`UPDATE audit_log SET actor = 'someone'`).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit_log: %v, want refused", err)
	}
	if err := db.Exec(`DELETE FROM audit_log`).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("DELETE FROM audit_log: %v, want refused", err)
	}
	again, _ := svc.AuditLog(ctx, 0, 10)
	if len(again) != 4 || again[3].Actor != "admin" {
		t.Fatalf("log changed: %+v", again)
	}
}
