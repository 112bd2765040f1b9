package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// paperJSONOut is a waiting paper ballot as GET …/paper lists it.
type paperJSONOut struct {
	ID         string `json:"id"`
	Group      string `json:"group"`
	GroupName  string `json:"group_name"`
	KeyedBy    string `json:"keyed_by"`
	KeyedAt    string `json:"keyed_at"`
	CanConfirm bool   `json:"can_confirm"`
	Lines      []struct {
		Section, Subject, Answer string
	} `json:"lines"`
}

func (ts *testServer) waiting(t *testing.T, as string) []paperJSONOut {
	t.Helper()
	var out struct {
		Paper []paperJSONOut `json:"paper"`
	}
	ts.call(t, "GET", mURL+"/paper", as, nil, 200, &out)
	return out.Paper
}

func paperBody(code string, v vote) map[string]any {
	return map[string]any{"code": code, "answers": v.answers()}
}

func TestPaperBallotsHTTP(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 6)
	code := b.Tokens[0]

	// Before the meeting opens nothing can be keyed.
	status, body := ts.do(t, req{method: "POST", url: mURL + "/paper", as: groupUser, body: mustJSON(paperBody(code, goodVote()))})
	if status != 403 || errorShape(t, body) != "meeting_not_open" {
		t.Fatalf("keying before open: %d %s", status, body)
	}
	ts.open(t, mURL)

	ts.run(t, []scenario{
		{name: "SlipForm", method: "POST", url: mURL + "/paper/slip", as: groupUser, body: mustJSON(map[string]string{"code": strings.ToLower(code)}),
			status: 200, contains: []string{`"sections"`, `"cadres"`, `"dem"`}, absent: []string{code}},
		{name: "SlipOfNobody", method: "POST", url: mURL + "/paper/slip", as: groupUser, body: `{"code":"not a code"}`, status: 400, code: "invalid_token"},
		{name: "NotStaff", method: "POST", url: mURL + "/paper", as: otherGroup, body: mustJSON(paperBody(code, goodVote())), status: 403, code: "forbidden"},
		{name: "Viewer", method: "GET", url: mURL + "/paper", as: viewerUser, status: 403, code: "forbidden"},
		{name: "Anonymous", method: "GET", url: mURL + "/paper", status: 401, code: "unauthorized"},
		{name: "InvalidBallot", method: "POST", url: mURL + "/paper", as: groupUser,
			body:   mustJSON(paperBody(code, vote{dem: "好", mut: [2]float64{101, 92}, cad: [3]string{"优秀", "优秀", "称职"}})),
			status: 422, code: "invalid_ballot", contains: []string{`"section":"mut"`, `"rule":"out_of_range"`, `"section":"cad"`}},
		{name: "Keyed", method: "POST", url: mURL + "/paper", as: groupUser, body: mustJSON(paperBody(code, goodVote())),
			status: 201, contains: []string{`"keyed_by":"zhang"`, `"lines"`}, absent: []string{code, "token_hash"}},
		{name: "KeyedTwice", method: "POST", url: mURL + "/paper", as: adminUser, body: mustJSON(paperBody(code, goodVote())), status: 409, code: "conflict"},
	})

	// Waiting: uncounted, the slip unspent, shown to staff with who keyed it.
	if tu := ts.turnout(t, mURL); tu.Cast != 0 {
		t.Fatalf("a keyed paper ballot counts: %+v", tu)
	}
	if status, body := ts.do(t, req{method: "GET", url: "/api/v1/ballot", headers: map[string]string{"Authorization": "Ballot " + code}}); status != 200 {
		t.Fatalf("the slip after keying: %d %s", status, body)
	}
	list := ts.waiting(t, groupUser)
	if len(list) != 1 || list[0].KeyedBy != groupUser || list[0].CanConfirm || list[0].KeyedAt == "" || list[0].GroupName != "机关干部" || len(list[0].Lines) == 0 {
		t.Fatalf("waiting as zhang: %+v", list)
	}
	if adm := ts.waiting(t, adminUser); !adm[0].CanConfirm {
		t.Fatalf("admin may confirm: %+v", adm)
	}
	id := list[0].ID
	confirm := func(as, code string) (int, []byte) {
		return ts.do(t, req{method: "POST", url: mURL + "/paper/" + id + "/confirm", as: as, body: mustJSON(map[string]string{"code": code})})
	}
	if status, body := confirm(groupUser, code); status != 409 || errorShape(t, body) != "conflict" {
		t.Fatalf("the keyer confirming: %d %s", status, body)
	}
	if status, body := confirm(adminUser, b.Tokens[1]); status != 400 || errorShape(t, body) != "invalid" {
		t.Fatalf("confirming with another slip's code: %d %s", status, body)
	}
	if status, body := confirm(adminUser, code); status != 201 || !strings.Contains(string(body), `"counted"`) {
		t.Fatalf("confirm: %d %s", status, body)
	}
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 1 && tu.Groups[0].Cast == 1 })
	if status, _ := confirm(adminUser, code); status != 404 {
		t.Fatalf("confirming again: %d, want 404 (gone)", status)
	}
	// The slip is spent whichever way it was used.
	if status, body := ts.cast(t, code, "phone", goodVote().body()); status != 409 || errorShape(t, body) != "token_used" {
		t.Fatalf("the phone after the paper: %d %s", status, body)
	}

	// Keyed on paper, then voted by phone: the phone wins, the paper copy is void.
	ts.call(t, "POST", mURL+"/paper", groupUser, paperBody(b.Tokens[2], goodVote()), 201, nil)
	ts.mustCast(t, b.Tokens[2], goodVote())
	id = ts.waiting(t, adminUser)[0].ID
	if status, body := confirm(adminUser, b.Tokens[2]); status != 409 || errorShape(t, body) != "token_used" {
		t.Fatalf("confirm after the phone: %d %s", status, body)
	}
	if w := ts.waiting(t, adminUser); len(w) != 0 {
		t.Fatalf("the void paper ballot still waits: %+v", w)
	}
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 2 })

	// Discard: nothing counted, the slip still good.
	var kept paperJSONOut
	ts.call(t, "POST", mURL+"/paper", adminUser, paperBody(b.Tokens[3], goodVote()), 201, &kept)
	ts.call(t, "DELETE", mURL+"/paper/"+kept.ID, otherGroup, nil, 403, nil)
	ts.call(t, "DELETE", mURL+"/paper/"+kept.ID, groupUser, nil, 204, nil)
	ts.call(t, "DELETE", mURL+"/paper/"+kept.ID, groupUser, nil, 404, nil)
	ts.mustCast(t, b.Tokens[3], goodVote())
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 3 })

	// No slip code reached the logs.
	logs := ts.log.String()
	for _, tok := range b.Tokens {
		if strings.Contains(logs, tok) || strings.Contains(logs, strings.ToLower(tok)) {
			t.Fatalf("a slip code is in the logs")
		}
	}
}

// TestPaperPage: the console page renders for staff under the strict CSP,
// with no inline script.
func TestPaperPage(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	for _, as := range []string{adminUser, groupUser} {
		status, body, h := ts.doFull(t, req{method: "GET", url: "/console/cycles/2020/meetings/M1/paper", as: as})
		if status != 200 || !strings.Contains(string(body), `id="slip-form"`) || !strings.Contains(string(body), "/paper.js") {
			t.Fatalf("paper page as %s: %d %s", as, status, trim(body))
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || strings.Contains(string(body), "<script>") || strings.Contains(string(body), " style=") {
			t.Fatalf("paper page CSP or inline code: %s", h.Get("Content-Security-Policy"))
		}
	}
	if status, _ := ts.do(t, req{method: "GET", url: "/console/cycles/2020/meetings/M1/paper", as: viewerUser}); status != 403 {
		t.Fatalf("viewer on the paper page: %d", status)
	}
}

// TestPaperAndScreenInBrowser drives the paper page and the big screen in
// headless Chromium: keying by one person (the slip read as a scanner types
// it, the QR link), confirming by another, and the screen following turnout
// with no account. Skipped without Chromium.
func TestPaperAndScreenInBrowser(t *testing.T) {
	chrome := ChromiumPath()
	if chrome == "" {
		t.Skip("chromium not installed")
	}
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 3)
	ts.open(t, mURL)
	base := ts.listen(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser before anything else listens to it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()
	var consoleErrs []string
	var mu sync.Mutex
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			// Failed requests (favicon.ico, the deliberate 422, the 403 page)
			// are reported too; what matters is code the CSP refused or that threw.
			if text := strings.ToLower(m.Text); strings.Contains(text, "refused") || strings.Contains(text, "content security policy") || strings.Contains(text, "uncaught") {
				mu.Lock()
				consoleErrs = append(consoleErrs, m.Text)
				mu.Unlock()
			}
		}
	}()
	js := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("js %s: %v", expr, err)
		}
		return v
	}
	waitFor := func(expr string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
			if err == nil {
				return
			}
			// A navigation replaces the page under a poll: poll the new one.
			navigated := strings.Contains(err.Error(), "Cannot find context") || strings.Contains(err.Error(), "context was destroyed") || strings.Contains(err.Error(), "navigated or closed")
			if time.Now().After(deadline) || !navigated {
				v, _ := chromedp.Run(ctx, chromedp.Evaluate[any](`[(document.getElementById('ballot-msg') || {}).textContent, (document.getElementById('waiting') || {}).textContent]`))
				t.Fatalf("waiting for %s: %v; page %v", expr, err, v)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	signIn := func(user string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/console/login?next=/console/cycles/2020/meetings/M1/paper")); err != nil {
			t.Fatal(err)
		}
		js(`(function(){ var f = document.querySelector('form'); f.username.value = '` + user + `'; f.password.value = '` + password + `'; f.submit(); return true; })()`)
		waitFor(`!!document.getElementById('slip-form') && !!document.querySelector('#waiting')`)
	}

	// zhang keys the paper ballot: the scanner types the QR link.
	signIn(groupUser)
	js(`(function(){ document.getElementById('slip-code').value = 'http://test/b#` + b.Tokens[0] + `'; document.getElementById('slip-go').click(); return true; })()`)
	waitFor(`!document.getElementById('ballot-form').hidden && !!document.querySelector('select[name="cad/P01/德"]')`)
	fill := `(function(){
		function set(n, v){ var e = document.getElementById('ballot-form').elements[n]; if (!e) throw new Error('no ' + n); e.value = v; }
		set('dem/T01', '好'); set('mut/D01', '88'); set('mut/D02', '%s');
		['P01','P02','P03'].forEach(function(p){ ['德','能','勤','绩','廉'].forEach(function(d){ set('cad/'+p+'/'+d, '称职'); }); });
		document.querySelector('input[type=checkbox][value="P07"]').checked = true;
		document.getElementById('ballot-submit').click(); return true; })()`
	// First with a score out of range: 422, named on the page, nothing waits.
	js(strings.Replace(fill, "%s", "101", 1))
	waitFor(`document.getElementById('ballot-msg').textContent.indexOf('D02') >= 0 && document.querySelector('#ballot-form tr.problem[data-subject="D02"]') !== null`)
	js(strings.Replace(fill, "%s", "92", 1))
	waitFor(`document.getElementById('key-done').textContent !== ''`)
	waitFor(`document.querySelectorAll('#waiting .paper').length === 1`)
	if js(`document.querySelector('#waiting .paper .confirm-code') === null`) != true {
		t.Fatal("the keyer is offered to confirm")
	}
	if tu := ts.turnout(t, mURL); tu.Cast != 0 {
		t.Fatalf("keyed but not confirmed, yet counted: %+v", tu)
	}

	// admin confirms, typing the code as printed (groups of four).
	signIn(adminUser)
	waitFor(`document.querySelectorAll('#waiting .paper .confirm-code').length === 1`)
	grouped := strings.Join([]string{b.Tokens[0][:4], b.Tokens[0][4:8], b.Tokens[0][8:]}, " ")
	js(`(function(){ document.querySelector('#waiting .confirm-code').value = '` + grouped + `'; document.querySelector('#waiting .confirm').click(); return true; })()`)
	waitFor(`document.querySelectorAll('#waiting .paper').length === 0`)
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 1 })

	// The screen link opens without an account and follows turnout.
	var link screenLinkOut
	ts.call(t, "POST", mURL+"/screen-link", adminUser, map[string]any{"hours": 1, "show_results": true}, 201, &link)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}), chromedp.Navigate(base+link.Path)); err != nil {
		t.Fatal(err)
	}
	waitFor(`document.getElementById('cast').textContent === '1' && document.getElementById('issued').textContent === '3' && document.getElementById('status').getAttribute('data-status') === 'open'`)
	ts.mustCast(t, b.Tokens[1], goodVote())
	waitFor(`document.getElementById('cast').textContent === '2' && document.getElementById('pct').textContent === '66.7%'`)
	ts.mustCast(t, b.Tokens[2], goodVote())
	ts.closeMeeting(t, mURL)
	waitFor(`document.body.getAttribute('data-state') === 'closed' && !document.getElementById('results').hidden && document.querySelector('#results [data-section="dem"]') !== null`)

	// A tampered link shows the 403 page in Chinese.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+strings.Replace(link.Path, "sig=", "sig=00", 1))); err != nil {
		t.Fatal(err)
	}
	waitFor(`document.body.getAttribute('data-state') === 'denied' && document.body.textContent.indexOf('大屏幕链接无效') >= 0`)

	mu.Lock()
	defer mu.Unlock()
	for _, m := range consoleErrs {
		t.Errorf("browser console: %s", m)
	}
}
