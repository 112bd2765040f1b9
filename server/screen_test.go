package server

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type screenLinkOut struct {
	URL         string `json:"url"`
	Path        string `json:"path"`
	ExpiresAt   string `json:"expires_at"`
	ShowResults bool   `json:"show_results"`
}

func (ts *testServer) screenLink(t *testing.T, as string, hours int, results bool) screenLinkOut {
	t.Helper()
	var out screenLinkOut
	ts.call(t, "POST", mURL+"/screen-link", as, map[string]any{"hours": hours, "show_results": results}, 201, &out)
	if !strings.HasPrefix(out.Path, "/screen/2020/M1?") || out.URL != "http://test"+out.Path || out.ExpiresAt == "" {
		t.Fatalf("screen link %+v", out)
	}
	return out
}

// withQuery returns path (the page's) turned into its sub-resource sub with
// the query changed by edit.
func withQuery(t *testing.T, path, sub string, edit func(q url.Values)) string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if edit != nil {
		edit(q)
	}
	return u.Path + sub + "?" + q.Encode()
}

func TestScreenLink(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 4)
	ts.open(t, mURL)

	ts.run(t, []scenario{
		{name: "NotStaff", method: "POST", url: mURL + "/screen-link", as: otherGroup, body: `{"hours":2}`, status: 403, code: "forbidden"},
		{name: "Viewer", method: "POST", url: mURL + "/screen-link", as: viewerUser, body: `{"hours":2}`, status: 403, code: "forbidden"},
		{name: "Anonymous", method: "POST", url: mURL + "/screen-link", body: `{"hours":2}`, status: 401, code: "unauthorized"},
		{name: "NoHours", method: "POST", url: mURL + "/screen-link", as: adminUser, body: `{}`, status: 400, code: "invalid"},
		{name: "TooLong", method: "POST", url: mURL + "/screen-link", as: adminUser, body: `{"hours":49}`, status: 400, code: "invalid"},
	})
	plain := ts.screenLink(t, groupUser, 2, false)
	withResults := ts.screenLink(t, adminUser, 2, true)

	// The page: the meeting's title, under the strict CSP, no account.
	status, body, h := ts.doFull(t, req{method: "GET", url: plain.Path})
	if status != 200 || !strings.Contains(string(body), "城关镇2020年度目标责任考核工作报告大会") || !strings.Contains(string(body), "/screen.js") {
		t.Fatalf("screen page: %d %s", status, trim(body))
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || strings.Contains(string(body), "<script>") {
		t.Fatalf("screen page CSP %q", h.Get("Content-Security-Policy"))
	}

	// Tampered, expired or moved links answer a 403 page in Chinese.
	past := time.Now().Add(-time.Minute).Unix()
	rec, _ := ts.svc.Meeting(context.Background(), cycle, meeting)
	ts.putMeeting(t, "M2", []string{groupUser}, "cadres")
	bad := map[string]string{
		"sig":     withQuery(t, plain.Path, "", func(q url.Values) { s := q.Get("sig"); q.Set("sig", strings.Repeat("0", 8)+s[8:]) }),
		"exp":     withQuery(t, plain.Path, "", func(q url.Values) { q.Set("exp", strconv.FormatInt(time.Now().Add(400*time.Hour).Unix(), 10)) }),
		"results": withQuery(t, plain.Path, "", func(q url.Values) { q.Set("results", "1") }),
		"nosig":   withQuery(t, plain.Path, "", func(q url.Values) { q.Del("sig") }),
		"expired": "/screen/2020/M1?" + ts.srv.screenQuery(rec.ID, past, false),
		"other":   strings.Replace(plain.Path, "/M1?", "/M2?", 1),
		"unknown": strings.Replace(plain.Path, "/M1?", "/M9?", 1),
	}
	for name, path := range bad {
		status, body, h := ts.doFull(t, req{method: "GET", url: path})
		if status != 403 || !strings.Contains(string(body), "大屏幕链接无效或已过期") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("%s link %s: %d %s", name, path, status, trim(body))
		}
		events := withQuery(t, path, "/events", nil)
		if status, body := ts.do(t, req{method: "GET", url: events}); status != 403 {
			t.Errorf("%s link's events: %d %s", name, status, trim(body))
		}
	}

	// The link is no credential for the API, with or without its query.
	q := strings.SplitN(withResults.Path, "?", 2)[1]
	for _, u := range []string{mURL + "/turnout?" + q, mURL + "/events?" + q, mURL + "/results?" + q, mURL + "/ballots?" + q, "/api/v1/cycles?" + q} {
		if status, body := ts.do(t, req{method: "GET", url: u}); status != 401 {
			t.Errorf("GET %s with the screen link's query: %d %s", u, status, trim(body))
		}
	}
	// While open, the screen reads no results, even from a results link.
	if status, body := ts.do(t, req{method: "GET", url: withQuery(t, withResults.Path, "/results", nil)}); status != 409 || errorShape(t, body) != "meeting_open" {
		t.Fatalf("results through the screen while open: %d %s", status, body)
	}

	// A valid link streams turnout, and nothing but turnout.
	base := ts.listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", base+withQuery(t, plain.Path, "/events", nil), nil)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("screen events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	raw := &recorder{r: bufio.NewReader(res.Body)}
	sse := readSSE(bufio.NewReader(raw))
	first := sse.next(t, 5*time.Second, func(turnoutJSON) bool { return true })
	if first.Status != "open" || first.Issued != 4 || first.Cast != 0 || len(first.Groups) != 2 {
		t.Fatalf("first screen event %+v", first)
	}
	ts.mustCast(t, b.Tokens[0], goodVote())
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Cast == 1 && tu.Groups[0].Cast == 1 })
	for _, w := range []string{"counts", "sections", "好", "histogram", b.Tokens[0]} {
		if strings.Contains(raw.String(), w) {
			t.Fatalf("the screen's stream holds %q: %s", w, raw.String())
		}
	}
	ts.mustCast(t, b.Tokens[1], goodVote())
	ts.mustCast(t, b.Tokens[2], goodVote())
	ts.closeMeeting(t, mURL)
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Status == "closed" && tu.Cast == 3 })
	cancel()

	// After close: a results link shows the sealed per-section counts; a
	// plain one still shows none.
	var out struct {
		Ballots  int64 `json:"ballots"`
		Sections []struct {
			Section  string `json:"section"`
			Subjects []struct {
				Counts map[string]int64 `json:"counts"`
			} `json:"subjects"`
		} `json:"sections"`
		Groups any `json:"groups"`
	}
	ts.call(t, "GET", withQuery(t, withResults.Path, "/results", nil), "", nil, 200, &out)
	if out.Ballots != 3 || len(out.Sections) == 0 || out.Sections[0].Section != "dem" || out.Sections[0].Subjects[0].Counts["好"] != 3 || out.Groups != nil {
		t.Fatalf("screen results %+v", out)
	}
	if status, body := ts.do(t, req{method: "GET", url: withQuery(t, plain.Path, "/results", nil)}); status != 403 {
		t.Fatalf("results through a plain link: %d %s", status, body)
	}
}

// recorder keeps everything read through it.
type recorder struct {
	r   io.Reader
	mu  sync.Mutex
	buf strings.Builder
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.mu.Lock()
	r.buf.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}
