package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/ceping/ceping/server"
)

// The browser tests drive the real voter page in headless Chromium (Debian's
// chromium; .ci/run installs it). The browser talks to the server through a
// proxy that records every request line and can lose a response, as a
// hall's mobile network does. Screenshots of the main states are saved in
// artifacts/browser at the top of the repository.

const weChatUA = "Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/4317 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/6294 MicroMessenger/8.0.28.2240(0x28001C57) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64"

func chromiumPath(t testing.TB) string {
	if p := server.ChromiumPath(); p != "" {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: .ci/run installs Debian's chromium")
	}
	t.Skip("chromium not installed (apt-get install chromium fonts-noto-cjk, or set CEPING_CHROMIUM)")
	return ""
}

// proxy sits between the browser and the server.
type proxy struct {
	mu       sync.Mutex
	lines    []string // "METHOD URL" of every request, and its Referer if any
	loseNext int      // POST /api/v1/ballot answers to swallow after the server has handled them
	lost     int
	casts    int
}

func (p *proxy) handler(upstream string) http.Handler {
	target, _ := url.Parse(upstream)
	rp := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.lines = append(p.lines, r.Method+" "+r.URL.String()+" referer="+r.Header.Get("Referer"))
		lose := false
		if r.Method == "POST" && r.URL.Path == "/api/v1/ballot" {
			p.casts++
			if p.loseNext > 0 {
				p.loseNext--
				p.lost++
				lose = true
			}
		}
		p.mu.Unlock()
		if !lose {
			rp.ServeHTTP(w, r)
			return
		}
		// The server gets the ballot and answers; the phone never hears it.
		req, _ := http.NewRequest(r.Method, upstream+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
}

func (p *proxy) requestLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// browserApp is a server listening for real, a proxy in front of it and a
// browser.
type browserApp struct {
	*app
	base  string // the proxy's URL
	proxy *proxy
	ctx   context.Context
}

func newBrowserApp(t testing.TB, width, height int, userAgent string) *browserApp {
	chrome := chromiumPath(t)
	a := newApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		a.srv.Shutdown(ctx)
	})
	p := &proxy{}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := &http.Server{Handler: p.handler("http://" + ln.Addr().String())}
	go ps.Serve(pln)
	t.Cleanup(func() { ps.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if userAgent != "" {
			if _, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent}); err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(width), Height: int64(height), DeviceScaleFactor: 2, Mobile: true})
		return err
	}))
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browserApp{app: a, base: "http://" + pln.Addr().String(), proxy: p, ctx: ctx}
}

// js evaluates an expression in the page.
func (b *browserApp) js(expr string) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("js %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is true in the page.
func (b *browserApp) waitFor(expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	// A predicate that throws (an element not there yet) is false for now,
	// not a failure: the page is still loading.
	poll := "(function(){ try { return !!(" + expr + "); } catch (e) { return false; } })()"
	var err error
	for {
		_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](poll, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		// A navigation replaces the page's JavaScript context under a poll:
		// poll again in the new one.
		if err == nil || time.Now().After(deadline) || !navigated(err) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		b.shot("timeout")
		b.t.Fatalf("waiting for %s: %v (view %v, status %v)", expr, err,
			b.js(`document.documentElement.getAttribute('data-view')`), b.js(`(document.getElementById('status')||{}).textContent`))
	}
}

// navigated reports whether err says the page under a script went away.
func navigated(err error) bool {
	for _, s := range []string{"Cannot find context", "context was destroyed", "target navigated or closed"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

func (b *browserApp) view(want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf(`document.documentElement.getAttribute('data-view') === %q`, want), 10*time.Second)
}

// shot saves a full-page screenshot as artifacts/browser/<test>-<name>.png.
func (b *browserApp) shot(name string) {
	b.saveShot(strings.ReplaceAll(b.t.Name(), "/", "_") + "-" + name + ".png")
}

// saveShot saves a full-page screenshot as artifacts/browser/<file>.
func (b *browserApp) saveShot(file string) {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", file, err)
		return
	}
	dir := filepath.Join("..", "artifacts", "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	file = filepath.Join(dir, file)
	if err := os.WriteFile(file, png, 0o644); err == nil {
		b.t.Logf("screenshot: %s", file)
	}
}

// open loads the slip's page afresh, as a new scan does.
func (b *browserApp) open(token string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(b.base+"/b#"+token)); err != nil {
		b.t.Fatal(err)
	}
}

// browserYear sets up a meeting whose form has the four kinds of section and
// issues n slips.
func browserYear(a *app, n int) []string {
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	a.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town"}, {"code": "D01", "name": "县财政局", "kind": "department"}, {"code": "D02", "name": "县教育局", "kind": "department"}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/people", "", []map[string]any{
		{"code": "P01", "name": "张建国", "unit": "T01", "post": "党委书记"}, {"code": "P02", "name": "李卫东", "unit": "T01", "post": "镇长"},
		{"code": "P03", "name": "王秀兰", "unit": "T01", "post": "人大主席"}}, 200, nil)
	competent := map[string]any{"type": "grade", "options": []map[string]any{{"label": "优秀", "value": 1}, {"label": "称职", "value": 0.8}, {"label": "基本称职", "value": 0.5}, {"label": "不称职", "value": 0}}}
	a.call("PUT", "/api/v1/cycles/2020/forms/F", "", map[string]any{"title": "城关镇工作报告大会测评表", "sections": []map[string]any{
		{"code": "dem", "title": "民主测评", "purpose": "democratic", "subjects": []string{"host"},
			"scale": map[string]any{"type": "grade", "options": []map[string]any{{"label": "好", "value": 1}, {"label": "较好", "value": 0.8}, {"label": "一般", "value": 0.6}, {"label": "差", "value": 0}}}},
		{"code": "mut", "title": "单位互评", "purpose": "mutual", "subjects": []string{"kind:department"}, "scale": map[string]any{"type": "score", "min": 60, "max": 100}},
		{"code": "cad", "title": "科级干部测评", "purpose": "cadre", "subjects": []string{"people:host"}, "scale": competent,
			"dimensions": []string{"德", "能", "勤", "绩", "廉"}, "limits": []map[string]any{{"options": []string{"优秀"}, "max_share": 0.3}}},
		{"code": "rec", "title": "无任用推荐", "purpose": "recommend", "subjects": []string{"person:P02", "person:P03"}, "scale": map[string]any{"type": "choose", "max": 1}, "required": false},
	}}, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/meetings/M1", "", map[string]any{"title": "城关镇2020年度工作报告大会", "kind": "work_report", "host": "T01", "date": "2021-01-15",
		"groups": []map[string]any{{"code": "cadres", "name": "机关干部", "form": "F"}}}, 201, nil)
	var b struct{ Tokens []string }
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": n}, 201, &b)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	return b.Tokens
}

// fill answers every item as a careful voter would: 好, 88 and 92, 称职
// for every cadre and dimension, and recommends 李卫东.
func (b *browserApp) fill() {
	b.t.Helper()
	b.js(`(function(){
		function pick(name, value){ var el = document.querySelector('input[name="'+name+'"][value="'+value+'"]'); if(!el) throw new Error('no '+name+'='+value); el.click(); }
		pick('dem/T01', '好');
		['P01','P02','P03'].forEach(function(p){ ['德','能','勤','绩','廉'].forEach(function(d){ pick('cad/'+p+'/'+d, '称职'); }); });
		[['D01', 88], ['D02', 92]].forEach(function(x){ var el = document.querySelector('input[type=number][name="mut/'+x[0]+'"]');
			el.value = String(x[1]); el.dispatchEvent(new Event('input', {bubbles:true})); el.dispatchEvent(new Event('change', {bubbles:true})); });
		var c = document.querySelector('input[type=checkbox][name="rec/P02"]') || document.querySelector('input[type=checkbox][value="P02"]'); c.click();
		return true; })()`)
}

func (b *browserApp) castCount() int64 {
	b.t.Helper()
	var turnout struct{ Cast int64 }
	b.call("GET", "/api/v1/cycles/2020/meetings/M1/turnout", "", nil, 200, &turnout)
	return turnout.Cast
}

func TestBrowserVote(t *testing.T) {
	b := newBrowserApp(t, 412, 900, "")
	tokens := browserYear(b.app, 3)
	b.open(tokens[0])
	b.view("form")
	b.shot("1-form")
	b.waitFor(`document.querySelectorAll('section[data-section]').length === 4`, 5*time.Second)
	b.fill()
	b.waitFor(`(function(){ var p = document.getElementById('progress'); return p && p.getAttribute('data-done') === p.getAttribute('data-total'); })()`, 5*time.Second)
	b.js(`document.getElementById('review').click()`)
	b.view("review")
	b.shot("2-review")
	if summary := b.js(`document.getElementById('summary').textContent`).(string); !strings.Contains(summary, "称职") || !strings.Contains(summary, "88") {
		t.Errorf("the review does not show the choices: %q", summary)
	}
	b.js(`document.getElementById('submit').click()`)
	b.view("done")
	b.shot("3-done")
	done := b.js(`document.getElementById('done').textContent`).(string)
	if !strings.Contains(done, "已提交") {
		t.Errorf("confirmation %q", done)
	}
	for _, secret := range []string{"称职", "88", "李卫东"} {
		if strings.Contains(b.js(`document.body.innerText`).(string), secret) {
			t.Errorf("the confirmation page still shows %q: it must prove nothing about the vote", secret)
		}
	}
	if n := b.castCount(); n != 1 {
		t.Fatalf("turnout cast %d after one browser vote, want 1", n)
	}

	// The same slip scanned again shows that it has been used.
	b.open(tokens[0])
	b.view("error")
	b.waitFor(`document.getElementById('error').getAttribute('data-code') === 'token_used'`, 5*time.Second)
	b.shot("4-spent")

	// The slip code never travels in a request line or a Referer.
	for _, line := range b.proxy.requestLines() {
		for _, tok := range tokens {
			if strings.Contains(line, tok) || strings.Contains(strings.ToLower(line), strings.ToLower(tok[:10])) {
				t.Errorf("a request line carries a slip code: %s", line)
			}
		}
		if !strings.HasSuffix(line, "referer=") {
			t.Errorf("a request sent a Referer: %s", line)
		}
	}
}

func TestBrowserOverLimitBlocked(t *testing.T) {
	b := newBrowserApp(t, 412, 900, "")
	tokens := browserYear(b.app, 1)
	b.open(tokens[0])
	b.view("form")
	b.fill()
	// 3 cadres × 0.3 → at most 1 优秀 per dimension; give 德 to two.
	b.js(`document.querySelector('input[name="cad/P01/德"][value="优秀"]').click(); document.querySelector('input[name="cad/P02/德"][value="优秀"]').click(); true`)
	b.waitFor(`!!document.querySelector('section[data-section=cad] .chip.over')`, 5*time.Second)
	b.js(`document.getElementById('review').click()`)
	time.Sleep(300 * time.Millisecond)
	if v := b.js(`document.documentElement.getAttribute('data-view')`); v != "form" {
		t.Fatalf("an over-limit ballot went on to %v", v)
	}
	msg := b.js(`Array.prototype.map.call(document.querySelectorAll('section[data-section=cad] .msg'), function(e){return e.textContent}).join(' ')`).(string)
	if !strings.Contains(msg, "最多") {
		t.Errorf("no limit message next to the section: %q", msg)
	}
	b.shot("over-limit")
	if n := b.castCount(); n != 0 {
		t.Fatalf("an over-limit ballot was counted")
	}
	b.js(`document.querySelector('input[name="cad/P02/德"][value="称职"]').click(); document.getElementById('review').click(); true`)
	b.view("review")
	b.js(`document.getElementById('submit').click()`)
	b.view("done")
	if n := b.castCount(); n != 1 {
		t.Fatalf("turnout cast %d, want 1", n)
	}
}

// TestBrowserNetworkLostDuringSubmit: the server counts the ballot but the
// answer never reaches the phone; the page retries with the same key and
// the ballot counts once.
func TestBrowserNetworkLostDuringSubmit(t *testing.T) {
	b := newBrowserApp(t, 412, 900, "")
	tokens := browserYear(b.app, 1)
	b.open(tokens[0])
	b.view("form")
	b.fill()
	b.js(`document.getElementById('review').click()`)
	b.view("review")
	b.proxy.mu.Lock()
	b.proxy.loseNext = 2
	b.proxy.mu.Unlock()
	b.js(`document.getElementById('submit').click()`)
	b.waitFor(`/重试|retry/i.test(document.getElementById('status').textContent)`, 10*time.Second)
	b.shot("retrying")
	b.view("done")
	b.proxy.mu.Lock()
	lost, casts := b.proxy.lost, b.proxy.casts
	b.proxy.mu.Unlock()
	if lost != 2 || casts < 3 {
		t.Fatalf("the proxy lost %d answers of %d casts; want 2 lost and a third that got through", lost, casts)
	}
	if n := b.castCount(); n != 1 {
		t.Fatalf("turnout cast %d after retries, want 1", n)
	}
	b.call("POST", "/api/v1/cycles/2020/meetings/M1/close", "", nil, 200, nil)
	var res struct{ Ballots int64 }
	b.call("GET", "/api/v1/cycles/2020/meetings/M1/results", "", nil, 200, &res)
	if res.Ballots != 1 {
		t.Fatalf("sealed %d ballots, want 1", res.Ballots)
	}
}

func TestBrowserWeChat360(t *testing.T) {
	b := newBrowserApp(t, 360, 640, weChatUA)
	tokens := browserYear(b.app, 1)
	b.open(tokens[0])
	b.view("form")
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 360 {
		t.Errorf("the page is %v px wide at 360 px: it scrolls sideways", w)
	}
	b.shot("1-form")
	b.fill()
	b.js(`document.getElementById('review').click()`)
	b.view("review")
	b.js(`document.getElementById('submit').click()`)
	b.view("done")
	b.shot("2-done")
	if n := b.castCount(); n != 1 {
		t.Fatalf("turnout cast %d, want 1", n)
	}
}

func TestBrowserTypedCode(t *testing.T) {
	b := newBrowserApp(t, 360, 640, weChatUA)
	tokens := browserYear(b.app, 1)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/b")); err != nil {
		t.Fatal(err)
	}
	b.view("code")
	grouped := strings.ToLower(tokens[0][:4] + " " + tokens[0][4:])
	b.js(fmt.Sprintf(`(function(){ var el = document.getElementById('code'); el.value = %q; el.dispatchEvent(new Event('input', {bubbles:true})); document.getElementById('code-go').click(); return true; })()`, grouped))
	b.view("form")
	b.shot("typed")
}

// BenchmarkBallotPageSlowNetwork loads the ballot page from a fresh browser
// cache over an emulated slow network and reports first contentful paint
// and the time until the ballot is on screen (page, assets and the ballot
// API call). Profiles: Chrome DevTools' "Slow 3G" (2,000 ms latency,
// 50 KB/s) and WebPageTest's "3G Slow" (400 ms, 50 KB/s).
func BenchmarkBallotPageSlowNetwork(bm *testing.B) {
	for _, p := range []struct {
		name    string
		latency float64
		down    float64
	}{{"devtools-slow-3g", 2000, 500 * 1000 / 8 * 0.8}, {"wpt-3g-slow", 400, 400 * 1000 / 8}} {
		bm.Run(p.name, func(bm *testing.B) {
			b := newBrowserApp(bm, 360, 640, weChatUA)
			tokens := browserYear(b.app, bm.N)
			var fcp, ready float64
			bm.ResetTimer()
			for i := 0; i < bm.N; i++ {
				err := chromedp.Do(b.ctx, chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
						return err
					}
					if _, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{}); err != nil {
						return err
					}
					_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
						MatchedNetworkConditions: []*network.Conditions{{Latency: p.latency, DownloadThroughput: p.down, UploadThroughput: p.down}}})
					return err
				}), chromedp.Navigate(b.base+"/b#"+tokens[i]))
				if err != nil {
					bm.Fatal(err)
				}
				b.waitFor(`document.documentElement.getAttribute('data-view') === 'form'`, 60*time.Second)
				v := b.js(`(function(){ var p = performance.getEntriesByName('first-contentful-paint')[0]; return [p ? p.startTime : -1, performance.now()]; })()`).([]any)
				fcp += v[0].(float64)
				ready += v[1].(float64)
			}
			bm.ReportMetric(fcp/float64(bm.N), "ms-first-paint")
			bm.ReportMetric(ready/float64(bm.N), "ms-ballot-shown")
		})
	}
}

// printPDF prints the page as Chromium would to paper, honouring the page's
// @page size.
func (b *browserApp) printPDF() []byte {
	b.t.Helper()
	yes := true
	var pdf []byte
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
		pdf = res.Data
		return err
	}))
	if err != nil {
		b.t.Fatalf("print to PDF: %v", err)
	}
	return pdf
}

// printTab clicks the run page's print button and follows the slip page it
// opens in a new tab until it shows n slips. The caller closes the tab
// with the returned cancel.
func (b *browserApp) printTab(n int) (*browserApp, context.CancelFunc) {
	b.t.Helper()
	newTab := chromedp.WaitNewTarget(b.ctx, func(info *target.Info) bool { return strings.Contains(info.URL, "/print") })
	b.js(`document.getElementById('print-btn').click(); true`)
	var tabID target.ID
	select {
	case tabID = <-newTab:
	case <-time.After(15 * time.Second):
		b.t.Fatal("the print page did not open")
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(tabID))
	printer := *b
	printer.ctx = ctx
	printer.waitFor(fmt.Sprintf(`document.querySelectorAll('.slip .code').length === %d`, n), 15*time.Second)
	return &printer, cancel
}

// TestBrowserCodeFieldWhole: at 375 px with WeChat's user agent the typed
// code field shows all 27 characters in their groups without scrolling,
// the boxes repeat it in the slip's seven groups, and a wrong character
// marks its group and names it.
func TestBrowserCodeFieldWhole(t *testing.T) {
	b := newBrowserApp(t, 375, 667, weChatUA)
	tokens := browserYear(b.app, 1)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/b")); err != nil {
		t.Fatal(err)
	}
	b.view("code")
	printed := strings.TrimSpace(regexp.MustCompile(`(.{4})`).ReplaceAllString(tokens[0], "$1 ")) // as on the slip
	typeCode := func(s string) {
		b.js(fmt.Sprintf(`(function(){ var el = document.getElementById('code'); el.value = %q; el.dispatchEvent(new Event('input', {bubbles:true})); return true; })()`, s))
	}
	typeCode(printed)
	if over := b.js(`(function(){ var el = document.getElementById('code'); return el.scrollWidth - el.clientWidth; })()`).(float64); over > 0 {
		t.Errorf("the code field hides %v px of the 33-character code at 375 px", over)
	}
	boxes := b.js(`Array.prototype.map.call(document.querySelectorAll('#code-groups li'), function (li) { return li.textContent; }).join('|')`).(string)
	want := ""
	for i, g := range strings.Fields(printed) {
		if i > 0 {
			want += "|"
		}
		want += fmt.Sprint(i+1) + g
	}
	if boxes != want {
		t.Errorf("the boxes show %q, want %q", boxes, want)
	}
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 375 {
		t.Errorf("the code page is %v px wide at 375 px", w)
	}
	b.shot("code-whole")
	// A U (not in the alphabet) typed into the third group.
	bad := strings.Fields(printed)
	bad[2] = "U" + bad[2][1:]
	typeCode(strings.Join(bad, " "))
	b.js(`document.getElementById('code-go').click()`)
	b.waitFor(`!document.getElementById('code-msg').hidden`, 5*time.Second)
	msg := b.js(`document.getElementById('code-msg').textContent`).(string)
	marked := b.js(`Array.prototype.map.call(document.querySelectorAll('#code-groups li.bad .gn'), function (x) { return x.textContent; }).join(',')`).(string)
	if !strings.Contains(msg, "第 3 组") || marked != "3" {
		t.Errorf("a U in group 3: message %q, marked groups %q; want group 3 named and marked", msg, marked)
	}
	// A group typed short, with the spaces as printed.
	short := strings.Fields(printed)
	short[4] = short[4][:3]
	typeCode(strings.Join(short, " "))
	b.js(`document.getElementById('code-go').click()`)
	b.waitFor(`document.getElementById('code-msg').textContent.indexOf('第 5 组') >= 0`, 5*time.Second)
	if marked := b.js(`Array.prototype.map.call(document.querySelectorAll('#code-groups li.bad .gn'), function (x) { return x.textContent; }).join(',')`).(string); marked != "5" {
		t.Errorf("a short fifth group marks groups %q, want 5", marked)
	}
}

// TestBrowserGradeButtons: at 375 px with WeChat's user agent, in normal
// and 大字 mode, every row of grade buttons is one even row or an even
// grid (2 × 2), its buttons all of one height, and no grade is broken or
// cut ("基本称职" whole). The heading names the meeting.
func TestBrowserGradeButtons(t *testing.T) {
	b := newBrowserApp(t, 375, 667, weChatUA)
	tokens := browserYear(b.app, 1)
	b.open(tokens[0])
	b.view("form")
	if h := b.js(`document.getElementById('h').textContent`).(string); !strings.Contains(h, "城关镇") || !strings.Contains(h, "大会") {
		t.Errorf("the ballot's heading is %q, want the meeting's title", h)
	}
	// layout reports, per row of buttons, its shape "columns×rows" and any
	// fault: buttons of unequal height, a label wider than its button.
	const layout = `(function(){
	  var out = [];
	  document.querySelectorAll('.opts').forEach(function (o) {
	    var sp = o.querySelectorAll('.opt span'), tops = {}, hs = {}, cut = [];
	    sp.forEach(function (s) {
	      var r = s.getBoundingClientRect();
	      tops[Math.round(r.top)] = (tops[Math.round(r.top)] || 0) + 1;
	      hs[Math.round(r.height)] = 1;
	      if (s.scrollWidth > s.clientWidth + 1) cut.push(s.textContent);
	    });
	    var counts = Object.keys(tops).map(function (k) { return tops[k]; });
	    var even = counts.every(function (c, i) { return i === counts.length - 1 ? c <= counts[0] && (sp.length % counts[0] === 0 ? c === counts[0] : true) : c === counts[0]; });
	    out.push({rows: counts.length, cols: counts[0], even: even && sp.length % counts[0] === 0, heights: Object.keys(hs).length, cut: cut});
	  });
	  return JSON.stringify(out);
	})()`
	for _, mode := range []string{"normal", "大字"} {
		if mode == "大字" {
			b.js(`document.getElementById('big').click()`)
			b.waitFor(`document.documentElement.classList.contains('big')`, 5*time.Second)
		}
		var rows []struct {
			Rows, Cols, Heights int
			Even                bool
			Cut                 []string
		}
		if err := json.Unmarshal([]byte(b.js(layout).(string)), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Fatal("no rows of grade buttons")
		}
		for i, r := range rows {
			if !r.Even || r.Heights != 1 || len(r.Cut) > 0 {
				t.Errorf("%s mode, row %d: %d×%d, even %v, %d button heights, cut labels %q", mode, i, r.Cols, r.Rows, r.Even, r.Heights, r.Cut)
			}
		}
		if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 375 {
			t.Errorf("%s mode: the ballot is %v px wide at 375 px", mode, w)
		}
		b.shot("grades-" + map[string]string{"normal": "normal", "大字": "big"}[mode])
	}
	// The page's own controls are thumb-sized.
	for _, id := range []string{"lang", "big"} {
		if h := b.js(`document.getElementById('` + id + `').getBoundingClientRect().height`).(float64); h < 44 {
			t.Errorf("the %s button is %v px high, want ≥ 44", id, h)
		}
	}
}
