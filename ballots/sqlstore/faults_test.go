package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

// TestClassify: the driver errors of a database that went away for a
// moment become unavailable (503); everything else comes through as it was,
// so that not-found, conflicts and unique violations keep their meaning.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name      string
		err       error
		transient bool
		lost      bool // the connection is gone: drop the idle ones
	}{
		{"pg_terminate_backend", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true, false},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true, false},
		{"deadlock", fmt.Errorf("spend tokens: %w", &pgconn.PgError{Code: "40P01"}), true, false},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true, true},
		{"unexpected EOF", fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), true, true},
		{"bad connection", driver.ErrBadConn, true, true},
		{"pgx conn closed", errors.New("conn closed"), true, true},
		{"deadline", context.DeadlineExceeded, true, false},
		{"SQLite busy", errors.New("database is locked (5) (SQLITE_BUSY)"), true, false},
		{"unique violation", &pgconn.PgError{Code: "23505", Message: "duplicate key value"}, false, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false, false},
		{"not found", gorm.ErrRecordNotFound, false, false},
		{"canceled", context.Canceled, false, false},
		{"domain conflict", ballots.Errorf(ballots.EConflict, "已存在 (exists)"), false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := transient(c.err); got != c.transient {
				t.Errorf("transient = %v, want %v", got, c.transient)
			}
			if got := lostConnection(c.err); got != c.lost {
				t.Errorf("lostConnection = %v, want %v", got, c.lost)
			}
			got := classify(c.err)
			switch {
			case c.transient && (ballots.ErrorCode(got) != ballots.EUnavailable || !errors.Is(got, c.err)):
				t.Errorf("classify = %v (code %s), want unavailable wrapping the cause", got, ballots.ErrorCode(got))
			case !c.transient && got != c.err:
				t.Errorf("classify = %v, want the error unchanged", got)
			}
		})
	}
	if !isUnique(classify(&pgconn.PgError{Code: "23505"})) {
		t.Errorf("a unique violation is no longer recognised after classify")
	}
	if classify(nil) != nil {
		t.Errorf("classify(nil) != nil")
	}
}
