package server

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/frontend"
)

// The organizer console: server-rendered pages that carry the session's
// CSRF token and talk to /api/v1 with the session cookie.
func registerConsoleRoutes(s *Server, r fiber.Router) {
	r.Get("/console/login", s.loginPage)
	r.Post("/console/login", s.loginForm)
	r.Post("/console/logout", s.logoutForm)
	r.Get("/console", s.consolePage("console.html", "概览", "Overview"))
	registerSetupPages(s, r)
	registerRunPages(s, r)
	registerBoardPages(s, r)
	registerAccountPages(s, r)
}

// PageData is what every console page template gets.
type PageData struct {
	Title, TitleEN string
	User           ballots.User
	CSRF           string
	Error          string
	ErrorEN        string // the error's English, when it has one
	Next           string
	Params         map[string]string // route parameters, e.g. cycle and meeting
}

// renderPage writes a page template with the strict CSP, never cached.
func (s *Server) renderPage(c *fiber.Ctx, name string, data any) error {
	body, err := frontend.Render(name, data)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", pageCSP)
	c.Set("Cache-Control", "no-store")
	c.Type("html", "utf-8")
	return c.Send(body)
}

// consolePage serves a console page to a signed-in organizer, and sends
// anyone else to the login page.
func (s *Server) consolePage(name, title, titleEN string, roles ...string) fiber.Handler {
	if len(roles) == 0 {
		roles = []string{ballots.RoleAdmin, ballots.RoleGroup, ballots.RoleViewer}
	}
	return func(c *fiber.Ctx) error {
		u, err := s.user(c)
		if err != nil {
			return c.Redirect("/console/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		allowed := false
		for _, r := range roles {
			allowed = allowed || u.Role == r
		}
		if !allowed {
			return ballots.Errorf(ballots.EForbidden, "当前账号（%s）无权查看此页面 (your role may not open this page)", roleNameZH(u.Role))
		}
		params := map[string]string{}
		for _, p := range c.Route().Params {
			params[p] = strings.Clone(c.Params(p))
		}
		return s.renderPage(c, name, PageData{Title: title, TitleEN: titleEN, User: u, CSRF: s.csrfToken(c.Cookies(sessionCookie)), Params: params})
	}
}

// safeNext keeps a post-login redirect on this site's console.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/console") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\\\") {
		return next
	}
	return "/console"
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	return s.renderPage(c, "login.html", PageData{Title: "登录", TitleEN: "Sign in", Next: safeNext(c.Query("next"))})
}

// loginForm signs in from the login page's form and sets the session
// cookie: HttpOnly, SameSite=Strict, as long as the JWT inside it.
func (s *Server) loginForm(c *fiber.Ctx) error {
	name, password, next := c.FormValue("username"), c.FormValue("password"), safeNext(c.FormValue("next"))
	fail := func(msg string) error {
		c.Status(fiber.StatusUnauthorized)
		zh, en := splitMessage(msg)
		return s.renderPage(c, "login.html", PageData{Title: "登录", TitleEN: "Sign in", Error: zh, ErrorEN: en, Next: next})
	}
	who := s.clientKey(c, name)
	if blocked, _ := s.svc.Live().Blocked(c.UserContext(), "login", who, loginLimit); blocked {
		return fail("登录失败次数过多，请 15 分钟后再试 (too many failed sign-ins: wait 15 minutes)")
	}
	u, err := s.svc.Authenticate(c.UserContext(), name, password)
	if ballots.ErrorCode(err) == ballots.EUnauthorized {
		_, _ = s.svc.Live().Fail(c.UserContext(), "login", who, loginLimit, loginWindow)
		s.audit(c, ballots.User{}, auditLoginFailed, s.failedName(c, name), "")
		return fail("用户名或密码错误 (wrong username or password)")
	}
	if err != nil {
		return err
	}
	token, exp, err := s.issueJWT(u)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: exp, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: s.secureCookie(c)})
	s.audit(c, u, auditLogin, u.Name, "通过控制台")
	return c.Redirect(next, fiber.StatusSeeOther)
}

func (s *Server) logoutForm(c *fiber.Ctx) error {
	if _, err := s.user(c); err != nil && ballots.ErrorCode(err) == ballots.EForbidden {
		return err // a forged logout
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: s.secureCookie(c)})
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}
