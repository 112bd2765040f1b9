package redislive_test

import (
	"context"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive/redistest"
)

func TestFailures(t *testing.T) {
	ctx := context.Background()
	l := redistest.Open(t)
	at := time.UnixMilli(time.Now().UnixMilli())
	if n, last, err := l.Failures(ctx, "login-addr:k1"); err != nil || n != 0 || !last.IsZero() {
		t.Fatalf("no record: %d %v %v", n, last, err)
	}
	for i := int64(1); i <= 3; i++ {
		n, err := l.AddFailure(ctx, "login-addr:k1", at.Add(time.Duration(i)*time.Second), time.Hour)
		if err != nil || n != i {
			t.Fatalf("AddFailure %d: %d %v", i, n, err)
		}
	}
	l.AddFailure(ctx, "login-acct:k2", at, time.Hour)
	n, last, err := l.Failures(ctx, "login-addr:k1")
	if err != nil || n != 3 || !last.Equal(at.Add(3*time.Second)) {
		t.Errorf("after 3 failures: %d at %v (%v), want 3 at %v", n, last, err, at.Add(3*time.Second))
	}
	keys := l.Client().Keys(ctx, "cepingtest:*:rl:login-addr:k1").Val()
	if len(keys) == 0 {
		t.Fatalf("no key for the record")
	}
	for _, k := range keys {
		if ttl := l.Client().PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("the record expires in %s, want within the hour", ttl)
		}
	}
	if err := l.ClearFailures(ctx, "login-addr:k1", "login-acct:k2", "never-set"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"login-addr:k1", "login-acct:k2"} {
		if n, _, _ := l.Failures(ctx, k); n != 0 {
			t.Errorf("%s after ClearFailures: %d", k, n)
		}
	}
}
