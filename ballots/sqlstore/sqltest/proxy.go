package sqltest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on loopback between a store and PostgreSQL that
// fails the way networks and database servers do, for fault tests: it can
// lose the answer to a COMMIT (the transaction lands, the client never
// learns), or refuse every connection for a while. It reads just enough of
// the PostgreSQL protocol to recognise the transaction to fail.
type Proxy struct {
	tb     testing.TB
	target string
	l      net.Listener
	url    string

	mu     sync.Mutex
	conns  map[*proxied]bool
	down   bool
	marker string // lose the answer to the COMMIT of a transaction that ran a statement containing it
	lost   int
}

// NewProxy starts a proxy to the PostgreSQL server of dbURL (a URL from
// URL); it is closed at cleanup. It skips the test on SQLite.
func NewProxy(tb testing.TB, dbURL string) *Proxy {
	tb.Helper()
	if dbURL == "" {
		tb.Skip("the proxy stands in front of PostgreSQL: set CEPING_TEST_DATABASE_URL")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{tb: tb, target: u.Host, l: l, conns: map[*proxied]bool{}}
	if u.Port() == "" {
		p.target = net.JoinHostPort(u.Hostname(), "5432")
	}
	u.Host = l.Addr().String()
	q := u.Query()
	q.Set("sslmode", "disable") // the proxy reads the protocol in clear
	u.RawQuery = q.Encode()
	p.url = u.String()
	go p.accept()
	tb.Cleanup(func() {
		l.Close()
		p.cut()
	})
	return p
}

// URL is the database URL through the proxy.
func (p *Proxy) URL() string { return p.url }

// LoseCommitAnswer arms the proxy: the next transaction that runs a
// statement containing marker commits on the server, but the answer to its
// COMMIT never reaches the client — the connection drops first.
func (p *Proxy) LoseCommitAnswer(marker string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker = marker
}

// Lost returns how many COMMIT answers the proxy has lost.
func (p *Proxy) Lost() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

// Down drops every connection and refuses new ones until Up: the database
// server has gone away.
func (p *Proxy) Down() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.cut()
}

// Up accepts connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *Proxy) cut() {
	p.mu.Lock()
	conns := make([]*proxied, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

func (p *Proxy) accept() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		c := &proxied{p: p, client: client, server: server, marked: map[string]bool{}}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		go c.fromServer()
		go c.fromClient()
	}
}

// proxied is one client connection and its server connection.
type proxied struct {
	p              *Proxy
	client, server net.Conn
	once           sync.Once

	marked    map[string]bool // prepared statements whose text holds the marker (fromClient only)
	sawMarker bool            // the open transaction ran one (fromClient only)

	mu       sync.Mutex
	loseNext bool // the next answer from the server is a COMMIT's: lose it
}

func (c *proxied) close() {
	c.once.Do(func() {
		c.client.Close()
		c.server.Close()
		c.p.mu.Lock()
		delete(c.p.conns, c)
		c.p.mu.Unlock()
	})
}

// fromClient forwards the client's messages, watching for the marker and
// for COMMIT.
func (c *proxied) fromClient() {
	defer c.close()
	r := bufio.NewReader(c.client)
	// Start-up messages have no type byte; an SSL or GSSAPI request is
	// answered with one byte and followed by the real start-up message.
	for {
		msg, err := readMessage(r, false)
		if err != nil {
			return
		}
		if _, err := c.server.Write(msg); err != nil {
			return
		}
		if len(msg) == 8 {
			if code := binary.BigEndian.Uint32(msg[4:]); code == 80877103 || code == 80877104 {
				continue
			}
		}
		break
	}
	for {
		msg, err := readMessage(r, true)
		if err != nil {
			return
		}
		c.watch(msg[0], msg[5:])
		if _, err := c.server.Write(msg); err != nil {
			return
		}
	}
}

func (c *proxied) watch(typ byte, body []byte) {
	c.p.mu.Lock()
	marker := c.p.marker
	c.p.mu.Unlock()
	switch typ {
	case 'P': // Parse: statement name, query text
		name, rest := cstring(body)
		query, _ := cstring(rest)
		c.marked[name] = marker != "" && strings.Contains(query, marker)
	case 'B': // Bind: portal name, statement name
		_, rest := cstring(body)
		stmt, _ := cstring(rest)
		if c.marked[stmt] {
			c.sawMarker = true
		}
	case 'Q': // a simple query: BEGIN, COMMIT, ROLLBACK, or text with the marker
		q := strings.TrimSpace(string(bytes.TrimRight(body, "\x00")))
		switch {
		case strings.EqualFold(q, "commit"):
			if c.sawMarker && marker != "" {
				c.p.mu.Lock()
				arm := c.p.marker == marker
				c.p.marker = ""
				c.p.mu.Unlock()
				if arm {
					c.mu.Lock()
					c.loseNext = true
					c.mu.Unlock()
				}
			}
			c.sawMarker = false
		case strings.EqualFold(q, "rollback"):
			c.sawMarker = false
		case marker != "" && strings.Contains(q, marker):
			c.sawMarker = true
		}
	}
}

// fromServer forwards the server's answers, unless the answer is the
// COMMIT's to lose: then the connection drops instead.
func (c *proxied) fromServer() {
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			c.mu.Lock()
			lose := c.loseNext
			c.mu.Unlock()
			if lose {
				// The server has answered the COMMIT, so it has committed.
				c.p.mu.Lock()
				c.p.lost++
				c.p.mu.Unlock()
				return
			}
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// readMessage reads one protocol message: [type byte] int32 length, body.
func readMessage(r *bufio.Reader, typed bool) ([]byte, error) {
	head := 4
	if typed {
		head = 5
	}
	msg := make([]byte, head)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(msg[head-4:]))
	if n < 4 || n > 1<<30 {
		return nil, io.ErrUnexpectedEOF
	}
	msg = append(msg, make([]byte, n-4)...)
	if _, err := io.ReadFull(r, msg[head:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func cstring(b []byte) (string, []byte) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i+1:]
}
