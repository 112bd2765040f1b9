package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

// Faults: a database that goes away for a moment — an administrator's
// pg_terminate_backend, a server restart or fail-over, a dropped TCP
// connection, a deadlock — must not reach a user as an internal error.
// Every error GORM reports passes classify, which turns such failures into
// ballots.Unavailable (503 with Retry-After); the vote path (Token,
// CommitCasts) also retries them on a fresh connection, so that a single
// lost connection is never seen at all.

// transient reports whether err is a failure that passes by itself, after
// which the same operation may be tried again: the connection was lost or
// could not be made, the server is shutting down or starting, too many
// connections, a serialization failure or deadlock, SQLite's write lock
// held past the busy timeout.
func transient(err error) bool {
	if err == nil {
		return false
	}
	if lostConnection(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", // serialization_failure
			"40P01", // deadlock_detected
			"53300", // too_many_connections
			"57P03": // cannot_connect_now (starting up)
			return true
		}
		return false
	}
	var de *ballots.Error
	if errors.As(err, &de) {
		return de.Code == ballots.EUnavailable
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// lostConnection reports whether err says the connection to the database
// is gone or could not be made, so that the pool's other idle connections
// are suspect too.
func lostConnection(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01 admin_shutdown (pg_terminate_backend,
		// a fast shutdown), 57P02 crash_shutdown.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02"
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false // the caller's deadline (which is also a net.Error): the connection may be fine
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"conn closed", "connection reset", "broken pipe", "bad connection", "unexpected EOF", "connection refused"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Transient reports whether err is a database failure that passes by itself
// (see ballots.Service.Transient): the error handler's net for the errors
// that reach it unclassified, such as a row iteration cut short by a lost
// connection.
func (s *Store) Transient(err error) bool { return transient(err) }

// classify returns err as ballots.Unavailable if it is transient, and
// unchanged otherwise (nil, domain errors, anything else).
func classify(err error) error {
	var de *ballots.Error
	if err == nil || errors.As(err, &de) || !transient(err) {
		return err
	}
	return ballots.Unavailable(err)
}

// retryPauses are the waits between tries of an operation that failed
// transiently: five tries within about half a second. Longer outages are
// the client's to wait out (503 with Retry-After; the voter page resends).
var retryPauses = []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond}

// retry runs op until it succeeds, fails for good, or has failed
// transiently five times, and returns its last error classified. After a
// lost connection it first drops the pool's idle connections: after
// pg_terminate_backend or a server restart every one of them is dead, and
// the pool would hand them out one by one, so the next try starts on a
// fresh connection instead.
func (s *Store) retry(ctx context.Context, op func() error) error {
	if s.dialect != "postgres" {
		// SQLite is a local file: its one transient failure is the write
		// lock held past the busy timeout (10 s), which a retry would only
		// prolong.
		return classify(op())
	}
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || !transient(err) || attempt == len(retryPauses) {
			return classify(err)
		}
		if lostConnection(err) {
			s.dropIdle()
		}
		select {
		case <-ctx.Done():
			return classify(err)
		case <-time.After(retryPauses[attempt]):
		}
	}
}

// dropIdle closes the pool's idle connections (PostgreSQL; at most once
// every 50 ms, as many callers notice the same outage at once).
func (s *Store) dropIdle() {
	if s.dialect != "postgres" {
		return
	}
	now := time.Now().UnixNano()
	last := s.droppedAt.Load()
	if now-last < int64(50*time.Millisecond) || !s.droppedAt.CompareAndSwap(last, now) {
		return
	}
	if db, err := s.w.DB(); err == nil {
		db.SetMaxIdleConns(0) // closes the idle ones
		db.SetMaxIdleConns(pgConns)
	}
}

// classifyErrors makes every error GORM reports on db — statements,
// BEGIN and COMMIT alike — pass classify, through GORM's error
// translation. Errors that are not transient come through unchanged (in
// particular the driver's unique violations, which isUnique reads).
func classifyErrors(db *gorm.DB) {
	db.Config.TranslateError = true
	db.Config.Dialector = classifying{db.Config.Dialector}
}

// classifying is a GORM dialector whose error translation is classify.
type classifying struct{ gorm.Dialector }

// Translate implements gorm.ErrorTranslator.
func (c classifying) Translate(err error) error { return classify(err) }

// SavePoint and RollbackTo keep nested transactions working.
func (c classifying) SavePoint(tx *gorm.DB, name string) error {
	if sp, ok := c.Dialector.(gorm.SavePointerDialectorInterface); ok {
		return sp.SavePoint(tx, name)
	}
	return gorm.ErrUnsupportedDriver
}

func (c classifying) RollbackTo(tx *gorm.DB, name string) error {
	if sp, ok := c.Dialector.(gorm.SavePointerDialectorInterface); ok {
		return sp.RollbackTo(tx, name)
	}
	return gorm.ErrUnsupportedDriver
}
