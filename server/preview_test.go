package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
	"github.com/ceping/ceping/server"
)

// slipLike matches anything that could be a slip code: 27 characters of
// Crockford's base32.
var slipLike = regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{27}`)

// syncBuffer collects what the server logs while handlers write it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLoggedApp is newApp with the server's and the service's log kept.
func newLoggedApp(t *testing.T) (*app, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	svc := ballots.NewService(sqltest.Open(t), redistest.Open(t), ballots.Options{Reconcile: 100 * time.Millisecond, Logger: logger})
	svc.Start(context.Background())
	t.Cleanup(svc.Stop)
	a := &app{t: t, svc: svc, srv: server.New(svc, server.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://ceping.test", Logger: logger})}
	if _, err := svc.EnsureAdmin(context.Background(), "admin-password"); err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "admin-password"}, 200, &login)
	a.jwt = login.Token
	return a, logs
}

// previewView is the preview's answer: the ballot page's view.
type previewView struct {
	Meeting struct{ Title string }
	Group   struct {
		FormTitle string `json:"form_title"`
	}
	Sections []struct {
		Code     string
		Subjects []struct{ Code, Name string }
	}
	Preview struct{ Form, Host string }
}

type apiError struct {
	Error struct {
		Code, Message string
		MessageEN     string `json:"message_en"`
		Details       []struct {
			Section, Field, Message string
		}
	}
}

// TestPreviewAPI: GET …/forms/{form}/preview?host= gives admin and group
// users the ballot a slip would open, expanded for the chosen unit; it
// refuses viewers and strangers, explains in Chinese why a form cannot be
// expanded, stores and audits nothing, and nothing slip-like reaches a log.
func TestPreviewAPI(t *testing.T) {
	a, logs := newLoggedApp(t)
	runYear(a)
	group, viewer := bearerOf(a, "zhang"), bearerOf(a, "viewer")
	var issued struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 2}, 201, &issued)
	var before struct{ Entries []any }
	a.call("GET", "/api/v1/audit?limit=500", "", nil, 200, &before)
	var turnout0 json.RawMessage
	a.call("GET", "/api/v1/cycles/2020/meetings/M1/turnout", "", nil, 200, &turnout0)
	const p = "/api/v1/cycles/2020/forms/F/preview"

	t.Run("HostT01", func(t *testing.T) {
		for _, auth := range []string{"", group} {
			var v previewView
			body := a.call("GET", p+"?host=T01", auth, nil, 200, &v)
			if v.Group.FormTitle != "城关镇工作报告大会测评表" || !strings.Contains(v.Meeting.Title, "城关镇") || v.Preview.Host != "T01" {
				t.Errorf("preview heading: %s", body)
			}
			var cad []string
			for _, s := range v.Sections {
				if s.Code == "cad" {
					for _, j := range s.Subjects {
						cad = append(cad, j.Name)
					}
				}
			}
			if strings.Join(cad, ",") != "张建国,李卫东,王秀兰" {
				t.Errorf("the cadre section lists %v, want the host's three people", cad)
			}
			if len(v.Sections) != 4 || bytes.Contains(bytes.ToLower(body), []byte("token")) || slipLike.Match(body) {
				t.Errorf("preview body: %s", body)
			}
		}
	})
	t.Run("Roles", func(t *testing.T) {
		a.call("GET", p+"?host=T01", viewer, nil, 403, nil)
		a.call("GET", p+"?host=T01", "none", nil, 401, nil)
		req := httptest.NewRequest("GET", p+"?host=T01", nil) // no Authorization at all
		resp, err := a.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("without a session: %d, want 401", resp.StatusCode)
		}
		// The console page: the login first, then admin and group only.
		page := "/console/cycles/2020/forms/F/preview?host=T01"
		for _, c := range []struct {
			auth   string
			status int
		}{{"", 303}, {viewer, 403}, {group, 200}, {"Bearer " + a.jwt, 200}} {
			req := httptest.NewRequest("GET", page, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := a.srv.App().Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("preview page as %.12q: %d, want %d", c.auth, resp.StatusCode, c.status)
			}
			if c.status == 303 && !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
				t.Errorf("preview page without a session goes to %q", resp.Header.Get("Location"))
			}
		}
	})
	t.Run("NotReady", func(t *testing.T) {
		cases := []struct{ url, want string }{
			// 县财政局 has nobody in the people list: no cadre to rate.
			{p + "?host=D01", "县财政局在人员名单中还没有人员"},
			{p, "请先选择被考核单位"},
			{p + "?host=T99", "单位 T99 不在本年度的单位名单中"},
		}
		for _, c := range cases {
			var e apiError
			a.call("GET", c.url, "", nil, 422, &e)
			if e.Error.Code != "form_not_ready" || !strings.Contains(e.Error.Message, c.want) {
				t.Errorf("%s: %+v, want a message with %q", c.url, e.Error, c.want)
			}
			if strings.Contains(e.Error.Message, "sections[") || strings.Contains(e.Error.Message, "(") || e.Error.MessageEN == "" {
				t.Errorf("%s: the message is not in the clerk's words: %+v", c.url, e.Error)
			}
			for _, d := range e.Error.Details {
				if d.Field != "" || strings.Contains(d.Message, "sections[") {
					t.Errorf("%s: a detail names a field: %+v", c.url, d)
				}
			}
		}
		a.call("GET", "/api/v1/cycles/2020/forms/NOPE/preview?host=T01", "", nil, 404, nil)
	})
	t.Run("NothingStoredOrLogged", func(t *testing.T) {
		var after struct{ Entries []any }
		a.call("GET", "/api/v1/audit?limit=500", "", nil, 200, &after)
		if len(after.Entries) != len(before.Entries) {
			t.Errorf("previews wrote %d audit entries", len(after.Entries)-len(before.Entries))
		}
		var turnout1 json.RawMessage
		a.call("GET", "/api/v1/cycles/2020/meetings/M1/turnout", "", nil, 200, &turnout1)
		if !bytes.Equal(stripLive(turnout0), stripLive(turnout1)) {
			t.Errorf("turnout changed: %s → %s", turnout0, turnout1)
		}
		log := logs.String()
		if !strings.Contains(log, "/forms/:form/preview") {
			t.Errorf("the access log has no preview line:\n%s", log)
		}
		for _, tok := range issued.Tokens {
			if strings.Contains(log, tok) {
				t.Errorf("a slip code reached the log")
			}
		}
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, "preview") && (slipLike.MatchString(line) || strings.Contains(line, "host=")) {
				t.Errorf("a preview log line holds more than its route: %s", line)
			}
		}
	})
}

var liveField = regexp.MustCompile(`,?"live":(true|false)`)

func stripLive(b []byte) []byte { return liveField.ReplaceAll(b, nil) }

// signInAt signs in through the login form and lands on next.
func (b *browserApp) signInAt(user, pw, next string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(next))); err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = '` + user + `'; f.password.value = '` + pw + `'; f.submit(); return true; })()`)
	b.waitFor(`location.pathname === '`+strings.SplitN(next, "?", 2)[0]+`'`, 15*time.Second)
}

// TestBrowserPreview: the forms list's 预览 opens the ballot page in preview
// mode on a phone: the banner, the host's cadres, working checks and limits,
// 提交 disabled, nothing sent or stored; another unit with nobody to rate
// gives the reason in Chinese.
func TestBrowserPreview(t *testing.T) {
	b := newBrowserApp(t, 360, 740, "")
	runYear(b.app)
	b.signInAt("admin", "admin-password", "/console/cycles/2020/forms")
	b.waitFor(`!!document.querySelector('#form-list li[data-form="F"] a[data-preview]')`, 10*time.Second)
	if label := b.js(`document.querySelector('#form-list li[data-form="F"] a[data-preview]').textContent`).(string); label != "预览" {
		t.Errorf("the list's preview button reads %q", label)
	}
	b.js(`document.querySelector('#form-list li[data-form="F"] a[data-preview]').click(); true`)
	b.waitFor(`location.pathname === '/console/cycles/2020/forms/F/preview' && document.documentElement.getAttribute('data-view') === 'form'`, 15*time.Second)

	if banner := b.js(`document.getElementById('preview').textContent`).(string); !strings.Contains(banner, "预览：选票的样子，不能提交") || !strings.Contains(banner, "本次会议的被考核单位") {
		t.Errorf("banner: %q", banner)
	}
	// M1 uses F for 城关镇: the preview starts there.
	if host := b.js(`document.getElementById('preview-host').value + '|' + document.getElementById('preview-host-box').hidden`).(string); host != "T01|false" {
		t.Errorf("host picker: %s", host)
	}
	if names := b.js(`Array.prototype.map.call(document.querySelectorAll('section[data-section="cad"] .item legend'), function(e){ return e.textContent; }).join(',')`).(string); names != "张建国,李卫东,王秀兰" {
		t.Errorf("cadres in the preview: %q", names)
	}
	if h := b.js(`document.querySelector('h1').textContent + '|' + document.querySelector('.meta').textContent`).(string); !strings.Contains(h, "城关镇工作报告大会测评表") || !strings.Contains(h, "城关镇") {
		t.Errorf("heading: %q", h)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the preview is %v px wide at 360 px", w)
	}
	b.shot("1-form")

	// The checks work: an empty ballot is not reviewed.
	b.js(`document.getElementById('review').click(); true`)
	b.waitFor(`document.querySelectorAll('#ballot .bad').length > 0 && document.getElementById('status').className === 'warn'`, 5*time.Second)
	// The limits work: 优秀 for two of three cadres breaks 30%.
	b.js(`(function(){ ['P01','P02'].forEach(function(p){ document.querySelector('input[name="cad/'+p+'/德"][value="优秀"]').click(); }); return true; })()`)
	b.waitFor(`!!document.querySelector('section[data-section="cad"] .chip.over')`, 5*time.Second)
	b.js(`document.querySelector('input[name="cad/P02/德"][value="称职"]').click(); true`)
	b.fill()
	b.js(`document.getElementById('review').click(); true`)
	b.waitFor(`document.documentElement.getAttribute('data-view') === 'review'`, 5*time.Second)
	if s := b.js(`(function(){ var s = document.getElementById('submit'); return s.disabled + '|' + s.textContent; })()`).(string); s != "true|预览中不能提交" {
		t.Errorf("submit button: %s", s)
	}
	b.js(`document.getElementById('submit').click(); true`)
	time.Sleep(300 * time.Millisecond)
	if v := b.js(`document.documentElement.getAttribute('data-view')`).(string); v != "review" {
		t.Errorf("after pressing the disabled submit the view is %q", v)
	}
	b.shot("2-review")
	if n := b.js(`Object.keys(localStorage).filter(function(k){ return k.indexOf('cp.draft') === 0 || k.indexOf('cp.key') === 0; }).length`).(float64); n != 0 {
		t.Errorf("the preview stored %v drafts or keys on the device", n)
	}

	// Another unit, with nobody in the people list: the reason, in Chinese.
	b.js(`document.getElementById('back').click(); true`)
	b.js(`(function(){ var s = document.getElementById('preview-host'); s.value = 'D01'; s.dispatchEvent(new Event('change', {bubbles:true})); return true; })()`)
	b.waitFor(`!!document.querySelector('#error[data-code="preview"]')`, 10*time.Second)
	if msg := b.js(`document.getElementById('error').textContent`).(string); !strings.Contains(msg, "县财政局在人员名单中还没有人员") || strings.Contains(msg, "sections[") {
		t.Errorf("the error reads %q", msg)
	}
	if q := b.js(`location.search`).(string); q != "?host=D01" {
		t.Errorf("the address keeps %q", q)
	}
	b.shot("3-not-ready")

	for _, line := range b.proxy.requestLines() {
		if slipLike.MatchString(line) || strings.Contains(line, "/api/v1/ballot") || strings.Contains(line, "#") {
			t.Errorf("request line: %s", line)
		}
	}
}

// TestBrowserFormEditorLocked: a form an opened meeting uses opens
// read-only with the banner and 复制为新表 only; the copy gets a new code
// by itself; 关闭 asks before dropping changes; the editor offers 预览.
func TestBrowserFormEditorLocked(t *testing.T) {
	b := newBrowserApp(t, 1024, 900, "")
	runYear(b.app)
	b.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	b.signInAt("admin", "admin-password", "/console/cycles/2020/forms")
	b.waitFor(`!!document.querySelector('#form-list li[data-form="F"] button[data-edit]')`, 10*time.Second)
	b.js(`window.asked = []; window.answer = false; window.confirm = function (q) { window.asked.push(q); return window.answer; }; true`)
	if label := b.js(`document.querySelector('#form-list li[data-form="F"] button[data-edit]').textContent`).(string); label != "查看" {
		t.Errorf("the locked form's button reads %q", label)
	}
	b.js(`document.querySelector('#form-list li[data-form="F"] button[data-edit]').click(); true`)
	b.waitFor(`!document.getElementById('editor').hidden && !document.getElementById('locked-banner').hidden`, 5*time.Second)
	if banner := b.js(`document.getElementById('locked-banner').textContent`).(string); banner != "此表已被“城关镇2020年度工作报告大会”使用且会议已开始，不能修改；如需改动请“复制为新表”" {
		t.Errorf("banner: %q", banner)
	}
	state := b.js(`(function(){ function h(id){ return document.getElementById(id).hidden ? 'hidden' : 'shown'; }
		var enabled = Array.prototype.filter.call(document.querySelectorAll('#editor input, #editor select, #sections button'), function(e){ return !e.disabled; }).length;
		return [h('save-form'), h('save-as'), h('copy-form'), h('add-section'), h('preview-form'), enabled].join(','); })()`).(string)
	if state != "hidden,hidden,shown,hidden,shown,0" {
		t.Errorf("locked editor (save, save-as, copy, add, preview, enabled inputs): %s", state)
	}
	if href := b.js(`document.getElementById('preview-form').getAttribute('href')`).(string); href != "/console/cycles/2020/forms/F/preview?host=T01" {
		t.Errorf("the editor's preview link: %q", href)
	}
	// No code to invent: the form's and the sections' codes sit under 高级, closed.
	if adv := b.js(`document.getElementById('advanced').open + ',' + document.getElementById('f-code').closest('details').id + ',' + document.querySelectorAll('#sections details.advanced:not([open])').length`).(string); adv != "false,advanced,4" {
		t.Errorf("advanced sections: %s", adv)
	}
	b.shot("1-locked")

	b.js(`document.getElementById('copy-form').click(); true`)
	b.waitFor(`document.getElementById('locked-banner').hidden && !document.getElementById('save-form').hidden`, 5*time.Second)
	if got := b.js(`document.getElementById('f-code').value + '|' + document.getElementById('f-title').value + '|' + document.getElementById('f-title').disabled`).(string); got != "F-2|城关镇工作报告大会测评表（副本）|false" {
		t.Errorf("the copy: %s", got)
	}
	if up := b.js(`document.querySelector('#sections .section-box header button').disabled + ',' + document.querySelector('#sections .section-box input').disabled`).(string); up != "true,false" {
		t.Errorf("the copy's first section (↑ disabled, title enabled): %s", up)
	}
	// A new section gets a code of its own.
	b.js(`document.getElementById('add-section').click(); true`)
	if code := b.js(`(function(){ var l = document.querySelectorAll('#sections .section-box'); return l[l.length-1].querySelector('details.advanced input').value; })()`).(string); code != "s5" {
		t.Errorf("the new section's code: %q", code)
	}
	// 关闭 with changes asks, and a "no" keeps the editor open.
	b.js(`document.getElementById('close-editor').click(); true`)
	if q := b.js(`window.asked.join('|')`).(string); !strings.Contains(q, "未保存") || b.js(`document.getElementById('editor').hidden`).(bool) {
		t.Errorf("closing with changes: asked %q", q)
	}
	b.js(`window.answer = true; document.getElementById('close-editor').click(); true`)
	b.waitFor(`document.getElementById('editor').hidden`, 5*time.Second)
}
