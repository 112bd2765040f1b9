package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource finds axe-core (the accessibility engine of Lighthouse): the
// file CEPING_AXE names, or the copy .ci/run installs with npm. Without it
// the test skips and says how to get it; the pages carry no script of it.
func axeSource(t *testing.T) string {
	for _, p := range []string{os.Getenv("CEPING_AXE"), filepath.Join(os.TempDir(), "ceping-axe", "node_modules", "axe-core", "axe.min.js")} {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	t.Skip("axe-core not found: npm install --prefix /tmp/ceping-axe axe-core@4, or set CEPING_AXE to axe.min.js (.ci/run does)")
	return ""
}

// axe runs axe-core's WCAG 2 A and AA rules on the page in b and returns
// what it found, one line per rule broken.
func axe(b *browserApp, src string) []string {
	b.t.Helper()
	b.js(src + ";true")
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return v.id + ' (' + v.impact + '): ' + v.nodes.length + ' × ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', ');
		}));
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe: %v", err)
	}
	var lines []string
	if err := json.Unmarshal([]byte(out), &lines); err != nil {
		b.t.Fatalf("axe: %v: %s", err, out)
	}
	return lines
}

// TestAccessibility checks with axe-core, as Lighthouse does, the pages an
// attendee and an organizer meet first — the code entry, the ballot, the
// sign-in, the overview and the run page — on a 375 px phone with WeChat's
// user agent: no WCAG 2.1 A or AA rule broken.
func TestAccessibility(t *testing.T) {
	src := axeSource(t)
	b := newBrowserApp(t, 375, 667, weChatUA)
	tokens := browserYear(b.app, 1)
	check := func(name string) {
		t.Helper()
		if found := axe(b, src); len(found) > 0 {
			b.shot("axe-" + name)
			t.Errorf("%s: %d accessibility rules broken:\n  %s", name, len(found), strings.Join(found, "\n  "))
		}
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/b")); err != nil {
		t.Fatal(err)
	}
	b.view("code")
	check("code entry")
	b.open(tokens[0])
	b.view("form")
	check("ballot")
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login")); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	check("sign-in")
	uxSignIn(b, "admin", "admin-password", "/console")
	b.waitFor(`document.querySelectorAll('main a[href*="/meetings/"]').length > 0`, 10*time.Second)
	check("overview")
	run := fmt.Sprintf("/console/cycles/%s/meetings/%s", "2020", "M1")
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+run)); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!document.getElementById('status-card').hidden && document.querySelectorAll('#turnout tbody tr').length > 0`, 10*time.Second)
	check("run page")
}
