package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// accountsLogin signs in through the API and returns the Authorization
// header, or "" with the status when it fails.
func accountsLogin(a *app, name, pw string) (string, int) {
	a.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": name, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", resp.StatusCode
	}
	if err := json.Unmarshal(data, &out); err != nil {
		a.t.Fatal(err)
	}
	return "Bearer " + out.Token, 200
}

type accountsError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		MessageEN string `json:"message_en"`
		Details   []struct{ Field, Message string }
	}
}

func (e accountsError) text() string {
	s := e.Error.Message
	for _, d := range e.Error.Details {
		s += " · " + d.Field + " " + d.Message
	}
	return s
}

// TestAccountPasswords: an admin resets a forgotten password; everyone
// changes their own with the current one; a group leader cannot reset
// another's; the audit log says who did it and never holds a password.
func TestAccountPasswords(t *testing.T) {
	a := newApp(t)
	runYear(a)
	zhang, _ := accountsLogin(a, "zhang", "zhang-password")
	viewer, _ := accountsLogin(a, "viewer", "viewer-password")

	// The admin resets zhang's password: the new one works, the old not.
	a.call("PUT", "/api/v1/users/zhang/password", "", map[string]string{"password": "reset-by-admin-1"}, 204, nil)
	if _, status := accountsLogin(a, "zhang", "zhang-password"); status != 401 {
		t.Errorf("the old password after a reset: %d, want 401", status)
	}
	zhang, status := accountsLogin(a, "zhang", "reset-by-admin-1")
	if status != 200 {
		t.Fatalf("the reset password does not sign in: %d", status)
	}

	// A group leader may not reset someone else's; nor may a viewer.
	var e accountsError
	a.call("PUT", "/api/v1/users/wang/password", zhang, map[string]string{"password": "taken-over-99"}, 403, &e)
	if !strings.Contains(e.Error.Message, "管理员") {
		t.Errorf("a group leader resetting another's password is told %q", e.Error.Message)
	}
	a.call("PUT", "/api/v1/users/zhang/password", viewer, map[string]string{"password": "taken-over-99"}, 403, nil)

	// Own change: a wrong current password is refused in Chinese and the
	// session stays; the right one changes it.
	e = accountsError{}
	a.call("PUT", "/api/v1/users/zhang/password", zhang, map[string]string{"old_password": "not-my-password", "password": "zhang-new-pass"}, 400, &e)
	if !strings.Contains(e.Error.Message, "原密码不正确") || len(e.Error.Details) != 1 || e.Error.Details[0].Field != "old_password" {
		t.Errorf("a wrong current password is answered %+v", e.Error)
	}
	e = accountsError{}
	a.call("PUT", "/api/v1/users/zhang/password", zhang, map[string]string{"password": "zhang-new-pass"}, 400, &e)
	if !strings.Contains(e.Error.Message, "请填写原密码") {
		t.Errorf("no current password is answered %q", e.Error.Message)
	}
	e = accountsError{}
	a.call("PUT", "/api/v1/users/zhang/password", zhang, map[string]string{"old_password": "reset-by-admin-1", "password": "short"}, 400, &e)
	if !strings.Contains(e.text(), "8 到 72 个字符") {
		t.Errorf("a short new password is answered %q", e.text())
	}
	a.call("PUT", "/api/v1/users/zhang/password", zhang, map[string]string{"old_password": "reset-by-admin-1", "password": "zhang-new-pass"}, 204, nil)
	if _, status := accountsLogin(a, "zhang", "zhang-new-pass"); status != 200 {
		t.Errorf("the changed password does not sign in: %d", status)
	}
	a.call("PUT", "/api/v1/users/viewer/password", viewer, map[string]string{"old_password": "viewer-password", "password": "viewer-new-pass"}, 204, nil)
	a.call("PUT", "/api/v1/users/nobody/password", "", map[string]string{"password": "whatever-long"}, 404, nil)

	// The audit log: who changed whose password, and none of the passwords.
	var log struct {
		Entries []struct{ Actor, Action, Target, Detail string }
	}
	body := a.call("GET", "/api/v1/audit?action=user.password&limit=50", "", nil, 200, &log)
	var got []string
	for _, en := range log.Entries {
		got = append(got, en.Actor+">"+en.Target+":"+en.Detail)
	}
	want := "viewer>viewer:本人修改密码;zhang>zhang:本人修改密码;admin>zhang:管理员重置密码"
	if strings.Join(got, ";") != want {
		t.Errorf("password entries, newest first:\n got %s\nwant %s", strings.Join(got, ";"), want)
	}
	all := string(a.call("GET", "/api/v1/audit?limit=500", "", nil, 200, nil))
	for _, pw := range []string{"reset-by-admin-1", "zhang-new-pass", "viewer-new-pass", "not-my-password", "taken-over-99", "short"} {
		if strings.Contains(all, pw) || strings.Contains(string(body), pw) {
			t.Errorf("the audit log holds the password %q", pw)
		}
	}
}

// TestAccountNamesAndAudit: a display name per account (additive in GET
// /users), the login-name rule in words a clerk understands, the role in
// Chinese on the 403 page, and an audit log in Chinese with meeting titles
// and a filter that leaves sign-ins out.
func TestAccountNamesAndAudit(t *testing.T) {
	a := newApp(t)
	runYear(a)

	// A Chinese login name: told where the name goes.
	var e accountsError
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "张三", "role": "group", "password": "long-enough-1"}, 400, &e)
	if len(e.Error.Details) == 0 || e.Error.Details[0].Field != "name" || !strings.Contains(e.Error.Details[0].Message, "登录名请用字母或数字（如 zhangsan），姓名填在“姓名”一栏") ||
		strings.Contains(e.Error.Details[0].Message, "编码") {
		t.Errorf("a Chinese login name is answered %+v", e.Error)
	}
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "zhangsan", "display_name": " 张三 ", "role": "group", "password": "long-enough-1"}, 201, nil)
	a.call("PATCH", "/api/v1/users/zhang", "", map[string]string{"display_name": "张建华"}, 200, nil)
	var users struct {
		Users []struct {
			Name        string `json:"name"`
			Role        string `json:"role"`
			DisplayName string `json:"display_name"`
		}
	}
	a.call("GET", "/api/v1/users", "", nil, 200, &users)
	names := map[string]string{}
	for _, u := range users.Users {
		names[u.Name] = u.DisplayName
	}
	if names["zhangsan"] != "张三" || names["zhang"] != "张建华" || names["wang"] != "" {
		t.Errorf("display names %v", names)
	}

	// The 403 page names the role in Chinese.
	zhang, _ := accountsLogin(a, "zhang", "zhang-password")
	req := httptest.NewRequest("GET", "/console/users", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Authorization", zhang)
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || !strings.Contains(string(page), "当前账号（考核组）无权查看此页面") {
		t.Errorf("the 403 page: %d %s", resp.StatusCode, page)
	}

	// Slips, a revoked batch, an open meeting: the log reads in Chinese,
	// names the meeting's title and leaves sign-ins out when asked.
	var b struct{ Batch string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 12}, 201, &b)
	a.call("POST", "/api/v1/batches/"+b.Batch+"/revoke", "", nil, 200, nil)
	if _, status := accountsLogin(a, "zhang", "wrong password"); status != 401 {
		t.Fatalf("a wrong password: %d", status)
	}
	var log struct {
		Entries []struct {
			Actor, Action, Target, Detail string
			TargetName                    string `json:"target_name"`
		}
	}
	a.call("GET", "/api/v1/audit?exclude=login,login.failed&limit=500", "", nil, 200, &log)
	keyValue := regexp.MustCompile(`[a-z_]+=`)
	seen := map[string]string{} // action → its entries, newest first
	for _, en := range log.Entries {
		if en.Action == "login" || en.Action == "login.failed" {
			t.Errorf("a sign-in in the filtered log: %+v", en)
		}
		if keyValue.MatchString(en.Detail) {
			t.Errorf("a key=value detail: %+v", en)
		}
		seen[en.Action] += en.TargetName + " | " + en.Detail + "\n"
	}
	if got := seen["batch.issue"]; !strings.HasPrefix(got, "城关镇2020年度工作报告大会 | 第 1 批：类别 机关干部，12 张") {
		t.Errorf("batch.issue reads %q", got)
	}
	if got := seen["batch.revoke"]; !strings.HasPrefix(got, "城关镇2020年度工作报告大会 | 第 1 批：类别 机关干部，作废未用选票 12 张") {
		t.Errorf("batch.revoke reads %q", got)
	}
	if got := seen["meeting.save"]; !strings.Contains(got, "会议：城关镇2020年度工作报告大会") {
		t.Errorf("the last set-up entry reads %q", got)
	}
	if got := seen["user.update"]; got != " | 姓名改为：张建华\n" {
		t.Errorf("user.update reads %q", got)
	}
	var logins struct {
		Entries []struct{ Action, Target string }
	}
	a.call("GET", "/api/v1/audit?action=login,login.failed&limit=500", "", nil, 200, &logins)
	if len(logins.Entries) < 2 || logins.Entries[0].Action != "login.failed" || logins.Entries[0].Target != "zhang" {
		t.Errorf("sign-in entries %+v", logins.Entries)
	}
	for _, en := range logins.Entries {
		if !strings.HasPrefix(en.Action, "login") {
			t.Errorf("a %s entry among sign-ins", en.Action)
		}
	}

	// An import with one bad row says so in Chinese, "1 problem" in English.
	e = accountsError{}
	data := a.upload("/api/v1/cycles/2020/import/units", "units.csv", []byte("编码,名称,类型,人数\nT01,城关镇,镇,60\nT02,河口镇,城市,10\n"), "", 400)
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Error.Message, "有 1 处错误") || strings.Contains(e.Error.Message, "problem") || !strings.HasPrefix(e.Error.MessageEN, "1 problem:") {
		t.Errorf("an import with one problem says %q / %q", e.Error.Message, e.Error.MessageEN)
	}
}

// uxSignIn signs in through the console's form and waits for next.
func uxSignIn(b *browserApp, user, pw, next string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(next))); err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = '` + user + `'; f.password.value = '` + pw + `'; f.submit(); return true; })()`)
	b.waitFor(`location.pathname === '`+next+`' && document.readyState === 'complete'`, 15*time.Second)
}

// latinRun finds English words inside Chinese text: four Latin letters in a
// row, other than the name of the spreadsheet program.
var latinRun = regexp.MustCompile(`[A-Za-z]{4,}`)

func latinWords(s string) []string {
	var out []string
	for _, w := range latinRun.FindAllString(s, -1) {
		if w != "Excel" && w != "Ceping" {
			out = append(out, w)
		}
	}
	return out
}

// TestBrowserAccountsAndOverview, on a phone: the header names the role in
// Chinese and links to 修改密码; a new year from the overview takes its code
// from the name and lands on its set-up; the overview then shows the year's
// checklist; the set-up page has no English inside its Chinese; the
// accounts page resets a password.
func TestBrowserAccountsAndOverview(t *testing.T) {
	b := newBrowserApp(t, 360, 740, "")
	runYear(b.app)
	// Leaving the set-up page with unsaved changes asks first: say yes.
	dialogs := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			go chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	}()
	uxSignIn(b, "admin", "admin-password", "/console")
	if who := b.js(`document.querySelector('header .who').textContent`).(string); who != "admin（管理员）" {
		t.Errorf("the header reads %q", who)
	}
	if href := b.js(`(document.querySelector('header a[href="/console/password"]')||{}).textContent || ''`).(string); href != "修改密码" {
		t.Errorf("the header's password link reads %q", href)
	}

	// A Chinese code is refused in words; then the name gives the code.
	b.waitFor(`!!document.querySelector('#overview [data-cycle="2020"] .checklist li[data-step="units"]')`, 15*time.Second)
	b.js(`(function(){ var f = document.getElementById('new-cycle'); f.elements.namedItem('code').value = '二〇二四';
		f.elements.namedItem('code').dispatchEvent(new Event('input', {bubbles:true})); f.elements.namedItem('name').value = '2024年度目标责任考核';
		f.querySelector('button[type=submit]').click(); return true; })()`)
	if msg := b.js(`document.getElementById('new-cycle-msg').textContent`).(string); !strings.Contains(msg, "请填写字母或数字，如 2024") || strings.Contains(msg, "无效") {
		t.Errorf("a Chinese code is answered %q", msg)
	}
	if open := b.js(`document.getElementById('new-cycle-advanced').open`).(bool); !open {
		t.Error("the refused code stays hidden under 高级")
	}
	b.js(`(function(){ var f = document.getElementById('new-cycle'); var c = f.elements.namedItem('code'); c.value = ''; c.dispatchEvent(new Event('input', {bubbles:true}));
		var n = f.elements.namedItem('name'); n.value = '2024年度目标责任考核'; n.dispatchEvent(new Event('input', {bubbles:true})); return true; })()`)
	if code := b.js(`document.getElementById('new-cycle').elements.namedItem('code').value`).(string); code != "2024" {
		t.Errorf("the code from 2024年度目标责任考核 is %q", code)
	}
	b.shot("1-overview-new-year")
	b.js(`document.getElementById('new-cycle').querySelector('button[type=submit]').click(); true`)
	b.waitFor(`location.pathname === '/console/cycles/2024/setup' && document.getElementById('cycle-name').textContent.indexOf('2024年度') >= 0`, 15*time.Second)
	if steps := b.js(`document.querySelector('.steps').textContent`).(string); !strings.Contains(steps, "⑤ 会议") {
		t.Errorf("the set-up steps read %q", steps)
	}

	// Back on the overview, the new year's checklist: nothing done yet.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('#overview [data-cycle="2024"] .checklist li[data-step="meetings"]') && !!document.querySelector('#overview [data-cycle="2020"] .checklist li[data-step="meetings"]')`, 15*time.Second)
	list := b.js(`document.querySelector('#overview [data-cycle="2024"] .checklist').innerText`).(string)
	for _, w := range []string{"单位 0 ✗", "人员 0 ✗", "目标任务 0 ✗", "测评表 0 ✗", "会议 0"} {
		if !strings.Contains(list, w) {
			t.Errorf("the new year's checklist %q has no %q", list, w)
		}
	}
	list = b.js(`document.querySelector('#overview [data-cycle="2020"] .checklist').innerText`).(string)
	for _, w := range []string{"单位 3 ✓", "人员 3 ✓", "目标任务 0/3 ✗", "测评表 1 ✓", "会议 1"} {
		if !strings.Contains(list, w) {
			t.Errorf("the 2020 checklist %q has no %q", list, w)
		}
	}
	if href := b.js(`document.querySelector('#overview [data-cycle="2020"] .checklist li[data-step="people"] a').getAttribute('href')`).(string); href != "/console/cycles/2020/setup#people-card" {
		t.Errorf("the people step links to %q", href)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the overview is %v px wide at 360 px", w)
	}
	b.shot("2-overview-checklist")

	// The set-up page: no English inside the Chinese.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/cycles/2020/setup")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.querySelectorAll('#people-table tbody tr[data-index]').length === 3 && document.querySelectorAll('#units-table tbody tr[data-index]').length === 3`, 15*time.Second)
	text := b.js(`(function(){
		var out = [], els = document.querySelectorAll('#setup [data-i18n], #setup th, #setup label, #setup button, #setup .hint, #setup td.muted, #setup h1, #setup h2, #setup a');
		for (var i = 0; i < els.length; i++) out.push(els[i].textContent);
		var ph = document.querySelectorAll('#setup [placeholder]');
		for (var j = 0; j < ph.length; j++) out.push(ph[j].getAttribute('placeholder'));
		return out.join('\n'); })()`).(string)
	if words := latinWords(text); len(words) > 0 {
		t.Errorf("English inside the Chinese set-up page: %v", words)
	}
	if th := b.js(`document.querySelector('#units-table thead').textContent`).(string); !strings.Contains(th, "干部职工人数") {
		t.Errorf("the units table's header reads %q", th)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the set-up page is %v px wide at 360 px", w)
	}
	if h := b.js(`(function(){ var s = document.querySelector('[data-import=units] label.file > span'); return s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).fontSize); })()`).(float64); h > 2 {
		t.Errorf("the 选择文件 label is %.1f characters high: it wraps", h)
	}
	// Removing a unit that still has people: one line for the unit, naming them.
	b.js(`(function(){ var btn = document.querySelector('#units-table tbody tr[data-index="0"] button.danger'); window.confirm = function(){ return true; }; btn.click();
		document.querySelector('[data-save="units"]').click(); return true; })()`)
	b.waitFor(`/张建国/.test(document.getElementById('units-msg').textContent)`, 10*time.Second)
	msg := b.js(`document.getElementById('units-msg').textContent`).(string)
	if strings.Count(msg, "城关镇还有 3 名人员（张建国、李卫东、王秀兰）") != 1 || strings.Count(msg, "还有") != 1 || strings.Contains(msg, "units") {
		t.Errorf("removing 城关镇 is answered %q", msg)
	}
	b.shot("3-setup")

	// The accounts page: a Chinese login name is explained next to the
	// field; the admin resets zhang's password.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/users")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('#users tr[data-user="zhang"] button[data-action="reset"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.getElementById('new-user'), n = f.elements.namedItem('name'); n.value = '李四'; n.dispatchEvent(new Event('input', {bubbles:true}));
		f.elements.namedItem('password').value = 'long-enough-2'; f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/登录名请用字母或数字/.test(document.querySelector('#new-user .field-error[data-for="name"]').textContent) && document.getElementById('new-user-msg').textContent !== ''`, 10*time.Second)
	if inForm := b.js(`!!document.querySelector('#new-user #new-user-msg')`).(bool); inForm {
		t.Error("the add-account message is still inside the inline form")
	}
	b.js(`(function(){ var f = document.getElementById('new-user'); f.elements.namedItem('name').value = 'lisi'; f.elements.namedItem('display_name').value = '李四';
		f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`!!document.querySelector('#users tr[data-user="lisi"]') && /李四/.test(document.querySelector('#users tr[data-user="lisi"]').textContent)`, 10*time.Second)
	b.js(`document.querySelector('#users tr[data-user="zhang"] button[data-action="reset"]').click(); true`)
	b.waitFor(`!!document.querySelector('tr.user-edit[data-for="zhang"] input')`, 5*time.Second)
	b.js(`(function(){ var r = document.querySelector('tr.user-edit[data-for="zhang"]'); r.querySelector('input').value = 'zhang-reset-pw'; r.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/已重置 zhang 的密码/.test(document.getElementById('list-msg').textContent)`, 10*time.Second)
	b.shot("4-users")
	zhangAuth, status := accountsLogin(b.app, "zhang", "zhang-reset-pw")
	if status != 200 {
		t.Errorf("the password reset on the page does not sign in: %d", status)
	}

	// Another account's role, and signing it out everywhere; one's own row
	// offers neither.
	if own := b.js(`!!document.querySelector('#users tr[data-user="admin"] button[data-action="role"], #users tr[data-user="admin"] button[data-action="signout"]')`).(bool); own {
		t.Error("the admin's own row offers a role change or a forced sign-out")
	}
	b.js(`document.querySelector('#users tr[data-user="lisi"] button[data-action="role"]').click(); true`)
	b.waitFor(`!!document.querySelector('tr.user-edit[data-for="lisi"][data-edit="role"] select')`, 5*time.Second)
	b.js(`(function(){ var r = document.querySelector('tr.user-edit[data-for="lisi"]'); r.querySelector('select').value = 'viewer'; r.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/已修改 lisi 的角色/.test(document.getElementById('list-msg').textContent) && /只读/.test(document.querySelector('#users tr[data-user="lisi"]').textContent)`, 10*time.Second)
	b.js(`window.confirm = function () { return true; }; document.querySelector('#users tr[data-user="zhang"] button[data-action="signout"]').click(); true`)
	b.waitFor(`/zhang 已在所有设备上退出登录/.test(document.getElementById('list-msg').textContent)`, 10*time.Second)
	b.app.call("GET", "/api/v1/cycles", zhangAuth, nil, 401, nil)

	// The audit log: every action named in Chinese, the meeting by its
	// title, sign-ins only when asked for.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/audit")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.querySelectorAll('#audit-rows tr[data-action]').length > 5`, 10*time.Second)
	rows := b.js(`Array.prototype.map.call(document.querySelectorAll('#audit-rows tr[data-action]'), function(r){ return r.getAttribute('data-action') + '|' + r.cells[2].textContent + '|' + r.cells[3].textContent + '|' + r.cells[4].textContent; }).join('\n')`).(string)
	for _, line := range strings.Split(rows, "\n") {
		f := strings.Split(line, "|")
		if f[0] == "login" || f[0] == "login.failed" {
			t.Errorf("a sign-in shown by default: %s", line)
		}
		if regexp.MustCompile(`^[a-z.]+$`).MatchString(f[1]) || latinRun.MatchString(f[3]) && !strings.Contains(f[3], "sha256") {
			t.Errorf("an audit row in codes: %s", line)
		}
	}
	if !strings.Contains(rows, "meeting.save|保存会议|城关镇2020年度工作报告大会|会议：城关镇2020年度工作报告大会") || !strings.Contains(rows, "user.password|修改或重置密码|zhang|管理员重置密码") {
		t.Errorf("the audit rows:\n%s", rows)
	}
	b.js(`(function(){ var s = document.getElementById('audit-type'); s.value = 'login'; s.dispatchEvent(new Event('change', {bubbles:true})); return true; })()`)
	b.waitFor(`document.querySelectorAll('#audit-rows tr[data-action]').length > 0 && !document.querySelector('#audit-rows tr[data-action]:not([data-action^="login"])')`, 10*time.Second)
	b.shot("5-audit-logins")

	// zhang changes it on the page the header links to; a wrong current
	// password is told in Chinese.
	uxSignIn(b, "zhang", "zhang-reset-pw", "/console")
	if who := b.js(`document.querySelector('header .who').textContent`).(string); who != "zhang（考核组）" {
		t.Errorf("the header reads %q for a group leader", who)
	}
	b.js(`document.querySelector('header a[href="/console/password"]').click(); true`)
	b.waitFor(`location.pathname === '/console/password' && !!document.getElementById('pw-form')`, 10*time.Second)
	b.js(`(function(){ var f = document.getElementById('pw-form'); f.elements.namedItem('old_password').value = 'not-it-at-all'; f.elements.namedItem('password').value = 'zhang-own-pass';
		f.elements.namedItem('again').value = 'zhang-own-pass'; f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/原密码不正确/.test(document.querySelector('#pw-form .field-error[data-for="old_password"]').textContent)`, 10*time.Second)
	if msg := b.js(`document.getElementById('pw-msg').textContent`).(string); latinRun.MatchString(msg) {
		t.Errorf("the wrong-password message has English in it: %q", msg)
	}
	b.js(`(function(){ var f = document.getElementById('pw-form'); f.elements.namedItem('old_password').value = 'zhang-reset-pw'; f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/密码已修改/.test(document.getElementById('pw-msg').textContent)`, 10*time.Second)
	b.shot("6-password")
	if _, status := accountsLogin(b.app, "zhang", "zhang-own-pass"); status != 200 {
		t.Errorf("the password changed on the page does not sign in: %d", status)
	}
}
