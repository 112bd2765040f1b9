package server_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHomePage: the address the program prints leads somewhere — a voter to
// the code entry, an organizer to the console — with no sign-in needed to
// read it.
func TestHomePage(t *testing.T) {
	a := newApp(t)
	resp, err := a.srv.App().Test(httptest.NewRequest("GET", "/", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`href="/b"`, "输入票码投票", `href="/console"`, "进入管理控制台"} {
		if !strings.Contains(page, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(page, "/api/v1") || strings.Contains(page, "README") {
		t.Errorf("home page sends people to the API or the README:\n%s", page)
	}
}
