package server

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// behindProxy is a test server whose requests all come from the address
// app.Test gives them (0.0.0.0), trusted as a reverse proxy, so
// X-Forwarded-For names the client. Its clock is fake.
func behindProxy(t *testing.T) (*testServer, *fakeClock) {
	ts := newTestServer(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")} })
	clock := &fakeClock{now: time.Now()}
	ts.srv.now = clock.Now
	return ts, clock
}

// signinFrom posts a sign-in from client address from (via X-Forwarded-For)
// and returns the status and Retry-After in seconds (0 when absent).
func (ts *testServer) signinFrom(t *testing.T, from, name, pw string) (int, int) {
	t.Helper()
	status, body, h := ts.doFull(t, req{method: "POST", url: "/api/v1/login", headers: map[string]string{"X-Forwarded-For": from},
		body: `{"username":"` + name + `","password":"` + pw + `"}`})
	if status == 429 && !strings.Contains(string(body), `"code":"rate_limited"`) {
		t.Errorf("429 without code rate_limited: %s", body)
	}
	ra, _ := strconv.Atoi(h.Get("Retry-After"))
	if status == 429 && ra <= 0 {
		t.Errorf("429 without Retry-After")
	}
	return status, ra
}

// TestSigninBackoff: wrong passwords from one address slow it down, 1 s,
// 2 s, 4 s …, answered 429 with Retry-After while it waits (the right
// password too: a blocked address is blocked); the right password from
// another address signs in all the while and clears the account's record;
// the waits are capped.
func TestSigninBackoff(t *testing.T) {
	ts, clock := behindProxy(t)
	const attacker, office = "203.0.113.7", "198.51.100.20"
	for i := 0; i < addrFree; i++ {
		if got, _ := ts.signinFrom(t, attacker, adminUser, "wrong-guess"); got != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i+1, got)
		}
	}
	for _, want := range []int{1, 2, 4} {
		got, ra := ts.signinFrom(t, attacker, adminUser, "wrong-guess")
		if got != 429 || ra != want {
			t.Fatalf("a try while waiting: %d Retry-After %d, want 429 Retry-After %d", got, ra, want)
		}
		if got, _ := ts.signinFrom(t, attacker, adminUser, password); got != 429 {
			t.Errorf("the right password from the waiting address: %d, want 429", got)
		}
		clock.Add(time.Duration(ra)*time.Second - time.Millisecond)
		if got, _ := ts.signinFrom(t, attacker, adminUser, "wrong-guess"); got != 429 {
			t.Errorf("a try just before the wait is over: %d, want 429", got)
		}
		clock.Add(time.Millisecond)
		if got, _ := ts.signinFrom(t, attacker, adminUser, "wrong-guess"); got != 401 {
			t.Errorf("a try once the wait is over: %d, want 401", got)
		}
	}
	// The account has had 8 failures: the admin at the office still gets in.
	if got, _ := ts.signinFrom(t, office, adminUser, password); got != 200 {
		t.Fatalf("the right password from a clean address while the account is under attack: %d, want 200", got)
	}
	// The attacker's address still waits (8 s now).
	if got, ra := ts.signinFrom(t, attacker, adminUser, password); got != 429 || ra != 8 {
		t.Errorf("the attacker after the admin signed in: %d Retry-After %d, want 429 Retry-After 8", got, ra)
	}
	// However long it keeps trying, the wait stops growing at the cap.
	key := "login-addr:" + ts.srv.addressKey(netip.MustParseAddr(attacker), "login")
	for i := 0; i < 40; i++ {
		ts.svc.Live().AddFailure(context.Background(), key, clock.Now(), failKeep)
	}
	if got, ra := ts.signinFrom(t, attacker, adminUser, "wrong-guess"); got != 429 || ra != int(addrCap/time.Second) {
		t.Errorf("after many failures: %d Retry-After %d, want 429 Retry-After %d", got, ra, int(addrCap/time.Second))
	}
	// Someone else at another address, with the right password, is in.
	if got, _ := ts.signinFrom(t, "198.51.100.21", groupUser, password); got != 200 {
		t.Errorf("another account from another address: %d, want 200", got)
	}
}

// TestSigninAccountPressure: guesses at one account spread over many
// addresses make each of those addresses wait after its own failure, while
// an address that has not failed signs in with the right password.
func TestSigninAccountPressure(t *testing.T) {
	ts, clock := behindProxy(t)
	bots := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7"}
	for _, b := range bots {
		if got, _ := ts.signinFrom(t, b, adminUser, "wrong-guess"); got != 401 {
			t.Fatalf("first guess from %s: %d, want 401", b, got)
		}
	}
	// 7 failures on the account: each guessing address waits 4 s after its
	// own failure, though it failed only once.
	if got, ra := ts.signinFrom(t, bots[0], adminUser, "wrong-guess"); got != 429 || ra != 4 {
		t.Errorf("a second guess from %s: %d Retry-After %d, want 429 Retry-After 4", bots[0], got, ra)
	}
	if got, _ := ts.signinFrom(t, "198.51.100.20", adminUser, password); got != 200 {
		t.Fatalf("the admin from a clean address: %d, want 200", got)
	}
	// The success cleared the account's record: one failure each is under
	// the address limit again.
	if got, _ := ts.signinFrom(t, bots[1], adminUser, "wrong-guess"); got != 401 {
		t.Errorf("a bot's second guess after the account was cleared: %d, want 401", got)
	}
	// The account's wait never passes acctCap.
	for i := 0; i < 40; i++ {
		ts.svc.Live().AddFailure(context.Background(), "login-acct:"+ts.srv.accountKey(adminUser), clock.Now(), failKeep)
	}
	clock.Add(acctCap)
	if got, _ := ts.signinFrom(t, bots[2], adminUser, "wrong-guess"); got != 401 {
		t.Errorf("a bot %s after its own failure under heavy pressure: %d, want 401", acctCap, got)
	}
}

// TestSigninKeysHoldNoAddress: the live state and the log hold HMACs, never
// a client's address.
func TestSigninKeysHoldNoAddress(t *testing.T) {
	ts, _ := behindProxy(t)
	ts.signinFrom(t, "203.0.113.77", adminUser, "wrong-guess")
	ts.signinFrom(t, "2001:db8:1:2::77", adminUser, "wrong-guess")
	live, ok := ts.svc.Live().(*redislive.Live)
	if !ok {
		t.Skip("live state is not Redis")
	}
	ctx := context.Background()
	keys, err := live.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, k := range keys {
		if !strings.Contains(k, ":rl:login-") {
			continue
		}
		found++
		vals, _ := live.Client().HGetAll(ctx, k).Result()
		all := k + " " + strings.Join(mapValues(vals), " ")
		for _, a := range []string{"203.0.113", "2001:db8", "2001:0db8", "0.0.0.0"} {
			if strings.Contains(all, a) {
				t.Errorf("live state holds the address %s: %s", a, all)
			}
		}
	}
	if found == 0 {
		t.Errorf("no sign-in failure was recorded")
	}
	for _, a := range []string{"203.0.113", "2001:db8"} {
		if strings.Contains(ts.log.String(), a) {
			t.Errorf("the log holds the address %s", a)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestForwardedForFromTrustedProxiesOnly: X-Forwarded-For names the client
// only when the request comes from a configured proxy; otherwise every
// client behind whatever header it sends is the peer's address, and its
// failures are the peer's.
func TestForwardedForFromTrustedProxiesOnly(t *testing.T) {
	t.Run("Untrusted", func(t *testing.T) {
		ts := newTestServer(t) // no trusted proxies: 0.0.0.0 is just a client
		clock := &fakeClock{now: time.Now()}
		ts.srv.now = clock.Now
		for i := 0; i < addrFree; i++ {
			ts.signinFrom(t, "203.0.113.7", adminUser, "wrong-guess")
		}
		if got, _ := ts.signinFrom(t, "198.51.100.20", viewerUser, "wrong-guess"); got != 429 {
			t.Errorf("a made-up X-Forwarded-For from an untrusted peer escaped the peer's limit: %d, want 429", got)
		}
	})
	t.Run("Trusted", func(t *testing.T) {
		ts, _ := behindProxy(t)
		for i := 0; i < addrFree; i++ {
			ts.signinFrom(t, "203.0.113.7", adminUser, "wrong-guess")
		}
		if got, _ := ts.signinFrom(t, "198.51.100.20", viewerUser, "wrong-guess"); got != 401 {
			t.Errorf("another client behind the trusted proxy: %d, want 401 (its own limit)", got)
		}
		// The waiting client writes another address in front of its own: the
		// proxy appends the real one, which is what counts.
		if got, _ := ts.signinFrom(t, "198.51.100.99, 203.0.113.7", adminUser, "wrong-guess"); got != 429 {
			t.Errorf("a client that prepends a made-up address escaped its limit: %d, want 429", got)
		}
	})
}

func TestForwardedClient(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.1, 10.1.0.0/16 ::1")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: Config{TrustedProxies: trusted}}
	for _, tc := range []struct {
		peer, xff, want string
	}{
		{"10.0.0.1", "203.0.113.7", "203.0.113.7"},
		{"10.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"},         // the client's own entry on the left is not believed
		{"10.0.0.1", "203.0.113.7, 10.1.2.3", "203.0.113.7"},             // two proxies
		{"10.0.0.1", "10.1.2.3", "10.1.2.3"},                             // only proxies: the farthest
		{"10.0.0.1", "", "10.0.0.1"},                                     // no header
		{"10.0.0.1", "203.0.113.7, not-an-ip", "10.0.0.1"},               // garbage after the client: stop at the last trusted
		{"10.0.0.1", "203.0.113.7:4711", "203.0.113.7"},                  // a port
		{"10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"},                 // IPv6 with a port
		{"10.0.0.1", "::ffff:203.0.113.7", "203.0.113.7"},                // v4-mapped
		{"::1", "2001:db8::1", "2001:db8::1"},                            // an IPv6 proxy
		{"203.0.113.9", "198.51.100.1", "203.0.113.9"},                   // not checked here: clientIP never reads XFF from untrusted peers
		{"10.0.0.1", "198.51.100.1, 10.9.9.9, 10.1.0.5", "10.9.9.9"},     // an untrusted hop ends the walk
		{"10.0.0.1", " 203.0.113.7 ,  10.1.0.5 ", "203.0.113.7"},         // spaces
		{"10.0.0.1", "198.51.100.1,203.0.113.7,10.1.0.5", "203.0.113.7"}, // no spaces
	} {
		var hops []string
		if tc.xff != "" {
			hops = strings.Split(tc.xff, ",")
		}
		peer := netip.MustParseAddr(tc.peer)
		got := peer
		if s.trustedProxy(peer) {
			got = forwardedClient(peer, hops, s.trustedProxy)
		}
		if got.String() != tc.want {
			t.Errorf("peer %s X-Forwarded-For %q: client %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies("10.0.0.1, proxy.example"); err == nil {
		t.Errorf("a host name was accepted as a trusted proxy")
	}
	// IPv6 clients count per /64.
	if a, b := limitAddr(netip.MustParseAddr("2001:db8:1:2::1")), limitAddr(netip.MustParseAddr("2001:db8:1:2:ffff::9")); a != b {
		t.Errorf("two addresses of one /64 count apart: %s, %s", a, b)
	}
	if a, b := limitAddr(netip.MustParseAddr("203.0.113.1")), limitAddr(netip.MustParseAddr("203.0.113.2")); a == b {
		t.Errorf("two IPv4 addresses count together: %s", a)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want time.Duration
	}{{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second}, {14, 512 * time.Second}, {15, addrCap}, {99, addrCap}, {1 << 40, addrCap}} {
		if got := backoff(tc.n, addrFree, addrCap); got != tc.want {
			t.Errorf("backoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}
