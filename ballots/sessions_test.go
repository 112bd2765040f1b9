package ballots_test

import (
	"context"
	"testing"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// TestSessionGeneration: every change that must end an account's sessions
// moves its generation, and nothing else does; a re-created account does
// not start where the deleted one was.
func TestSessionGeneration(t *testing.T) {
	ctx := context.Background()
	svc := ballots.NewService(sqltest.Open(t), nil, ballots.Options{})
	must(t, svc.CreateUser(ctx, "admin", ballots.RoleAdmin, "admin-password"))
	must(t, svc.CreateUser(ctx, "zhang", ballots.RoleGroup, "zhang-password"))
	gen := func() int64 {
		t.Helper()
		u, err := svc.User(ctx, "zhang")
		must(t, err)
		return u.Generation
	}
	first := gen()
	if first <= 0 || first >= 1<<52 {
		t.Fatalf("a new account's generation %d, want in [1, 2^52)", first)
	}
	last := first
	for _, step := range []struct {
		name  string
		do    func() error
		moves bool
	}{
		{"SetDisplayName", func() error { return svc.SetDisplayName(ctx, "zhang", "张三") }, false},
		{"SetPassword", func() error { return svc.SetPassword(ctx, "zhang", "reset-password") }, true},
		{"ChangePasswordWrongOld", func() error { svc.ChangePassword(ctx, "zhang", "not-it", "x-password"); return nil }, false},
		{"ChangePassword", func() error { return svc.ChangePassword(ctx, "zhang", "reset-password", "own-password") }, true},
		{"SetRoleSame", func() error { return svc.SetRole(ctx, "zhang", ballots.RoleGroup) }, false},
		{"SetRole", func() error { return svc.SetRole(ctx, "zhang", ballots.RoleViewer) }, true},
		{"EndSessions", func() error { return svc.EndSessions(ctx, "zhang") }, true},
	} {
		must(t, step.do())
		now := gen()
		if moved := now != last; moved != step.moves {
			t.Errorf("%s: generation %d → %d, want moved=%v", step.name, last, now, step.moves)
		}
		last = now
	}
	must(t, svc.DeleteUser(ctx, "zhang"))
	must(t, svc.CreateUser(ctx, "zhang", ballots.RoleGroup, "zhang-password"))
	if again := gen(); again == first || again == last {
		t.Errorf("a re-created account starts at generation %d, which a deleted one's token may carry", again)
	}

	for _, tc := range []struct {
		name, user, role, code string
	}{
		{"UnknownRole", "zhang", "root", ballots.EInvalid},
		{"NoSuchUser", "nobody", ballots.RoleViewer, ballots.ENotFound},
		{"LastAdmin", "admin", ballots.RoleViewer, ballots.EConflict},
	} {
		if code := ballots.ErrorCode(svc.SetRole(ctx, tc.user, tc.role)); code != tc.code {
			t.Errorf("SetRole %s: %q, want %q", tc.name, code, tc.code)
		}
	}
	if code := ballots.ErrorCode(svc.EndSessions(ctx, "nobody")); code != ballots.ENotFound {
		t.Errorf("EndSessions of nobody: %q, want not_found", code)
	}
}
