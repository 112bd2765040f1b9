package server_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// collectAccountsYear seeds a year with units and the bodies of the
// collection, for the accounts page's choosers.
func collectAccountsYear(a *app) {
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 80}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 30}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/bodies", "", []map[string]any{
		{"code": "TJJ", "name": "县统计局", "kind": "statistics"}, {"code": "AJJ", "name": "县应急管理局", "kind": "department"}}, 200, nil)
	for _, n := range []string{"zhang", "wang"} {
		a.call("POST", "/api/v1/users", "", map[string]string{"name": n, "role": "group", "password": "long-enough-0"}, 201, nil)
	}
}

// TestBrowserAccountsCollect, on a phone: the admin creates an assessor
// bound to a body chosen by name, sees the body's name in the list, moves
// another account to a unit; then creates accounts from a spreadsheet and
// gets the hand-out with a slip per account whose password signs in.
func TestBrowserAccountsCollect(t *testing.T) {
	b := newBrowserApp(t, 375, 800, "")
	collectAccountsYear(b.app)
	signInTo(b, "/console/users", `!!document.querySelector('#users tr[data-user="zhang"]')`)
	// The chooser fills from the years' bodies once the role asks for one.
	b.waitFor(`document.querySelectorAll('#new-user select[name=body] option').length === 3`, 10*time.Second)
	if shown := b.js(`!document.getElementById('bind-body').hidden`).(bool); shown {
		t.Error("the body chooser shows for a group account")
	}
	b.js(`(function(){ var f = document.getElementById('new-user'); f.elements.namedItem('name').value = 'tjj01'; f.elements.namedItem('display_name').value = '李统计';
		var r = f.elements.namedItem('role'); r.value = 'assessor'; r.dispatchEvent(new Event('change', {bubbles:true}));
		f.elements.namedItem('password').value = 'long-enough-1'; f.querySelector('button[type=submit]').click(); return true; })()`)
	// Without a body the form says so and creates nothing.
	b.waitFor(`!document.getElementById('bind-body').hidden && /请选择该账号填报的考核主体/.test(document.querySelector('#new-user .field-error[data-for="body"]').textContent)`, 5*time.Second)
	opts := b.js(`Array.prototype.map.call(document.querySelectorAll('#new-user select[name=body] option'), function(o){ return o.textContent; }).join('|')`).(string)
	if opts != "—|AJJ 县应急管理局|TJJ 县统计局" {
		t.Errorf("the body chooser offers %q", opts)
	}
	b.js(`(function(){ var f = document.getElementById('new-user'); f.elements.namedItem('body').value = 'TJJ'; f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`!!document.querySelector('#users tr[data-user="tjj01"]')`, 10*time.Second)
	row := b.js(`document.querySelector('#users tr[data-user="tjj01"]').textContent`).(string)
	if !strings.Contains(row, "考核主体填报") || !strings.Contains(row, "县统计局（TJJ）") {
		t.Errorf("the new assessor's row reads %q", row)
	}
	var u struct{ Role, Body string }
	var list struct {
		Users []struct{ Name, Role, Body, Unit string }
	}
	b.app.call("GET", "/api/v1/users", "", nil, 200, &list)
	for _, x := range list.Users {
		if x.Name == "tjj01" {
			u.Role, u.Body = x.Role, x.Body
		}
	}
	if u.Role != "assessor" || u.Body != "TJJ" {
		t.Fatalf("tjj01 stored as %+v", u)
	}

	// wang becomes the account of 城关镇: the role editor asks for the unit.
	b.js(`document.querySelector('#users tr[data-user="wang"] button[data-action="role"]').click(); true`)
	b.waitFor(`!!document.querySelector('tr.user-edit[data-for="wang"][data-edit="role"] select')`, 5*time.Second)
	b.js(`(function(){ var r = document.querySelector('tr.user-edit[data-for="wang"]'), s = r.querySelector('select'); s.value = 'unit'; s.dispatchEvent(new Event('change', {bubbles:true}));
		r.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/请选择该账号所属的单位/.test(document.querySelector('tr.user-edit[data-for="wang"] .field-error').textContent)`, 5*time.Second)
	b.js(`(function(){ var r = document.querySelector('tr.user-edit[data-for="wang"]'); r.querySelector('select[name=unit]').value = 'T01'; r.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`/已修改 wang 的角色/.test(document.getElementById('list-msg').textContent) && /城关镇（T01）/.test(document.querySelector('#users tr[data-user="wang"]').textContent)`, 10*time.Second)
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 380 {
		t.Errorf("the accounts page is %v px wide at 375 px", w)
	}

	// Bulk: a file with a bad row is refused, cell by cell, creating nothing.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("登录名,姓名,角色,考核主体/单位\nyjj01,赵应急,考核主体填报,县水利局\n"), 0o600)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("bulk-file"), []string{bad})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`/第 2 行 D 列（考核主体\/单位）：考核主体“县水利局”不在任何考核年度中/.test(document.getElementById('bulk-preview').textContent)`, 10*time.Second)
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("登录名,姓名,角色,考核主体/单位\nyjj01,赵应急,考核主体填报,县应急管理局\ncgz01,,被考核单位,T01\n"), 0o600)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("bulk-file"), []string{good})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.getElementById('bulk-confirm')`, 10*time.Second)
	if preview := b.js(`document.getElementById('bulk-preview').textContent`).(string); !strings.Contains(preview, "将新建 2 个账号") || !strings.Contains(preview, "县应急管理局（AJJ）") {
		t.Errorf("the check reads %q", preview)
	}
	// Count the requests: the hand-out comes from the import's answer alone.
	before := len(b.proxy.requestLines())
	b.js(`document.getElementById('bulk-confirm').click(); true`)
	b.waitFor(`document.querySelectorAll('#handout .slip').length === 2 && !document.getElementById('handout').hidden`, 30*time.Second)
	slip := b.js(`document.querySelector('#handout .slip[data-user="yjj01"]').textContent`).(string)
	for _, w := range []string{"测评系统账号通知单", "/console", "yjj01", "赵应急", "考核主体填报：县应急管理局", "首次登录后请修改密码"} {
		if !strings.Contains(slip, w) {
			t.Errorf("the slip does not say %q: %q", w, slip)
		}
	}
	pw := b.js(`document.querySelector('#handout .slip[data-user="yjj01"] dd.pw').textContent`).(string)
	if len(pw) < 12 {
		t.Fatalf("the slip's password is %q", pw)
	}
	if _, status := accountsLogin(b.app, "yjj01", pw); status != 200 {
		t.Errorf("the password on the slip does not sign in: %d", status)
	}
	b.waitFor(`!!document.querySelector('#users tr[data-user="cgz01"]')`, 10*time.Second)
	var after []string
	for _, l := range b.proxy.requestLines()[before:] {
		after = append(after, l)
		if strings.Contains(l, pw) {
			t.Errorf("a request carries the password: %s", l)
		}
	}
	imports := 0
	for _, l := range after {
		if strings.Contains(l, "/users/import") {
			imports++
		}
	}
	if imports != 1 {
		t.Errorf("confirming sent %d import requests: %v", imports, after)
	}
	// Printing shows the slips alone.
	media(b, "print")
	printed := b.js(`(function(){ function shown(e){ return getComputedStyle(e).display !== 'none'; }
		return [shown(document.getElementById('bulk-card')), shown(document.querySelector('#users').closest('section')), shown(document.querySelector('header.top')),
			shown(document.querySelector('#handout .no-print')), shown(document.querySelector('#handout .slip'))].join(','); })()`).(string)
	if printed != "false,false,false,false,true" {
		t.Errorf("printing shows bulk card, list, header, print button, slip = %s; want only the slips", printed)
	}
	media(b, "")
	b.shot("handout")
	// Closing forgets the passwords.
	b.js(`window.confirm = function () { return true; }; document.getElementById('handout-close').click(); true`)
	b.waitFor(`document.getElementById('handout').hidden && document.querySelectorAll('#handout .slip').length === 0`, 5*time.Second)
	if strings.Contains(b.js(`document.body.innerHTML`).(string), pw) {
		t.Error("the password stays in the page after closing the hand-out")
	}
	var audit struct {
		Entries []struct{ Detail string }
	}
	b.app.call("GET", "/api/v1/audit", "", nil, 200, &audit)
	raw, _ := json.Marshal(audit)
	if !strings.Contains(string(raw), "批量新建账号 2 个") || strings.Contains(string(raw), pw) {
		t.Errorf("the audit log: %s", raw)
	}
}

// media emulates a CSS media type ("print"; "" for the screen again).
func media(b *browserApp, m string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	})); err != nil {
		b.t.Fatal(err)
	}
}
