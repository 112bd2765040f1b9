package server_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserResetPasswordShown: after 重置密码 the new password stays on
// the page, with 复制, until the admin hides it; on a phone the header is
// two short lines.
func TestBrowserResetPasswordShown(t *testing.T) {
	b := newBrowserApp(t, 390, 844, "")
	b.call("POST", "/api/v1/users", "", map[string]string{"name": "zhang", "display_name": "张伟", "role": "group", "password": "zhang-password-1"}, 201, nil)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next=/console/users")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('input[name=username]')`)
	b.js(`(function(){ document.querySelector('input[name=username]').value = 'admin'; document.querySelector('input[name=password]').value = 'admin-password';
		document.querySelector('form[action="/console/login"] button[type=submit]').click(); return true; })()`)
	b.settle(`location.pathname === '/console/users' && !!document.querySelector('#users tr[data-user="zhang"] button[data-action="reset"]')`)
	if h := b.js(`document.querySelector('header.top').getBoundingClientRect().height`).(float64); h > 110 {
		t.Errorf("the header is %v px high on a 390 px phone", h)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 390 {
		t.Errorf("the accounts page is %v px wide at 390 px", w)
	}
	if small := b.js(`Array.prototype.filter.call(document.querySelectorAll('header.top a, header.top button'), function (x) {
		var r = x.getBoundingClientRect(); return r.width > 0 && (r.height < 44 || r.width < 44); }).map(function (x) { return x.textContent; }).join('|')`).(string); small != "" {
		t.Errorf("header controls under 44 px on a phone: %s", small)
	}

	b.js(`document.querySelector('#users tr[data-user="zhang"] button[data-action="reset"]').click(); true`)
	b.waitFor(`!!document.querySelector('tr.user-edit[data-for="zhang"] input')`, 5*time.Second)
	pw := b.js(`(function(){ var r = document.querySelector('tr.user-edit[data-for="zhang"]');
		Array.prototype.filter.call(r.querySelectorAll('button'), function (x) { return x.textContent === '生成密码'; })[0].click();
		var v = r.querySelector('input').value; r.querySelector('button[type=submit]').click(); return v; })()`).(string)
	if len(pw) < 8 {
		t.Fatalf("生成密码 made %q", pw)
	}
	b.waitFor(`!!document.querySelector('tr.user-pw[data-for="zhang"] .pw-value')`, 10*time.Second)
	// The list reloads after the reset: the password is still there.
	time.Sleep(700 * time.Millisecond)
	shown := b.js(`(function(){ var r = document.querySelector('tr.user-pw[data-for="zhang"]'); return r ? r.innerText : ''; })()`).(string)
	if !strings.Contains(shown, pw) || !strings.Contains(shown, "zhang 的新密码") || !strings.Contains(shown, "复制") {
		t.Errorf("after the reset the page reads %q, want the password %q with 复制", shown, pw)
	}
	if vis := b.js(`document.querySelector('tr.user-pw .pw-value').getBoundingClientRect().width > 0`).(bool); !vis {
		t.Error("the new password is not visible")
	}
	b.shot("reset-shown")
	if _, status := accountsLogin(b.app, "zhang", pw); status != 200 {
		t.Errorf("the shown password does not sign in: %d", status)
	}
	b.js(`document.querySelector('tr.user-pw button[data-action="dismiss"]').click(); true`)
	b.waitFor(`!document.querySelector('tr.user-pw')`, 5*time.Second)
}

// TestAuditMeetingSaveAndPaper: saving a meeting is a meeting action, a
// saved form is named by its title, and paper entries are named by their
// voter group, with no id.
func TestAuditMeetingSaveAndPaper(t *testing.T) {
	a := newApp(t)
	runYear(a)
	m := "/api/v1/cycles/2020/meetings/M1"
	var b struct{ Tokens []string }
	a.call("POST", m+"/batches", "", map[string]any{"group": "cadres", "count": 3}, 201, &b)
	a.call("POST", m+"/open", "", nil, 200, nil)
	answers := runYearAnswers(90)
	zhang := bearerOf(a, "zhang")
	var p struct{ ID string }
	a.call("POST", m+"/paper", "", map[string]any{"code": b.Tokens[0], "answers": answers}, 201, &p)
	a.call("POST", m+"/paper/"+p.ID+"/confirm", zhang, map[string]string{"code": b.Tokens[0]}, 201, nil)
	first := p.ID
	a.call("POST", m+"/paper", "", map[string]any{"code": b.Tokens[1], "answers": answers}, 201, &p)
	a.call("DELETE", m+"/paper/"+p.ID, zhang, nil, 204, nil)

	var log struct {
		Entries []struct {
			Action, Target, Detail string
			TargetName             string `json:"target_name"`
		} `json:"entries"`
	}
	a.call("GET", "/api/v1/audit?limit=500", "", nil, 200, &log)
	hexy := regexp.MustCompile(`[0-9A-Fa-f]{8,}`)
	seen := map[string]int{}
	for _, e := range log.Entries {
		seen[e.Action]++
		switch e.Action {
		case "setup.put":
			if strings.HasPrefix(e.Detail, "会议") || strings.HasPrefix(e.Detail, "测评表") {
				t.Errorf("a meeting or form saved as 年度设置: %+v", e)
			}
		case "meeting.save":
			if e.Target != "2020/M1" || e.TargetName != "城关镇2020年度工作报告大会" || !strings.HasPrefix(e.Detail, "会议：") {
				t.Errorf("meeting.save reads %+v", e)
			}
		case "form.save":
			if e.TargetName != "城关镇工作报告大会测评表" {
				t.Errorf("form.save is not named by its title: %+v", e)
			}
		case "paper.key", "paper.confirm", "paper.discard":
			if e.Detail != "纸质选票（机关干部）" || hexy.MatchString(e.Detail) || strings.Contains(e.Detail, first) || strings.Contains(e.Detail, p.ID) {
				t.Errorf("%s reads %q", e.Action, e.Detail)
			}
		}
	}
	for _, a := range []string{"meeting.save", "form.save", "paper.key", "paper.confirm", "paper.discard"} {
		if seen[a] == 0 {
			t.Errorf("no %s entry in the audit log: %v", a, seen)
		}
	}
}
