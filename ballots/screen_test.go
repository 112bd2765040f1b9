package ballots_test

import (
	"context"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
)

func TestScreenLinks(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	t.Run("Durations", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Hour, 30 * time.Minute, 90 * time.Minute, 49 * time.Hour} {
			if _, err := e.svc.IssueScreenLink(ctx, e.rec, "admin", d, false); ballots.ErrorCode(err) != ballots.EInvalid {
				t.Errorf("a link for %s: %v, want invalid", d, err)
			}
		}
	})
	dflt, err := e.svc.IssueScreenLink(ctx, e.rec, "zhang", 0, true)
	must(t, err)
	if got := dflt.ExpiresAt.Sub(dflt.IssuedAt); got != ballots.DefaultScreenLink || !dflt.ShowResults || dflt.IssuedBy != "zhang" || len(dflt.ID) != 16 {
		t.Fatalf("default link %+v", dflt)
	}
	short, err := e.svc.IssueScreenLink(ctx, e.rec, "admin", time.Hour, false)
	must(t, err)
	list, err := e.svc.ScreenLinks(ctx, e.rec)
	must(t, err)
	if len(list) != 2 || list[0].State(time.Now()) != ballots.ScreenValid {
		t.Fatalf("links %+v", list)
	}
	if l, err := e.svc.ScreenLinkValid(ctx, e.rec.ID, short.ID); err != nil || l.ID != short.ID {
		t.Fatalf("valid link: %+v %v", l, err)
	}
	for name, c := range map[string]struct {
		meeting int64
		id      string
	}{"Unknown": {e.rec.ID, "0123456789abcdef"}, "OtherMeeting": {e.rec.ID + 1, short.ID}} {
		if _, err := e.svc.ScreenLinkValid(ctx, c.meeting, c.id); ballots.ErrorCode(err) != ballots.EForbidden {
			t.Errorf("%s: %v, want forbidden", name, err)
		}
	}
	other := e.rec
	other.ID++
	if _, _, err := e.svc.RevokeScreenLink(ctx, other, short.ID, "admin"); ballots.ErrorCode(err) != ballots.ENotFound {
		t.Fatalf("revoke through another meeting: %v", err)
	}
	l, revoked, err := e.svc.RevokeScreenLink(ctx, e.rec, short.ID, "wang")
	if err != nil || !revoked || l.RevokedBy != "wang" || l.RevokedAt == nil || l.State(time.Now()) != ballots.ScreenRevoked {
		t.Fatalf("revoke: %+v %v %v", l, revoked, err)
	}
	again, revoked, err := e.svc.RevokeScreenLink(ctx, e.rec, short.ID, "admin")
	if err != nil || revoked || again.RevokedBy != "wang" || !again.RevokedAt.Equal(*l.RevokedAt) {
		t.Fatalf("revoke again: %+v %v %v", again, revoked, err)
	}
	if _, err := e.svc.ScreenLinkValid(ctx, e.rec.ID, short.ID); ballots.ErrorCode(err) != ballots.EForbidden {
		t.Fatalf("a revoked link: %v", err)
	}
	if s := (ballots.ScreenLink{ExpiresAt: time.Now().Add(-time.Second)}).State(time.Now()); s != ballots.ScreenExpired {
		t.Fatalf("an expired link's state %q", s)
	}
}
