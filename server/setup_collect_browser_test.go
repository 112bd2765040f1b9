package server_test

import (
	"strings"
	"testing"
	"time"
)

// seedCatalogueYear: a year with two units, two bodies, a catalogue and
// an entered value on D01-01.
func seedCatalogueYear(a *app) {
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 80}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 30}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/bodies", "", []map[string]any{
		{"code": "TJJ", "name": "县统计局", "kind": "statistics"}, {"code": "G1", "name": "第一考核组", "kind": "group"}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/indicators", "", []map[string]any{
		{"code": "T01-01", "unit": "T01", "category": "economic", "name": "地区生产总值增速", "points": 35, "method": "completion", "target": 8.5, "measure": "%", "source": "TJJ"},
		{"code": "T01-02", "unit": "T01", "category": "social", "name": "社会事业", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-03", "unit": "T01", "category": "environment", "name": "生态环境", "points": 15, "method": "score", "source": "G1"},
		{"code": "T01-04", "unit": "T01", "category": "stability", "name": "安全生产", "points": 20, "method": "score", "source": "G1"},
		{"code": "T01-05", "unit": "T01", "category": "team", "name": "班子建设", "points": 15, "method": "score", "source": "G1"},
		{"code": "D01-01", "unit": "D01", "category": "work", "name": "财政收入", "points": 70, "method": "completion", "target": 12, "measure": "亿元", "source": "TJJ"},
		{"code": "D01-02", "unit": "D01", "category": "team", "name": "班子建设", "points": 30, "method": "score", "source": "G1"},
	}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/indicators/D01-01/entry", "", map[string]any{"actual": 11}, 200, nil)
}

// catRow is JavaScript for catalogue row i's input key.
func catRow(i, key string) string {
	return `document.querySelector('#catalogue-table tbody tr[data-index="` + i + `"] [data-key="` + key + `"]')`
}

// TestBrowserSetupCollect, on a phone: the set-up page edits the bodies
// and the catalogue; a duplicate code and a category that does not add up
// are marked at their row and field; changing an indicator with an entered
// value is refused with its code and saved after voiding it; the targets
// are read-only once there is a catalogue, with the pending ones marked.
func TestBrowserSetupCollect(t *testing.T) {
	b := newBrowserApp(t, 375, 800, "")
	seedCatalogueYear(b.app)
	signInTo(b, "/console/cycles/2020/setup", `document.querySelectorAll('#catalogue-table tbody tr[data-index]').length === 7`)

	// The targets: read-only, from the collection, pending marked.
	b.waitFor(`!document.getElementById('targets-readonly').hidden && document.querySelectorAll('#targets-table tr.pending').length === 7`, 10*time.Second)
	if shown := b.js(`!document.getElementById('targets-actions').hidden || !document.querySelector('[data-import="targets"]').hidden || !!document.querySelector('#targets-table input')`).(bool); shown {
		t.Error("the targets can still be edited with a catalogue")
	}
	if note := b.js(`document.getElementById('targets-readonly').textContent`).(string); !strings.Contains(note, "来自数据采集") {
		t.Errorf("the targets notice reads %q", note)
	}
	if mark := b.js(`document.querySelector('#targets-table tr.pending .pending-mark').textContent`).(string); mark != "待审核（暂记 0 分）" {
		t.Errorf("a pending indicator reads %q", mark)
	}

	// A body added on the page.
	b.js(`document.querySelector('[data-add="bodies"]').click(); true`)
	b.js(`(function(){ var tr = document.querySelector('#bodies-table tbody tr[data-index="2"]');
		function set(k, v){ var e = tr.querySelector('[data-key="' + k + '"]'); e.value = v; e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {bubbles:true})); }
		set('code', 'AJJ'); set('name', '县应急管理局'); set('kind', 'department'); document.querySelector('[data-save="bodies"]').click(); return true; })()`)
	b.waitFor(`/已保存/.test(document.getElementById('bodies-msg').textContent)`, 10*time.Second)
	var bodies []struct{ Code, Name, Kind string }
	b.app.call("GET", "/api/v1/cycles/2020/bodies", "", nil, 200, &bodies)
	if len(bodies) != 3 || bodies[2].Code != "AJJ" || bodies[2].Kind != "department" {
		t.Fatalf("bodies after the page saved: %+v", bodies)
	}
	// The new body is offered as a source at once.
	b.waitFor(`!!`+catRow("0", "source")+`.querySelector('option[value="AJJ"]')`, 5*time.Second)

	set := func(i, key, v string) {
		b.js(`(function(){ var e = ` + catRow(i, key) + `; e.value = '` + v + `'; e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {bubbles:true})); return true; })()`)
	}
	save := `document.querySelector('[data-save="catalogue"]').click(); true`
	// 400: a duplicate code, marked at its row and field.
	set("1", "code", "T01-01")
	b.js(save)
	b.waitFor(catRow("1", "code")+`.classList.contains('invalid')`, 10*time.Second)
	if note := b.js(`document.querySelector('#catalogue-table tr.row-error').textContent`).(string); !strings.Contains(note, "第 2 行「编码」") || !strings.Contains(note, "重复") {
		t.Errorf("the duplicate code is told %q", note)
	}
	set("1", "code", "T01-02")
	// 422: T01's stability no longer adds up to 20.
	set("3", "points", "18")
	b.js(save)
	b.waitFor(catRow("3", "points")+`.classList.contains('invalid')`, 10*time.Second)
	if msg := b.js(`document.getElementById('catalogue-msg').textContent`).(string); !strings.Contains(msg, "社会稳定") && !strings.Contains(msg, "stability") {
		t.Errorf("the points that do not add up are told %q", msg)
	}
	set("3", "points", "20")
	// 409: D01-01 has an entered value; a new target voids it.
	if !entered(b.app, "D01-01") {
		t.Fatal("D01-01 has no entry to void")
	}
	set("5", "target", "10")
	b.js(save)
	b.waitFor(`!document.getElementById('catalogue-conflict').hidden && /D01-01/.test(document.getElementById('catalogue-conflict').textContent)`, 10*time.Second)
	if !b.js(catRow("5", "code") + `.classList.contains('invalid')`).(bool) {
		t.Error("the row whose value would be voided is not marked")
	}
	var inds []struct {
		Code   string
		Target *float64
	}
	b.app.call("GET", "/api/v1/cycles/2020/indicators", "", nil, 200, &inds)
	if *inds[5].Target != 12 {
		t.Fatalf("the refused save changed the catalogue: %+v", inds[5])
	}
	// Declining the confirm changes nothing; accepting voids and saves.
	b.js(`window.confirm = function () { return false; }; document.getElementById('catalogue-reset').click(); true`)
	time.Sleep(300 * time.Millisecond)
	b.app.call("GET", "/api/v1/cycles/2020/indicators", "", nil, 200, &inds)
	if *inds[5].Target != 12 {
		t.Fatal("the reset ran without the confirm")
	}
	b.js(`window.confirm = function () { return true; }; document.getElementById('catalogue-reset').click(); true`)
	b.waitFor(`/已作废的填报数值：D01-01/.test(document.getElementById('catalogue-msg').textContent) && document.getElementById('catalogue-conflict').hidden`, 10*time.Second)
	b.app.call("GET", "/api/v1/cycles/2020/indicators", "", nil, 200, &inds)
	if *inds[5].Target != 10 {
		t.Fatalf("the reset did not save: %+v", inds[5])
	}
	if entered(b.app, "D01-01") {
		t.Error("the voided entry stays")
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 380 {
		t.Errorf("the set-up page is %v px wide at 375 px", w)
	}
	b.shot("catalogue")
}

// entered reports whether an indicator has an entry.
func entered(a *app, code string) bool {
	var out struct {
		Entries []struct {
			Code  string
			Entry map[string]any
		}
	}
	a.call("GET", "/api/v1/cycles/2020/entries", "", nil, 200, &out)
	for _, e := range out.Entries {
		if e.Code == code {
			return e.Entry != nil
		}
	}
	return false
}
