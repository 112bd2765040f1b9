package server_test

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestSetupPages(t *testing.T) {
	a := importYear(t)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "reader", "role": "viewer", "password": "reader-password"}, 201, nil)
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "reader", "password": "reader-password"}, 200, &login)
	session, _ := signIn(t, a)
	for _, p := range []struct{ path, script, text string }{
		{"/console/users", "users.js", "账号管理"},
		{"/console/cycles/2021/setup", "setup.js", "单位名单"},
		{"/console/cycles/2021/forms", "forms.js", "测评表"},
	} {
		req := httptest.NewRequest("GET", p.path, nil)
		req.AddCookie(session)
		resp, err := a.srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, p.text) || !strings.Contains(page, "/"+p.script+`" defer></script>`) {
			t.Errorf("%s as admin: %d\n%s", p.path, resp.StatusCode, page)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s CSP %q", p.path, csp)
		}
		for _, bad := range []string{"<script>", " style=", " onclick=", " onchange=", "http://", "https://"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s contains %q: the CSP forbids inline code and external requests", p.path, bad)
			}
		}
		req = httptest.NewRequest("GET", p.path, nil)
		req.Header.Set("Authorization", "Bearer "+login.Token)
		if resp, _ := a.srv.App().Test(req, -1); resp.StatusCode != 403 {
			t.Errorf("%s as viewer: %d, want 403", p.path, resp.StatusCode)
		}
	}
	// The viewer may not import either.
	a.upload("/api/v1/cycles/2021/import/units", "units.csv", []byte(unitsCSV), "Bearer "+login.Token, 403)
}

// TestBrowserSetupImport is the assessment office's first day: sign in on
// the login page, open the year's set-up, import the units from Excel (a
// file with a mistake first), add an account and make a form from a
// template.
func TestBrowserSetupImport(t *testing.T) {
	b := newBrowserApp(t, 1024, 900, "")
	b.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2021", "name": "2021年度目标责任考核"}, 201, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "单位-有误.xlsx")
	good := filepath.Join(dir, "单位.xlsx")
	os.WriteFile(bad, xlsxFile(t, [][]any{{"编码", "名称", "类型", "人数"}, {"T01", "城关镇", "镇", 80}, {"T02", "河口镇", "乡村", 45}}), 0o644)
	os.WriteFile(good, xlsxFile(t, [][]any{{"编码", "名称", "类型", "人数"}, {"T01", "城关镇", "镇", 80}, {"T02", "河口镇", "镇", 45}, {"D01", "县财政局", "部门", 35}}), 0o644)

	// Sign in through the login form.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next=/console/cycles/2021/setup")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('input[name=username]')`)
	b.js(`(function(){ document.querySelector('input[name=username]').value = 'admin'; document.querySelector('input[name=password]').value = 'admin-password';
		document.querySelector('form[action="/console/login"] button[type=submit]').click(); return true; })()`)
	b.settle(`location.pathname === '/console/cycles/2021/setup' && !!document.getElementById('units-file') && document.getElementById('cycle-name').textContent.indexOf('2021年度') >= 0`)
	b.shot("1-setup-empty")

	// A file with a bad cell: the row and column are named, nothing is imported.
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("units-file"), []string{bad})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.getElementById('units-preview').classList.contains('bad')`, 10*time.Second)
	if msg := b.js(`document.getElementById('units-preview').textContent`).(string); !strings.Contains(msg, "第 3 行 C 列（类型）") {
		t.Errorf("the bad file's message does not name the cell: %q", msg)
	}
	b.shot("2-import-error")

	// The corrected file: checked, confirmed, listed.
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("units-file"), []string{good})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.getElementById('units-confirm')`, 10*time.Second)
	if msg := b.js(`document.getElementById('units-preview').textContent`).(string); !strings.Contains(msg, "共 3 个单位") {
		t.Errorf("the check says %q", msg)
	}
	b.shot("3-import-checked")
	b.js(`document.getElementById('units-confirm').click()`)
	b.waitFor(`document.querySelectorAll('#units-table tbody tr[data-index]').length === 3`, 10*time.Second)
	names := b.js(`Array.prototype.map.call(document.querySelectorAll('#units-table tbody input[data-key=name]'), function(i){ return i.value; }).join(',')`).(string)
	if names != "城关镇,河口镇,县财政局" {
		t.Errorf("units listed after the import: %q", names)
	}
	b.shot("4-imported")
	var units []struct{ Code, Kind string }
	b.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, &units)
	if len(units) != 3 || units[2].Kind != "department" {
		t.Fatalf("stored units %+v", units)
	}

	// Editing a row by hand: a bad code is shown at its cell.
	b.js(`(function(){ var i = document.querySelector('#units-table tbody tr[data-index="1"] input[data-key=code]'); i.value = 'T 02'; i.dispatchEvent(new Event('input')); document.querySelector('[data-save=units]').click(); return true; })()`)
	b.waitFor(`!!document.querySelector('#units-table tbody tr[data-index="1"] input[data-key=code].invalid') && !!document.querySelector('#units-table .row-error')`, 10*time.Second)
	b.shot("5-row-error")
	b.js(`(function(){ var i = document.querySelector('#units-table tbody tr[data-index="1"] input[data-key=code]'); i.value = 'T02'; i.dispatchEvent(new Event('input')); document.querySelector('[data-save=units]').click(); return true; })()`)
	b.waitFor(`document.getElementById('units-msg').className.indexOf('ok') >= 0 && !document.querySelector('#units-table .invalid')`, 10*time.Second)

	// A form from the town work-report template.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/cycles/2021/forms")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('[data-template="town-report"]')`)
	b.js(`document.querySelector('[data-template="town-report"]').click()`)
	b.waitFor(`document.querySelectorAll('#sections .section-box').length === 5`, 10*time.Second)
	b.js(`document.getElementById('save-form').click()`)
	b.waitFor(`document.getElementById('editor-msg').className.indexOf('ok') >= 0`, 10*time.Second)
	b.shot("6-form-saved")
	var form struct {
		Sections []struct {
			Purpose    string
			Dimensions []string
		}
	}
	b.call("GET", "/api/v1/cycles/2021/forms/town-report", "", nil, 200, &form)
	if len(form.Sections) != 5 || form.Sections[2].Purpose != "cadre" || len(form.Sections[2].Dimensions) != 5 {
		t.Errorf("saved form %+v", form)
	}

	// An account.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/users")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('#users tr[data-user=admin]')`)
	b.js(`(function(){ var f = document.getElementById('new-user'); f.name.value = 'zhang'; f.role.value = 'group'; f.password.value = 'zhang-password';
		f.querySelector('button[type=submit]').click(); return true; })()`)
	b.waitFor(`!!document.querySelector('#users tr[data-user=zhang]')`, 15*time.Second)
	if role := b.js(`document.querySelector('#users tr[data-user=zhang]').textContent`).(string); !strings.Contains(role, "考核组") {
		t.Errorf("the new account reads %q", role)
	}
	b.shot("7-users")
}

// settle waits until expr is true in the page, through navigations (an
// evaluation that fails while a page loads is tried again).
func (b *browserApp) settle(expr string) {
	b.t.Helper()
	var last error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("(function(){ try { return !!("+expr+"); } catch (e) { return false; } })()"))
		if err == nil && ok {
			return
		}
		last = err
	}
	b.shot("timeout")
	url, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("location.href + ' ' + document.title"))
	b.t.Fatalf("waiting for %s: %v (page %s)", expr, last, url)
}
