// Package redistest opens live state for tests: an embedded Redis, or, when
// CEPING_TEST_REDIS_URL is set, that Redis under a key prefix of the test's
// own, whose keys are deleted when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/ceping/ceping/ballots/redislive"
)

// Prefix returns a fresh key prefix and, at cleanup, deletes its keys.
func Prefix(tb testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	p := "cepingtest:" + hex.EncodeToString(b) + ":"
	if url := os.Getenv("CEPING_TEST_REDIS_URL"); url != "" {
		tb.Cleanup(func() {
			l, err := redislive.Connect(url, "")
			if err != nil {
				return
			}
			defer l.Close()
			ctx := context.Background()
			iter := l.Client().Scan(ctx, 0, "*"+p+"*", 1000).Iterator()
			for iter.Next(ctx) {
				l.Client().Del(ctx, iter.Val())
			}
		})
	}
	return p
}

// Open returns live state for one test, closed at cleanup.
func Open(tb testing.TB) *redislive.Live {
	tb.Helper()
	l, err := redislive.Connect(os.Getenv("CEPING_TEST_REDIS_URL"), Prefix(tb))
	if err != nil {
		tb.Fatalf("connect redis: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}
