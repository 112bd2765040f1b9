package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// signIn posts the login form and returns the session cookie and the CSRF
// token the console page carries.
func signIn(t *testing.T, a *app) (*http.Cookie, string) {
	t.Helper()
	form := url.Values{"username": {"admin"}, "password": {"admin-password"}, "next": {"/console"}}
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("login form: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "ceping_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict", session)
	}
	req = httptest.NewRequest("GET", "/console", nil)
	req.AddCookie(session)
	resp, err = a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`).FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("console page %d without a CSRF token:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("console page CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
	return session, string(m[1])
}

func TestConsoleSession(t *testing.T) {
	a := newApp(t)
	// Not signed in: the console sends to the login page.
	resp, _ := a.srv.App().Test(httptest.NewRequest("GET", "/console", nil), -1)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
		t.Fatalf("anonymous /console: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A wrong password stays on the login page with a message.
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader("username=admin&password=wrong"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = a.srv.App().Test(req, -1)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "用户名或密码错误") {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}

	session, csrf := signIn(t, a)
	post := func(token string) int {
		req := httptest.NewRequest("POST", "/api/v1/cycles", strings.NewReader(`{"code":"2021","name":"2021年度"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(session)
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := a.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if code := post(""); code != 403 {
		t.Errorf("a cookie-authenticated change without the CSRF token: %d, want 403", code)
	}
	if code := post(strings.Repeat("0", len(csrf))); code != 403 {
		t.Errorf("with a wrong CSRF token: %d, want 403", code)
	}
	if code := post(csrf); code != 201 {
		t.Errorf("with the session's CSRF token: %d, want 201", code)
	}
	// Reading needs no token.
	req = httptest.NewRequest("GET", "/api/v1/cycles", nil)
	req.AddCookie(session)
	if resp, _ := a.srv.App().Test(req, -1); resp.StatusCode != 200 {
		t.Errorf("GET with the cookie: %d", resp.StatusCode)
	}
	// Logout needs the token too, then clears the cookie.
	req = httptest.NewRequest("POST", "/console/logout", strings.NewReader("_csrf="+csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(session)
	resp, _ = a.srv.App().Test(req, -1)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "ceping_session" && c.Value != "" {
			t.Errorf("logout left the session cookie")
		}
	}
	// An open redirect through next= stays on the console.
	req = httptest.NewRequest("POST", "/console/login", strings.NewReader("username=admin&password=admin-password&next=//evil.example/"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = a.srv.App().Test(req, -1)
	if loc := resp.Header.Get("Location"); loc != "/console" {
		t.Errorf("next=//evil.example/ redirected to %q", loc)
	}
}

// TestConsoleErrorsArePages: a browser opening a page it may not see gets
// a page in Chinese, not JSON; the API keeps answering JSON.
func TestConsoleErrorsArePages(t *testing.T) {
	a := newApp(t)
	req := httptest.NewRequest("GET", "/no/such/page", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, _ := a.srv.App().Test(req, -1)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "页面不存在") {
		t.Errorf("a missing page for a browser: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	req = httptest.NewRequest("GET", "/api/v1/no/such", nil)
	req.Header.Set("Accept", "text/html")
	resp, _ = a.srv.App().Test(req, -1)
	if !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		t.Errorf("the API answered %s", resp.Header.Get("Content-Type"))
	}
}
