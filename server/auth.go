package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ceping/ceping/ballots"
)

func registerAccountRoutes(s *Server, r fiber.Router) {
	r.Post("/login", s.login)
}

// Login failures allowed per address and name in loginWindow.
const (
	loginLimit  = 10
	loginWindow = 15 * time.Minute
)

type claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

func (s *Server) login(c *fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	who := s.clientKey(c, req.Username)
	if blocked, _ := s.svc.Live().Blocked(c.UserContext(), "login", who, loginLimit); blocked {
		return ballots.Errorf(ballots.ERateLimited, "登录失败次数过多，请 15 分钟后再试 (too many failed logins: wait 15 minutes)")
	}
	u, err := s.svc.Authenticate(c.UserContext(), req.Username, req.Password)
	if ballots.ErrorCode(err) == ballots.EUnauthorized {
		_, _ = s.svc.Live().Fail(c.UserContext(), "login", who, loginLimit, loginWindow)
		s.audit(c, ballots.User{}, auditLoginFailed, s.failedName(c, req.Username), "")
	}
	if err != nil {
		return err
	}
	token, exp, err := s.issueJWT(u)
	if err != nil {
		return err
	}
	s.audit(c, u, auditLogin, u.Name, "通过接口")
	return c.JSON(fiber.Map{"token": token, "expires_at": exp.Format(time.RFC3339), "role": u.Role})
}

func (s *Server) issueJWT(u ballots.User) (string, time.Time, error) {
	exp := time.Now().Add(s.cfg.TokenTTL).Truncate(time.Second)
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{Role: u.Role, RegisteredClaims: jwt.RegisteredClaims{
		Subject: u.Name, ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(time.Now()), Issuer: "ceping"}})
	signed, err := t.SignedString(s.cfg.Secret)
	return signed, exp, err
}

// user returns the organizer making the request, from the Authorization
// bearer token or the console's session cookie; EUnauthorized otherwise.
func (s *Server) user(c *fiber.Ctx) (ballots.User, error) {
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
	var cl claims
	_, err := jwt.ParseWithClaims(raw, &cl, func(*jwt.Token) (any, error) { return s.cfg.Secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("ceping"), jwt.WithExpirationRequired())
	if err != nil {
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
		if !hmac.Equal([]byte(got), []byte(s.csrfToken(raw))) {
			return ballots.User{}, ballots.Errorf(ballots.EForbidden, "页面已过期，请刷新后重试 (CSRF token missing or wrong: reload the page)")
		}
	}
	return ballots.User{Name: cl.Subject, Role: cl.Role}, nil
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// csrfToken binds a CSRF token to one session: an HMAC of its JWT.
func (s *Server) csrfToken(session string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write([]byte("csrf\x00" + session))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

const sessionCookie = "ceping_session"

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
