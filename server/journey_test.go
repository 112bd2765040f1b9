package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestBrowserJourney is a new user's first assessment, start to finish, as
// the county assessment office does it, all in the browser and in Chinese:
// sign in, create a year, download the import templates and import units,
// people and target-task data from Excel (a file with a mistake first),
// make a form from a ready template, create a meeting in the meetings
// editor, print slips, open voting, put the big screen on the projector,
// vote from phones, watch turnout move on the screen and the run page,
// close, print the tally sheet and download the score workbook.
//
// Screenshots: artifacts/browser/journey-NN-what.png.
func TestBrowserJourney(t *testing.T) {
	b := newBrowserApp(t, 1280, 860, "")
	// The office works on a desktop PC: no phone emulation on this tab.
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 860, DeviceScaleFactor: 1, Mobile: false})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	pageErrors := watchPageErrors(b.ctx)
	defer func() {
		for _, m := range pageErrors() {
			t.Errorf("console page error: %s", m)
		}
	}()
	dir := t.TempDir()
	const (
		cycle   = "2021"
		meeting = "M-T01"
		run     = "/console/cycles/" + cycle + "/meetings/" + meeting
	)

	// 1. Sign in on the login page.
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('form[action="/console/login"] input[name=username]')`)
	if txt := b.js(`document.getElementById('main').innerText`).(string); !strings.Contains(txt, "组织者登录") {
		t.Errorf("the login page reads %q", txt)
	}
	journeyShot(b, "01-login")
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = 'admin'; f.password.value = 'admin-password';
		f.querySelector('button[type=submit]').click(); return true; })()`)
	b.settle(`location.pathname === '/console' && !!document.getElementById('new-cycle') && !/正在加载/.test(document.getElementById('overview').textContent)`)
	if txt := b.js(`document.getElementById('overview').textContent`).(string); !strings.Contains(txt, "还没有考核年度") {
		t.Errorf("an empty overview reads %q", txt)
	}

	// 2. Create an empty year from the overview.
	b.js(`(function(){ var f = document.getElementById('new-cycle'); f.code.value = '2021'; f.name.value = '2021年度目标责任考核';
		f.querySelector('button[type=submit]').click(); return true; })()`)
	// Creating a year goes on to its set-up; the overview then shows its card.
	b.settle(`location.pathname === '/console/cycles/2021/setup'`)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console")); err != nil {
		t.Fatal(err)
	}
	// (The card's meetings and checklist load after the card itself.)
	b.waitFor(`!!document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/setup"]') && document.querySelector('#overview [data-cycle="2021"]').innerText.indexOf('暂无会议') >= 0`, 10*time.Second)
	if txt := b.js(`document.querySelector('#overview [data-cycle="2021"]').innerText`).(string); !strings.Contains(txt, "2021年度目标责任考核") || !strings.Contains(txt, "暂无会议") {
		t.Errorf("the new year's card reads %q", txt)
	}
	journeyShot(b, "02-overview-year")
	b.js(`document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/setup"]').click(); true`)
	b.settle(`location.pathname === '/console/cycles/2021/setup' && !!document.getElementById('units-file') && !!document.getElementById('targets-file') &&
		document.getElementById('cycle-name').textContent.indexOf('2021年度') >= 0 && document.querySelectorAll('#units-table tbody tr').length === 1`)
	journeyShot(b, "03-setup-empty")

	// 3. Download the three Excel templates, fill them in as the office
	// would (in Excel: here with excelize), check, then import.
	templates := map[string]string{} // kind → the downloaded file
	for _, kind := range []string{"units", "people", "targets"} {
		name, data := journeyDownload(b, fmt.Sprintf(`document.querySelector('[data-import=%s] a.button[href="/api/v1/templates/%s.xlsx"]').click(); true`, kind, kind))
		if !strings.HasSuffix(name, ".xlsx") {
			t.Errorf("the %s template downloads as %q", kind, name)
		}
		path := filepath.Join(dir, kind+"-template.xlsx")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		templates[kind] = path
	}
	units := [][]any{{"T01", "城关镇", "镇", 60}, {"T02", "河口镇", "镇", 45}, {"D01", "县财政局", "部门", 35}, {"D02", "县教育局", "部门", 30}}
	people := [][]any{{"P01", "张建国", "T01", "党委书记", "是"}, {"P02", "李卫东", "T01", "镇长", "是"}, {"P03", "王秀兰", "T01", "人大主席", "否"},
		{"P04", "赵明", "县财政局", "局长", "是"}}
	badPeople := [][]any{{"P01", "张建国", "T01", "党委书记", "是"}, {"P02", "李卫东", "T09", "镇长", "是"}}
	town := func(code string, c float64, s int) [][]any {
		return [][]any{{code, "经济发展", "地区生产总值", 20, "98%", "", ""}, {code, "经济发展", "固定资产投资", 15, c, "", ""},
			{code, "社会发展", "社会事业", 15, "", s, ""}, {code, "资源环境", "生态环境保护", 15, "", 85, ""},
			{code, "社会稳定", "安全稳定", 20, "", 95, ""}, {code, "班子和队伍建设", "班子建设", 15, "", 88, ""}}
	}
	targets := append(append(town("T01", 1.05, 90), town("T02", 0.9, 80)...),
		[]any{"D01", "年度工作任务", "财政收入", 40, "95%", "", ""}, []any{"D01", "年度工作任务", "预算执行", 30, "", 92, ""},
		[]any{"D01", "班子和队伍建设", "班子建设", 30, "", 88, ""}, []any{"D01", "加减分", "获省级表彰", 1, "", "", ""},
		[]any{"D02", "年度工作任务", "教育教学", 70, "", 90, ""}, []any{"D02", "班子和队伍建设", "班子建设", 30, "", 85, ""})
	files := map[string]string{
		"units":      fillTemplate(t, templates["units"], "单位", units, filepath.Join(dir, "单位名单.xlsx")),
		"people-bad": fillTemplate(t, templates["people"], "人员", badPeople, filepath.Join(dir, "人员名单（有误）.xlsx")),
		"people":     fillTemplate(t, templates["people"], "人员", people, filepath.Join(dir, "人员名单.xlsx")),
		"targets":    fillTemplate(t, templates["targets"], "目标任务", targets, filepath.Join(dir, "目标任务.xlsx")),
	}
	importFile := func(kind, file string) {
		t.Helper()
		if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID(kind+"-file"), []string{file})); err != nil {
			t.Fatal(err)
		}
	}
	// checkAndImport: choose the file, read the dry run's verdict, confirm.
	checkAndImport := func(shot, kind, file, checked, imported, listed string) {
		t.Helper()
		importFile(kind, file)
		b.waitFor(fmt.Sprintf(`!!document.getElementById('%s-confirm') || document.getElementById('%s-preview').classList.contains('bad')`, kind, kind), 10*time.Second)
		if msg := b.js(fmt.Sprintf(`document.getElementById('%s-preview').textContent`, kind)).(string); !strings.Contains(msg, "检查通过") || !strings.Contains(msg, checked) {
			t.Fatalf("the %s file's check says %q, want %q", kind, msg, checked)
		}
		// The check alone stores nothing: the list is still empty.
		if n := b.js(fmt.Sprintf(`document.querySelectorAll('#%s-table tbody tr[data-index], #%s-table tbody tr[data-unit]').length`, kind, kind)).(float64); n != 0 {
			t.Errorf("%v rows of %s listed after the check, before confirming", n, kind)
		}
		journeyShot(b, shot)
		b.js(fmt.Sprintf(`document.getElementById('%s-confirm').click(); true`, kind))
		b.waitFor(fmt.Sprintf(`document.getElementById('%s-preview').textContent.indexOf(%q) >= 0 && (%s)`, kind, imported, listed), 10*time.Second)
	}
	checkAndImport("04-units-checked", "units", files["units"], "共 4 个单位", "已导入 4 个单位", `document.querySelectorAll('#units-table tbody tr[data-index]').length === 4`)
	if names := b.js(`Array.prototype.map.call(document.querySelectorAll('#units-table tbody input[data-key=name]'), function(i){ return i.value; }).join(',')`).(string); names != "城关镇,河口镇,县财政局,县教育局" {
		t.Errorf("units listed after the import: %q", names)
	}

	// A people file with a unit that does not exist: the cell is named and
	// nothing is imported.
	importFile("people", files["people-bad"])
	b.waitFor(`document.getElementById('people-preview').classList.contains('bad')`, 10*time.Second)
	msg := b.js(`document.getElementById('people-preview').innerText`).(string)
	if !strings.Contains(msg, "第 3 行 C 列（单位编码）") || !strings.Contains(msg, "T09") || !strings.Contains(msg, "没有导入任何数据") {
		t.Errorf("the bad people file's message: %q", msg)
	}
	if b.js(`!!document.getElementById('people-confirm')`) != false {
		t.Errorf("a file with a bad row can be confirmed")
	}
	if n := b.js(`document.querySelectorAll('#people-table tbody tr[data-index]').length`).(float64); n != 0 {
		t.Errorf("%v people listed after a bad file", n)
	}
	journeyShot(b, "05-people-bad-row")
	checkAndImport("06-people-checked", "people", files["people"], "共 4 名人员", "已导入 4 名人员", `document.querySelectorAll('#people-table tbody tr[data-index]').length === 4`)
	if unit := b.js(`document.querySelector('#people-table tbody tr[data-index="3"] select[data-key=unit]').value`).(string); unit != "D01" {
		t.Errorf("赵明's unit, written 县财政局 in the file, is listed as %q", unit)
	}
	checkAndImport("07-targets-checked", "targets", files["targets"], "共 4 个单位的目标任务", "已导入 4 个单位的目标任务",
		`['T01','T02','D01','D02'].every(function(u){ return !!document.querySelector('#targets-table tbody tr[data-unit="'+u+'"]'); })`)
	if miss := b.js(`document.getElementById('targets-missing').textContent`).(string); miss != "" {
		t.Errorf("after importing every unit's targets the page says %q", miss)
	}
	journeyShot(b, "08-setup-imported")

	// 4. A form from the ready template for a town's work-report meeting.
	b.js(`document.querySelector('ol.steps a[href="/console/cycles/2021/forms"]').click(); true`)
	b.settle(`location.pathname === '/console/cycles/2021/forms' && !!document.querySelector('[data-template="town-report"]') && !/正在加载/.test(document.getElementById('form-list').textContent)`)
	b.js(`document.querySelector('[data-template="town-report"]').click(); true`)
	b.waitFor(`!document.getElementById('editor').hidden && document.querySelectorAll('#sections .section-box').length === 5`, 10*time.Second)
	b.js(`document.getElementById('save-form').click(); true`)
	b.waitFor(`document.getElementById('editor-msg').className.indexOf('ok') >= 0 && !!document.querySelector('#form-list li[data-form="town-report"]')`, 10*time.Second)
	if m := b.js(`document.getElementById('editor-msg').textContent`).(string); !strings.Contains(m, "已保存测评表") {
		t.Errorf("saving the form says %q", m)
	}
	journeyShot(b, "09-form-saved")

	// 5. The meetings editor: from the overview, 会议.
	b.js(`document.querySelector('header nav a[href="/console"]').click(); true`)
	b.settle(`location.pathname === '/console' && !!document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/meetings"]')`)
	b.js(`document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/meetings"]').click(); true`)
	b.settle(`location.pathname === '/console/cycles/2021/meetings' && document.querySelectorAll('#f-groups .group-row').length === 1 &&
		!!document.querySelector('#f-host option[value=T01]') && !!document.querySelector('#f-groups select[name=gform] option[value="town-report"]') &&
		!/正在加载/.test(document.getElementById('meeting-list').textContent)`)
	// First attempt: no title, no date, and the second group without a name.
	b.js(`(function(){
		function set(el, v){ el.value = v; el.dispatchEvent(new Event('input', {bubbles:true})); el.dispatchEvent(new Event('change', {bubbles:true})); }
		set(document.getElementById('f-code'), 'M-T01');
		set(document.getElementById('f-kind'), 'work_report');
		set(document.getElementById('f-host'), 'T01');
		var row = document.querySelector('#f-groups .group-row');
		set(row.querySelector('[name=gcode]'), 'cadres'); set(row.querySelector('[name=gname]'), '机关干部'); set(row.querySelector('[name=gform]'), 'town-report');
		document.getElementById('add-group').click();
		var row2 = document.querySelectorAll('#f-groups .group-row')[1];
		set(row2.querySelector('[name=gcode]'), 'village'); set(row2.querySelector('[name=gform]'), 'town-report');
		document.getElementById('save').click(); return true; })()`)
	b.waitFor(`document.querySelector('#meeting-form [data-field=title]').textContent !== '' && document.getElementById('form-msg').textContent !== ''`, 10*time.Second)
	errs := b.js(`({title: document.querySelector('#meeting-form [data-field=title]').textContent,
		date: document.querySelector('#meeting-form [data-field=date]').textContent,
		name2: document.querySelectorAll('#f-groups .group-row')[1].querySelector('[data-gfield=name]').textContent,
		name1: document.querySelectorAll('#f-groups .group-row')[0].querySelector('[data-gfield=name]').textContent,
		msg: document.getElementById('form-msg').textContent,
		list: document.getElementById('meeting-list').textContent})`).(map[string]any)
	if !strings.Contains(errs["title"].(string), "请填写会议名称") {
		t.Errorf("no title: the message at the title is %q", errs["title"])
	}
	if errs["date"].(string) == "" {
		t.Errorf("no date: no message at the date")
	}
	if !strings.Contains(errs["name2"].(string), "请填写类别名称") || errs["name1"].(string) != "" {
		t.Errorf("the second group has no name: messages at the groups %q and %q", errs["name1"], errs["name2"])
	}
	if !strings.Contains(errs["msg"].(string), "3 处错误") {
		t.Errorf("the form's message %q", errs["msg"])
	}
	if !strings.Contains(errs["list"].(string), "还没有会议") {
		t.Errorf("a refused meeting is listed: %q", errs["list"])
	}
	journeyShot(b, "10-meeting-errors")
	b.js(`(function(){
		function set(el, v){ el.value = v; el.dispatchEvent(new Event('input', {bubbles:true})); el.dispatchEvent(new Event('change', {bubbles:true})); }
		set(document.getElementById('f-title'), '城关镇2021年度工作报告大会');
		set(document.getElementById('f-date'), '2022-01-18');
		set(document.querySelectorAll('#f-groups .group-row')[1].querySelector('[name=gname]'), '村两委负责人');
		document.getElementById('save').click(); return true; })()`)
	b.waitFor(`document.getElementById('form-msg').className.indexOf('ok') >= 0 && !!document.querySelector('#meeting-list li[data-meeting="M-T01"]')`, 10*time.Second)
	if m := b.js(`document.getElementById('form-msg').textContent`).(string); !strings.Contains(m, "已创建会议") || !strings.Contains(m, "城关镇2021年度工作报告大会") {
		t.Errorf("creating the meeting says %q", m)
	}
	if errs := b.js(`Array.prototype.map.call(document.querySelectorAll('#meeting-form .field-error'), function(e){ return e.textContent; }).join('')`).(string); errs != "" {
		t.Errorf("messages left after a good save: %q", errs)
	}
	item := b.js(`document.querySelector('#meeting-list li[data-meeting="M-T01"]').innerText`).(string)
	for _, want := range []string{"城关镇2021年度工作报告大会", "未开始", "工作报告大会", "城关镇", "2022-01-18", "机关干部", "村两委负责人"} {
		if !strings.Contains(item, want) {
			t.Errorf("the meetings list lacks %q: %q", want, item)
		}
	}
	journeyShot(b, "11-meeting-created")

	// 6. The run page: print slips, then open with the confirmation.
	b.js(`document.querySelector('#meeting-list li[data-meeting="M-T01"] a.button.primary').click(); true`)
	b.settle(`location.pathname === '` + run + `' && !document.getElementById('print-card').hidden && document.querySelectorAll('#turnout tbody tr').length === 2 &&
		document.getElementById('m-meta').textContent.indexOf('城关镇') >= 0`)
	if txt := b.js(`document.getElementById('main').innerText`).(string); !strings.Contains(txt, "城关镇2021年度工作报告大会") || !strings.Contains(txt, "未开始") {
		t.Errorf("the run page reads %q", txt)
	}
	b.js(`(function(){ document.getElementById('print-group').value = 'cadres'; var c = document.getElementById('print-count'); c.value = '4'; c.dispatchEvent(new Event('input', {bubbles:true})); return true; })()`)
	if w := b.js(`document.getElementById('print-warning').hidden ? '' : document.getElementById('print-warning').textContent`).(string); !strings.Contains(w, "不足 50 张") {
		t.Errorf("no warning before printing 4 slips for a 60-staff town: %q", w)
	}
	journeyShot(b, "12-run-print")
	printer, cancelPrint := b.printTab(4)
	slips := printer.js(`document.body.innerText`).(string)
	for _, want := range []string{"城关镇2021年度工作报告大会", "机关干部", "共 4 张选票", "不足 50 张"} {
		if !strings.Contains(slips, want) {
			t.Errorf("the print page lacks %q", want)
		}
	}
	var codes []string
	for _, c := range printer.js(`Array.prototype.map.call(document.querySelectorAll('.slip .code'), function(e){ return e.textContent.replace(/ /g, ''); })`).([]any) {
		codes = append(codes, c.(string))
	}
	journeyShot(printer, "13-print-page")
	cancelPrint()
	b.waitFor(`document.getElementById('t-issued').textContent === '4' && document.querySelector('#turnout tr[data-group=cadres] .issued').textContent === '4' &&
		document.querySelectorAll('#batches tbody tr[data-batch]').length === 1`, 10*time.Second)

	b.js(`document.getElementById('open-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if text := b.js(`document.getElementById('confirm-title').textContent + document.getElementById('confirm-text').textContent`).(string); !strings.Contains(text, "开始测评") || !strings.Contains(text, "只显示投票人数") {
		t.Errorf("the open confirmation reads %q", text)
	}
	journeyShot(b, "14-confirm-open")
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`document.getElementById('m-status').textContent === '进行中' && !document.getElementById('close-btn').hidden && document.getElementById('open-btn').hidden`, 10*time.Second)

	// 7. The big screen, on the projector PC: a signed link, no sign-in.
	b.js(`document.getElementById('screen-results').click(); document.getElementById('screen-make').click(); true`)
	b.waitFor(`!document.getElementById('screen-link').hidden && document.getElementById('screen-link').getAttribute('href').indexOf('/screen/2021/M-T01?') >= 0`, 10*time.Second)
	// The link is on CEPING_BASE_URL (the projector's address); the test
	// follows its path on this server.
	screenURL := b.base + b.js(`(function(){ var u = new URL(document.getElementById('screen-link').href); return u.pathname + u.search; })()`).(string)
	sctx, cancelScreen := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancelScreen()
	screen := *b
	screen.ctx = sctx
	if err := chromedp.Do(sctx, chromedp.Navigate(screenURL)); err != nil {
		t.Fatal(err)
	}
	screen.waitFor(`document.getElementById('status').textContent === '测评进行中' && document.getElementById('cast').textContent === '0' &&
		document.getElementById('issued').textContent === '4' && document.getElementById('pct').textContent === '0%'`, 10*time.Second)
	if title := screen.js(`document.getElementById('title').textContent`).(string); title != "城关镇2021年度工作报告大会" {
		t.Errorf("the screen's title %q", title)
	}
	screen.js(`window.notReloaded = true`)
	b.js(`window.notReloaded = true`)
	journeyShot(&screen, "15-screen-open")

	// 8. Voters scan slips with their phones (WeChat, 360 px).
	vctx, cancelVoter := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancelVoter()
	voter := *b
	voter.ctx = vctx
	if err := chromedp.Do(vctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: weChatUA}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 360, Height: 740, DeviceScaleFactor: 2, Mobile: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	vote := func(n int, code, dem string) {
		t.Helper()
		voter.open(code)
		voter.view("form")
		if n == 1 {
			if w := voter.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
				t.Errorf("the ballot is %v px wide on a 360 px phone", w)
			}
			if txt := voter.js(`document.body.innerText`).(string); !strings.Contains(txt, "城关镇2021年度工作报告大会") || !strings.Contains(txt, "张建国") {
				t.Errorf("the ballot does not show the meeting and its cadres: %q", txt)
			}
			journeyShot(&voter, "16-ballot")
		}
		voter.fillAny(dem)
		voter.waitFor(`(function(){ var p = document.getElementById('progress'); return p && p.getAttribute('data-done') === p.getAttribute('data-total'); })()`, 5*time.Second)
		voter.js(`document.getElementById('review').click(); true`)
		voter.view("review")
		voter.js(`document.getElementById('submit').click(); true`)
		voter.view("done")
		if n == 1 {
			journeyShot(&voter, "17-ballot-done")
		}
	}
	vote(1, codes[0], "好")

	// 9. Turnout follows on the screen and the run page, without a reload;
	// no count of any answer shows while voting is open.
	screen.waitFor(`document.getElementById('cast').textContent === '1' && document.getElementById('pct').textContent === '25%'`, 10*time.Second)
	b.waitFor(`document.getElementById('t-cast').textContent === '1' && document.querySelector('#turnout tr[data-group=cadres] .unused').textContent === '3'`, 10*time.Second)
	noTally := func() {
		t.Helper()
		if screen.js(`window.notReloaded === true && document.getElementById('results').hidden && !document.body.hasAttribute('data-has-results')`) != true {
			t.Errorf("the screen reloaded or shows results while voting is open")
		}
		if b.js(`window.notReloaded === true && document.getElementById('sealed-card').hidden && document.getElementById('main').innerText.indexOf('sha256:') < 0`) != true {
			t.Errorf("the run page reloaded or shows results while voting is open")
		}
	}
	noTally()
	journeyShot(&screen, "18-screen-one-vote")
	journeyShot(b, "19-run-one-vote")
	vote(2, codes[1], "好")
	vote(3, codes[2], "较好")
	screen.waitFor(`document.getElementById('cast').textContent === '3' && document.getElementById('pct').textContent === '75%' &&
		document.querySelector('#groups .group[data-group=cadres] .num').textContent.indexOf('3 / 4') === 0`, 10*time.Second)
	b.waitFor(`document.getElementById('t-cast').textContent === '3' && document.getElementById('t-unused').textContent === '1'`, 10*time.Second)
	noTally()

	// 10. Close through the confirmation; the screen says so and, as the
	// link was made to, shows the sealed result; then the tally sheet.
	b.js(`document.getElementById('close-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if text := b.js(`document.getElementById('confirm-text').textContent`).(string); !strings.Contains(text, "不能撤销") || !strings.Contains(text, "封存") {
		t.Errorf("the close confirmation reads %q", text)
	}
	journeyShot(b, "20-confirm-close")
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`!document.getElementById('sealed-card').hidden && document.getElementById('s-ballots').textContent === '3' &&
		/^sha256:[0-9a-f]{64}$/.test(document.getElementById('s-digest').textContent) && document.getElementById('m-status').textContent === '已结束'`, 10*time.Second)
	digest := b.js(`document.getElementById('s-digest').textContent`).(string)
	if check := b.js(`document.getElementById('s-check').textContent`).(string); !strings.Contains(check, "一致") {
		t.Errorf("the live check reads %q", check)
	}
	journeyShot(b, "21-run-closed")
	screen.waitFor(`document.getElementById('status').textContent.indexOf('已结束') >= 0 && !document.getElementById('results').hidden &&
		!!document.querySelector('#results .sec[data-section=dem]')`, 15*time.Second)
	if txt := screen.js(`document.getElementById('results').innerText`).(string); !strings.Contains(txt, "有效票 3 张") {
		t.Errorf("the screen's results read %q", txt)
	}
	journeyShot(&screen, "22-screen-closed")

	// The screen's work is done: the staff revoke its link from the run
	// page's list of links, and the projector goes blank.
	b.waitFor(`!!document.querySelector('#screen-links tr[data-state=valid] button[data-link]')`, 10*time.Second)
	b.js(`document.querySelector('#screen-links tr[data-state=valid] button[data-link]').click(); true`)
	b.waitFor(`document.getElementById('confirm').open && document.getElementById('confirm-title').textContent.indexOf('收回') >= 0`, 5*time.Second)
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`!!document.querySelector('#screen-links tr[data-state=revoked]') && !document.querySelector('#screen-links tr[data-state=valid]') &&
		document.querySelector('#screen-links tr[data-state=revoked] .state').textContent.indexOf('admin') >= 0`, 10*time.Second)
	journeyShot(b, "22b-run-screen-link-revoked")
	screen.waitFor(`document.body.getAttribute('data-state') === 'revoked' && document.getElementById('cast').textContent === '–' &&
		document.getElementById('results').hidden && document.getElementById('groups').children.length === 0`, 15*time.Second)
	journeyShot(&screen, "22c-screen-revoked")
	cancelScreen()

	b.js(`document.getElementById('tally-link').click(); true`)
	b.settle(`location.pathname === '` + run + `/tally' && !!document.getElementById('tally-digest')`)
	if got := b.js(`document.getElementById('tally-digest').textContent`).(string); got != digest {
		t.Errorf("the tally sheet's digest %q, the run page's %q", got, digest)
	}
	if n := b.js(`document.getElementById('tally-ballots').textContent`).(string); n != "3" {
		t.Errorf("the tally sheet counts %q ballots", n)
	}
	sheet := b.js(`document.getElementById('main').innerText`).(string)
	for _, want := range []string{"计票单", "城关镇2021年度工作报告大会", "2022-01-18", "工作报告大会", "民主测评", "科级干部测评", "李卫东",
		"监票人（签字）", "计票人（签字）", "机关干部（3 票）", "村两委负责人（0 票）"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("the tally sheet lacks %q", want)
		}
	}
	// 民主测评 of 城关镇: 3 answers, 好 2, 较好 1, 一般 0, 差 0.
	dem := b.js(`(function(){ var s = document.querySelector('.tally-section'); var tr = s && s.querySelector('tbody tr');
		return tr ? Array.prototype.map.call(tr.cells, function(c){ return c.textContent; }).join('|') : ''; })()`).(string)
	if dem != "城关镇|3|2|1|0|0" {
		t.Errorf("the tally sheet's first row (民主测评) reads %q, want 城关镇|3|2|1|0|0", dem)
	}
	journeyShot(b, "23-tally")

	// 11. The results page and its workbook.
	b.js(`document.querySelector('header nav a[href="/console"]').click(); true`)
	// The card's meeting list fills from its own request, after the links.
	b.settle(`location.pathname === '/console' && !!document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/results"]') &&
		document.querySelector('#overview [data-cycle="2021"] ul.meetings').children.length > 0`)
	if li := b.js(`document.querySelector('#overview [data-cycle="2021"] ul.meetings').innerText`).(string); !strings.Contains(li, "城关镇2021年度工作报告大会") || !strings.Contains(li, "已结束") {
		t.Errorf("the overview lists %q", li)
	}
	b.js(`document.querySelector('#overview [data-cycle="2021"] a[href="/console/cycles/2021/results"]').click(); true`)
	b.settle(`location.pathname === '/console/cycles/2021/results' && document.querySelectorAll('#towns tr[data-unit]').length === 2 && document.querySelectorAll('#departments tr[data-unit]').length === 2`)
	if row := b.js(`document.querySelector('#towns tr[data-unit=T01]').innerText`).(string); !strings.Contains(row, "城关镇") {
		t.Errorf("the towns table's 城关镇 row: %q", row)
	}
	journeyShot(b, "24-results")
	name, data := journeyDownload(b, `document.getElementById('xlsx').click(); true`)
	if name != "2021年度考核结果汇总表.xlsx" {
		t.Errorf("the workbook downloads as %q", name)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("各镇")
	if err != nil {
		t.Fatalf("the workbook has no sheet 各镇: %v (sheets %v)", err, wb.GetSheetList())
	}
	col := func(prefix string) int {
		for i, h := range rows[2] { // row 1: the 结果尚不完整 caveat
			if strings.HasPrefix(h, prefix) {
				return i
			}
		}
		t.Fatalf("the 各镇 sheet has no column %s: %v", prefix, rows[2])
		return -1
	}
	evalCol, demCol, totalCol := col("各方面评价合计"), col("民主测评"), col("总分")
	found := false
	for _, r := range rows[3:] {
		if len(r) == 0 || r[0] != "城关镇" {
			continue
		}
		found = true
		cell := func(i int) string {
			if i < len(r) {
				return r[i]
			}
			return ""
		}
		if v, err := strconv.ParseFloat(cell(evalCol), 64); err != nil || v <= 0 {
			t.Errorf("城关镇's evaluation score in the workbook is %q", cell(evalCol))
		}
		if v, err := strconv.ParseFloat(cell(demCol), 64); err != nil || v <= 0 {
			t.Errorf("城关镇's 民主测评 in the workbook is %q", cell(demCol))
		}
		if _, err := strconv.ParseFloat(cell(totalCol), 64); err != nil {
			t.Errorf("城关镇's total in the workbook is %q", cell(totalCol))
		}
	}
	if !found {
		t.Errorf("城关镇 is not in the workbook's 各镇 sheet: %v", rows)
	}
}

// fillAny answers every item of any form as a careful voter would: the
// given grade for the 民主测评 (dem) items, 好 or 称职 elsewhere (the first
// option when neither is offered), a middle score for score items, and one
// recommendation.
func (b *browserApp) fillAny(dem string) {
	b.t.Helper()
	b.js(fmt.Sprintf(`(function(){
		var names = {};
		Array.prototype.forEach.call(document.querySelectorAll('#ballot input[type=radio]'), function(r){ names[r.name] = true; });
		Object.keys(names).forEach(function(n){
			var opts = Array.prototype.slice.call(document.getElementsByName(n)), want = n.indexOf('dem/') === 0 ? [%q] : ['好', '称职'];
			var pick = opts.filter(function(o){ return want.indexOf(o.value) >= 0; })[0] || opts[0];
			pick.click();
		});
		Array.prototype.forEach.call(document.querySelectorAll('#ballot input[type=number]'), function(el){
			var lo = Number(el.min || 0), hi = Number(el.max || 100);
			el.value = String(Math.round((lo + hi) * 0.45)); el.dispatchEvent(new Event('input', {bubbles:true})); el.dispatchEvent(new Event('change', {bubbles:true}));
		});
		var c = document.querySelector('#ballot input[type=checkbox]'); if (c) c.click();
		return true; })()`, dem))
}

// journeyShot saves a full-page screenshot as
// artifacts/browser/journey-<name>.png.
func journeyShot(b *browserApp, name string) { b.saveShot("journey-" + name + ".png") }

// journeyDownload lets the page download into a fresh folder, runs click
// and waits for the finished file; it returns the name the browser gave it
// and its bytes (a workbook the browser has finished writing).
func journeyDownload(b *browserApp, click string) (string, []byte) {
	b.t.Helper()
	dir, err := os.MkdirTemp("", "ceping-download-")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { os.RemoveAll(dir) })
	err = chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
	b.js(click)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil || len(data) == 0 {
				continue
			}
			if f, err := excelize.OpenReader(bytes.NewReader(data)); err == nil {
				f.Close()
				return e.Name(), data
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no workbook was downloaded (folder: %v)", entries)
		}
	}
}

// fillTemplate fills a downloaded import template as the office would:
// it checks the template's sheet, replaces its example rows with rows and
// saves it as out.
func fillTemplate(t *testing.T, template, sheet string, rows [][]any, out string) string {
	t.Helper()
	f, err := excelize.OpenFile(template)
	if err != nil {
		t.Fatalf("open the downloaded template %s: %v", template, err)
	}
	defer f.Close()
	have, err := f.GetRows(sheet)
	if err != nil || len(have) < 2 {
		t.Fatalf("the template has no sheet %s with a header and examples (%v; sheets %v)", sheet, err, f.GetSheetList())
	}
	if have[0][0] != "编码" && have[0][0] != "单位编码" {
		t.Errorf("the %s template's header: %v", sheet, have[0])
	}
	if i, _ := f.GetSheetIndex("说明"); i < 0 {
		t.Errorf("the %s template has no 说明 sheet", sheet)
	}
	for range have[1:] {
		if err := f.RemoveRow(sheet, 2); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// watchPageErrors collects what the console tab reports as an uncaught
// exception or a Content-Security-Policy refusal, across navigations.
func watchPageErrors(ctx context.Context) func() []string {
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if text := strings.ToLower(m.Text); m.IsException() || strings.Contains(text, "content security policy") || strings.Contains(text, "refused to") {
				mu.Lock()
				errs = append(errs, m.String()+" ("+m.URL+")")
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}
