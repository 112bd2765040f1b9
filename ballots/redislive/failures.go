package redislive

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A failure record is a hash {n: count, at: Unix ms of the last failure}
// under one key, expiring keep after its last failure. Keys are opaque to
// this package (the server passes HMACs, never an address).

func (l *Live) failureKey(key string) string { return l.prefix + "rl:" + key }

// Failures implements ballots.Live.
func (l *Live) Failures(ctx context.Context, key string) (int64, time.Time, error) {
	vals, err := l.rdb.HMGet(ctx, l.failureKey(key), "n", "at").Result()
	if err != nil {
		return 0, time.Time{}, err
	}
	n, _ := strconv.ParseInt(str(vals[0]), 10, 64)
	ms, _ := strconv.ParseInt(str(vals[1]), 10, 64)
	if n <= 0 || ms <= 0 {
		return 0, time.Time{}, nil
	}
	return n, time.UnixMilli(ms), nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// AddFailure implements ballots.Live: one MULTI on one key, so it is atomic
// on a single server and on Cluster alike.
func (l *Live) AddFailure(ctx context.Context, key string, at time.Time, keep time.Duration) (int64, error) {
	k := l.failureKey(key)
	pipe := l.rdb.TxPipeline()
	n := pipe.HIncrBy(ctx, k, "n", 1)
	pipe.HSet(ctx, k, "at", at.UnixMilli())
	pipe.PExpire(ctx, k, keep)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return n.Val(), nil
}

// ClearFailures implements ballots.Live. One key per command: the keys of
// one call may live in different Cluster slots.
func (l *Live) ClearFailures(ctx context.Context, keys ...string) error {
	var errs []error
	for _, key := range keys {
		if err := l.rdb.Del(ctx, l.failureKey(key)).Err(); err != nil && !errors.Is(err, redis.Nil) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Ping reports whether Redis answers.
func (l *Live) Ping(ctx context.Context) error { return l.rdb.Ping(ctx).Err() }
