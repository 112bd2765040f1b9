package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// Sign-in limits. Failed sign-ins (and wrong current passwords) are
// counted per client address and per account, in live state, under HMACs
// of the address and of the name. Nothing is ever locked for everyone:
//
//   - An address that keeps failing waits longer and longer between tries:
//     after addrFree failures 1 s, 2 s, 4 s … up to addrCap. While it waits,
//     its tries are answered 429 with Retry-After and are not checked.
//   - An account that keeps failing (from anywhere) makes every address that
//     has failed itself wait before its next try: after acctFree failures of
//     the account 1 s, 2 s, 4 s … up to acctCap, counted from that address's
//     own last failure. An address that has not failed is not held up, so
//     the right password from a clean client signs in even while someone
//     else guesses at the account from elsewhere.
//   - A successful sign-in clears the records of its address and account.
//
// Records are forgotten failKeep after their last failure. Tries from one
// address are checked one at a time in each server process, so a burst of
// parallel guesses cannot all pass the check before the first is counted.
const (
	addrFree = 5
	addrCap  = 15 * time.Minute
	acctFree = 5
	acctCap  = time.Minute
	failKeep = time.Hour
)

// backoff is the wait after n failures: none below free, then 1 s, 2 s, 4 s
// … up to max.
func backoff(n, free int64, max time.Duration) time.Duration {
	if n < free {
		return 0
	}
	k := n - free
	if k > 30 {
		return max
	}
	return min(time.Second<<k, max)
}

// signinWait is how long a client must still wait before its next try,
// given its address's failures (nAddr, the last at last), its account's
// failures nAcct, and the time now.
func signinWait(nAddr int64, last time.Time, nAcct int64, now time.Time) time.Duration {
	if nAddr == 0 {
		return 0
	}
	d := backoff(nAddr, addrFree, addrCap)
	d = max(d, backoff(nAcct, acctFree, acctCap))
	return d - now.Sub(last)
}

// signinAttempt is one checked try; end it with succeeded, failed or done.
type signinAttempt struct {
	s          *Server
	ctx        context.Context
	addr, acct string // record keys
	unlock     func()
}

// startSignin admits one sign-in try for name from the caller's address,
// or answers ERateLimited (setting Retry-After) while it must wait. The
// caller ends the attempt.
func (s *Server) startSignin(c *fiber.Ctx, name string) (*signinAttempt, error) {
	a := &signinAttempt{s: s, ctx: c.UserContext(), addr: "login-addr:" + s.clientKey(c, "login"), acct: "login-acct:" + s.accountKey(name)}
	a.unlock = s.signinLocks.lock(a.addr)
	live := s.svc.Live()
	// Live state down: sign-in goes on without limits rather than locking
	// every organizer out (votes go on too, invariant 10).
	nAddr, last, err := live.Failures(a.ctx, a.addr)
	if err != nil || nAddr == 0 {
		return a, nil
	}
	nAcct, _, _ := live.Failures(a.ctx, a.acct)
	wait := signinWait(nAddr, last, nAcct, s.now())
	if wait <= 0 {
		return a, nil
	}
	a.unlock()
	secs := int64((wait + time.Second - 1) / time.Second)
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	return nil, ballots.Errorf(ballots.ERateLimited, "登录失败次数过多，请 %s后再试 (too many failed sign-ins: try again in %s)", waitZH(secs), waitEN(secs))
}

func waitZH(secs int64) string {
	if secs < 60 {
		return fmt.Sprintf("%d 秒", secs)
	}
	return fmt.Sprintf("%d 分钟", (secs+59)/60)
}

func waitEN(secs int64) string {
	if secs < 60 {
		return fmt.Sprintf("%d s", secs)
	}
	return fmt.Sprintf("%d min", (secs+59)/60)
}

// failed counts a failure against the address and the account.
func (a *signinAttempt) failed() {
	defer a.unlock()
	live, now := a.s.svc.Live(), a.s.now()
	_, _ = live.AddFailure(a.ctx, a.addr, now, failKeep)
	_, _ = live.AddFailure(a.ctx, a.acct, now, failKeep)
}

// succeeded clears the records of the address and the account.
func (a *signinAttempt) succeeded() {
	defer a.unlock()
	_ = a.s.svc.Live().ClearFailures(a.ctx, a.addr, a.acct)
}

// done ends an attempt that neither failed nor succeeded (e.g. a wrong new
// password with the right current one).
func (a *signinAttempt) done() { a.unlock() }

// signIn checks name and password under the sign-in limits: the account,
// EUnauthorized (counted) or ERateLimited (not checked).
func (s *Server) signIn(c *fiber.Ctx, name, password string) (ballots.User, error) {
	a, err := s.startSignin(c, name)
	if err != nil {
		return ballots.User{}, err
	}
	u, err := s.svc.Authenticate(c.UserContext(), name, password)
	switch ballots.ErrorCode(err) {
	case "":
		a.succeeded()
	case ballots.EUnauthorized:
		a.failed()
		s.audit(c, ballots.User{}, auditLoginFailed, s.failedName(c, name), "")
	default:
		a.done()
	}
	return u, err
}

// accountKey turns an account name into an opaque key for the limits.
func (s *Server) accountKey(name string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("account\x00"))
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// keyedLocks is one mutex per key, held only while someone uses it.
type keyedLocks struct {
	mu sync.Mutex
	m  map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	refs int
}

// lock takes key's mutex and returns its unlock, which must be called once.
func (k *keyedLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyedLock{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.Unlock()
			k.mu.Lock()
			if l.refs--; l.refs == 0 {
				delete(k.m, key)
			}
			k.mu.Unlock()
		})
	}
}
