// Package redislive keeps Ceping's live state in Redis: turnout, tally
// histograms, turnout events and failure rate limits. All keys of a meeting
// share one hash tag, so each script touches one Cluster slot. Everything
// here can be rebuilt from the ledger.
package redislive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ceping/ceping/ballots"
)

var _ ballots.Live = (*Live)(nil)

// Live implements ballots.Live on a go-redis UniversalClient.
type Live struct {
	rdb    redis.UniversalClient
	prefix string
	mini   *miniredis.Miniredis // the embedded server, if any
	brk    *breaker
}

// New wraps a client; every key starts with prefix. It adds a circuit
// breaker to the client: once Redis stops answering, calls fail at once
// (ErrUnavailable) until a background ping finds it back, instead of each
// waiting out its dial or read timeout.
func New(rdb redis.UniversalClient, prefix string) *Live {
	b := newBreaker(rdb)
	rdb.AddHook(b)
	return &Live{rdb: rdb, prefix: prefix, brk: b}
}

// Connect opens the Redis at redisURL, or an embedded in-process Redis when
// redisURL is empty. The embedded one listens on no port: the client
// reaches it through an in-memory pipe, so no other process can read it.
// Accepted forms:
//
//	redis://[:password@]host:port[/db]           a single server
//	rediss://…                                   the same over TLS
//	redis-sentinel://[:password@]h1:p1,h2:p2/MASTER   Sentinel
//	redis-cluster://[:password@]h1:p1,h2:p2      Cluster (or plain "h1:p1,h2:p2")
func Connect(redisURL, prefix string) (*Live, error) {
	if redisURL == "" {
		m := miniredis.NewMiniRedis()
		opts := timeouts(&redis.UniversalOptions{})
		rdb := redis.NewClient(&redis.Options{
			// miniredis serves each Dial on a net.Pipe, starting itself
			// without a listener on the first one.
			Dialer:      func(context.Context, string, string) (net.Conn, error) { return m.Dial() },
			DialTimeout: opts.DialTimeout, ReadTimeout: opts.ReadTimeout, WriteTimeout: opts.WriteTimeout,
			MaxRetries: opts.MaxRetries, DialerRetries: opts.DialerRetries,
		})
		if err := rdb.Ping(context.Background()).Err(); err != nil {
			rdb.Close()
			m.Close()
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		l := New(rdb, prefix)
		l.mini = m
		return l, nil
	}
	opts, err := ParseURL(redisURL)
	if err != nil {
		return nil, err
	}
	return New(redis.NewUniversalClient(opts), prefix), nil
}

// timeouts sets what keeps a request from waiting on a Redis that is gone:
// a short dial, one dial attempt (go-redis would make five, 100 ms apart),
// half-second reads and writes, and no command retries. Voting, sign-in and turnout go on from the ledger
// when Redis fails, so failing fast is all a request needs; the reconciler
// rebuilds live state once Redis answers again.
func timeouts(u *redis.UniversalOptions) *redis.UniversalOptions {
	u.DialTimeout = 200 * time.Millisecond
	u.DialerRetries = 1
	u.ReadTimeout, u.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond
	u.MaxRetries = -1 // go-redis: -1 disables retries, 0 means 3
	return u
}

// ParseURL turns a CEPING_REDIS_URL into UniversalOptions with short
// timeouts: a vote must not wait long on Redis.
func ParseURL(s string) (*redis.UniversalOptions, error) {
	u := timeouts(&redis.UniversalOptions{})
	switch {
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"):
		o, err := redis.ParseURL(s)
		if err != nil {
			return nil, fmt.Errorf("CEPING_REDIS_URL: %w", err)
		}
		u.Addrs, u.Username, u.Password, u.DB, u.TLSConfig = []string{o.Addr}, o.Username, o.Password, o.DB, o.TLSConfig
		return u, nil
	case strings.HasPrefix(s, "redis-sentinel://"), strings.HasPrefix(s, "redis-cluster://"), !strings.Contains(s, "://"):
		if !strings.Contains(s, "://") {
			s = "redis-cluster://" + s
		}
		p, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("CEPING_REDIS_URL: %w", err)
		}
		u.Addrs = strings.Split(p.Host, ",")
		if p.User != nil {
			u.Username = p.User.Username()
			u.Password, _ = p.User.Password()
		}
		if p.Scheme == "redis-sentinel" {
			u.MasterName = strings.Trim(p.Path, "/")
			if u.MasterName == "" {
				return nil, errors.New("CEPING_REDIS_URL: a Sentinel URL names the master: redis-sentinel://h1:26379,h2:26379/mymaster")
			}
		} else if len(u.Addrs) == 1 {
			u.IsClusterMode = true
		}
		return u, nil
	}
	return nil, fmt.Errorf("CEPING_REDIS_URL must start with redis://, rediss://, redis-sentinel:// or redis-cluster://")
}

// Client returns the underlying client.
func (l *Live) Client() redis.UniversalClient { return l.rdb }

// Embedded returns the in-process server, or nil.
func (l *Live) Embedded() *miniredis.Miniredis { return l.mini }

// Close closes the client and the embedded server.
func (l *Live) Close() error {
	l.brk.close()
	err := l.rdb.Close()
	if l.mini != nil {
		l.mini.Close()
	}
	return err
}

// Keys of a meeting, all under one hash tag:
//
//	t  turnout: pos (the ledger count reached) and g:GROUP (ballots per group)
//	p  turnout groups that arrived ahead of a gap: start → "end\npayload"
//	c  the tally histogram (ballots.Tally fields), moved in batches ≥ k
//	h  the histogram's bookkeeping: base and claim (the TallyMark), max (the
//	   largest ledger end of a committed group in it), f:ID per batch added
//	   since the last claim
func (l *Live) keys(id int64) []string {
	tag := fmt.Sprintf("{%sm:%d}", l.prefix, id)
	return []string{tag + ":t", tag + ":p", tag + ":c", tag + ":h"}
}

// TallyKey returns the key of a meeting's tally histogram, for operators
// and tests that look at what Redis holds.
func (l *Live) TallyKey(id int64) string { return l.keys(id)[2] }

func (l *Live) channel() string { return l.prefix + "events" }

// The turnout applier: payload lines are "group\tballots".
const luaTurnout = `
local function apply(payload)
  for line in string.gmatch(payload, "[^\n]+") do
    local tab = string.find(line, "\t", 1, true)
    redis.call('HINCRBY', KEYS[1], 'g:' .. string.sub(line, 1, tab - 1), tonumber(string.sub(line, tab + 1)))
  end
end
local function drain(pos)
  while true do
    local key = tostring(pos)
    local nxt = redis.call('HGET', KEYS[2], key)
    if not nxt then return pos end
    redis.call('HDEL', KEYS[2], key)
    local nl = string.find(nxt, "\n", 1, true)
    apply(string.sub(nxt, nl + 1))
    pos = tonumber(string.sub(nxt, 1, nl - 1))
  end
end
`

// apply: KEYS turnout, pending; ARGV start, end, payload, channel, id.
// A group whose start is past the current position waits in pending until
// the groups before it arrive; one already applied is ignored.
var scriptApply = redis.NewScript(luaTurnout + `
local pos = tonumber(redis.call('HGET', KEYS[1], 'pos') or '0')
local start, stop = tonumber(ARGV[1]), tonumber(ARGV[2])
if stop <= pos then return pos end
if start > pos then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. "\n" .. ARGV[3])
  return pos
end
apply(ARGV[3])
pos = drain(stop)
redis.call('HSET', KEYS[1], 'pos', pos)
redis.call('PUBLISH', ARGV[4], ARGV[5])
return pos
`)

// rebuild: KEYS as above; ARGV count, full payload, channel, id. Replaces the
// turnout unless it is already at or past count, then applies what waits.
var scriptRebuild = redis.NewScript(luaTurnout + `
local pos = tonumber(redis.call('HGET', KEYS[1], 'pos') or '-1')
local count = tonumber(ARGV[1])
if pos >= count then return pos end
redis.call('DEL', KEYS[1])
apply(ARGV[2])
local pend = redis.call('HKEYS', KEYS[2])
for _, k in ipairs(pend) do
  if tonumber(k) < count then redis.call('HDEL', KEYS[2], k) end
end
pos = drain(count)
redis.call('HSET', KEYS[1], 'pos', pos)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return pos
`)

// addTally: KEYS turnout, tally, marks; ARGV id, min end, max end, claim,
// payload ("field\tdelta" lines) → {outcome, base, claim}. Outcomes are
// ballots.TallyAdded, TallyStale and TallyNotReady.
var scriptAddTally = redis.NewScript(`
local base = redis.call('HGET', KEYS[3], 'base') or '0'
local claim = redis.call('HGET', KEYS[3], 'claim') or ''
if redis.call('HEXISTS', KEYS[3], 'f:' .. ARGV[1]) == 1 then return {0, base, claim} end
if redis.call('HEXISTS', KEYS[1], 'pos') == 0 then return {2, base, claim} end
local minEnd = tonumber(ARGV[2])
if (minEnd > 0 and minEnd <= tonumber(base)) or (ARGV[4] ~= '' and ARGV[4] ~= claim) then
  return {1, base, claim}
end
for line in string.gmatch(ARGV[5], "[^\n]+") do
  local tab = string.find(line, "\t", 1, true)
  redis.call('HINCRBY', KEYS[2], string.sub(line, 1, tab - 1), tonumber(string.sub(line, tab + 1)))
end
redis.call('HSET', KEYS[3], 'f:' .. ARGV[1], '1')
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[3], 'max') or '0') then
  redis.call('HSET', KEYS[3], 'max', ARGV[3])
end
return {0, base, claim}
`)

// claimTally: KEYS turnout, tally, marks; ARGV count, claim → {outcome,
// base, claim, field, value, …} with the histogram when taken. Outcomes
// are ballots.ClaimTaken, ClaimSuperseded and ClaimRetry.
var scriptClaimTally = redis.NewScript(`
local base = redis.call('HGET', KEYS[3], 'base') or '0'
local claim = redis.call('HGET', KEYS[3], 'claim') or ''
local count = tonumber(ARGV[1])
if count < tonumber(base) then return {1, base, claim} end
if tonumber(redis.call('HGET', KEYS[3], 'max') or '0') > count then return {2, base, claim} end
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(f, 1, 2) == 'f:' then redis.call('HDEL', KEYS[3], f) end
end
redis.call('HSET', KEYS[3], 'base', ARGV[1], 'claim', ARGV[2])
local out = {0, ARGV[1], ARGV[2]}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`)

// read: KEYS turnout, tally, marks → {pos, base, claim, field, value, …},
// one atomic snapshot.
var scriptRead = redis.NewScript(`
local out = {redis.call('HGET', KEYS[1], 'pos') or '0', redis.call('HGET', KEYS[3], 'base') or '0',
  redis.call('HGET', KEYS[3], 'claim') or ''}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`)

// encode writes increments as "key\tvalue" lines in key order.
func encode(t map[string]int64) string {
	fields := make([]string, 0, len(t))
	for f, n := range t {
		if n != 0 {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	var sb strings.Builder
	for _, f := range fields {
		sb.WriteString(f)
		sb.WriteByte('\t')
		sb.WriteString(strconv.FormatInt(t[f], 10))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Apply implements ballots.Live.
func (l *Live) Apply(ctx context.Context, id, start, end int64, cast map[string]int64) error {
	err := scriptApply.Run(ctx, l.rdb, l.keys(id)[:2], start, end, encode(cast), l.channel(), id).Err()
	if err != nil {
		return fmt.Errorf("apply live turnout: %w", err)
	}
	return nil
}

// Rebuild implements ballots.Live.
func (l *Live) Rebuild(ctx context.Context, id, count int64, cast map[string]int64) error {
	err := scriptRebuild.Run(ctx, l.rdb, l.keys(id)[:2], count, encode(cast), l.channel(), id).Err()
	if err != nil {
		return fmt.Errorf("rebuild live turnout: %w", err)
	}
	return nil
}

// Position implements ballots.Live.
func (l *Live) Position(ctx context.Context, id int64) (int64, error) {
	n, err := l.rdb.HGet(ctx, l.keys(id)[0], "pos").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// tallyKeys: turnout, tally, marks.
func (l *Live) tallyKeys(id int64) []string {
	k := l.keys(id)
	return []string{k[0], k[2], k[3]}
}

// AddTally implements ballots.Live.
func (l *Live) AddTally(ctx context.Context, id int64, b ballots.TallyBatch) (int, ballots.TallyMark, error) {
	vals, err := scriptAddTally.Run(ctx, l.rdb, l.tallyKeys(id), b.ID, b.MinEnd, b.MaxEnd, b.Claim, encode(b.Delta)).Slice()
	if err != nil {
		return 0, ballots.TallyMark{}, fmt.Errorf("add to live tally: %w", err)
	}
	return replyInt(vals, 0), replyMark(vals, 1), nil
}

// ClaimTally implements ballots.Live.
func (l *Live) ClaimTally(ctx context.Context, id, count int64, claim string) (ballots.Tally, ballots.TallyMark, int, error) {
	vals, err := scriptClaimTally.Run(ctx, l.rdb, l.tallyKeys(id), count, claim).Slice()
	if err != nil {
		return nil, ballots.TallyMark{}, 0, fmt.Errorf("claim live tally: %w", err)
	}
	return replyTally(vals, 3), replyMark(vals, 1), replyInt(vals, 0), nil
}

// Tally implements ballots.Live.
func (l *Live) Tally(ctx context.Context, id int64) (ballots.Tally, int64, ballots.TallyMark, error) {
	vals, err := scriptRead.Run(ctx, l.rdb, l.tallyKeys(id)).Slice()
	if err != nil {
		return nil, 0, ballots.TallyMark{}, fmt.Errorf("read live tally: %w", err)
	}
	return replyTally(vals, 3), int64(replyInt(vals, 0)), replyMark(vals, 1), nil
}

// Script replies mix integers and strings; these read them either way.
func replyString(vals []any, i int) string {
	if i >= len(vals) {
		return ""
	}
	switch v := vals[i].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func replyInt(vals []any, i int) int {
	n, _ := strconv.Atoi(replyString(vals, i))
	return n
}

func replyMark(vals []any, i int) ballots.TallyMark {
	base, _ := strconv.ParseInt(replyString(vals, i), 10, 64)
	return ballots.TallyMark{Base: base, Claim: replyString(vals, i+1)}
}

func replyTally(vals []any, from int) ballots.Tally {
	t := ballots.Tally{}
	for i := from; i+1 < len(vals); i += 2 {
		n, _ := strconv.ParseInt(replyString(vals, i+1), 10, 64)
		if n != 0 {
			t[replyString(vals, i)] = n
		}
	}
	return t
}

// Turnout implements ballots.Live.
func (l *Live) Turnout(ctx context.Context, id int64) (map[string]int64, int64, error) {
	all, err := l.rdb.HGetAll(ctx, l.keys(id)[0]).Result()
	if err != nil {
		return nil, 0, err
	}
	out := map[string]int64{}
	var pos int64
	for k, v := range all {
		n, _ := strconv.ParseInt(v, 10, 64)
		if k == "pos" {
			pos = n
		} else if g, ok := strings.CutPrefix(k, "g:"); ok {
			out[g] = n
		}
	}
	return out, pos, nil
}

// Notify implements ballots.Live.
func (l *Live) Notify(ctx context.Context, id int64) error {
	return l.rdb.Publish(ctx, l.channel(), id).Err()
}

// Subscribe implements ballots.Live.
func (l *Live) Subscribe(ctx context.Context) (<-chan int64, error) {
	ps := l.rdb.Subscribe(ctx, l.channel())
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	out := make(chan int64, 64)
	go func() {
		defer close(out)
		defer ps.Close()
		msgs := ps.Channel(redis.WithChannelHealthCheckInterval(5 * time.Second))
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				if id, err := strconv.ParseInt(m.Payload, 10, 64); err == nil {
					select {
					case out <- id:
					default: // the hub is busy; it polls anyway
					}
				}
			}
		}
	}()
	return out, nil
}

func (l *Live) limitKey(kind, who string) string { return l.prefix + "rl:" + kind + ":" + who }

// Fail implements ballots.Live.
func (l *Live) Fail(ctx context.Context, kind, who string, limit int, window time.Duration) (bool, error) {
	key := l.limitKey(kind, who)
	pipe := l.rdb.TxPipeline()
	incr := pipe.Incr(ctx, key)
	pipe.ExpireNX(ctx, key, window)
	if _, err := pipe.Exec(ctx); err != nil {
		return true, err
	}
	return incr.Val() <= int64(limit), nil
}

// Blocked implements ballots.Live.
func (l *Live) Blocked(ctx context.Context, kind, who string, limit int) (bool, error) {
	n, err := l.rdb.Get(ctx, l.limitKey(kind, who)).Int64()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return n >= int64(limit), err
}

// Drop implements ballots.Live.
func (l *Live) Drop(ctx context.Context, id int64) error {
	// One key per call: keys share a slot, but keep it simple for Cluster.
	// ":q" held pending groups before the turnout and the tally were split.
	for _, key := range append(l.keys(id), strings.TrimSuffix(l.keys(id)[0], ":t")+":q") {
		if err := l.rdb.Del(ctx, key).Err(); err != nil {
			return err
		}
	}
	return nil
}
