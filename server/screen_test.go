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

	"github.com/ceping/ceping/ballots"
)

type screenLinkOut struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Path        string `json:"path"`
	ExpiresAt   string `json:"expires_at"`
	ShowResults bool   `json:"show_results"`
}

func (ts *testServer) screenLink(t *testing.T, as string, hours int, results bool) screenLinkOut {
	t.Helper()
	var out screenLinkOut
	ts.call(t, "POST", mURL+"/screen-link", as, map[string]any{"hours": hours, "show_results": results}, 201, &out)
	if !strings.HasPrefix(out.Path, "/screen/2020/M1?") || out.URL != "http://test"+out.Path || out.ExpiresAt == "" || out.ID == "" {
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
		{name: "TooLong", method: "POST", url: mURL + "/screen-link", as: adminUser, body: `{"hours":49}`, status: 400, code: "invalid"},
		{name: "Negative", method: "POST", url: mURL + "/screen-link", as: adminUser, body: `{"hours":-1}`, status: 400, code: "invalid"},
		{name: "FormPost", method: "POST", url: mURL + "/screen-link", as: adminUser, body: `hours=2`,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 415, code: "unsupported_media"},
	})
	// Without hours a link lasts a meeting day: 12 hours.
	var dflt screenLinkOut
	ts.call(t, "POST", mURL+"/screen-link", adminUser, `{}`, 201, &dflt)
	if exp, err := time.Parse(time.RFC3339, dflt.ExpiresAt); err != nil || exp.Sub(time.Now()) < 11*time.Hour+59*time.Minute || exp.Sub(time.Now()) > 12*time.Hour {
		t.Fatalf("a link made without hours expires at %s (%v), want in 12 hours", dflt.ExpiresAt, err)
	}
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

	// Tampered, expired or moved links, and links signed by this server's
	// key for a link id it never stored (or the signature of before links
	// were stored), answer a 403 page in Chinese.
	past := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	rec, _ := ts.svc.Meeting(context.Background(), cycle, meeting)
	ts.putMeeting(t, "M2", []string{groupUser}, "cadres")
	v1 := withQuery(t, plain.Path, "", func(q url.Values) { q.Del("link") })
	bad := map[string]string{
		"sig":     withQuery(t, plain.Path, "", func(q url.Values) { s := q.Get("sig"); q.Set("sig", strings.Repeat("0", 8)+s[8:]) }),
		"exp":     withQuery(t, plain.Path, "", func(q url.Values) { q.Set("exp", strconv.FormatInt(time.Now().Add(400*time.Hour).Unix(), 10)) }),
		"results": withQuery(t, plain.Path, "", func(q url.Values) { q.Set("results", "1") }),
		"link":    withQuery(t, plain.Path, "", func(q url.Values) { q.Set("link", withResults.ID) }),
		"nosig":   withQuery(t, plain.Path, "", func(q url.Values) { q.Del("sig") }),
		"v1":      v1,
		"expired": "/screen/2020/M1?" + ts.srv.screenQuery(ballots.ScreenLink{ID: plain.ID, MeetingID: rec.ID, ExpiresAt: past}),
		"forged":  "/screen/2020/M1?" + ts.srv.screenQuery(ballots.ScreenLink{ID: "0123456789abcdef", MeetingID: rec.ID, ExpiresAt: time.Now().Add(time.Hour)}),
		"other":   strings.Replace(plain.Path, "/M1?", "/M2?", 1),
		"unknown": strings.Replace(plain.Path, "/M1?", "/M9?", 1),
	}
	for name, path := range bad {
		status, body, h := ts.doFull(t, req{method: "GET", url: path})
		if status != 403 || !strings.Contains(string(body), "大屏幕链接无效") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
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

// TestScreenLinkRevoke: the staff list a meeting's links and revoke one;
// the revoked link's page, results and event stream end, the others stay.
func TestScreenLinkRevoke(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.recheck = 100 * time.Millisecond
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 4)
	ts.open(t, mURL)
	m2 := ts.putMeeting(t, "M2", []string{groupUser}, "cadres")
	gone := ts.screenLink(t, groupUser, 2, false)
	kept := ts.screenLink(t, adminUser, 3, true)
	var elsewhere screenLinkOut
	ts.call(t, "POST", m2+"/screen-link", adminUser, map[string]any{"hours": 1}, 201, &elsewhere)

	type linkRow struct {
		ID          string  `json:"id"`
		State       string  `json:"state"`
		IssuedBy    string  `json:"issued_by"`
		IssuedAt    string  `json:"issued_at"`
		ExpiresAt   string  `json:"expires_at"`
		ShowResults bool    `json:"show_results"`
		RevokedAt   *string `json:"revoked_at"`
		RevokedBy   string  `json:"revoked_by"`
	}
	var list struct {
		Links []linkRow `json:"links"`
	}
	ts.call(t, "GET", mURL+"/screen-links", groupUser, nil, 200, &list)
	if len(list.Links) != 2 || list.Links[0].State != "valid" || list.Links[1].State != "valid" {
		t.Fatalf("links %+v", list.Links)
	}
	byID := map[string]linkRow{}
	for _, l := range list.Links {
		byID[l.ID] = l
	}
	if l := byID[gone.ID]; l.IssuedBy != groupUser || l.ShowResults || l.RevokedAt != nil || l.ExpiresAt != gone.ExpiresAt {
		t.Fatalf("listed link %+v, made %+v", l, gone)
	}
	if l := byID[kept.ID]; l.IssuedBy != adminUser || !l.ShowResults {
		t.Fatalf("listed link %+v, made %+v", l, kept)
	}
	// The list never holds a link's signed URL: that is shown once.
	body := string(ts.call(t, "GET", mURL+"/screen-links", adminUser, nil, 200, nil))
	for _, w := range []string{"sig", "/screen/", strings.SplitN(gone.Path, "sig=", 2)[1]} {
		if strings.Contains(body, w) {
			t.Fatalf("the list of links holds %q: %s", w, body)
		}
	}

	ts.run(t, []scenario{
		{name: "ListViewer", method: "GET", url: mURL + "/screen-links", as: viewerUser, status: 403, code: "forbidden"},
		{name: "ListNotStaff", method: "GET", url: mURL + "/screen-links", as: otherGroup, status: 403, code: "forbidden"},
		{name: "ListAnonymous", method: "GET", url: mURL + "/screen-links", status: 401, code: "unauthorized"},
		{name: "RevokeNotStaff", method: "DELETE", url: mURL + "/screen-links/" + gone.ID, as: otherGroup, status: 403, code: "forbidden"},
		{name: "RevokeViewer", method: "DELETE", url: mURL + "/screen-links/" + gone.ID, as: viewerUser, status: 403, code: "forbidden"},
		{name: "RevokeUnknown", method: "DELETE", url: mURL + "/screen-links/0000000000000000", as: groupUser, status: 404, code: "not_found"},
		{name: "RevokeOtherMeeting", method: "DELETE", url: mURL + "/screen-links/" + elsewhere.ID, as: groupUser, status: 404, code: "not_found"},
	})

	// A screen is showing the link's stream.
	base := ts.listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", base+withQuery(t, gone.Path, "/events", nil), nil)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw := &recorder{r: res.Body}
	sse := readSSE(bufio.NewReader(raw))
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Status == "open" })

	var out linkRow
	ts.call(t, "DELETE", mURL+"/screen-links/"+gone.ID, groupUser, nil, 200, &out)
	if out.ID != gone.ID || out.State != "revoked" || out.RevokedBy != groupUser || out.RevokedAt == nil {
		t.Fatalf("revoked %+v", out)
	}
	// The stream says so and ends.
	deadline := time.After(5 * time.Second)
wait:
	for {
		select {
		case _, open := <-sse.lines:
			if !open {
				break wait
			}
		case <-deadline:
			t.Fatalf("the revoked link's stream goes on: %s", raw.String())
		}
	}
	if !strings.Contains(raw.String(), "event: revoked") {
		t.Fatalf("the stream ended without saying the link was revoked: %s", raw.String())
	}
	// Its page, stream and results are refused from now on; the other link works.
	for _, u := range []string{gone.Path, withQuery(t, gone.Path, "/events", nil), withQuery(t, gone.Path, "/results", nil)} {
		if status, body := ts.do(t, req{method: "GET", url: u}); status != 403 {
			t.Errorf("GET %s after revocation: %d %s", u, status, trim(body))
		}
	}
	if status, body := ts.do(t, req{method: "GET", url: kept.Path}); status != 200 {
		t.Fatalf("the link not revoked: %d %s", status, trim(body))
	}
	ts.mustCast(t, b.Tokens[0], goodVote())

	// Revoking again changes nothing and is not logged twice.
	var again linkRow
	ts.call(t, "DELETE", mURL+"/screen-links/"+gone.ID, adminUser, nil, 200, &again)
	if again.RevokedBy != groupUser || *again.RevokedAt != *out.RevokedAt {
		t.Fatalf("revoked again %+v, first %+v", again, out)
	}
	ts.call(t, "GET", mURL+"/screen-links", groupUser, nil, 200, &list)
	if byID := map[string]string{list.Links[0].ID: list.Links[0].State, list.Links[1].ID: list.Links[1].State}; byID[gone.ID] != "revoked" || byID[kept.ID] != "valid" {
		t.Fatalf("links after revocation %+v", list.Links)
	}
	n := 0
	for _, e := range ts.auditLog(t, "?limit=500").Entries {
		if e.Action == "screen.revoke" {
			n++
			if e.Actor != groupUser || e.Target != "2020/M1" || !strings.Contains(e.Detail, gone.ID) || !strings.Contains(e.Detail, groupUser) {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d screen.revoke entries in the audit log, want 1", n)
	}
}
