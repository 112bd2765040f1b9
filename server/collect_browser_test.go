package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// collectBrowserYear adds to runYear's 2020 the bodies, a catalogue for
// T01 and D01, an assessor of TJJ (tjj) and a unit account of T01 (t01).
func collectBrowserYear(a *app) {
	a.t.Helper()
	runYear(a)
	a.call("PUT", "/api/v1/cycles/2020/bodies", "", []map[string]string{
		{"code": "TJJ", "name": "县统计局", "kind": "statistics"}, {"code": "AJJ", "name": "县应急管理局", "kind": "department"},
		{"code": "G1", "name": "第一考核组", "kind": "group"}, {"code": "CZJ", "name": "县财政局", "kind": "department"}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/indicators", "", []map[string]any{
		{"code": "T01-01", "unit": "T01", "category": "economic", "name": "地区生产总值增速", "points": 20, "method": "completion", "target": 8.5, "measure": "%", "source": "TJJ"},
		{"code": "T01-02", "unit": "T01", "category": "economic", "name": "万元GDP能耗", "points": 15, "method": "completion", "target": 0.5, "measure": "吨标煤", "better": "lower", "source": "TJJ"},
		{"code": "T01-03", "unit": "T01", "category": "social", "name": "社会事业", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-04", "unit": "T01", "category": "environment", "name": "生态环境", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-05", "unit": "T01", "category": "stability", "name": "安全生产", "points": 20, "method": "score", "source": "AJJ"},
		{"code": "T01-06", "unit": "T01", "category": "team", "name": "班子建设", "points": 15, "method": "score", "source": "G1"},
		{"code": "D01-01", "unit": "D01", "category": "work", "name": "财政收入", "points": 70, "method": "completion", "target": 12, "measure": "亿元", "source": "TJJ"},
		{"code": "D01-02", "unit": "D01", "category": "team", "name": "班子建设", "points": 30, "method": "score", "source": "G1"},
	}, 200, nil)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "tjj", "role": "assessor", "body": "TJJ", "password": "tjj-password"}, 201, nil)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "czj", "role": "assessor", "body": "CZJ", "password": "czj-password"}, 201, nil)
	a.call("POST", "/api/v1/users", "", map[string]string{"name": "t01", "role": "unit", "unit": "T01", "password": "t01-password"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/collection", "", map[string]string{"deadline": "2099-01-10"}, 200, nil)
}

// signInAs signs name in through the login form with no next page, so it
// lands where /console sends it, and waits for page and ready.
func signInAs(b *browserApp, name, page, ready string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login")); err != nil {
		b.t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = '` + name + `'; f.password.value = '` + name + `-password'; f.submit(); return true; })()`)
	b.waitFor(`location.pathname === '`+page+`' && `+ready, 15*time.Second)
}

// typeInto replaces a field's text as typing does, one input event per key.
func typeInto(b *browserApp, sel, text string) {
	b.t.Helper()
	b.js(`(function(){ var i = document.querySelector('` + sel + `'); i.focus(); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`)
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent(text)); err != nil {
		b.t.Fatal(err)
	}
}

// noSideScroll fails when the page scrolls sideways.
func noSideScroll(b *browserApp, where string) {
	b.t.Helper()
	if w := b.js(`document.documentElement.scrollWidth - window.innerWidth`).(float64); w > 0 {
		b.shot(where + "-sidescroll")
		b.t.Errorf("%s scrolls sideways by %v px at 375 px", where, w)
	}
}

// axeIfThere runs axe-core on the page when it is installed (see axeSource).
func axeIfThere(b *browserApp, where string) {
	b.t.Helper()
	for _, p := range []string{os.Getenv("CEPING_AXE"), filepath.Join(os.TempDir(), "ceping-axe", "node_modules", "axe-core", "axe.min.js")} {
		if p == "" {
			continue
		}
		if src, err := os.ReadFile(p); err == nil {
			if v := axe(b, string(src)); len(v) > 0 {
				b.t.Errorf("%s: axe finds\n%s", where, strings.Join(v, "\n"))
			}
			return
		}
	}
}

// inEnglish switches the page to English, checks that no labelled text
// stays Chinese and that want shows, and switches back.
func inEnglish(b *browserApp, where string, want ...string) {
	b.t.Helper()
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'en'`, 5*time.Second)
	left := b.js(`Array.prototype.filter.call(document.querySelectorAll('[data-i18n]'), function(e){ return /[\u4e00-\u9fff]/.test(e.textContent); }).map(function(e){ return e.getAttribute('data-i18n'); }).join(' ')`).(string)
	if left != "" {
		b.t.Errorf("%s in English still shows Chinese: %s", where, left)
	}
	text := b.js(`document.body.innerText`).(string)
	for _, w := range want {
		if !strings.Contains(text, w) {
			b.t.Errorf("%s in English: no %q in %q", where, w, text)
		}
	}
	b.js(`document.getElementById('lang').click(); true`)
	b.waitFor(`document.documentElement.lang === 'zh-CN'`, 5*time.Second)
}

// offline cuts the browser's network, or restores it.
func (b *browserApp) offline(off bool) {
	b.t.Helper()
	cond := &network.Conditions{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{cond}})
		return err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
}

func entrySel(code string) string { return `document.getElementById('e-` + code + `')` }

// TestBrowserCollect375: on a 375 px phone in WeChat an assessor lands on
// its entries, types a value and sees its factor, points and the 60% rule,
// reloads and finds the draft, is told which value is missing and taken
// to it, submits and sees the entries locked; the office returns one and
// the assessor finds it on top with the comment, corrects and resubmits;
// once approved, the unit's account sees the approved values and nothing
// of an entry not yet approved.
func TestBrowserCollect375(t *testing.T) {
	b := newBrowserApp(t, 375, 740, weChatUA)
	a := b.app
	collectBrowserYear(a)
	// Another body's value for T01, submitted but not approved: the unit
	// must never see it.
	a.call("PUT", "/api/v1/cycles/2020/indicators/T01-05/entry", "", map[string]any{"score": 87.5}, 200, nil)
	a.call("POST", "/api/v1/cycles/2020/bodies/AJJ/submit", "", nil, 200, nil)

	page := "/console/cycles/2020/collect"
	signInAs(b, "tjj", page, `document.querySelectorAll('.entry').length === 3 && !!document.getElementById('v-T01-01')`)
	if got := b.js(`document.querySelector('.nav').textContent.trim()`).(string); got != "我的填报" {
		t.Errorf("the assessor's nav reads %q, want only 我的填报", got)
	}
	if got := b.js(`document.getElementById('summary').textContent`).(string); !strings.Contains(got, "县统计局") || !strings.Contains(got, "2099-01-10") || !strings.Contains(got, "共 3 项") {
		t.Errorf("the summary: %q", got)
	}
	if got := b.js(`Array.prototype.map.call(document.querySelectorAll('.unit-group h2'), function(h){ return h.textContent; }).join('|')`).(string); got != "城关镇|县财政局" {
		t.Errorf("groups %q, want 城关镇|县财政局", got)
	}
	noSideScroll(b, "collect")

	// 5.1 of 8.5 is 60%: the floor bites.
	typeInto(b, "#v-T01-01", "5.1")
	b.waitFor(entrySel("T01-01")+`.querySelector('.save-state').getAttribute('data-state') === 'saved' && `+entrySel("T01-01")+`.querySelector('.rule').textContent === '完成率未超过 60%，按细则记 0 分'`, 10*time.Second)
	if got := b.js(entrySel("T01-01") + `.querySelector('.figures').textContent`).(string); got != "完成率 60% · 系数 0 · 得分 0 / 20" {
		t.Errorf("figures at the floor: %q", got)
	}
	typeInto(b, "#v-T01-01", "7.9")
	b.waitFor(entrySel("T01-01")+`.querySelector('.figures').textContent === '完成率 92.94% · 系数 0.9294 · 得分 18.588 / 20' && `+entrySel("T01-01")+`.querySelector('.rule').textContent === '' && `+entrySel("T01-01")+`.querySelector('.save-state').textContent === '已保存'`, 10*time.Second)
	b.shot("typed")

	// The draft is the server's: a reload finds it.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.getElementById('v-T01-01').value === '7.9' && `+entrySel("T01-01")+`.querySelector('.figures').textContent.indexOf('系数 0.9294') >= 0 && `+entrySel("T01-01")+`.getAttribute('data-status') === 'draft'`, 10*time.Second)

	// The network drops while typing: the row says so and saves once it
	// is back, by itself.
	b.offline(true)
	typeInto(b, "#v-T01-02", "0.625")
	b.waitFor(entrySel("T01-02")+`.querySelector('.save-state').textContent.indexOf('网络中断') === 0 && !`+entrySel("T01-02")+`.querySelector('.retry').hidden`, 10*time.Second)
	if got := b.js(entrySel("T01-02") + `.querySelector('.badge').textContent`).(string); got != "未填写" {
		t.Errorf("an unsaved first value's badge reads %q, want 未填写", got)
	}
	b.offline(false)
	b.waitFor(entrySel("T01-02")+`.querySelector('.save-state').getAttribute('data-state') === 'saved' && `+entrySel("T01-02")+`.querySelector('.badge').textContent === '草稿'`, 20*time.Second)

	// Submit with 财政收入 still empty: told which, and taken there.
	b.js(`document.getElementById('submit-all').click()`)
	b.waitFor(`document.getElementById('submit-msg').textContent.indexOf('财政收入（县财政局）') >= 0`, 10*time.Second)
	if got := b.js(`document.getElementById('submit-msg').textContent`).(string); !strings.Contains(got, "还有 1 项指标没有填写数值") || strings.Contains(got, "地区生产总值") {
		t.Errorf("the missing list: %q", got)
	}
	b.waitFor(`document.activeElement && document.activeElement.id === 'v-D01-01' && `+entrySel("D01-01")+`.classList.contains('missing')`, 5*time.Second)
	b.shot("missing")
	typeInto(b, "#v-D01-01", "11.4")
	b.waitFor(entrySel("D01-01")+`.querySelector('.save-state').getAttribute('data-state') === 'saved' && !`+entrySel("D01-01")+`.classList.contains('missing')`, 10*time.Second)
	b.js(`document.getElementById('submit-all').click()`)
	b.waitFor(`document.getElementById('submit-msg').textContent.indexOf('已报送 3 项') >= 0`, 10*time.Second)
	for _, code := range []string{"T01-01", "T01-02", "D01-01"} {
		if got := b.js(entrySel(code) + `.querySelector('.badge').textContent + '|' + ` + entrySel(code) + `.querySelectorAll('input, textarea, select').length`).(string); got != "已报送|0" {
			t.Errorf("%s after submit: badge|fields %q, want 已报送|0", code, got)
		}
	}
	if !b.js(`document.getElementById('submit-all').disabled`).(bool) {
		t.Error("submit all is still enabled with everything submitted")
	}
	noSideScroll(b, "submitted")
	axeIfThere(b, "the assessor's page")

	// The office returns 地区生产总值增速 with a comment.
	a.call("POST", "/api/v1/cycles/2020/indicators/T01-01/return", "", map[string]string{"comment": "请按统计年鉴终审数填写"}, 200, nil)
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.querySelector('.entry').getAttribute('data-code') === 'T01-01' && !!document.querySelector('#returned #e-T01-01')`, 10*time.Second)
	if got := b.js(entrySel("T01-01") + `.textContent`).(string); !strings.Contains(got, "考核办退回意见：请按统计年鉴终审数填写") || !strings.Contains(got, "已退回") {
		t.Errorf("the returned entry: %q", got)
	}
	b.shot("returned")
	typeInto(b, "#v-T01-01", "8.1")
	b.waitFor(entrySel("T01-01")+`.querySelector('.save-state').getAttribute('data-state') === 'saved' && `+entrySel("T01-01")+`.querySelector('.figures').textContent.indexOf('系数 0.9529') >= 0`, 10*time.Second)
	b.js(`document.getElementById('submit-all').click()`)
	b.waitFor(`document.getElementById('submit-msg').textContent.indexOf('已报送 1 项') >= 0 && document.querySelectorAll('#returned .entry').length === 0`, 10*time.Second)

	inEnglish(b, "the assessor's page", "Submit all", "Submitted", "My entries")

	// The office approves the body; the unit signs in.
	a.call("POST", "/api/v1/cycles/2020/bodies/TJJ/approve", "", nil, 200, nil)
	b.js(`document.querySelector('form.logout').submit(); true`)
	b.waitFor(`location.pathname === '/console/login'`, 10*time.Second)
	signInAs(b, "t01", "/console/cycles/2020/mine", `document.querySelectorAll('.ind').length === 6`)
	if got := b.js(`document.querySelector('.nav').textContent.trim()`).(string); got != "本单位指标加减分单位报告" {
		t.Errorf("the unit's nav reads %q", got)
	}
	text := b.js(`document.getElementById('mine-body').textContent`).(string)
	if got := b.js(`document.querySelector('.ind[data-code="T01-01"]').textContent`).(string); !strings.Contains(got, "实际 8.1 %") || !strings.Contains(got, "完成率 95.29%") || !strings.Contains(got, "系数 0.9529") || !strings.Contains(got, "得分 19.059") {
		t.Errorf("the approved T01-01: %q", got)
	}
	if got := b.js(`document.querySelector('.cat[data-category="economic"] .subtotal').textContent`).(string); got != "小计 31.059 / 35 分" {
		t.Errorf("the economic subtotal %q, want 小计 31.059 / 35 分", got)
	}
	if got := b.js(`document.querySelector('.ind[data-code="T01-05"]').textContent`).(string); !strings.Contains(got, "待审核") || strings.Contains(got, "87.5") || strings.Contains(got, "系数") {
		t.Errorf("the submitted, unapproved T01-05 shows %q", got)
	}
	if strings.Contains(text, "87.5") || strings.Contains(text, "0.875") || strings.Contains(text, "17.5") || strings.Contains(text, "11.4") {
		t.Errorf("the unit's page shows an unapproved or another unit's value: %q", text)
	}
	if n := b.js(`document.querySelectorAll('.ind[data-status="pending"]').length`).(float64); n != 4 {
		t.Errorf("%v indicators pending, want 4", n)
	}
	noSideScroll(b, "mine")
	b.shot("mine")
	axeIfThere(b, "the unit's page")
	inEnglish(b, "the unit's page", "Our indicators", "Pending review", "Subtotal 31.059 / 35 pts")

	// A body with no indicators this year is told so, with nothing to submit.
	b.js(`document.querySelector('form.logout').submit(); true`)
	b.waitFor(`location.pathname === '/console/login'`, 10*time.Second)
	signInAs(b, "czj", page, `!!document.getElementById('no-indicators')`)
	if got := b.js(`document.getElementById('no-indicators').textContent + '|' + document.getElementById('submit-bar').hidden + '|' + document.querySelectorAll('.entry').length`).(string); got != "县财政局在本年度没有需要填报的指标。如有疑问，请联系考核办。|true|0" {
		t.Errorf("a body without indicators: %q", got)
	}
}
