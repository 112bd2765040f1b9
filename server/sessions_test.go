package server

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// authAs is a header map that signs a request with a bearer token.
func authAs(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// statusWith runs one request with a bearer token and returns its status.
func (ts *testServer) statusWith(t *testing.T, method, url, token, body string) int {
	t.Helper()
	status, _ := ts.do(t, req{method: method, url: url, headers: authAs(token), body: body})
	return status
}

// TestDeletedAccountTokenRefused: the audit found that a deleted admin's
// token still created a new admin. After the delete the token answers 401
// everywhere and changes nothing; an account re-created under the same
// name does not bring it back.
func TestDeletedAccountTokenRefused(t *testing.T) {
	ts := newTestServer(t)
	ts.call(t, "POST", "/api/v1/users", adminUser, map[string]string{"name": "li", "role": "admin", "password": "li-password-1"}, 201, nil)
	li := ts.login(t, "li", "li-password-1")
	if got := ts.statusWith(t, "GET", "/api/v1/users", li, ""); got != 200 {
		t.Fatalf("li's token before the delete: %d", got)
	}
	ts.call(t, "DELETE", "/api/v1/users/li", adminUser, nil, 204, nil)

	ts.run(t, []scenario{
		{name: "Read", method: "GET", url: "/api/v1/users", headers: authAs(li), status: 401, code: "unauthorized"},
		{name: "CreateAdmin", method: "POST", url: "/api/v1/users", headers: authAs(li),
			body: `{"name":"backdoor","role":"admin","password":"backdoor-pass"}`, status: 401, code: "unauthorized"},
		{name: "ResetAdmin", method: "PUT", url: "/api/v1/users/admin/password", headers: authAs(li),
			body: `{"password":"taken-over-1"}`, status: 401, code: "unauthorized"},
		{name: "Console", method: "GET", url: "/api/v1/cycles", headers: map[string]string{"Cookie": sessionCookie + "=" + li}, status: 401, code: "unauthorized"},
	})
	if _, err := ts.svc.User(context.Background(), "backdoor"); !ballots.IsNotFound(err) {
		t.Errorf("the deleted admin's token created an account: %v", err)
	}
	if _, err := ts.tryLogin(adminUser, password); err != nil {
		t.Errorf("admin's password was changed with the deleted admin's token: %v", err)
	}

	// The same name again, even the same role and password: the old token
	// stays dead.
	ts.call(t, "POST", "/api/v1/users", adminUser, map[string]string{"name": "li", "role": "admin", "password": "li-password-1"}, 201, nil)
	if got := ts.statusWith(t, "GET", "/api/v1/users", li, ""); got != 401 {
		t.Errorf("a deleted account's token after the name was re-created: %d, want 401", got)
	}
}

// TestPasswordResetEndsSessions: an admin's reset and one's own change end
// every session of the account; the new password signs in; one's own
// change from the console keeps that console session (renewed cookie,
// same CSRF token) and ends the others.
func TestPasswordResetEndsSessions(t *testing.T) {
	ts := newTestServer(t)
	zhang := ts.jwts[groupUser]
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", zhang, ""); got != 200 {
		t.Fatalf("zhang before the reset: %d", got)
	}
	ts.call(t, "PUT", "/api/v1/users/zhang/password", adminUser, map[string]string{"password": "reset-by-admin"}, 204, nil)
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", zhang, ""); got != 401 {
		t.Errorf("zhang's token after an admin reset his password: %d, want 401", got)
	}
	zhang = ts.login(t, groupUser, "reset-by-admin")
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", zhang, ""); got != 200 {
		t.Errorf("zhang's new sign-in: %d", got)
	}

	// Own change by API: every token of the account ends, this one too.
	viewerAPI := ts.jwts[viewerUser]
	cookie, csrf := ts.consoleSignIn(t, viewerUser, password)
	status, _ := ts.do(t, req{method: "PUT", url: "/api/v1/users/viewer/password", headers: authAs(viewerAPI),
		body: `{"old_password":"` + password + `","password":"viewer-new-1"}`})
	if status != 204 {
		t.Fatalf("own change: %d", status)
	}
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", viewerAPI, ""); got != 401 {
		t.Errorf("the token that changed its own password: %d, want 401", got)
	}
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", cookie, "", ""); got != 401 {
		t.Errorf("a console session after the password changed elsewhere: %d, want 401", got)
	}

	// Own change from the console: that session goes on, with the CSRF
	// token its pages already hold; the old cookie and other sessions end.
	other := ts.login(t, viewerUser, "viewer-new-1")
	cookie, csrf = ts.consoleSignIn(t, viewerUser, "viewer-new-1")
	res := ts.cookieRequest(t, "PUT", "/api/v1/users/viewer/password", cookie, csrf, `{"old_password":"viewer-new-1","password":"viewer-new-2"}`)
	if res.StatusCode != 204 {
		t.Fatalf("own change from the console: %d", res.StatusCode)
	}
	renewed := ""
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			renewed = c.Value
		}
	}
	if renewed == "" || renewed == cookie {
		t.Fatalf("own change from the console set no new session cookie")
	}
	if got := ts.cookieStatus(t, "POST", "/api/v1/logout-all", renewed, "", ""); got != 403 {
		t.Errorf("the renewed cookie without CSRF token: %d, want 403", got)
	}
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", renewed, "", ""); got != 200 {
		t.Errorf("the renewed console session: %d, want 200", got)
	}
	if got := ts.cookieStatus(t, "PUT", "/api/v1/users/viewer/password", renewed, csrf, `{"old_password":"viewer-new-2","password":"viewer-new-3"}`); got != 204 {
		t.Errorf("the renewed session changes its password again with the page's CSRF token: %d, want 204", got)
	}
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", cookie, "", ""); got != 401 {
		t.Errorf("the cookie from before the change: %d, want 401", got)
	}
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", other, ""); got != 401 {
		t.Errorf("another session of the account after its own change: %d, want 401", got)
	}
}

// TestRoleChangeTakesEffect: a demoted admin's token no longer works, and
// its next sign-in has the new role; a promoted viewer signs in as admin.
// The last admin keeps the role.
func TestRoleChangeTakesEffect(t *testing.T) {
	ts := newTestServer(t)
	ts.call(t, "POST", "/api/v1/users", adminUser, map[string]string{"name": "li", "role": "admin", "password": "li-password-1"}, 201, nil)
	li := ts.login(t, "li", "li-password-1")
	var u ballots.User
	ts.call(t, "PATCH", "/api/v1/users/li", adminUser, map[string]string{"role": "viewer"}, 200, &u)
	if u.Role != "viewer" {
		t.Errorf("PATCH role answered %+v", u)
	}
	if got := ts.statusWith(t, "POST", "/api/v1/users", li, `{"name":"backdoor","role":"admin","password":"backdoor-pass"}`); got != 401 {
		t.Errorf("a demoted admin's token creates users: %d, want 401", got)
	}
	li = ts.login(t, "li", "li-password-1")
	if got := ts.statusWith(t, "POST", "/api/v1/users", li, `{"name":"backdoor","role":"admin","password":"backdoor-pass"}`); got != 403 {
		t.Errorf("li signed in again as viewer creates users: %d, want 403", got)
	}
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", li, ""); got != 200 {
		t.Errorf("li signed in again as viewer reads: %d, want 200", got)
	}

	viewer := ts.jwts[viewerUser]
	ts.call(t, "PATCH", "/api/v1/users/viewer", adminUser, map[string]string{"role": "admin"}, 200, nil)
	if got := ts.statusWith(t, "GET", "/api/v1/cycles", viewer, ""); got != 401 {
		t.Errorf("a promoted viewer's old token: %d, want 401", got)
	}
	viewer = ts.login(t, viewerUser, password)
	if got := ts.statusWith(t, "POST", "/api/v1/cycles", viewer, `{"code":"2021","name":"2021年度"}`); got != 201 {
		t.Errorf("the promoted viewer signed in again sets up a year: %d, want 201", got)
	}

	ts.run(t, []scenario{
		{name: "SameRoleKeepsSessions", method: "PATCH", url: "/api/v1/users/zhang", as: adminUser, body: `{"role":"group"}`, status: 200,
			after: func(t *testing.T, _ []byte) {
				if got := ts.statusWith(t, "GET", "/api/v1/cycles", ts.jwts[groupUser], ""); got != 200 {
					t.Errorf("setting the role an account already has ended its session: %d", got)
				}
			}},
		{name: "UnknownRole", method: "PATCH", url: "/api/v1/users/zhang", as: adminUser, body: `{"role":"root"}`, status: 400, code: "invalid",
			contains: []string{`"field":"role"`}},
		{name: "NoSuchUser", method: "PATCH", url: "/api/v1/users/nobody", as: adminUser, body: `{"role":"viewer"}`, status: 404, code: "not_found"},
		{name: "NotAdmin", method: "PATCH", url: "/api/v1/users/wang", as: groupUser, body: `{"role":"admin"}`, status: 403, code: "forbidden"},
		{name: "NothingToChange", method: "PATCH", url: "/api/v1/users/wang", as: adminUser, body: `{}`, status: 400, code: "invalid"},
	})
	// admin and viewer are admins now; demote both: the last one stays.
	ts.call(t, "PATCH", "/api/v1/users/viewer", adminUser, map[string]string{"role": "viewer"}, 200, nil)
	ts.run(t, []scenario{
		{name: "LastAdminStays", method: "PATCH", url: "/api/v1/users/admin", as: adminUser, body: `{"role":"viewer"}`, status: 409, code: "conflict"},
	})
	var log struct {
		Entries []struct{ Action, Target, Detail string }
	}
	ts.call(t, "GET", "/api/v1/audit?action=user.role", adminUser, nil, 200, &log)
	if len(log.Entries) != 3 || !strings.Contains(log.Entries[2].Detail, "管理员改为只读") {
		t.Errorf("role changes in the audit log: %+v", log.Entries)
	}
}

// TestConsoleLogoutEndsSession: signing out of the console ends that
// session wherever its cookie is: a copy of the cookie no longer works.
func TestConsoleLogoutEndsSession(t *testing.T) {
	ts := newTestServer(t)
	cookie, csrf := ts.consoleSignIn(t, adminUser, password)
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", cookie, "", ""); got != 200 {
		t.Fatalf("the console session: %d", got)
	}
	res := ts.cookieRequest(t, "POST", "/console/logout", cookie, "", "_csrf="+csrf)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// The browser drops the cookie; a copy of it (another tab's jar, a
	// stolen cookie) is refused.
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", cookie, "", ""); got != 401 {
		t.Errorf("the cookie after logout: %d, want 401", got)
	}
	if got := ts.cookieStatus(t, "POST", "/api/v1/cycles", cookie, csrf, `{"code":"2021","name":"2021年度"}`); got != 401 {
		t.Errorf("a change with the cookie after logout: %d, want 401", got)
	}
	req := httptest.NewRequest("GET", "/console", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	if res, _ := ts.srv.App().Test(req, -1); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
		t.Errorf("the console page with the cookie after logout: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Logging out again with the dead cookie just clears it.
	if res := ts.cookieRequest(t, "POST", "/console/logout", cookie, "", "_csrf="+csrf); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logout with an ended session: %d, want 303", res.StatusCode)
	}
	// A forged logout (no CSRF token) ends nothing.
	cookie, _ = ts.consoleSignIn(t, adminUser, password)
	if res := ts.cookieRequest(t, "POST", "/console/logout", cookie, "", ""); res.StatusCode != 403 {
		t.Errorf("logout without the CSRF token: %d, want 403", res.StatusCode)
	}
	if got := ts.cookieStatus(t, "GET", "/api/v1/cycles", cookie, "", ""); got != 200 {
		t.Errorf("a forged logout ended the session: %d", got)
	}
}

// TestSignOutEverywhere: POST /logout-all ends every session of one's own
// account; an admin ends another account's sessions without touching its
// password.
func TestSignOutEverywhere(t *testing.T) {
	ts := newTestServer(t)
	phone, laptop := ts.jwts[groupUser], ts.login(t, groupUser, password)
	cookie, csrf := ts.consoleSignIn(t, groupUser, password)
	if got := ts.statusWith(t, "POST", "/api/v1/logout-all", laptop, ""); got != 204 {
		t.Fatalf("POST /logout-all: %d, want 204", got)
	}
	ts.run(t, []scenario{
		{name: "PhoneEnded", method: "GET", url: "/api/v1/cycles", headers: authAs(phone), status: 401, code: "unauthorized"},
		{name: "LaptopEnded", method: "GET", url: "/api/v1/cycles", headers: authAs(laptop), status: 401, code: "unauthorized"},
		{name: "ConsoleEnded", method: "GET", url: "/api/v1/cycles", headers: map[string]string{"Cookie": sessionCookie + "=" + cookie}, status: 401, code: "unauthorized"},
		{name: "OthersUntouched", method: "GET", url: "/api/v1/cycles", as: otherGroup, status: 200},
		{name: "NotSignedIn", method: "POST", url: "/api/v1/logout-all", status: 401, code: "unauthorized"},
	})
	_ = csrf
	zhang := ts.login(t, groupUser, password) // the password stayed

	ts.run(t, []scenario{
		{name: "RevokeNotAdmin", method: "POST", url: "/api/v1/users/wang/sessions/revoke", headers: authAs(zhang), status: 403, code: "forbidden"},
		{name: "RevokeUnknown", method: "POST", url: "/api/v1/users/nobody/sessions/revoke", as: adminUser, status: 404, code: "not_found"},
	})
	ts.call(t, "POST", "/api/v1/users/zhang/sessions/revoke", adminUser, nil, 204, nil)
	ts.run(t, []scenario{
		{name: "RevokedEnded", method: "GET", url: "/api/v1/cycles", headers: authAs(zhang), status: 401, code: "unauthorized"},
		{name: "AdminStays", method: "GET", url: "/api/v1/cycles", as: adminUser, status: 200},
	})
	if _, err := ts.tryLogin(groupUser, password); err != nil {
		t.Errorf("signing in after being signed out everywhere: %v", err)
	}
	var log struct {
		Entries []struct{ Actor, Action, Target string }
	}
	ts.call(t, "GET", "/api/v1/audit?action=logout,user.sessions", adminUser, nil, 200, &log)
	if len(log.Entries) != 2 || log.Entries[0].Action != "user.sessions" || log.Entries[0].Target != "zhang" ||
		log.Entries[1].Action != "logout" || log.Entries[1].Actor != "zhang" {
		t.Errorf("audit log: %+v", log.Entries)
	}
}

// TestSessionCheckAcrossServers: two servers on one ledger, each with its
// own cache. A password reset through one ends the session on the other
// once what the other read of the account is sessionCheckTTL old.
func TestSessionCheckAcrossServers(t *testing.T) {
	ts := newTestServer(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	other := New(ts.svc, ts.srv.cfg)
	other.now = clock
	on := func(s *Server, token string) int {
		r := httptest.NewRequest("GET", "/api/v1/cycles", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		res, err := s.App().Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	zhang := ts.jwts[groupUser]
	if got := on(other, zhang); got != 200 {
		t.Fatalf("zhang on the other server: %d", got)
	}
	ts.call(t, "PUT", "/api/v1/users/zhang/password", adminUser, map[string]string{"password": "reset-elsewhere"}, 204, nil)
	if got := on(ts.srv, zhang); got != 401 {
		t.Errorf("zhang on the server that reset him: %d, want 401 at once", got)
	}
	mu.Lock()
	now = now.Add(sessionCheckTTL)
	mu.Unlock()
	if got := on(other, zhang); got != 401 {
		t.Errorf("zhang on the other server %s after the reset: %d, want 401", sessionCheckTTL, got)
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`)

// consoleSignIn signs in through the console's form and returns the
// session cookie's value and the CSRF token its pages carry.
func (ts *testServer) consoleSignIn(t *testing.T, name, pw string) (string, string) {
	t.Helper()
	form := url.Values{"username": {name}, "password": {pw}, "next": {"/console"}}
	r := httptest.NewRequest("POST", "/console/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := ts.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	cookie := ""
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c.Value
		}
	}
	if res.StatusCode != http.StatusSeeOther || cookie == "" {
		t.Fatalf("console sign-in as %s: %d without a cookie", name, res.StatusCode)
	}
	r = httptest.NewRequest("GET", "/console", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	res, err = ts.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, res)
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("console page without a CSRF token: %d", res.StatusCode)
	}
	return cookie, m[1]
}

// cookieRequest sends a request with the session cookie, the CSRF token in
// X-CSRF-Token when given, and a JSON or form body.
func (ts *testServer) cookieRequest(t *testing.T, method, path, cookie, csrf, body string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	switch {
	case strings.HasPrefix(body, "{"):
		r.Header.Set("Content-Type", "application/json")
	case body != "":
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	if csrf != "" {
		r.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := ts.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (ts *testServer) cookieStatus(t *testing.T, method, path, cookie, csrf, body string) int {
	t.Helper()
	res := ts.cookieRequest(t, method, path, cookie, csrf, body)
	res.Body.Close()
	return res.StatusCode
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

// TestEventStreamEndsWithSession: an organizer's open turnout stream ends
// once the session has ended (here: an admin reset the password), and
// reconnecting with the old token is refused.
func TestEventStreamEndsWithSession(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.recheck = 50 * time.Millisecond
	ts.srv.keepAlive = 20 * time.Millisecond
	ts.seedYear(t)
	ts.open(t, mURL)
	base := ts.listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", base+mURL+"/events", nil)
	hr.Header.Set("Authorization", ts.bearer(groupUser))
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("events: %d", res.StatusCode)
	}
	lines := readSSE(bufio.NewReader(res.Body)).lines
	time.Sleep(3 * ts.srv.recheck) // a few checks pass while the session lasts
	ts.call(t, "PUT", "/api/v1/users/zhang/password", adminUser, map[string]string{"password": "reset-while-watching"}, 204, nil)
	var got []string
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case line, ok := <-lines:
			open = ok
			got = append(got, line)
		case <-deadline:
			t.Fatalf("the stream goes on after the session ended: %q", got)
		}
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, ": ping") || !strings.Contains(all, "event: ended") {
		t.Errorf("stream lines %q: want keep-alives, then event: ended", all)
	}
	hr, _ = http.NewRequest("GET", base+mURL+"/events", nil)
	hr.Header.Set("Authorization", ts.bearer(groupUser))
	res2, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != 401 {
		t.Errorf("reconnecting with the ended session: %d, want 401", res2.StatusCode)
	}
}

// BenchmarkSessionCheck measures what checking the account costs a
// request: a cache hit, and a miss that reads the account from the ledger.
func BenchmarkSessionCheck(b *testing.B) {
	ctx := context.Background()
	svc := ballots.NewService(sqltest.Open(b), nil, ballots.Options{})
	if err := svc.CreateUser(ctx, "zhang", ballots.RoleGroup, "zhang-password"); err != nil {
		b.Fatal(err)
	}
	cache := &accountCache{load: svc.User, now: time.Now, m: map[string]cachedAccount{}}
	b.Run("Hit", func(b *testing.B) {
		cache.account(ctx, "zhang")
		for i := 0; i < b.N; i++ {
			if _, err := cache.account(ctx, "zhang"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Miss", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cache.forget("zhang")
			if _, err := cache.account(ctx, "zhang"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
