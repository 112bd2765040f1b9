package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ceping/ceping/ballots"
)

func registerAccountRoutes(s *Server, r fiber.Router) {
	r.Post("/login", s.login)
	r.Post("/logout-all", s.logoutAll)
}

// claims are an organizer token's: the account (sub), its role, the
// account's session generation when issued (gen) and the sign-in's own id
// (jti), which keys the CSRF token and survives a renewal.
type claims struct {
	Role string `json:"role"`
	Gen  *int64 `json:"gen"`
	jwt.RegisteredClaims
}

// sessionCheckTTL is how long a server trusts what it last read of an
// account (exists, role, generation). Changes made through this server
// apply at once; with several servers another one notices within this time.
const sessionCheckTTL = 3 * time.Second

func (s *Server) login(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.signIn(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	token, exp, err := s.issueJWT(u, "")
	if err != nil {
		return err
	}
	s.audit(c, u, auditLogin, u.Name, "通过接口")
	return c.JSON(fiber.Map{"token": token, "expires_at": exp.Format(time.RFC3339), "role": u.Role})
}

// issueJWT signs a token for u under its current session generation. sid
// is the sign-in it renews, "" for a new sign-in.
func (s *Server) issueJWT(u ballots.User, sid string) (string, time.Time, error) {
	if sid == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", time.Time{}, err
		}
		sid = hex.EncodeToString(b)
	}
	now := s.now()
	exp := now.Add(s.cfg.TokenTTL).Truncate(time.Second)
	gen := u.Generation
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{Role: u.Role, Gen: &gen, RegisteredClaims: jwt.RegisteredClaims{
		Subject: u.Name, ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), Issuer: "ceping", ID: sid}})
	signed, err := t.SignedString(s.cfg.Secret)
	return signed, exp, err
}

// parseJWT verifies an organizer token's signature, issuer and expiry.
func (s *Server) parseJWT(raw string) (claims, error) {
	var cl claims
	_, err := jwt.ParseWithClaims(raw, &cl, func(*jwt.Token) (any, error) { return s.cfg.Secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("ceping"), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now))
	return cl, err
}

// Locals keys of a request whose session has been checked.
const (
	localUser = "ceping.user"
	localSID  = "ceping.sid"
)

// user returns the organizer making the request, from the Authorization
// bearer token or the console's session cookie. The token must be valid and
// its account must still exist with the role and session generation the
// token names (read at most sessionCheckTTL ago): EUnauthorized otherwise,
// EUnavailable when the account cannot be read.
func (s *Server) user(c *fiber.Ctx) (ballots.User, error) {
	if u, ok := c.Locals(localUser).(ballots.User); ok {
		return u, nil
	}
	raw := ""
	fromCookie := false
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return ballots.User{}, ballots.Errorf(ballots.EUnauthorized, "需要登录：请使用 Authorization: Bearer <token> (bearer token required)")
		}
		raw = strings.TrimSpace(tok)
	} else {
		raw = c.Cookies(sessionCookie)
		fromCookie = true
	}
	if raw == "" {
		return ballots.User{}, ballots.Errorf(ballots.EUnauthorized, "需要登录 (sign in first)")
	}
	cl, err := s.parseJWT(raw)
	if err != nil || cl.Gen == nil || cl.Subject == "" {
		return ballots.User{}, ballots.Errorf(ballots.EUnauthorized, "登录已过期或无效，请重新登录 (session expired or invalid)")
	}
	// A browser sends the cookie with any request, also one another site
	// made it send: changes need the session's CSRF token as well, in the
	// X-CSRF-Token header (console scripts) or the _csrf form field.
	if fromCookie && !safeMethod(c.Method()) {
		got := c.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if !hmac.Equal([]byte(got), []byte(s.csrfFor(cl, raw))) {
			return ballots.User{}, ballots.Errorf(ballots.EForbidden, "页面已过期，请刷新后重试 (CSRF token missing or wrong: reload the page)")
		}
	}
	u, err := s.sessions.account(c.UserContext(), cl.Subject)
	switch {
	case ballots.ErrorCode(err) == ballots.ENotFound:
		return ballots.User{}, ballots.Errorf(ballots.EUnauthorized, "账号已不存在，请重新登录 (this account no longer exists)")
	case err != nil:
		s.log.Warn("session check: account not readable", "err", err)
		return ballots.User{}, ballots.Errorf(ballots.EUnavailable, "暂时无法核对登录状态，请稍后重试 (cannot check the session right now: try again shortly)")
	case u.Generation != *cl.Gen || u.Role != cl.Role:
		return ballots.User{}, ballots.Errorf(ballots.EUnauthorized, "登录已失效（密码、角色已更改或已在所有设备上退出），请重新登录 (this session has ended: sign in again)")
	}
	c.Locals(localUser, u)
	c.Locals(localSID, cl.ID)
	return u, nil
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// csrfToken returns the CSRF token of a session cookie's JWT: an HMAC of
// its sign-in id, so a renewed cookie (after one's own password change)
// keeps the token the open pages carry. It is "" for an invalid JWT.
func (s *Server) csrfToken(session string) string {
	cl, err := s.parseJWT(session)
	if err != nil {
		return ""
	}
	return s.csrfFor(cl, session)
}

func (s *Server) csrfFor(cl claims, raw string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	if cl.ID != "" {
		m.Write([]byte("csrf-sid\x00" + cl.ID))
	} else {
		m.Write([]byte("csrf\x00" + raw))
	}
	return hex.EncodeToString(m.Sum(nil)[:16])
}

const sessionCookie = "ceping_session"

// setSessionCookie sets the console's session cookie: HttpOnly,
// SameSite=Strict, as long as the JWT inside it.
func (s *Server) setSessionCookie(c *fiber.Ctx, token string, exp time.Time) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: exp, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secureCookie(c)})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: s.secureCookie(c)})
}

// endSessions signs an account out everywhere and makes this server forget
// what it read of it.
func (s *Server) endSessions(c *fiber.Ctx, name string) error {
	err := s.svc.EndSessions(c.UserContext(), name)
	s.sessions.forget(name)
	return err
}

// logoutAll answers POST /logout-all: 204, and every session of the
// caller's account has ended, this one included (the console's cookie is
// cleared too).
func (s *Server) logoutAll(c *fiber.Ctx) error {
	u, err := s.user(c)
	if err != nil {
		return err
	}
	if err := s.endSessions(c, u.Name); err != nil {
		return err
	}
	if c.Cookies(sessionCookie) != "" {
		s.clearSessionCookie(c)
	}
	s.audit(c, u, auditLogout, u.Name, "在所有设备上退出")
	return c.SendStatus(fiber.StatusNoContent)
}

// requireRole checks that the caller is signed in with one of roles.
func (s *Server) requireRole(c *fiber.Ctx, roles ...string) (ballots.User, error) {
	u, err := s.user(c)
	if err != nil {
		return u, err
	}
	for _, r := range roles {
		if u.Role == r {
			return u, nil
		}
	}
	return u, ballots.Errorf(ballots.EForbidden, "当前账号（%s）无权进行此操作 (your role may not do this)", roleNameZH(u.Role))
}

// admin is requireRole for the year's set-up.
func (s *Server) admin(c *fiber.Ctx) error {
	_, err := s.requireRole(c, ballots.RoleAdmin)
	return err
}

// reader: any signed-in role.
func (s *Server) reader(c *fiber.Ctx) (ballots.User, error) {
	return s.requireRole(c, ballots.RoleAdmin, ballots.RoleGroup, ballots.RoleViewer)
}

// accountCache keeps what a server last read of each signed-in account,
// for sessionCheckTTL, so checking every request's session costs a map
// lookup, not a query.
type accountCache struct {
	load func(context.Context, string) (ballots.User, error)
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]cachedAccount
}

type cachedAccount struct {
	u   ballots.User
	err error // nil or ENotFound
	at  time.Time
}

// maxCachedAccounts bounds the cache; only names in valid signed tokens
// reach it, so it holds the organizers, a few dozen.
const maxCachedAccounts = 1024

// account returns the account name as read at most sessionCheckTTL ago,
// without its password hash; ENotFound if it does not exist.
func (ac *accountCache) account(ctx context.Context, name string) (ballots.User, error) {
	now := ac.now()
	ac.mu.Lock()
	e, ok := ac.m[name]
	ac.mu.Unlock()
	if ok && now.Sub(e.at) < sessionCheckTTL && now.Sub(e.at) >= 0 {
		return e.u, e.err
	}
	u, err := ac.load(ctx, name)
	u.PasswordHash = ""
	if err != nil && ballots.ErrorCode(err) != ballots.ENotFound {
		return u, err // not remembered: the next request asks again
	}
	ac.mu.Lock()
	if len(ac.m) >= maxCachedAccounts {
		clear(ac.m)
	}
	ac.m[name] = cachedAccount{u: u, err: err, at: now}
	ac.mu.Unlock()
	return u, err
}

// forget drops what the cache holds of name, after a change to it.
func (ac *accountCache) forget(name string) {
	ac.mu.Lock()
	delete(ac.m, name)
	ac.mu.Unlock()
}
