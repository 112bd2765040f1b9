package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// targetsYear sets up cycle 2021 with a town and a department and their
// target-task data: T01 has one indicator per town category and a bonus,
// D01 two work indicators and one team indicator.
func targetsYear(a *app) {
	a.t.Helper()
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2021", "name": "2021年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2021/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 80}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 35}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2021/targets", "", []map[string]any{
		{"unit": "T01", "indicators": []map[string]any{
			{"category": "economic", "name": "地区生产总值", "points": 35, "completion": 1.0234},
			{"category": "social", "name": "社会事业", "points": 15, "score": 90},
			{"category": "environment", "name": "生态环境", "points": 15, "score": 85},
			{"category": "stability", "name": "安全稳定", "points": 20, "score": 95},
			{"category": "team", "name": "班子建设", "points": 15, "score": 88}},
			"adjustments": []map[string]any{{"points": 1, "reason": "获省级表彰"}}},
		{"unit": "D01", "indicators": []map[string]any{
			{"category": "work", "name": "财政收入", "points": 40, "completion": 0.95},
			{"category": "work", "name": "预算执行", "points": 30, "score": 92},
			{"category": "team", "name": "班子建设", "points": 30, "score": 88}}},
	}, 200, nil)
}

// rowJS finds the index of the targets row of unit whose name cell reads name.
func rowJS(unit, name string) string {
	return fmt.Sprintf(`(function(){ var rows = document.querySelectorAll('#targets-table tbody tr[data-unit=%q]');
		for (var i = 0; i < rows.length; i++) if (rows[i].querySelector('[data-key=name]').value === %q) return rows[i].getAttribute('data-index');
		return null; })()`, unit, name)
}

// setCell types value into a cell of targets row i as a person would.
func (b *browserApp) setCell(i, key, value string) {
	b.t.Helper()
	b.js(fmt.Sprintf(`(function(){ var el = document.querySelector('#targets-table tbody tr[data-index="%s"] [data-key=%s]');
		el.value = %q; el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})); return true; })()`, i, key, value))
}

func (b *browserApp) targetRow(unit, name string) string {
	b.t.Helper()
	i, _ := b.js(rowJS(unit, name)).(string)
	if i == "" {
		b.shot("no-row")
		b.t.Fatalf("no targets row %s %s", unit, name)
	}
	return i
}

func TestBrowserEditTargets(t *testing.T) {
	b := newBrowserApp(t, 1280, 900, "")
	targetsYear(b.app)
	const rows = `document.querySelectorAll('#targets-table tbody tr[data-index]').length`

	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next=/console/cycles/2021/setup")); err != nil {
		t.Fatal(err)
	}
	b.settle(`!!document.querySelector('input[name=username]')`)
	b.js(`(function(){ document.querySelector('input[name=username]').value = 'admin'; document.querySelector('input[name=password]').value = 'admin-password';
		document.querySelector('form[action="/console/login"] button[type=submit]').click(); return true; })()`)
	b.settle(`location.pathname === '/console/cycles/2021/setup' && ` + rows + ` === 9`)
	b.shot("1-targets")
	if cat := b.js(`document.querySelector('#targets-table tbody tr[data-index="0"] [data-key=category] option:checked').textContent`).(string); !strings.Contains(cat, "经济发展") {
		t.Errorf("the category select reads %q, want 经济发展", cat)
	}
	if pct := b.js(`document.querySelector('#targets-table tbody tr[data-index="0"] [data-key=completion]').value`).(string); pct != "102.34" {
		t.Errorf("completion 1.0234 shown as %q, want 102.34 (percent)", pct)
	}

	// Edit a points cell and add a row that keeps the work category at 70.
	budget := b.targetRow("D01", "预算执行")
	b.setCell(budget, "points", "20")
	b.waitFor(`!document.querySelector('[data-dirty=targets]').hidden`, 5*time.Second)
	b.js(`document.querySelector('[data-add=targets]').click()`)
	b.waitFor(rows+` === 10`, 5*time.Second)
	if u := b.js(`document.querySelector('#targets-table tbody tr[data-index="9"] [data-key=unit]').value`).(string); u != "D01" {
		t.Errorf("the new row's unit is %q, want D01 (the row above)", u)
	}
	b.setCell("9", "category", "work")
	b.setCell("9", "name", "招商引资")
	b.setCell("9", "points", "10")
	b.setCell("9", "completion", "88")
	// A blank row added by mistake goes again without a question.
	b.js(`document.querySelector('[data-add=targets]').click()`)
	b.waitFor(rows+` === 11`, 5*time.Second)
	b.js(`document.querySelector('#targets-table tbody tr[data-index="10"] button.danger').click()`)
	b.waitFor(rows+` === 10`, 5*time.Second)
	b.shot("2-edited")
	b.js(`document.querySelector('[data-save=targets]').click()`)
	b.waitFor(`document.getElementById('targets-msg').className.indexOf('ok') >= 0 && document.querySelector('[data-dirty=targets]').hidden`, 10*time.Second)

	var stored []importedTarget
	b.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, &stored)
	if len(stored) != 2 || stored[1].Unit != "D01" || len(stored[1].Indicators) != 4 {
		t.Fatalf("stored targets after the save: %+v", stored)
	}
	d := stored[1].Indicators
	if d[1].Name != "预算执行" || d[1].Points != 20 || d[1].Score == nil || *d[1].Score != 92 {
		t.Errorf("the edited indicator is stored as %+v", d[1])
	}
	if d[3].Name != "招商引资" || d[3].Category != "work" || d[3].Points != 10 || d[3].Completion == nil || *d[3].Completion != 0.88 {
		t.Errorf("the added indicator is stored as %+v", d[3])
	}
	// What was not touched is stored as it was.
	if c := stored[0].Indicators[0].Completion; c == nil || *c != 1.0234 || len(stored[0].Adjustments) != 1 || stored[0].Adjustments[0].Reason != "获省级表彰" {
		t.Errorf("the town's untouched data changed: %+v", stored[0])
	}

	// A reload shows what was saved.
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	b.settle(rows + ` === 10`)
	if v := b.js(`document.querySelector('#targets-table tbody tr[data-index="` + b.targetRow("D01", "预算执行") + `"] [data-key=points]').value`).(string); v != "20" {
		t.Errorf("after a reload 预算执行 has %q points, want 20", v)
	}
	if v := b.js(`document.querySelector('#targets-table tbody tr[data-index="` + b.targetRow("D01", "招商引资") + `"] [data-key=completion]').value`).(string); v != "88" {
		t.Errorf("after a reload 招商引资 shows completion %q, want 88", v)
	}
	b.shot("3-reloaded")

	before := b.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, nil)
	unchanged := func() {
		t.Helper()
		if after := b.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, nil); !bytes.Equal(before, after) {
			t.Errorf("a refused save changed the stored targets:\n%s\n%s", before, after)
		}
	}

	// A score over 100: the message stands under its row, at its cell.
	social := b.targetRow("T01", "社会事业")
	b.setCell(social, "score", "150")
	b.js(`document.querySelector('[data-save=targets]').click()`)
	b.waitFor(`!!document.querySelector('#targets-table tbody tr[data-index="`+social+`"] [data-key=score].invalid')`, 10*time.Second)
	note := b.js(`(function(){ var n = document.querySelector('#targets-table tbody tr[data-index="` + social + `"]').nextSibling; return n && n.classList.contains('row-error') ? n.textContent : ''; })()`).(string)
	if !strings.Contains(note, "第 "+rowNumber(social)+" 行「得分」") || !strings.Contains(note, "城关镇") || !strings.Contains(note, "0 到 100") {
		t.Errorf("the note under the row reads %q", note)
	}
	if cls := b.js(`document.getElementById('targets-msg').className`).(string); !strings.Contains(cls, "bad") {
		t.Errorf("the save message is %q, want bad", cls)
	}
	if b.js(`document.querySelector('[data-dirty=targets]').hidden`).(bool) {
		t.Errorf("the unsaved-changes marker went away after a refused save")
	}
	b.shot("4-bad-score")
	unchanged()

	// Points that no longer add up to the category's 35: named at the row.
	b.setCell(social, "score", "90")
	gdp := b.targetRow("T01", "地区生产总值")
	b.setCell(gdp, "points", "30")
	b.js(`document.querySelector('[data-save=targets]').click()`)
	b.waitFor(`!!document.querySelector('#targets-table tbody tr[data-index="`+gdp+`"] [data-key=points].invalid')`, 10*time.Second)
	note = b.js(`document.querySelector('#targets-table tbody tr[data-index="` + gdp + `"]').nextSibling.textContent`).(string)
	if !strings.Contains(note, "经济发展") || !strings.Contains(note, "应为 35") {
		t.Errorf("the note under the row reads %q", note)
	}
	b.shot("5-bad-sum")
	unchanged()

	// A row without points is caught before anything is sent.
	b.setCell(gdp, "points", "")
	b.js(`document.querySelector('[data-save=targets]').click()`)
	b.waitFor(`!!document.querySelector('#targets-table tbody tr[data-index="`+gdp+`"] [data-key=points].invalid')`, 5*time.Second)
	unchanged()
}

// rowNumber turns a data-index into the row number people see.
func rowNumber(index string) string {
	var n int
	json.Unmarshal([]byte(index), &n)
	return fmt.Sprint(n + 1)
}
