package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// deleteCase is one DELETE of a form: who asks, what status and error code
// come back, and what the message must name.
type deleteCase struct {
	name     string
	path     string
	auth     string // Authorization header; "" sends none
	cookie   bool   // the admin's session cookie instead
	csrf     string // X-CSRF-Token with the cookie
	status   int
	code     string // the error code, for errors
	contains []string
}

func (a *app) deleteForm(t *testing.T, c deleteCase, session *http.Cookie) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("DELETE", c.path, nil)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.cookie {
		req.AddCookie(session)
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("DELETE %s: %d answer is not JSON: %s", c.path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, e.Error.Code, e.Error.Message
}

// formCodes lists the year's forms through the API.
func formCodes(a *app) string {
	a.t.Helper()
	var out struct{ Forms []struct{ Code string } }
	a.call("GET", "/api/v1/cycles/2020/forms", "", nil, 200, &out)
	codes := make([]string, len(out.Forms))
	for i, f := range out.Forms {
		codes[i] = f.Code
	}
	return strings.Join(codes, ",")
}

func TestDeleteForm(t *testing.T) {
	a := newApp(t)
	runYear(a) // form F, used by the pending meeting M1
	// Two forms no meeting uses: G and H.
	for _, code := range []string{"G", "H"} {
		a.call("PUT", "/api/v1/cycles/2020/forms/"+code, "", map[string]any{"title": "备用测评表 " + code, "sections": []map[string]any{
			{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"},
				"scale": map[string]any{"type": "grade", "options": []map[string]any{{"label": "好", "value": 1}, {"label": "差", "value": 0}}}}}}, 200, nil)
	}
	session, csrf := signIn(t, a)
	admin := "Bearer " + a.jwt
	zhang, viewer := bearerOf(a, "zhang"), bearerOf(a, "viewer")

	run := func(t *testing.T, cases []deleteCase) {
		t.Helper()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				status, code, msg := a.deleteForm(t, c, session)
				if status != c.status || code != c.code {
					t.Fatalf("DELETE %s: %d %q %q, want %d %q", c.path, status, code, msg, c.status, c.code)
				}
				for _, s := range c.contains {
					if !strings.Contains(msg, s) {
						t.Errorf("DELETE %s: message %q does not name %q", c.path, msg, s)
					}
				}
			})
		}
	}
	run(t, []deleteCase{
		{name: "Anonymous", path: "/api/v1/cycles/2020/forms/G", status: 401, code: "unauthorized"},
		{name: "BadToken", path: "/api/v1/cycles/2020/forms/G", auth: "Bearer x.y.z", status: 401, code: "unauthorized"},
		{name: "Group", path: "/api/v1/cycles/2020/forms/G", auth: zhang, status: 403, code: "forbidden"},
		{name: "Viewer", path: "/api/v1/cycles/2020/forms/G", auth: viewer, status: 403, code: "forbidden"},
		{name: "CookieWithoutCSRF", path: "/api/v1/cycles/2020/forms/G", cookie: true, status: 403, code: "forbidden"},
		{name: "CookieWrongCSRF", path: "/api/v1/cycles/2020/forms/G", cookie: true, csrf: strings.Repeat("0", len(csrf)), status: 403, code: "forbidden"},
		{name: "UnknownForm", path: "/api/v1/cycles/2020/forms/nope", auth: admin, status: 404, code: "not_found", contains: []string{"nope"}},
		{name: "UnknownYear", path: "/api/v1/cycles/1999/forms/G", auth: admin, status: 404, code: "not_found", contains: []string{"1999"}},
		{name: "UsedByPendingMeeting", path: "/api/v1/cycles/2020/forms/F", auth: admin, status: 409, code: "conflict",
			contains: []string{"城关镇工作报告大会测评表", "城关镇2020年度工作报告大会", "未开始", "不能删除"}},
	})
	if got := formCodes(a); got != "F,G,H" {
		t.Fatalf("forms after refused deletes: %s, want F,G,H", got)
	}

	run(t, []deleteCase{
		{name: "Admin", path: "/api/v1/cycles/2020/forms/G", auth: admin, status: 204},
		{name: "AdminAgain", path: "/api/v1/cycles/2020/forms/G", auth: admin, status: 404, code: "not_found"},
		{name: "CookieWithCSRF", path: "/api/v1/cycles/2020/forms/H", cookie: true, csrf: csrf, status: 204},
	})
	if got := formCodes(a); got != "F" {
		t.Fatalf("forms after deleting G and H: %s, want F", got)
	}
	a.call("GET", "/api/v1/cycles/2020/forms/G", "", nil, 404, nil)
	// A meeting can no longer name the deleted form.
	a.call("PUT", "/api/v1/cycles/2020/meetings/M2", "", map[string]any{"title": "补充测评", "kind": "other", "date": "2021-01-16",
		"groups": []map[string]any{{"code": "all", "name": "全体", "form": "G"}}}, 400, nil)

	// The audit log names who deleted which form; refusals record nothing.
	var log struct {
		Entries []struct{ Actor, Action, Target, Detail string }
	}
	a.call("GET", "/api/v1/audit?limit=500", "", nil, 200, &log)
	var deleted []string
	for _, e := range log.Entries {
		if e.Action == "form.delete" {
			if e.Actor != "admin" {
				t.Errorf("form.delete entry by %q, want admin", e.Actor)
			}
			deleted = append(deleted, e.Target+" "+e.Detail)
		}
	}
	if strings.Join(deleted, ";") != "2020/H 备用测评表 H;2020/G 备用测评表 G" {
		t.Errorf("form.delete entries, newest first: %q", deleted)
	}

	// An opened and then a closed meeting keep their form too.
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	run(t, []deleteCase{{name: "UsedByOpenMeeting", path: "/api/v1/cycles/2020/forms/F", auth: admin, status: 409, code: "conflict", contains: []string{"城关镇2020年度工作报告大会", "进行中"}}})
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, nil)
	run(t, []deleteCase{{name: "UsedByClosedMeeting", path: "/api/v1/cycles/2020/forms/F", auth: admin, status: 409, code: "conflict", contains: []string{"城关镇2020年度工作报告大会", "已结束"}}})
	if got := formCodes(a); got != "F" {
		t.Fatalf("forms after refused deletes: %s, want F", got)
	}
}

// TestBrowserDeleteForm: the forms page asks before deleting, shows the
// server's refusal at the list, and drops a deleted form from it.
func TestBrowserDeleteForm(t *testing.T) {
	b := newBrowserApp(t, 1024, 900, "")
	runYear(b.app)
	b.call("PUT", "/api/v1/cycles/2020/forms/G", "", map[string]any{"title": "备用测评表", "sections": []map[string]any{
		{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"},
			"scale": map[string]any{"type": "grade", "options": []map[string]any{{"label": "好", "value": 1}, {"label": "差", "value": 0}}}}}}, 200, nil)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next=/console/cycles/2020/forms")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('input[name=username]')`)
	b.js(`(function(){ document.querySelector('input[name=username]').value = 'admin'; document.querySelector('input[name=password]').value = 'admin-password';
		document.querySelector('form[action="/console/login"] button[type=submit]').click(); return true; })()`)
	b.settle(`location.pathname === '/console/cycles/2020/forms' && document.querySelectorAll('#form-list li[data-form]').length === 2`)
	// confirm() answers as the test says and remembers its question.
	b.js(`window.asked = []; window.answer = false; window.confirm = function (q) { window.asked.push(q); return window.answer; }; true`)

	// Cancelled: nothing happens.
	b.js(`document.querySelector('#form-list li[data-form=G] button[data-delete]').click(); true`)
	if q := b.js(`window.asked.join('|')`).(string); !strings.Contains(q, "备用测评表") || !strings.Contains(q, "G") {
		t.Errorf("the confirm question %q does not name the form", q)
	}
	time.Sleep(300 * time.Millisecond)
	if n := b.js(`document.querySelectorAll('#form-list li[data-form]').length`).(float64); n != 2 {
		t.Fatalf("a cancelled delete left %v forms listed", n)
	}

	// F is used by M1: the server's message stands at the list.
	b.js(`window.answer = true; document.querySelector('#form-list li[data-form=F] button[data-delete]').click(); true`)
	b.waitFor(`document.getElementById('list-msg').className.indexOf('bad') >= 0`, 10*time.Second)
	if msg := b.js(`document.getElementById('list-msg').textContent`).(string); !strings.Contains(msg, "城关镇2020年度工作报告大会") || !strings.Contains(msg, "不能删除") {
		t.Errorf("the refusal reads %q", msg)
	}
	b.shot("refused")

	// G is unused: it goes.
	b.js(`document.querySelector('#form-list li[data-form=G] button[data-delete]').click(); true`)
	b.waitFor(`document.getElementById('list-msg').className.indexOf('ok') >= 0 && !document.querySelector('#form-list li[data-form=G]')`, 10*time.Second)
	b.shot("deleted")
	if got := formCodes(b.app); got != "F" {
		t.Fatalf("forms after the browser deleted G: %s", got)
	}
}
