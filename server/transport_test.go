package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallBuffers gives each accepted connection a small send buffer, so that
// a response of a few hundred KB fills it the way a response of a few MB
// fills a real one.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// dialSmall connects with a small receive buffer.
func dialSmall(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestWriteStall: a client that asks for a large answer and never reads it
// is dropped after the stall window, and the server lets go of its
// connection; a slow client that keeps reading gets the whole answer; an
// event stream goes on long past the window.
func TestWriteStall(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.writeStall = time.Second
	ts.seedYear(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.Serve(smallBuffers{ln})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ts.srv.Shutdown(ctx)
	})
	addr := ln.Addr().String()

	// A batch of 3,000 slips answers about 90 KB of JSON.
	request := func(c net.Conn) {
		t.Helper()
		body := `{"group":"cadres","count":3000}`
		fmt.Fprintf(c, "POST %s/batches HTTP/1.1\r\nHost: test\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			mURL, ts.bearer(adminUser), len(body), body)
	}
	open := func() int {
		ts.srv.conns.mu.Lock()
		defer ts.srv.conns.mu.Unlock()
		return len(ts.srv.conns.m)
	}

	// 1. The client that never reads.
	stuck := dialSmall(t, addr)
	request(stuck)
	// Upper bounds, generous for a loaded machine: issuing the slips comes first.
	waitUntil(t, time.Minute, "the server accepts the connection", func() bool { return open() == 1 })
	waitUntil(t, time.Minute, "the server drops the connection whose client never reads", func() bool { return open() == 0 })
	_ = stuck.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(stuck), nil)
	if err != nil {
		t.Fatalf("the start of the answer: %v", err)
	}
	want, _ := strconv.Atoi(res.Header.Get("Content-Length"))
	got, _ := io.Copy(io.Discard, res.Body)
	if res.StatusCode != 201 || want < 80_000 || got >= int64(want) {
		t.Fatalf("the stuck client got %d of %d bytes (status %d): the answer was not cut", got, want, res.StatusCode)
	}

	// 2. A slow client that keeps reading: 16 KB every 100 ms, twenty times
	// the least a window must move, but slower than the server writes.
	slow := dialSmall(t, addr)
	request(slow)
	r := bufio.NewReaderSize(&pacedReader{r: slow, every: 100 * time.Millisecond, n: 16 << 10}, 16<<10)
	_ = slow.SetReadDeadline(time.Now().Add(60 * time.Second))
	res, err = http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = strconv.Atoi(res.Header.Get("Content-Length"))
	got, err = io.Copy(io.Discard, res.Body)
	if err != nil || got != int64(want) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("the slow reader got %d of %d bytes: %v", got, want, err)
	}

	// 3. An event stream outlives the window many times over.
	b := ts.issue(t, mURL, "village", 3)
	ts.open(t, mURL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+mURL+"/events", nil)
	hr.Header.Set("Authorization", ts.bearer(groupUser))
	es, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Body.Close()
	sse := readSSE(bufio.NewReader(es.Body))
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Status == "open" })
	time.Sleep(3 * ts.srv.writeStall)
	ts.mustCast(t, b.Tokens[0], goodVote())
	sse.next(t, 5*time.Second, func(tu turnoutJSON) bool { return tu.Cast == 1 })
}

// pacedReader reads at most n bytes every interval.
type pacedReader struct {
	r     io.Reader
	every time.Duration
	n     int
	left  int
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		time.Sleep(p.every)
		p.left = p.n
	}
	m, err := p.r.Read(b[:min(len(b), p.left)])
	p.left -= m
	return m, err
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
