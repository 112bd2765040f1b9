package server

import (
	"net/url"
	"strings"

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
	r.Get("/console", s.landing(s.consolePage("console.html", "概览", "Overview")))
	registerSetupPages(s, r)
	registerRunPages(s, r)
	registerBoardPages(s, r)
	registerCollectionPages(s, r)
	registerAccountPages(s, r)
	registerCollectPages(s, r)
	registerAdjustPages(s, r)
	registerReportsPages(s, r)
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
// cookie (see setSessionCookie).
func (s *Server) loginForm(c *fiber.Ctx) error {
	name, password, next := c.FormValue("username"), c.FormValue("password"), safeNext(c.FormValue("next"))
	u, err := s.signIn(c, name, password)
	switch code := ballots.ErrorCode(err); code {
	case "":
	case ballots.EUnauthorized, ballots.ERateLimited:
		c.Status(statusOf(code))
		zh, en := splitMessage(ballots.ErrorMessage(err))
		return s.renderPage(c, "login.html", PageData{Title: "登录", TitleEN: "Sign in", Error: zh, ErrorEN: en, Next: next})
	default:
		return err
	}
	token, exp, err := s.issueJWT(u, "")
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, exp)
	s.audit(c, u, auditLogin, u.Name, "通过控制台")
	return c.Redirect(next, fiber.StatusSeeOther)
}

// logoutForm signs out from the console: it ends every session of the
// account, on every device and every API token (advancing its session
// generation), and clears the cookie. A cookie whose session has already
// ended is just cleared.
func (s *Server) logoutForm(c *fiber.Ctx) error {
	u, err := s.user(c)
	switch ballots.ErrorCode(err) {
	case "":
		if err := s.endSessions(c, u.Name); err != nil {
			return err
		}
		s.audit(c, u, auditLogout, u.Name, "通过控制台")
	case ballots.EUnauthorized:
	default:
		return err // a forged logout (403), or the account unreadable (503)
	}
	s.clearSessionCookie(c)
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}
