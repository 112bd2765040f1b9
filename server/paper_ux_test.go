package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserPaperKeying keys a paper ballot the fast way: digits in the
// grade boxes, "本行全部设为" for each cadre's row, Enter moving on; the
// server's complaints are listed once each, without field paths; the
// waiting card reads 待确认第 1 张 · 机关干部 · 录入人 zhang HH:MM; a
// second person confirms it and turnout rises by one.
func TestBrowserPaperKeying(t *testing.T) {
	b := newBrowserApp(t, 1280, 900, "")
	runYear(b.app)
	var issued struct{ Tokens []string }
	b.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 3}, 201, &issued)
	b.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	paper := "/console/cycles/2020/meetings/M1/paper"
	// key presses one key as a person does on a page that handles its
	// keydown: the browser then sends no keypress after it.
	key := func(r rune) {
		t.Helper()
		err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for _, k := range kb.Encode(r) {
				switch k.Type {
				case input.DispatchKeyEventTypeChar:
					continue
				case input.DispatchKeyEventTypeKeyDown:
					k.Type, k.Text, k.UnmodifiedText = input.DispatchKeyEventTypeRawKeyDown, "", ""
				}
				if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, *k); err != nil {
					return err
				}
			}
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	focused := func() string {
		return b.js(`(function(){ var e = document.activeElement; return e.name || e.className + ':' + (e.getAttribute('data-subject') || ''); })()`).(string)
	}

	b.signInAt("zhang", "zhang-password", paper)
	b.waitFor(`!!document.getElementById('slip-form') && document.getElementById('meeting-status').textContent !== ''`, 10*time.Second)
	if h := b.js(`document.querySelector('h1').textContent`).(string); !strings.Contains(h, "纸质选票录入") {
		t.Errorf("heading %q", h)
	}
	if b.js(`!!document.getElementById('screen-form') || document.body.textContent.indexOf('生成链接') >= 0`).(bool) {
		t.Error("the paper page still makes big-screen links (that is the run page's job)")
	}
	b.js(`(function(){ document.getElementById('slip-code').value = 'http://test/b#` + issued.Tokens[0] + `'; document.getElementById('slip-go').click(); return true; })()`)
	b.waitFor(`!document.getElementById('ballot-form').hidden && !!document.querySelector('select.fill-row[data-subject="P01"]')`, 10*time.Second)
	if opts := b.js(`Array.prototype.map.call(document.querySelector('select[name="cad/P01/德"]').options, function(o){ return o.text; }).join(',')`).(string); opts != "—,1 优秀,2 称职,3 基本称职,4 不称职" {
		t.Errorf("grade options: %q", opts)
	}

	// Sent half done: each complaint once, no field paths.
	b.js(`document.getElementById('ballot-submit').click(); true`)
	b.waitFor(`document.getElementById('ballot-msg').textContent !== ''`, 10*time.Second)
	msg := b.js(`document.getElementById('ballot-msg').textContent`).(string)
	lines := strings.Split(msg, "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		m := strings.TrimPrefix(strings.TrimPrefix(l, "选票有误："), "· ")
		if seen[m] {
			t.Errorf("the message %q is shown twice", m)
		}
		seen[m] = true
	}
	if !strings.Contains(msg, "“民主测评”尚未填写") || strings.Contains(msg, "dem：") || strings.Contains(msg, "sections[") || strings.Contains(msg, "(section") {
		t.Errorf("the complaint reads %q", msg)
	}
	b.shot("1-incomplete")

	// 民主测评 by keyboard: 1 is 好, and the cursor moves on to the scores.
	b.js(`document.querySelector('select[name="dem/T01"]').focus(); true`)
	key('1')
	if v := b.js(`document.querySelector('select[name="dem/T01"]').value`).(string); v != "好" {
		t.Errorf("typing 1 chose %q", v)
	}
	if f := focused(); f != "mut/D01" {
		t.Errorf("after a digit the cursor is on %q, want the next field", f)
	}
	b.js(`(function(){ document.querySelector('[name="mut/D01"]').value = '88'; return true; })()`)
	key('\r') // Enter moves on instead of sending
	if f := focused(); f != "mut/D02" {
		t.Errorf("after Enter the cursor is on %q", f)
	}
	b.js(`(function(){ document.querySelector('[name="mut/D02"]').value = '92'; return true; })()`)
	key('\r')
	if f := focused(); f != "fill-row:P01" {
		t.Errorf("the cadre grid starts at %q, want its first row's fill control", f)
	}
	// Each cadre's row in one key: 2 is 称职; the cursor goes to the next row.
	key('2')
	if f := focused(); f != "fill-row:P02" {
		t.Errorf("after filling a row the cursor is on %q", f)
	}
	key('2')
	// The third row by mouse: the same control as a drop-down.
	b.js(`(function(){ var s = document.querySelector('select.fill-row[data-subject="P03"]'); s.value = '称职'; s.dispatchEvent(new Event('change', {bubbles:true})); return true; })()`)
	grid := b.js(`Array.prototype.map.call(document.querySelectorAll('section[data-section="cad"] select[name], fieldset[data-section="cad"] select[name]'), function(s){ return s.value; }).join(',')`).(string)
	if grid != strings.TrimSuffix(strings.Repeat("称职,", 15), ",") {
		t.Errorf("the cadre grid after three row fills: %q", grid)
	}
	if v := b.js(`document.querySelector('select.fill-row[data-subject="P03"]').value`).(string); v != "" {
		t.Errorf("the fill control keeps %q", v)
	}
	b.shot("2-keyed")
	b.js(`document.getElementById('ballot-submit').click(); true`)
	b.waitFor(`document.getElementById('key-done').textContent !== '' && document.querySelectorAll('#waiting .paper').length === 1`, 10*time.Second)
	title := b.js(`document.querySelector('#waiting .paper h3').textContent`).(string)
	if !regexp.MustCompile(`^待确认第 1 张 · 机关干部 · 录入人 zhang \d\d:\d\d$`).MatchString(title) {
		t.Errorf("card title %q", title)
	}
	if d := b.js(`document.querySelector('#waiting .paper .discard').textContent`).(string); d != "删除此录入（选票仍有效）" {
		t.Errorf("discard button %q", d)
	}
	if b.castCount() != 0 {
		t.Fatal("counted before a second person confirmed")
	}
	b.shot("3-waiting")

	// The admin confirms it, typing the code as printed.
	b.signInAt("admin", "admin-password", paper)
	b.waitFor(`document.querySelectorAll('#waiting .paper .confirm-code').length === 1`, 10*time.Second)
	tok := issued.Tokens[0]
	b.js(`(function(){ document.querySelector('#waiting .confirm-code').value = '` + tok[:4] + " " + tok[4:8] + " " + tok[8:] + `'; document.querySelector('#waiting .confirm').click(); return true; })()`)
	b.waitFor(`document.querySelectorAll('#waiting .paper').length === 0 && document.getElementById('key-done').textContent.indexOf('已确认并计入') >= 0`, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for b.castCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("turnout did not rise to 1")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, line := range b.proxy.requestLines() {
		if slipLike.MatchString(line) {
			t.Errorf("a slip code in a request line: %s", line)
		}
	}
}
