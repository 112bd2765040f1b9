package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseReader reads "data:" lines of a Server-Sent Events stream.
type sseReader struct {
	lines chan string
}

func readSSE(body *bufio.Reader) *sseReader {
	r := &sseReader{lines: make(chan string, 64)}
	go func() {
		defer close(r.lines)
		for {
			line, err := body.ReadString('\n')
			if err != nil {
				return
			}
			r.lines <- strings.TrimRight(line, "\r\n")
		}
	}()
	return r
}

// next returns the next turnout event for which ok holds.
func (r *sseReader) next(t *testing.T, within time.Duration, ok func(turnoutJSON) bool) turnoutJSON {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case line, open := <-r.lines:
			if !open {
				t.Fatal("event stream ended")
			}
			data, isData := strings.CutPrefix(line, "data: ")
			if !isData {
				continue
			}
			if strings.Contains(data, "\n") {
				t.Fatalf("an event's data spans lines: %q", data)
			}
			var tu turnoutJSON
			if err := json.Unmarshal([]byte(data), &tu); err != nil {
				t.Fatalf("event data is not turnout JSON: %q: %v", data, err)
			}
			if ok(tu) {
				return tu
			}
		case <-deadline:
			t.Fatalf("no matching event within %s", within)
		}
	}
}

func TestEvents(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 4)
	ts.open(t, mURL)
	base := ts.listen(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", base+mURL+"/events", nil)
	hr.Header.Set("Authorization", ts.bearer(groupUser))
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("events Cache-Control %q", cc)
	}
	sse := readSSE(bufio.NewReader(res.Body))

	// The first event is the current turnout.
	first := sse.next(t, 5*time.Second, func(turnoutJSON) bool { return true })
	if first.Status != "open" || first.Issued != 4 || first.Cast != 0 || len(first.Groups) != 2 || first.Groups[0].Issued != 4 {
		t.Errorf("first event %+v", first)
	}
	// A cast shows up as a new figure, and nothing but the figure.
	ts.mustCast(t, b.Tokens[0], goodVote())
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Cast == 1 && tu.Groups[0].Cast == 1 })
	// So does a revoked batch.
	ts.call(t, "POST", "/api/v1/batches/"+b.Batch+"/revoke", adminUser, nil, 200, nil)
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Revoked == 3 && tu.Issued == 1 })
	cancel()

	// Errors come before the stream starts, as JSON.
	for _, sc := range []struct {
		url, as string
		status  int
	}{{mURL + "/events", "", 401}, {"/api/v1/cycles/2020/meetings/M9/events", adminUser, 404}} {
		hr, _ := http.NewRequest("GET", base+sc.url, nil)
		if sc.as != "" {
			hr.Header.Set("Authorization", ts.bearer(sc.as))
		}
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != sc.status {
			t.Errorf("GET %s: %d, want %d", sc.url, res.StatusCode, sc.status)
		}
		errorShape(t, body)
	}
}
