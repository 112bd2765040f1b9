package server_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// boardYear sets up 2020 for the collection board: three units, the
// bodies TJJ and G1, a catalogue (TJJ: T01-01, T01-02, D01-01), a TJJ
// assessor and a viewer. It returns the assessor's Authorization.
func boardYear(a *app) string {
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 60}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 20}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/bodies", "", []map[string]any{
		{"code": "TJJ", "name": "县统计局", "kind": "statistics"}, {"code": "G1", "name": "第一考核组", "kind": "group"}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/indicators", "", []map[string]any{
		{"code": "T01-01", "unit": "T01", "category": "economic", "name": "地区生产总值增速", "points": 20, "method": "completion", "target": 8.5, "measure": "%", "source": "TJJ"},
		{"code": "T01-02", "unit": "T01", "category": "economic", "name": "万元GDP能耗", "points": 15, "method": "completion", "target": 0.5, "measure": "吨标煤", "better": "lower", "source": "TJJ"},
		{"code": "T01-03", "unit": "T01", "category": "social", "name": "社会事业", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-04", "unit": "T01", "category": "environment", "name": "生态环境", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-05", "unit": "T01", "category": "stability", "name": "安全生产", "points": 20, "method": "score", "source": "G1"},
		{"code": "T01-06", "unit": "T01", "category": "team", "name": "班子建设", "points": 15, "method": "score", "source": "G1"},
		{"code": "D01-01", "unit": "D01", "category": "work", "name": "财政收入", "points": 70, "method": "completion", "target": 12, "measure": "亿元", "source": "TJJ"},
		{"code": "D01-02", "unit": "D01", "category": "team", "name": "班子建设", "points": 30, "method": "score", "source": "G1"},
	}, 200, nil)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "tjj", "role": "assessor", "body": "TJJ", "password": "tjj-password-1"}, 201, nil)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "reader", "role": "viewer", "password": "reader-password"}, 201, nil)
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "tjj", "password": "tjj-password-1"}, 200, &login)
	return "Bearer " + login.Token
}

// boardSignIn signs name in through the login form and waits for page.
func boardSignIn(b *browserApp, name, password, page, ready string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(page))); err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(fmt.Sprintf(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = %q; f.password.value = %q; f.submit(); return true; })()`, name, password))
	b.waitFor(`location.pathname === '`+page+`' && `+ready, 15*time.Second)
}

// boardCells is a body's row on the board: "indicators/entered/submitted/approved/returned state".
const boardCells = `(function(code){ var tr = document.querySelector('#board-rows tr[data-body="' + code + '"]'); if (!tr) return '';
	var k = function(n){ return tr.querySelector('td[data-k=' + n + ']').textContent; };
	return [k('indicators'), k('entered'), k('submitted'), k('approved'), k('returned')].join('/') + ' ' + tr.querySelector('td[data-k=state] .badge').textContent; })`

func entryStatus(code string) string {
	return fmt.Sprintf(`(document.querySelector('#body-units tr.entry[data-code=%q]')||{}).getAttribute('data-status')`, code)
}

// TestBrowserCollectionBoard: at 1280 and 375 px the admin watches a body's
// progress arrive without reloading, opens the body, returns an entry (a
// comment is required), approves the rest after a dialog that says how
// many, and the counts change; an entry's history shows the return; past
// the deadline a body is marked 逾期 in words. A viewer sees the same board
// without approve, return or reopen buttons.
func TestBrowserCollectionBoard(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1280, 900}, {375, 740}} {
		t.Run(fmt.Sprint(size.w), func(t *testing.T) {
			b := newBrowserApp(t, size.w, size.h, "")
			tjj := boardYear(b.app)
			const y = "/api/v1/cycles/2020"
			b.app.call("PUT", y+"/indicators/T01-01/entry", tjj, map[string]any{"actual": 7.9}, 200, nil)
			page := "/console/cycles/2020/collection"
			boardSignIn(b, "admin", "admin-password", page, `document.querySelectorAll('#board-rows tr[data-body]').length === 2`)
			if got := b.js(boardCells + `('TJJ')`).(string); got != "3/1/0/0/0 填报中" {
				t.Errorf("TJJ while entering: %q", got)
			}
			if got := b.js(boardCells + `('G1')`).(string); got != "5/0/0/0/0 未开始" {
				t.Errorf("G1 before anything: %q", got)
			}

			// The body goes on working; the board follows without a reload
			// (the 12 s refresh at 1280, coming back into focus at 375).
			b.app.call("PUT", y+"/indicators/T01-02/entry", tjj, map[string]any{"actual": 0.625}, 200, nil)
			b.app.call("PUT", y+"/indicators/D01-01/entry", tjj, map[string]any{"actual": 11.4, "note": "快报数"}, 200, nil)
			b.app.call("POST", y+"/bodies/TJJ/submit", tjj, nil, 200, nil)
			if size.w < 400 {
				b.js(`window.dispatchEvent(new Event('focus')); true`)
			}
			b.waitFor(boardCells+`('TJJ') === '3/3/3/0/0 已报送，待审核'`, 20*time.Second)

			// Open the body: its entries by unit, with figures.
			b.js(`document.querySelector('#board-rows tr[data-body=TJJ] button.open-body').click(); true`)
			b.waitFor(`document.querySelectorAll('#body-units tr.entry').length === 3 && !document.getElementById('approve-body').hidden`, 10*time.Second)
			units := b.js(`Array.prototype.map.call(document.querySelectorAll('#body-units section.unit h3'), function(h){ return h.textContent; }).join(',')`).(string)
			if units != "城关镇（T01）,县财政局（D01）" {
				t.Errorf("units of TJJ: %q", units)
			}
			row := b.js(`document.querySelector('#body-units tr.entry[data-code="T01-02"]').innerText`).(string)
			for _, w := range []string{"万元GDP能耗", "0.625 吨标煤", "80%", "0.8", "12 / 15", "已报送", "tjj"} {
				if !strings.Contains(row, w) {
					t.Errorf("the T01-02 row lacks %q: %q", w, row)
				}
			}
			if got := b.js(`document.getElementById('approve-body').textContent`).(string); got != "全部审核通过（3 项）" {
				t.Errorf("approve-body button: %q", got)
			}

			// Return T01-01: the dialog will not go without a comment.
			b.js(`document.querySelector('#body-units tr.entry[data-code="T01-01"] button[data-act=return]').click(); true`)
			b.waitFor(`document.getElementById('col-dialog').open`, 5*time.Second)
			b.js(`document.getElementById('col-dialog-yes').click(); true`)
			b.waitFor(`document.getElementById('col-dialog-msg').textContent.indexOf('请写明意见') === 0`, 5*time.Second)
			if !b.js(`document.getElementById('col-dialog').open`).(bool) {
				t.Fatal("the return dialog closed without a comment")
			}
			b.js(`document.getElementById('col-dialog-comment').value = '请按统计年鉴终审数填写'; document.getElementById('col-dialog-yes').click(); true`)
			b.waitFor(entryStatus("T01-01")+` === 'returned'`, 10*time.Second)
			if row := b.js(`document.querySelector('#body-units tr.entry[data-code="T01-01"]').innerText`).(string); !strings.Contains(row, "考核办意见：请按统计年鉴终审数填写") {
				t.Errorf("the returned row lacks the comment: %q", row)
			}
			b.waitFor(boardCells+`('TJJ') === '3/3/2/0/1 填报中'`, 10*time.Second)
			b.shot("1-returned")

			// Approve the rest of the body: the dialog says how many.
			b.waitFor(`document.getElementById('approve-body').textContent === '全部审核通过（2 项）'`, 5*time.Second)
			b.js(`document.getElementById('approve-body').click(); true`)
			b.waitFor(`document.getElementById('col-dialog').open`, 5*time.Second)
			if text := b.js(`document.getElementById('col-dialog-text').textContent`).(string); !strings.Contains(text, "已报送的 2 项指标全部审核通过") {
				t.Errorf("approve-body dialog: %q", text)
			}
			b.js(`document.getElementById('col-dialog-yes').click(); true`)
			b.waitFor(entryStatus("T01-02")+` === 'approved' && `+entryStatus("D01-01")+` === 'approved'`, 10*time.Second)
			b.waitFor(boardCells+`('TJJ') === '3/3/2/2/1 填报中' && document.getElementById('approve-body').hidden`, 10*time.Second)
			if msg := b.js(`document.getElementById('body-msg').textContent`).(string); msg != "已审核通过 2 项指标。" {
				t.Errorf("after approving the body: %q", msg)
			}
			if n := b.js(`document.querySelectorAll('#body-units tr.entry[data-code="T01-02"] button[data-act=reopen]').length`).(float64); n != 1 {
				t.Errorf("an approved entry has %v reopen buttons", n)
			}

			// T01-01's history: returned, submitted, entered — newest first.
			b.js(`document.querySelector('#body-units tr.entry[data-code="T01-01"] button[data-act=history]').click(); true`)
			b.waitFor(`document.querySelectorAll('#body-units tr.history[data-code="T01-01"] li').length === 3`, 10*time.Second)
			acts := b.js(`Array.prototype.map.call(document.querySelectorAll('#body-units tr.history li'), function(li){ return li.getAttribute('data-action'); }).join(',')`).(string)
			if acts != "entry.return,entry.submit,entry.put" {
				t.Errorf("T01-01 history: %q", acts)
			}

			// Past the deadline: 逾期 in words, on the bodies with entries not handed in.
			b.js(`document.getElementById('deadline-input').value = '2020-01-01'; document.querySelector('#deadline-form button[type=submit]').click(); true`)
			b.waitFor(`document.querySelector('#board-rows tr[data-body=TJJ]').getAttribute('data-overdue') === 'true'`, 10*time.Second)
			if got := b.js(boardCells + `('G1')`).(string); got != "5/0/0/0/0 逾期" {
				t.Errorf("G1 past the deadline: %q", got)
			}
			if got := b.js(`document.getElementById('deadline-text').textContent`).(string); !strings.Contains(got, "2020-01-01") {
				t.Errorf("deadline text %q", got)
			}

			// Fit: nothing scrolls sideways; every button is a 44 px target.
			if over := b.js(`document.documentElement.scrollWidth - window.innerWidth`).(float64); over > 0 {
				t.Errorf("at %d px the page scrolls %v px sideways", size.w, over)
			}
			if small := b.js(`Array.prototype.filter.call(document.querySelectorAll('#collection button'), function(x){ var r = x.getBoundingClientRect(); return r.width && (r.height < 44 || r.width < 44); }).map(function(x){ return x.textContent; }).join(',')`).(string); small != "" {
				t.Errorf("buttons under 44 px: %s", small)
			}
			b.shot("2-approved")
			if size.w < 400 {
				boardEnglishAndAxe(t, b)
			}

			// A viewer reads the same board and body, with no decisions to make.
			boardSignIn(b, "reader", "reader-password", page, `document.querySelectorAll('#board-rows tr[data-body]').length === 2`)
			b.js(`document.querySelector('#board-rows tr[data-body=TJJ] button.open-body').click(); true`)
			b.waitFor(`document.querySelectorAll('#body-units tr.entry').length === 3`, 10*time.Second)
			if n := b.js(`document.querySelectorAll('#body-units button[data-act=approve], #body-units button[data-act=return], #body-units button[data-act=reopen], #approve-body, #deadline-form').length`).(float64); n != 0 {
				t.Errorf("a viewer sees %v approve/return/reopen/deadline controls", n)
			}
			if n := b.js(`document.querySelectorAll('#body-units button[data-act=history]').length`).(float64); n != 3 {
				t.Errorf("a viewer sees %v history buttons, want 3", n)
			}
			if got := b.js(boardCells + `('TJJ')`).(string); got != "3/3/2/2/1 逾期" {
				t.Errorf("the viewer's TJJ row: %q", got)
			}
			b.shot("3-viewer")
		})
	}
}

// boardEnglishAndAxe switches the board to English (every labelled element
// and the dynamic words follow), back to Chinese, and runs axe-core's WCAG
// A/AA rules on it when axe-core is installed (.ci/run installs it).
func boardEnglishAndAxe(t *testing.T, b *browserApp) {
	t.Helper()
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'en'`, 5*time.Second)
	left := b.js(`Array.prototype.filter.call(document.querySelectorAll('#collection [data-i18n], #collection th, #collection button, #collection .badge'), function(e){ return e.getClientRects().length && /[\u4e00-\u9fff]/.test(e.textContent); }).map(function(e){ return e.textContent.trim().slice(0, 30); }).join('; ')`).(string)
	if left != "" {
		t.Errorf("Chinese left on the English board: %s", left)
	}
	if got := b.js(boardCells + `('TJJ')`).(string); got != "3/3/2/2/1 Overdue" {
		t.Errorf("TJJ in English: %q", got)
	}
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'zh-CN'`, 5*time.Second)
	for _, p := range []string{os.Getenv("CEPING_AXE"), filepath.Join(os.TempDir(), "ceping-axe", "node_modules", "axe-core", "axe.min.js")} {
		if src, err := os.ReadFile(p); p != "" && err == nil {
			if found := axe(b, string(src)); len(found) > 0 {
				t.Errorf("the board breaks %d accessibility rules:\n  %s", len(found), strings.Join(found, "\n  "))
			}
			return
		}
	}
	t.Log("axe-core not installed: accessibility not checked")
}
