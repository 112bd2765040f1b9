package redislive

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// breakerProbe is how often an open breaker asks Redis whether it is back.
// The reconciler looks every two seconds, so live state comes back within a
// few seconds of Redis.
const breakerProbe = time.Second

// ErrUnavailable is returned without contacting Redis while the breaker is
// open.
var ErrUnavailable = errors.New("redis unavailable (failing fast after a recent failure)")

// breaker is a go-redis hook. After a call fails for want of Redis (no
// connection, a timeout, a dropped connection) every call fails at once
// with ErrUnavailable, and a background probe pings Redis every
// breakerProbe until it answers. So an outage costs one request one dial
// or read timeout; sign-in and turnout then answer from the ledger at
// once, instead of each waiting for a connection that will not come.
// Errors Redis itself answers (a script error, a wrong password) and the
// caller's own cancellations leave it closed.
type breaker struct {
	every   time.Duration
	probe   func(context.Context) error
	open    atomic.Bool
	probing atomic.Bool
	done    chan struct{}
	stop    sync.Once
}

var _ redis.Hook = (*breaker)(nil)

type probeKey struct{}

func newBreaker(rdb redis.UniversalClient) *breaker {
	b := &breaker{every: breakerProbe, done: make(chan struct{})}
	b.probe = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	return b
}

// close ends the probe (the client is closing).
func (b *breaker) close() { b.stop.Do(func() { close(b.done) }) }

func (b *breaker) observe(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil || errors.Is(err, redis.Nil) || errors.Is(err, ErrUnavailable) {
		return
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		return // Redis answered
	}
	b.open.Store(true)
	b.startProbe()
}

func (b *breaker) startProbe() {
	if b.probing.CompareAndSwap(false, true) {
		go b.probeLoop()
	}
}

func (b *breaker) probeLoop() {
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			b.probing.Store(false)
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), probeKey{}, true), 2*time.Second)
		err := b.probe(ctx)
		cancel()
		if err == nil {
			b.open.Store(false)
			b.probing.Store(false)
			if b.open.Load() { // failed again meanwhile, with no probe running
				b.startProbe()
			}
			return
		}
	}
}

// pass reports whether a call may go to Redis: the breaker is closed, or
// the call is the probe.
func (b *breaker) pass(ctx context.Context) bool {
	return !b.open.Load() || ctx.Value(probeKey{}) != nil
}

func (b *breaker) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// No short cut here: go-redis may dial on a context of its own, so
		// the probe's dial could not be told apart; calls stop before they
		// need a connection.
		c, err := next(ctx, network, addr)
		b.observe(ctx, err)
		return c, err
	}
}

func (b *breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !b.pass(ctx) {
			cmd.SetErr(ErrUnavailable)
			return ErrUnavailable
		}
		err := next(ctx, cmd)
		b.observe(ctx, err)
		return err
	}
}

func (b *breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !b.pass(ctx) {
			for _, c := range cmds {
				c.SetErr(ErrUnavailable)
			}
			return ErrUnavailable
		}
		err := next(ctx, cmds)
		b.observe(ctx, err)
		return err
	}
}

// Transient reports whether err is a Redis failure that passes by itself:
// Redis away (the breaker open, a refused, reset or timed-out connection).
// The Service asks it before calling an unclassified error internal, so a
// request that needed Redis answers 503, never 500.
func (l *Live) Transient(err error) bool {
	var ne net.Error
	return errors.Is(err, ErrUnavailable) || errors.As(err, &ne) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
