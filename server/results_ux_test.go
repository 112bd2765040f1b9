package server_test

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// The results page, the printed tally sheet, the big screen's results and
// the workbook, as the office reads them: Chinese names instead of codes,
// tables that fit the screen or the page, and notes that explain the
// numbers.

// uxYear is runYear with M1 closed on 6 ballots (3 机关干部, 3 村两委负责人)
// and a second meeting M2 not yet opened: the results are incomplete.
func uxYear(a *app) (digest string) {
	a.t.Helper()
	runYear(a)
	var cadres, village struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 3}, 201, &cadres)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "village", "count": 3}, 201, &village)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	for i, tok := range append(cadres.Tokens, village.Tokens...) {
		apiVote(a, tok, 80+2*i)
	}
	var closed struct{ Digest string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, &closed)
	a.call("PUT", "/api/v1/cycles/2020/meetings/M2", "", map[string]any{"title": "城关镇2020年度补充测评会", "kind": "other", "host": "T01", "date": "2021-01-16",
		"groups": []map[string]any{{"code": "cadres", "name": "机关干部", "form": "F"}}}, 201, nil)
	return closed.Digest
}

// browserSignIn signs the admin in through the login form and lands on next.
func browserSignIn(b *browserApp, next string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(next))); err != nil {
		b.t.Fatal(err)
	}
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = 'admin'; f.password.value = 'admin-password'; f.submit(); return true; })()`)
	b.waitFor(fmt.Sprintf(`location.pathname === %q && document.readyState === 'complete'`, next), 15*time.Second)
}

// codeLike finds internal codes in page text: a meeting/section code such as
// M1/cad or M-T01/team, and English rule names in parentheses.
var codeLike = regexp.MustCompile(`[A-Za-z0-9-]+/[a-z]+|（[a-z_]+）|\((targets|conference|veto|bonus_cap|group_weights|match)\)`)

func TestBrowserResultsPageReadable(t *testing.T) {
	b := newBrowserApp(t, 1280, 900, "")
	uxYear(b.app)
	var scores struct {
		Units []struct {
			Unit, Name string
			Evaluation struct{ Total float64 }
			Trace      []struct{ Points, Score float64 }
		}
	}
	b.call("GET", "/api/v1/cycles/2020/scores", "", nil, 200, &scores)

	results := "/console/cycles/2020/results"
	browserSignIn(b, results)
	b.waitFor(`document.querySelectorAll('#towns tr[data-unit]').length === 1 && document.querySelectorAll('#departments tr[data-unit]').length === 2 &&
		!document.getElementById('incomplete').hidden && !!document.querySelector('#towns th .pts') && document.querySelectorAll('#cadres .tally-section').length > 0`, 15*time.Second)
	b.shot("1280")

	// No sideways scrolling of the page, and 等次 is on screen.
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 1280 {
		t.Errorf("the results page is %v px wide at 1280 px", w)
	}
	head := b.js(`Array.prototype.map.call(document.querySelectorAll('#towns thead th'), function(th){ return th.firstChild.textContent; }).slice(0, 4).join('|')`).(string)
	if head != "名次|单位|总分|等次" {
		t.Errorf("the score table starts with %q, want 名次|单位|总分|等次", head)
	}
	for _, id := range []string{"towns", "departments"} {
		right := b.js(fmt.Sprintf(`(function(){ var th = document.querySelectorAll('#%s thead th')[3]; return th.getBoundingClientRect().right; })()`, id)).(float64)
		if right > 1280 {
			t.Errorf("#%s: 等次 ends at %v px, outside the 1280 px window", id, right)
		}
		if over := b.js(fmt.Sprintf(`(function(){ var w = document.querySelector('#%s .table-wrap'); return w.scrollWidth - w.clientWidth; })()`, id)).(float64); over > 0 {
			t.Errorf("#%s: the table scrolls sideways by %v px at 1280 px", id, over)
		}
	}

	text := b.js(`document.getElementById('main').innerText`).(string)
	if m := codeLike.FindAllString(text, -1); len(m) > 0 {
		t.Errorf("the results page shows internal codes %q", m)
	}
	for _, eng := range []string{"not counted", "no target", "ballots yet"} {
		if strings.Contains(text, eng) {
			t.Errorf("the Chinese results page shows English %q", eng)
		}
	}
	// The banner, while M2 is open and no unit has targets.
	// It names the evaluation components without ballots, and every 名次
	// and 等次 says （参考）.
	banner := b.js(`document.getElementById('incomplete').textContent`).(string)
	for _, want := range []string{"结果尚不完整：1 个会议未结束，3 个单位缺目标任务", "全县领导干部大会评价、考核组评价、社会评价 还没有选票", "名次和等次仅供参考。"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner %q lacks %q", banner, want)
		}
	}
	if bad := b.js(`Array.prototype.filter.call(document.querySelectorAll('#towns tr[data-unit], #departments tr[data-unit]'), function(tr){
		return tr.cells[0].textContent.indexOf('（参考）') < 0 || tr.cells[3].textContent.indexOf('（参考）') < 0; }).length`).(float64); bad != 0 {
		t.Errorf("%v rows without （参考） on 名次 and 等次", bad)
	}
	// A row's notes are a ⚠ in the row and lines under the table, not a column.
	if n := b.js(`document.querySelectorAll('#towns tr[data-unit=T01] .warn-mark').length`).(float64); n != 1 {
		t.Errorf("城关镇's row has %v ⚠ marks", n)
	}
	notes := b.js(`document.querySelector('#towns .notes').innerText`).(string)
	if !strings.Contains(notes, "还没有目标任务得分，目标任务得分暂记 0 分：城关镇") || !strings.Contains(notes, "还没有“全县领导干部大会评价”的选票") {
		t.Errorf("the towns' notes read %q", notes)
	}
	if cols := b.js(`document.querySelectorAll('#towns thead th').length`).(float64); cols != 13 {
		t.Errorf("the towns table has %v columns, want 13 (no notes column)", cols)
	}
	// The rescaling note uses the scores API's own numbers: the trace's
	// points and scores, and the evaluation total.
	for _, u := range scores.Units {
		if u.Unit != "T01" {
			continue
		}
		var have, got float64
		for _, tr := range u.Trace {
			have += tr.Points
			got += tr.Score
		}
		want := fmt.Sprintf("城关镇：按已有评价项折算为 20 分：已有 %s 分，得 %.2f，折算 %.2f", trimNum(have), got, u.Evaluation.Total)
		if !strings.Contains(notes, want) {
			t.Errorf("the towns' notes lack %q: %q", want, notes)
		}
		if cell := b.js(`document.querySelector('#towns tr[data-unit=T01] sup.fn').title`).(string); !strings.Contains(cell, "折算") {
			t.Errorf("各方面评价合计 of 城关镇 has no note: %q", cell)
		}
	}
	// Cadre sections are headed by their titles and the meeting's title.
	cad := b.js(`document.getElementById('cadres').innerText`).(string)
	for _, want := range []string{"城关镇2020年度工作报告大会（6 票）", "科级干部测评（6 票）", "无任用推荐（6 票）"} {
		if !strings.Contains(cad, want) {
			t.Errorf("the cadre results lack %q: %q", want, cad)
		}
	}

	// In English the notes are English.
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'en'`, 5*time.Second)
	if en := b.js(`document.querySelector('#towns .notes').innerText`).(string); !strings.Contains(en, "no target scores yet") || strings.Contains(en, "目标任务得分暂记") {
		t.Errorf("the English notes read %q", en)
	}
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'zh-CN'`, 5*time.Second)
}

func trimNum(x float64) string { return fmt.Sprint(math.Round(x*100) / 100) }

// TestBrowserResultsPagePhone: at 390 px the page does not scroll sideways;
// the score table scrolls inside its own box.
func TestBrowserResultsPagePhone(t *testing.T) {
	b := newBrowserApp(t, 390, 844, "")
	uxYear(b.app)
	browserSignIn(b, "/console/cycles/2020/results")
	b.waitFor(`document.querySelectorAll('#towns tr[data-unit]').length === 1 && !document.getElementById('incomplete').hidden`, 15*time.Second)
	b.shot("390")
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 390 {
		t.Errorf("the results page is %v px wide at 390 px", w)
	}
	if over := b.js(`(function(){ var w = document.querySelector('#towns .table-wrap'); return w.scrollWidth > w.clientWidth && getComputedStyle(w).overflowX; })()`); over != "auto" {
		t.Errorf("the towns table does not scroll in its own box: %v", over)
	}
}

// TestBrowserTallyPrint prints the tally sheet to PDF as Chromium does for
// the print button: every page has its number, the running header with the
// digest and the initials line; the first section starts on page 1 and
// says which groups answered it.
func TestBrowserTallyPrint(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	b := newBrowserApp(t, 1280, 900, "")
	digest := uxYear(b.app)
	tally := "/console/cycles/2020/meetings/M1/tally"
	browserSignIn(b, tally)
	b.waitFor(`!!document.getElementById('tally-digest')`, 10*time.Second)

	// On screen: the section header names its groups; the live check is Chinese.
	sheet := b.js(`document.getElementById('main').innerText`).(string)
	for _, want := range []string{"本表由 机关干部、村两委负责人 作答，共 6 票", "一致：实时计数与数据库中的选票重新清点结果相同"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("the tally sheet lacks %q", want)
		}
	}
	for _, bad := range []string{"(match)", "账本"} {
		if strings.Contains(sheet, bad) {
			t.Errorf("the tally sheet shows %q", bad)
		}
	}
	// 科级干部测评: one row per person, a block per dimension.
	row := b.js(`(function(){ var s = Array.prototype.filter.call(document.querySelectorAll('.tally > .tally-section'), function(x){ return x.querySelector('h3').textContent.indexOf('科级干部测评') === 0; })[0];
		var tr = s.querySelector('tbody tr'); return s.querySelectorAll('tbody tr').length + ':' + Array.prototype.map.call(tr.cells, function(c){ return c.textContent; }).join('|'); })()`).(string)
	if row != "3:张建国|6|0|6|0|0|0|6|0|0|0|6|0|0|0|6|0|0|0|6|0|0" {
		t.Errorf("the cadre table reads %q, want 3 rows, 张建国 6 and 称职 6 in each of 德能勤绩廉", row)
	}

	// Headings do not repeat their purpose; the cadre grid's grades are one
	// character each, spelled out in a legend under the table.
	heads := b.js(`Array.prototype.map.call(document.querySelectorAll('.tally > .tally-section h3'), function(h){ return h.textContent; }).join('|')`).(string)
	for _, bad := range []string{"领导班子测评 领导班子", "科级干部测评 科级干部"} {
		if strings.Contains(heads, bad) {
			t.Errorf("a heading repeats its purpose: %q", heads)
		}
	}
	grid := b.js(`(function(){ var s = Array.prototype.filter.call(document.querySelectorAll('.tally > .tally-section'), function(x){ return x.querySelector('h3').textContent.indexOf('科级干部测评') === 0; })[0];
		var sub = s.querySelectorAll('thead tr')[1].cells; var lg = s.querySelector('.legend');
		return Array.prototype.slice.call(sub, 0, 4).map(function(c){ return c.textContent; }).join('') + '|' + (lg ? lg.textContent : ''); })()`).(string)
	if grid != "优称基不|优＝优秀　称＝称职　基＝基本称职　不＝不称职" {
		t.Errorf("the cadre grid's grade header and legend read %q", grid)
	}

	pdf := b.printPDF()
	// Kept with the screenshots, for a person to look at.
	dir := filepath.Join("..", "artifacts", "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, t.Name()+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pagesText := strings.Split(strings.TrimRight(string(out), "\f\n"), "\f")
	t.Logf("%d printed pages", len(pagesText))
	head := "sha256:" + strings.TrimPrefix(digest, "sha256:")[:12]
	for i, p := range pagesText {
		flat := strings.Join(strings.Fields(p), " ")
		// (pdftotext drops the spaces between Chinese and digits.)
		if want := fmt.Sprintf("第%d页共%d页", i+1, len(pagesText)); !strings.Contains(strings.ReplaceAll(flat, " ", ""), want) {
			t.Errorf("page %d lacks %q: %.300s", i+1, want, flat)
		}
		if !strings.Contains(flat, "城关镇2020年度工作报告大会") || !strings.Contains(flat, head) {
			t.Errorf("page %d lacks the running header (title, %s): %.300s", i+1, head, flat)
		}
		if !strings.Contains(flat, "监票人：") || !strings.Contains(flat, "计票人：") {
			t.Errorf("page %d lacks the initials line: %.300s", i+1, flat)
		}
	}
	first := strings.Join(strings.Fields(pagesText[0]), " ")
	if !strings.Contains(first, "民主测评") || !strings.Contains(first, "本表由 机关干部、村两委负责人 作答，共 6 票") {
		t.Errorf("page 1 does not start the sections: %.600s", first)
	}
	last := strings.Join(strings.Fields(pagesText[len(pagesText)-1]), " ")
	if !strings.Contains(last, "监票人（签字）") || !strings.Contains(last, "计票人（签字）") {
		t.Errorf("the last page lacks the signature lines")
	}
}

// TestBrowserScreenResultsPaged: after close the big screen shows one
// section at a time with "第 1/4 项", every number under its header, and
// no table taller than its box; then it turns the page by itself.
func TestBrowserScreenResultsPaged(t *testing.T) {
	b := newBrowserApp(t, 1280, 720, "")
	uxYear(b.app)
	var link struct{ Path string }
	b.call("POST", "/api/v1/cycles/2020/meetings/M1/screen-link", "", map[string]any{"hours": 1, "show_results": true}, 201, &link)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+link.Path)); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!document.getElementById('results').hidden && !!document.querySelector('#results .sec:not([hidden]) table')`, 15*time.Second)
	b.shot("screen-results")
	if p := b.js(`document.getElementById('pager').textContent`).(string); !strings.HasPrefix(p, "第 1/4 项") {
		t.Errorf("the pager reads %q, want 第 1/4 项", p)
	}
	if n := b.js(`document.querySelectorAll('#results .sec:not([hidden])').length`).(float64); n != 1 {
		t.Errorf("%v sections shown at once", n)
	}
	// Every page fits its box: show each in turn and measure.
	fit := b.js(`(function(){ var st = document.querySelector('#results .stage'), secs = document.querySelectorAll('#results .sec'), bad = [];
		for (var i = 0; i < secs.length; i++) { var was = secs[i].hidden; secs[i].hidden = false;
			if (secs[i].offsetHeight > st.clientHeight) bad.push(secs[i].getAttribute('data-section') + ' ' + secs[i].offsetHeight + '>' + st.clientHeight);
			secs[i].hidden = was; }
		return secs.length + ' pages; ' + bad.join(', '); })()`).(string)
	if !strings.HasSuffix(fit, "; ") {
		t.Errorf("a results page is taller than the screen's box: %s", fit)
	}
	// Number headers sit over their numbers: the right edges of the header's
	// text and of each cell's text line up.
	misaligned := b.js(`(function(){ var out = [], secs = document.querySelectorAll('#results .sec');
		function right(el){ var r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().right; }
		for (var s = 0; s < secs.length; s++) { var was = secs[s].hidden; secs[s].hidden = false;
			var ths = secs[s].querySelectorAll('thead th');
			secs[s].querySelectorAll('tbody tr').forEach(function(tr){
				for (var i = 1; i < ths.length; i++) { if (Math.abs(right(ths[i]) - right(tr.cells[i])) > 1.5) out.push(secs[s].getAttribute('data-section') + ':' + ths[i].textContent + ' ' + right(ths[i]) + '/' + right(tr.cells[i])); }
			});
			secs[s].hidden = was; }
		return out.slice(0, 5).join('; '); })()`).(string)
	if misaligned != "" {
		t.Errorf("headers and numbers do not line up: %s", misaligned)
	}
	// The screen turns the page by itself.
	b.waitFor(`document.getElementById('results').getAttribute('data-page') === '1'`, 13*time.Second)
	if n := b.js(`document.querySelectorAll('#results .sec:not([hidden])').length`).(float64); n != 1 {
		t.Errorf("%v sections shown after the page turned", n)
	}
}

// TestWorkbookNames: the download's Chinese file name, the sheet titles
// without repeated words, and section titles instead of codes.
func TestWorkbookNames(t *testing.T) {
	a := newApp(t)
	uxYear(a)
	resp := a.get("/api/v1/cycles/2020/scores?format=xlsx")
	defer resp.Body.Close()
	cd := resp.Header.Get("Content-Disposition")
	if want := "filename*=UTF-8''" + url.PathEscape("2020年度考核结果汇总表.xlsx"); !strings.Contains(cd, want) || !strings.Contains(cd, `filename="scores-2020.xlsx"`) {
		t.Errorf("Content-Disposition %q, want %s and an ASCII filename", cd, want)
	}
	book, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	// The year is incomplete: each score sheet starts with a red caveat
	// naming why, then the title.
	for _, sheet := range []string{"各镇", "县级各部门"} {
		caveat, _ := book.GetCellValue(sheet, "A1")
		for _, want := range []string{"结果尚不完整，名次和等次仅供参考：", "1 个会议未结束", "全县领导干部大会评价、考核组评价、社会评价 还没有选票"} {
			if !strings.Contains(caveat, want) {
				t.Errorf("%s: the first row %q lacks %q", sheet, caveat, want)
			}
		}
		if id, _ := book.GetCellStyle(sheet, "A1"); id != 0 {
			if st, err := book.GetStyle(id); err != nil || st.Font == nil || !strings.EqualFold(st.Font.Color, "C00000") {
				t.Errorf("%s: the caveat is not red", sheet)
			}
		}
	}
	if title, _ := book.GetCellValue("各镇", "A2"); title != "2020年度目标责任考核·各镇考核结果汇总表" {
		t.Errorf("the towns sheet's title %q", title)
	}
	rows, err := book.GetRows("领导班子和干部测评")
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, r := range rows[2:] {
		if len(r) > 1 {
			items = append(items, r[1])
			if strings.Contains(r[1], "/") {
				t.Errorf("the cadre sheet names a section by its code: %q", r[1])
			}
		}
	}
	if !strings.Contains(strings.Join(items, " "), "科级干部测评") {
		t.Errorf("the cadre sheet's items %q", items)
	}
	towns, _ := book.GetRows("各镇")
	for _, r := range towns[3:] {
		if note := r[len(r)-1]; codeLike.MatchString(note) || strings.Contains(note, "(") {
			t.Errorf("a note in the towns sheet: %q", note)
		}
	}
}

// TestWorkbookRulesReadable: the 计分规则 sheet is rows of Chinese words
// (项目 / 数值 / 说明), no JSON, no English keys, no null.
func TestWorkbookRulesReadable(t *testing.T) {
	a := newApp(t)
	uxYear(a)
	resp := a.get("/api/v1/cycles/2020/scores?format=xlsx")
	defer resp.Body.Close()
	book, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, err := book.GetRows("计分规则")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || strings.Join(rows[1], "|") != "项目|数值|说明" {
		t.Fatalf("the rules sheet's header %q", rows)
	}
	var all []string
	for _, r := range rows[2:] {
		line := strings.Join(r, " | ")
		all = append(all, line)
		for _, bad := range []string{"null", "{", "[", "\"", "target_weight", "components", "max_share"} {
			if strings.Contains(line, bad) {
				t.Errorf("a rules row shows %q: %q", bad, line)
			}
		}
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"目标任务得分权重 | 80%", "全县领导干部大会评价 6 分", "优秀：90 分以上，不超过 30%", "加分上限 | 不限", "经济发展 35 分"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rules sheet lacks %q:\n%s", want, text)
		}
	}
}
