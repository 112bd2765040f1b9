package server_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// adjustScore is T01's row of the score table.
func adjustScore(a *app) (adjustments, total float64, warnings string) {
	var table struct {
		Units []struct {
			Unit        string
			Adjustments float64
			Total       float64
			Warnings    []string
		}
	}
	a.call("GET", "/api/v1/cycles/2020/scores", "", nil, 200, &table)
	for _, u := range table.Units {
		if u.Unit == "T01" {
			return u.Adjustments, u.Total, strings.Join(u.Warnings, "|")
		}
	}
	a.t.Fatalf("no T01 row in %+v", table)
	return
}

// TestBrowserAdjustments: a unit account applies for a bonus on a phone
// (375 px), the office approves it, and the score changes.
func TestBrowserAdjustments(t *testing.T) {
	b := newBrowserApp(t, 375, 740, "")
	a := b.app
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town"}, {"code": "T02", "name": "河口镇", "kind": "town"}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/targets", "", []map[string]any{{"unit": "T01", "indicators": []map[string]any{
		{"category": "economic", "name": "经济发展", "points": 35, "completion": 0.9},
		{"category": "social", "name": "社会事业", "points": 15, "score": 90},
		{"category": "environment", "name": "生态环境", "points": 15, "score": 90},
		{"category": "stability", "name": "安全稳定", "points": 20, "score": 90},
		{"category": "team", "name": "班子建设", "points": 15, "score": 90}}}}, 200, nil)
	a.call("POST", "/api/v1/users", "", map[string]any{"name": "t01", "role": "unit", "unit": "T01", "password": "unit-password-01"}, 201, nil)
	adj0, total0, _ := adjustScore(a)
	if adj0 != 0 {
		t.Fatalf("adjustments before any entry: %v", adj0)
	}

	const page = "/console/cycles/2020/adjustments"
	signIn := func(user, pw string) {
		t.Helper()
		if err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}), chromedp.Navigate(b.base+"/console/login?next="+page)); err != nil {
			t.Fatal(err)
		}
		b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
		b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = '` + user + `'; f.password.value = '` + pw + `'; f.submit(); return true; })()`)
		b.waitFor(`location.pathname === '`+page+`' && document.querySelectorAll('#adj-category option').length > 0 && !document.querySelector('#adj-list [data-i18n]')`, 15*time.Second)
	}

	// The unit applies: bonus categories only, no unit to choose.
	signIn("t01", "unit-password-01")
	if got := b.js(`Array.prototype.map.call(document.querySelectorAll('#adj-category option'), function(o){ return o.value; }).join(',')`); got != "national_award,provincial_award,city_award,major_task,reform_promoted" {
		t.Errorf("a unit's categories: %v", got)
	}
	if b.js(`document.getElementById('adj-unit-label').hidden`) != true {
		t.Error("a unit account is offered a choice of unit")
	}
	// Points beyond the category's max are refused, naming the field.
	b.js(`(function(){ document.getElementById('adj-category').value = 'major_task'; document.getElementById('adj-category').dispatchEvent(new Event('change'));
		document.getElementById('adj-points').value = '3'; document.getElementById('adj-reason').value = '承担全省试点'; document.getElementById('adj-submit').click(); return true; })()`)
	b.waitFor(`document.getElementById('adj-points').classList.contains('invalid') && /最多加 1 分/.test(document.getElementById('adj-form-msg').textContent)`, 10*time.Second)
	b.js(`(function(){ document.getElementById('adj-category').value = 'provincial_award'; document.getElementById('adj-category').dispatchEvent(new Event('change'));
		document.getElementById('adj-points').value = ''; document.getElementById('adj-reason').value = '获省级文明乡镇称号（省文明委〔2020〕5号）'; document.getElementById('adj-submit').click(); return true; })()`)
	b.waitFor(`document.querySelectorAll('#adj-list li[data-status=applied]').length === 1`, 10*time.Second)
	if got := b.js(`document.querySelector('#adj-list li[data-status=applied]').textContent`).(string); !strings.Contains(got, "+1") || !strings.Contains(got, "待审核") || !strings.Contains(got, "省文明委") {
		t.Errorf("the application reads %q", got)
	}
	// Phone first: nothing runs off a 375 px screen, every button is a 44 px target.
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 375 {
		t.Errorf("the page is %v px wide on a 375 px phone", w)
	}
	if small := b.js(`Array.prototype.filter.call(document.querySelectorAll('#adj-page button, #adj-page select, #adj-page input'), function(e){ var r = e.getBoundingClientRect(); return e.offsetParent !== null && (r.height < 44 || r.width < 44); }).map(function(e){ return e.id || e.textContent; }).join(',')`); small != "" {
		t.Errorf("touch targets under 44 px: %v", small)
	}
	if adj, _, warn := adjustScore(a); adj != 0 || !strings.Contains(warn, "有 1 项加减分申请待审核") {
		t.Errorf("before approval: adjustments %v, warnings %q", adj, warn)
	}

	// The office approves on the same page.
	signIn("admin", "admin-password")
	b.waitFor(`!!document.querySelector('#adj-list li[data-status=applied] button[data-act=approve]')`, 10*time.Second)
	if b.js(`document.getElementById('adj-unit-label').hidden`) != false {
		t.Error("the office cannot choose the unit")
	}
	b.js(`document.querySelector('#adj-list li[data-status=applied] button[data-act=approve]').click()`)
	b.waitFor(`document.querySelectorAll('#adj-list li[data-status=approved]').length === 1 && /已通过/.test(document.querySelector('#adj-list li[data-status=approved]').textContent)`, 10*time.Second)

	adj, total, warn := adjustScore(a)
	if adj != 1 || math.Abs(total-total0-1) > 0.011 || strings.Contains(warn, "待审核") {
		t.Errorf("after approval: adjustments %v (want 1), total %v → %v, warnings %q", adj, total0, total, warn)
	}
}
