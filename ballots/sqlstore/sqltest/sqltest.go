// Package sqltest opens a ledger for tests: SQLite in a temporary folder, or,
// when CEPING_TEST_DATABASE_URL is set, a fresh PostgreSQL schema that is
// dropped when the test ends. It also searches a copy of a SQLite data
// folder for what links slips to ballots (CopyFolder, Search).
package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ceping/ceping/ballots/sqlstore"
)

// URL returns a database URL for one test (creating its schema on
// PostgreSQL), or "" for SQLite. The schema is dropped at cleanup.
func URL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("CEPING_TEST_DATABASE_URL")
	if base == "" {
		return ""
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ceping_test_" + hex.EncodeToString(b)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		tb.Fatalf("connect %s: %v", base, err)
	}
	if err := admin.Exec(`CREATE SCHEMA ` + schema).Error; err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store for one test, closed at cleanup.
func Open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	return OpenURL(tb, URL(tb), tb.TempDir())
}

// OpenURL opens a store on a URL from URL and a data folder.
func OpenURL(tb testing.TB, dbURL, dir string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), dbURL, dir)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
