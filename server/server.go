// Package server is Ceping's HTTP face: the JSON API under /api/v1, the
// voter and organizer pages, Server-Sent Events and JWT authentication, with
// one error handler. Fiber stays inside this package.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// Config is what the server needs besides the Service.
type Config struct {
	Secret   []byte        // HS256 key for organizer JWTs; also keys the rate-limit hash of addresses
	TokenTTL time.Duration // organizer session length: 12h
	BaseURL  string        // what slips' QR codes point to
	Logger   *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see clientIP); from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
}

// Server serves the API and pages.
type Server struct {
	app   *fiber.App
	svc   *ballots.Service
	cfg   Config
	log   *slog.Logger
	done  chan struct{} // closed at shutdown: ends SSE streams
	once  sync.Once
	conns connSet

	unavailableAt atomic.Int64     // when a 503 was last logged (Unix ns)
	writeStall    time.Duration    // defaultWriteStall; tests shorten it before Serve
	recheck       time.Duration    // how often a stream checks its viewer may still watch (defaultRecheck)
	now           func() time.Time // the clock of sessions and sign-in limits (tests move it)
	sessions      *accountCache
	signinLocks   keyedLocks
	ready         readiness
	keepAlive     time.Duration // between SSE comment lines
}

// BodyLimit is the largest request body accepted.
const BodyLimit = 1 << 20

// New returns a Server for svc.
func New(svc *ballots.Service, cfg Config) *Server {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{svc: svc, cfg: cfg, log: cfg.Logger, done: make(chan struct{}), now: time.Now, keepAlive: 15 * time.Second,
		writeStall: defaultWriteStall, recheck: defaultRecheck}
	s.sessions = &accountCache{load: svc.User, now: func() time.Time { return s.now() }, m: map[string]cachedAccount{}}
	proxies := make([]string, len(cfg.TrustedProxies))
	for i, p := range cfg.TrustedProxies {
		proxies[i] = p.String()
	}
	s.app = fiber.New(fiber.Config{
		// X-Forwarded-Proto and -Host count only from the trusted proxies
		// (c.Protocol, c.Hostname); client addresses come from clientIP.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          proxies,
		AppName:                 "ceping",
		BodyLimit:               BodyLimit,
		ErrorHandler:            s.handleError,
		DisableStartupMessage:   true,
		ReadTimeout:             30 * time.Second,
		IdleTimeout:             120 * time.Second,
		// No WriteTimeout: fasthttp sets it once for the whole response,
		// which would cut every event stream after it. Each connection
		// instead drops a client whose writes stall (trackedConn.Write).
		// Prefork stays off: state is shared through the ledger and Redis.
	})
	// The upload routes take 20 MB files; every other route keeps BodyLimit,
	// still refused before its body is read (files.go, uploadLimits).
	s.app.Server().HeaderReceived = uploadLimits
	s.app.Use(s.accessLog, securityHeaders, hsts)
	api := s.app.Group("/api/v1", noStore)
	registerAccountRoutes(s, api)
	registerSetupRoutes(s, api)
	registerVotingRoutes(s, api)
	registerWatchRoutes(s, api)
	registerScoreRoutes(s, api)
	registerCatalogueSheetRoutes(s, api) // before collect and import: it serves some of their paths
	registerCollectRoutes(s, api)
	registerAdjustRoutes(s, api)
	registerFileRoutes(s, api)
	registerUserRoutes(s, api)
	registerPaperRoutes(s, api)
	registerScreenRoutes(s, api)
	registerAuditRoutes(s, api)
	registerImportRoutes(s, api)
	registerPreviewRoutes(s, api, s.app)
	registerBlankFormRoutes(s, s.app)
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	s.app.Get("/readyz", s.readyz)
	registerPageRoutes(s, s.app)
	registerConsoleRoutes(s, s.app)
	s.app.Use(func(c *fiber.Ctx) error {
		return ballots.Errorf(ballots.ENotFound, "没有这个页面或接口 (no such route): %s %s", c.Method(), c.Path())
	})
	return s
}

// Serve serves plain HTTP on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.app.Listener(&trackingListener{Listener: ln, conns: &s.conns, stall: s.writeStall})
}

// ServeTLS serves HTTPS on ln with cfg until Shutdown. Only HTTP/1.1 is
// spoken: cfg's NextProtos must not offer h2.
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	return s.app.Listener(tls.NewListener(&trackingListener{Listener: ln, conns: &s.conns, stall: s.writeStall}, cfg))
}

// drainTime is how long Shutdown lets requests in flight finish before it
// closes the connections that are left.
const drainTime = 3 * time.Second

// Shutdown ends event streams, stops accepting and drains requests in
// flight; after drainTime (or ctx) it closes whatever connections remain —
// idle keep-alives and connections that never sent a request, which would
// otherwise hold the process until their read timeout.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.done) })
	dctx, cancel := context.WithTimeout(ctx, drainTime)
	defer cancel()
	err := s.app.ShutdownWithContext(dctx)
	if err != nil && dctx.Err() != nil {
		s.conns.closeAll()
		return nil
	}
	return err
}

// connSet holds a server's open connections.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

func (cs *connSet) add(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = map[net.Conn]struct{}{}
	}
	cs.m[c] = struct{}{}
}

func (cs *connSet) remove(c net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, c)
}

func (cs *connSet) closeAll() {
	cs.mu.Lock()
	open := make([]net.Conn, 0, len(cs.m))
	for c := range cs.m {
		open = append(open, c)
	}
	cs.mu.Unlock()
	for _, c := range open { // Close takes the lock to remove itself
		c.Close()
	}
}

type trackingListener struct {
	net.Listener
	conns *connSet
	stall time.Duration
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, conns: l.conns, stall: l.stall}
	l.conns.add(tc)
	return tc, nil
}

type trackedConn struct {
	net.Conn
	conns *connSet
	once  sync.Once
	stall time.Duration
	set   atomic.Int64 // a write deadline set from above (TLS close), as UnixNano; 0 for none
}

// defaultWriteStall is the window in which a write must move at least
// minProgress bytes (or all it has left): a client that stops reading, or
// never reads, a response is dropped after it, and gives back its
// connection and the response's memory. A slow client that keeps reading
// (above minProgress per window, about 270 bytes a second) is not, and an
// event stream goes on for as long as its client reads.
const defaultWriteStall = 30 * time.Second

const minProgress = 8 << 10

// Write writes p under a fresh deadline of one stall window, and again for
// as long as each window moved at least minProgress bytes (or the rest of
// p). A deadline set from above (SetWriteDeadline) that comes earlier is
// kept, and never extended.
func (c *trackedConn) Write(p []byte) (int, error) {
	if c.stall <= 0 {
		return c.Conn.Write(p)
	}
	n := 0
	for {
		deadline := time.Now().Add(c.stall)
		set := c.set.Load()
		if set != 0 && set < deadline.UnixNano() {
			deadline = time.Unix(0, set)
		}
		if err := c.Conn.SetWriteDeadline(deadline); err != nil {
			return n, err
		}
		want := min(len(p), minProgress)
		m, err := c.Conn.Write(p)
		n += m
		p = p[m:]
		if err == nil {
			return n, nil
		}
		var ne net.Error
		if m < want || !errors.As(err, &ne) || !ne.Timeout() || (set != 0 && time.Now().UnixNano() >= set) {
			return n, err
		}
		// The window ran out while the client was still reading: another.
	}
}

// SetWriteDeadline records a deadline set from above, which Write keeps
// when it is earlier than its own.
func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	c.recordDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline is SetWriteDeadline for reads and writes.
func (c *trackedConn) SetDeadline(t time.Time) error {
	c.recordDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *trackedConn) recordDeadline(t time.Time) {
	if t.IsZero() {
		c.set.Store(0)
		return
	}
	c.set.Store(t.UnixNano())
}

// Close closes lingering, as nginx does: it ends the sending side, then
// reads and drops what the client is still sending for a moment before
// closing. A client whose body was refused (413 before the body was read)
// then reads the answer; closing at once with its body unread would reset
// the connection and the answer with it.
func (c *trackedConn) Close() error {
	c.once.Do(func() { c.conns.remove(c) })
	hc, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || hc.CloseWrite() != nil {
		return c.Conn.Close()
	}
	go func() {
		_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
		_, _ = io.CopyN(io.Discard, c.Conn, lingerBytes)
		c.Conn.Close()
	}()
	return nil
}

// A lingering close reads at most lingerBytes for at most lingerTime.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 64 << 20
)

// Test runs a request through the app without a network (for tests).
func (s *Server) App() *fiber.App { return s.app }

// accessLog logs each request's method, route pattern, status and time —
// never the address, the headers or the concrete path, so neither a voter's
// IP nor a slip code can reach the log.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		if e, ok := err.(*fiber.Error); ok {
			status = e.Code
		} else {
			status = statusOf(ballots.ErrorCode(err))
		}
	}
	s.log.Info("http", "method", c.Method(), "route", c.Route().Path, "status", status, "ms", time.Since(start).Milliseconds())
	return err
}

func securityHeaders(c *fiber.Ctx) error {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	return c.Next()
}

func noStore(c *fiber.Ctx) error {
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

// clientKey turns the caller's address (see clientIP and limitAddr) into an
// opaque key for rate limits: an HMAC under the server's secret, so Redis
// never holds an address.
func (s *Server) clientKey(c *fiber.Ctx, extra string) string {
	return s.addressKey(s.clientIP(c), extra)
}

func (s *Server) addressKey(a netip.Addr, extra string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte(limitAddr(a)))
	m.Write([]byte{0})
	m.Write([]byte(extra))
	return hex.EncodeToString(m.Sum(nil)[:12])
}
