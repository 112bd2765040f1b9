package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// errorReply is the API's error body, as the meetings editor reads it.
type errorReply struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		MessageEN string `json:"message_en"`
		Details   []struct {
			Field     string `json:"field"`
			Message   string `json:"message"`
			MessageEN string `json:"message_en"`
		} `json:"details"`
	} `json:"error"`
}

// TestMeetingSaveRefusedWhenNoOneToRate: a meeting whose form would have
// no one to rate on the day (河口镇 has nobody in the people list, and the
// form rates the host's people) is refused when it is saved, with the
// reason at that voter group's form in the clerk's words, and nothing is
// stored. Open still checks, since people may go after saving, and then
// says who fixes it.
func TestMeetingSaveRefusedWhenNoOneToRate(t *testing.T) {
	a := newApp(t)
	runYear(a)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 60}, {"code": "T02", "name": "河口镇", "kind": "town", "staff": 40},
		{"code": "D01", "name": "县财政局", "kind": "department", "staff": 20}, {"code": "D02", "name": "县教育局", "kind": "department", "staff": 30}}, 200, nil)
	meeting := map[string]any{"title": "河口镇2020年度工作报告大会", "kind": "work_report", "host": "T02", "date": "2021-01-16",
		"groups": []map[string]any{{"code": "G1", "name": "机关干部", "form": "F"}}}

	var refused errorReply
	body := a.call("PUT", "/api/v1/cycles/2020/meetings/M02", "", meeting, 422, &refused)
	if refused.Error.Code != "form_not_ready" || len(refused.Error.Details) != 1 || refused.Error.Details[0].Field != "groups[0].form" {
		t.Fatalf("refusal %s", body)
	}
	want := "河口镇在人员名单中还没有人员，“科级干部测评”没有人可评。请先在“年度设置 › ② 人员名单”中添加河口镇的人员，或为这个类别选择其他测评表。"
	if got := refused.Error.Details[0].Message; got != want {
		t.Errorf("the message at the group's form:\n got %q\nwant %q", got, want)
	}
	if refused.Error.Details[0].MessageEN == "" || strings.Contains(refused.Error.Message, "(") {
		t.Errorf("Chinese and English not apart: %s", body)
	}
	if strings.Contains(string(body), "sections[") || strings.Contains(string(body), "subjects") {
		t.Errorf("a field path in the refusal: %s", body)
	}
	a.call("GET", "/api/v1/cycles/2020/meetings/M02", "", nil, 404, nil)

	// With a person at 河口镇 it saves; without them again it cannot open,
	// and the group leader reads who can change that.
	people := []map[string]any{{"code": "P01", "name": "张建国", "unit": "T01", "post": "党委书记"}, {"code": "P02", "name": "李卫东", "unit": "T01", "post": "镇长"},
		{"code": "P03", "name": "王秀兰", "unit": "T01", "post": "人大主席"}}
	a.call("PUT", "/api/v1/cycles/2020/people", "", append(people, map[string]any{"code": "P09", "name": "赵六", "unit": "T02", "post": "镇长"}), 200, nil)
	meeting["staff"] = []string{"zhang"}
	a.call("PUT", "/api/v1/cycles/2020/meetings/M02", "", meeting, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/people", "", people, 200, nil)
	var notOpen errorReply
	body = a.call("POST", "/api/v1/cycles/2020/meetings/M02/open", bearerOf(a, "zhang"), nil, 422, &notOpen)
	if len(notOpen.Error.Details) != 1 {
		t.Fatalf("open refusal %s", body)
	}
	for _, want := range []string{"“机关干部”", "河口镇在人员名单中还没有人员", "请管理员在“年度设置 › ② 人员名单”中添加河口镇的人员后再开始测评"} {
		if !strings.Contains(notOpen.Error.Details[0].Message, want) {
			t.Errorf("open refusal lacks %q: %s", want, body)
		}
	}
	if !strings.Contains(notOpen.Error.Message, "管理员") {
		t.Errorf("open refusal does not say who fixes it: %q", notOpen.Error.Message)
	}
	a.call("GET", "/api/v1/cycles/2020/meetings/M02", "", nil, 200, nil)

	// Empty fields are asked for, not called invalid codes.
	var empty errorReply
	a.call("PUT", "/api/v1/cycles/2020/meetings/M03", "", map[string]any{"title": "", "kind": "work_report", "date": "",
		"groups": []map[string]any{{"code": "", "name": "", "form": ""}}}, 400, &empty)
	got := map[string]string{}
	for _, d := range empty.Error.Details {
		got[d.Field] = d.Message
	}
	for field, want := range map[string]string{"title": "请填写会议名称", "date": "请选择会议日期", "groups[0].code": "请填写类别编码",
		"groups[0].name": "请填写类别名称", "groups[0].form": "请选择这个类别使用的测评表"} {
		if !strings.HasPrefix(got[field], want) {
			t.Errorf("%s: %q, want %q…", field, got[field], want)
		}
	}
}

// TestBatchNumbers: batches are numbered per meeting in issue order, with
// the time they were issued; a new batch says its number.
func TestBatchNumbers(t *testing.T) {
	a := newApp(t)
	runYear(a)
	var first, second struct{ Number int }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 2}, 201, &first)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "village", "count": 1}, 201, &second)
	if first.Number != 1 || second.Number != 2 {
		t.Errorf("new batches numbered %d and %d", first.Number, second.Number)
	}
	var list struct {
		Batches []struct {
			Number   int
			Group    string
			IssuedAt time.Time `json:"issued_at"`
		}
	}
	a.call("GET", "/api/v1/cycles/2020/meetings/M1/batches", "", nil, 200, &list)
	if len(list.Batches) != 2 || list.Batches[0].Number != 1 || list.Batches[0].Group != "cadres" || list.Batches[1].Number != 2 {
		t.Fatalf("batches %+v", list.Batches)
	}
	for _, b := range list.Batches {
		if time.Since(b.IssuedAt) > time.Minute || time.Since(b.IssuedAt) < 0 {
			t.Errorf("batch %d issued at %v", b.Number, b.IssuedAt)
		}
	}
}

// signInTo signs admin in through the login form and waits for page.
func signInTo(b *browserApp, page, ready string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(page))); err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = 'admin'; f.password.value = 'admin-password'; f.submit(); return true; })()`)
	b.waitFor(`location.pathname === '`+page+`' && `+ready, 15*time.Second)
}

// setViewport changes the page's size (and phone emulation).
func (b *browserApp) setViewport(width, height int64, mobile bool) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: height, DeviceScaleFactor: 1, Mobile: mobile})
		return err
	})); err != nil {
		b.t.Fatal(err)
	}
}

// groupRowsOverlap lists, for each voter-group row, how a field overlaps
// another or runs out of the row (empty when none does).
const groupRowsOverlap = `(function(){
	function r(e){ return e.getBoundingClientRect(); }
	function meet(a, b){ return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5; }
	var out = [];
	Array.prototype.forEach.call(document.querySelectorAll('#f-groups .group-row'), function(row, i){
		var box = r(row), sel = r(row.querySelector('select[name=gform]')), name = r(row.querySelector('input[name=gname]')), del = r(row.querySelector('button.remove'));
		if (meet(sel, del)) out.push(i + ': the form select under the delete button');
		if (meet(sel, name)) out.push(i + ': the form select over the name');
		if (meet(name, del)) out.push(i + ': the name under the delete button');
		[sel, name, del].forEach(function(x, k){ if (x.left < box.left - 0.5 || x.right > box.right + 0.5) out.push(i + ': field ' + k + ' leaves its row'); });
	});
	return out.join('; ');
})()`

// TestBrowserMeetingsEditor360: on a 360 px phone and on a desktop the
// voter-group rows do not overlap and nothing scrolls sideways; codes are
// made up by the page; a save with no title says so at the title, which is
// scrolled into view; after creating, the heading and a link lead on.
func TestBrowserMeetingsEditor360(t *testing.T) {
	b := newBrowserApp(t, 360, 740, "")
	runYear(b.app)
	page := "/console/cycles/2020/meetings"
	signInTo(b, page, `document.querySelectorAll('#f-groups .group-row').length === 1 && !!document.querySelector('#meeting-list li[data-meeting="M1"]') && !!document.querySelector('#f-groups select[name=gform] option[value="F"]')`)

	// Codes: the next meeting code of the year (M1 exists) and G1, G2.
	b.js(`document.getElementById('add-group').click(); true`)
	codes := b.js(`({meeting: document.getElementById('f-code').value, readOnly: document.getElementById('f-code').readOnly,
		advancedOpen: document.getElementById('f-advanced').open,
		groups: Array.prototype.map.call(document.querySelectorAll('#f-groups [name=gcode]'), function(e){ return e.value + (e.readOnly ? '' : ' (editable)'); }).join(','),
		firstOption: document.querySelector('#f-groups select[name=gform]').options[0].textContent,
		chosen: document.querySelector('#f-groups select[name=gform]').value})`).(map[string]any)
	if codes["meeting"] != "M02" || codes["readOnly"] != true || codes["advancedOpen"] != false || codes["groups"] != "G1,G2" {
		t.Errorf("automatic codes: %v", codes)
	}
	if codes["firstOption"] != "请选择测评表" || codes["chosen"] != "" {
		t.Errorf("a new group's form: %v", codes)
	}
	// Long names in both rows, the form chosen in the first.
	b.js(`(function(){
		var rows = document.querySelectorAll('#f-groups .group-row');
		rows[0].querySelector('[name=gname]').value = '机关干部和下属单位负责人';
		rows[0].querySelector('[name=gform]').value = 'F';
		rows[1].querySelector('[name=gname]').value = '村（社区）两委负责人';
		return true; })()`)
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the meetings page is %v px wide at 360 px", w)
	}
	if bad := b.js(groupRowsOverlap).(string); bad != "" {
		t.Errorf("at 360 px: %s", bad)
	}
	b.shot("1-groups-360")

	// No title and no date: the messages sit at the fields, the title is
	// marked, scrolled into view and has the cursor.
	b.js(`window.scrollTo(0, document.body.scrollHeight); document.getElementById('save').click(); true`)
	b.waitFor(`document.querySelector('#meeting-form [data-field=title]').textContent !== ''`, 10*time.Second)
	got := b.js(`(function(){ var el = document.getElementById('f-title'), r = el.getBoundingClientRect();
		return {title: document.querySelector('#meeting-form [data-field=title]').textContent,
			date: document.querySelector('#meeting-form [data-field=date]').textContent,
			form2: document.querySelectorAll('#f-groups .group-row')[1].querySelector('[data-gfield=form]').textContent,
			invalid: el.classList.contains('invalid'), select2: document.querySelectorAll('#f-groups [name=gform]')[1].classList.contains('invalid'),
			focused: document.activeElement === el, inView: r.top >= 0 && r.bottom <= window.innerHeight}; })()`).(map[string]any)
	if !strings.HasPrefix(got["title"].(string), "请填写会议名称") || !strings.HasPrefix(got["date"].(string), "请选择会议日期") {
		t.Errorf("messages at the fields: %v", got)
	}
	if !strings.HasPrefix(got["form2"].(string), "请选择") || got["select2"] != true {
		t.Errorf("the second group without a form: %v", got)
	}
	if got["invalid"] != true || got["focused"] != true || got["inView"] != true {
		t.Errorf("the title field after a refused save: %v", got)
	}
	b.shot("2-errors-360")

	// Fixed: created; the heading and a link lead to the meeting.
	b.js(`(function(){
		function set(el, v){ el.value = v; el.dispatchEvent(new Event('input', {bubbles:true})); }
		set(document.getElementById('f-title'), '城关镇2020年度第二次测评会');
		set(document.getElementById('f-date'), '2021-01-20');
		set(document.getElementById('f-host'), 'T01');
		set(document.querySelectorAll('#f-groups [name=gform]')[1], 'F');
		document.getElementById('save').click(); return true; })()`)
	b.waitFor(`!document.getElementById('enter-bar').hidden`, 10*time.Second)
	after := b.js(`({h: document.getElementById('editor-title').textContent, href: document.getElementById('enter-link').getAttribute('href'),
		link: document.getElementById('enter-link').textContent, msg: document.getElementById('form-msg').textContent,
		invalid: document.querySelectorAll('#meeting-form .invalid').length})`).(map[string]any)
	if after["h"] != "编辑会议：城关镇2020年度第二次测评会" || after["href"] != "/console/cycles/2020/meetings/M02" ||
		after["link"] != "进入会议（打印选票、开始测评）" || !strings.Contains(after["msg"].(string), "已创建会议") || after["invalid"] != float64(0) {
		t.Errorf("after creating: %v", after)
	}
	var m struct {
		Groups []struct{ Code, Name, Form string }
	}
	b.app.call("GET", "/api/v1/cycles/2020/meetings/M02", "", nil, 200, &m)
	if len(m.Groups) != 2 || m.Groups[0].Code != "G1" || m.Groups[1].Code != "G2" || m.Groups[1].Name != "村（社区）两委负责人" {
		t.Errorf("stored groups %+v", m.Groups)
	}

	// A desktop screen: still no overlap.
	b.setViewport(1280, 800, false)
	b.waitFor(`window.innerWidth === 1280`, 5*time.Second)
	if bad := b.js(groupRowsOverlap).(string); bad != "" {
		t.Errorf("at 1280 px: %s", bad)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 1280 {
		t.Errorf("the meetings page is %v px wide at 1280 px", w)
	}
	b.shot("3-groups-desktop")
}

// TestBrowserRunPageNumbers: the run page warns when opening with no slips,
// lists batches as 第 1 批, 第 2 批 with their time, names the batch when
// voiding, gives the numbers before closing with a red button, and stops
// its live view after close.
func TestBrowserRunPageNumbers(t *testing.T) {
	b := newBrowserApp(t, 360, 740, "")
	runYear(b.app)
	run := "/console/cycles/2020/meetings/M1"
	signInTo(b, run, `!document.getElementById('open-btn').hidden && document.querySelectorAll('#turnout tbody tr').length === 2 && document.getElementById('live').getAttribute('data-state') === 'on'`)

	// Opening with nothing printed: a warning in the dialog; cancelled.
	b.js(`document.getElementById('open-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if w := b.js(`document.getElementById('confirm-warn').hidden ? '' : document.getElementById('confirm-warn').textContent`).(string); w != "还没有打印任何选票。" {
		t.Errorf("open with no slips: warning %q", w)
	}
	b.js(`document.getElementById('confirm-no').click(); true`)
	b.waitFor(`!document.getElementById('confirm').open`, 5*time.Second)

	var cadres, village struct{ Tokens []string }
	b.app.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 3}, 201, &cadres)
	b.app.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "village", "count": 2}, 201, &village)
	b.waitFor(`document.getElementById('t-issued').textContent === '5' && document.querySelectorAll('#batches tbody tr[data-batch]').length === 2`, 10*time.Second)
	rows := b.js(`Array.prototype.map.call(document.querySelectorAll('#batches tbody tr[data-batch]'), function(tr){
		return tr.querySelector('.batch-n').textContent + '|' + tr.cells[2].textContent + '|' + /^\d\d:\d\d$/.test(tr.querySelector('.issued-at').textContent); }).join(',')`).(string)
	if rows != "第 1 批|机关干部|true,第 2 批|村两委负责人|true" {
		t.Errorf("batches table: %q", rows)
	}

	// Voiding names the batch, its time, and confirms in red; cancelled.
	b.js(`document.querySelector('#batches tr[data-number="2"] button').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	void := b.js(`({text: document.getElementById('confirm-text').textContent, danger: document.getElementById('confirm-yes').classList.contains('danger')})`).(map[string]any)
	if text := void["text"].(string); !strings.HasPrefix(text, "第 2 批（村两委负责人，2 张，") || !strings.Contains(text, "发出）") || void["danger"] != true {
		t.Errorf("void dialog: %v", void)
	}
	b.js(`document.getElementById('confirm-no').click(); true`)
	b.waitFor(`!document.getElementById('confirm').open`, 5*time.Second)

	// Open (no warning now), one vote, then the close dialog's numbers.
	b.js(`document.getElementById('open-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open`, 5*time.Second)
	if !b.js(`document.getElementById('confirm-warn').hidden`).(bool) {
		t.Errorf("a no-slips warning with 5 slips issued")
	}
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`!document.getElementById('close-btn').hidden`, 10*time.Second)
	apiVote(b.app, cadres.Tokens[0], 88)
	b.waitFor(`document.getElementById('t-cast').textContent === '1'`, 10*time.Second)
	b.js(`document.getElementById('close-btn').click(); true`)
	b.waitFor(`document.getElementById('confirm').open && !document.getElementById('confirm-numbers').hidden`, 5*time.Second)
	closing := b.js(`({numbers: document.getElementById('confirm-numbers').textContent, text: document.getElementById('confirm-text').textContent,
		danger: document.getElementById('confirm-yes').classList.contains('danger'), bg: getComputedStyle(document.getElementById('confirm-yes')).backgroundColor})`).(map[string]any)
	if closing["numbers"] != "目前已投 1/5 张（20%），结束后其余 4 张选票作废。" {
		t.Errorf("close dialog numbers %q", closing["numbers"])
	}
	if closing["danger"] != true || closing["bg"] != "rgb(163, 32, 32)" {
		t.Errorf("the close button is not red: %v", closing)
	}
	b.shot("1-close-dialog")
	b.js(`document.getElementById('confirm-yes').click(); true`)
	b.waitFor(`!document.getElementById('sealed-card').hidden && document.getElementById('m-status').classList.contains('closed')`, 10*time.Second)
	b.waitFor(`document.getElementById('live').textContent === '' && document.getElementById('th-unused').textContent === '已作废'`, 5*time.Second)
	if v := b.js(`document.getElementById('t-unused').textContent`).(string); v != "4" {
		t.Errorf("voided at close: %q", v)
	}
	b.shot("2-closed")
	// The stream was closed by the page: it is not opened again (a browser
	// reconnects a dropped stream after about 3 s).
	time.Sleep(3500 * time.Millisecond)
	var events []string
	for _, l := range b.proxy.requestLines() {
		if strings.Contains(l, "/events") {
			events = append(events, l)
		}
	}
	if len(events) != 1 {
		t.Errorf("the event stream was opened %d times: %v", len(events), events)
	}
}
