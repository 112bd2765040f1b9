package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerCollectPages registers the console pages of the collection's
// own accounts (see console.go): an assessor's entries and a unit's own
// indicators. These accounts open no other console page; /console sends
// them here (landing).
func registerCollectPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/collect", s.collectPage("collect.html", "我的填报", "My entries", ballots.RoleAssessor))
	r.Get("/console/cycles/:cycle/mine", s.collectPage("mine.html", "本单位指标", "Our indicators", ballots.RoleUnit))
}

// collectPageData is PageData with what the page cannot read from the API
// under its role: the year's name, the other years it has indicators in,
// the names of the units, its own body's or unit's name and the rules'
// completion floor.
type collectPageData struct {
	PageData
	Cycle ballots.Cycle
	Years []ballots.Cycle // years with this account's indicators, newest first
	Units string          // JSON {"T01":"城关镇",…}
	Bound string          // the body's or unit's name
	Floor string          // the completion floor in percent, e.g. "60"
}

// collectPath is the page of an assessor or unit account for a year.
func collectPath(role, cycle string) string {
	if role == ballots.RoleUnit {
		return "/console/cycles/" + url.PathEscape(cycle) + "/mine"
	}
	return "/console/cycles/" + url.PathEscape(cycle) + "/collect"
}

func isCollectRole(role string) bool { return role == ballots.RoleAssessor || role == ballots.RoleUnit }

// ownsIndicator reports whether the account enters (assessor) or is
// assessed on (unit) the indicator.
func ownsIndicator(u ballots.User, ind ballots.Indicator) bool {
	return (u.Role == ballots.RoleAssessor && ind.Source == u.Body) || (u.Role == ballots.RoleUnit && ind.Unit == u.Unit)
}

// accountYears lists the years in which u has indicators, newest first,
// and every year, newest first.
func (s *Server) accountYears(ctx context.Context, u ballots.User) (own, all []ballots.Cycle, err error) {
	cycles, err := s.svc.Cycles(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := len(cycles) - 1; i >= 0; i-- {
		cy := cycles[i]
		all = append(all, cy)
		inds, err := s.svc.Indicators(ctx, cy.Code)
		if err != nil {
			return nil, nil, err
		}
		for _, ind := range inds {
			if ownsIndicator(u, ind) {
				own = append(own, cy)
				break
			}
		}
	}
	return own, all, nil
}

// landing sends an assessor or unit account from /console to its page for
// the newest year it has indicators in (or the newest year, whose page
// says it has none); everyone else gets next.
func (s *Server) landing(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := s.user(c)
		if err != nil || !isCollectRole(u.Role) {
			return next(c)
		}
		own, all, err := s.accountYears(c.UserContext(), u)
		if err != nil {
			return err
		}
		switch {
		case len(own) > 0:
			return c.Redirect(collectPath(u.Role, own[0].Code), fiber.StatusSeeOther)
		case len(all) > 0:
			return c.Redirect(collectPath(u.Role, all[0].Code), fiber.StatusSeeOther)
		}
		// No year at all yet: the page itself says so.
		page := "collect.html"
		if u.Role == ballots.RoleUnit {
			page = "mine.html"
		}
		data, err := s.collectData(c, u, "")
		if err != nil {
			return err
		}
		return s.renderPage(c, page, data)
	}
}

// collectPage serves an assessor's or unit's page: to the login page
// without a session, 403 for other roles, 404 for an unknown year.
func (s *Server) collectPage(name, title, titleEN, role string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := s.user(c)
		if err != nil {
			return c.Redirect("/console/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		if u.Role != role {
			return ballots.Errorf(ballots.EForbidden, "当前账号（%s）无权查看此页面 (your role may not open this page)", roleNameZH(u.Role))
		}
		data, err := s.collectData(c, u, strings.Clone(c.Params("cycle")))
		if err != nil {
			return err
		}
		data.Title, data.TitleEN = title, titleEN
		return s.renderPage(c, name, data)
	}
}

// collectData gathers a page's data for u and a year ("" when there is no
// year yet).
func (s *Server) collectData(c *fiber.Ctx, u ballots.User, cycle string) (collectPageData, error) {
	ctx := c.UserContext()
	d := collectPageData{PageData: PageData{Title: "我的填报", TitleEN: "My entries", User: u, CSRF: s.csrfToken(c.Cookies(sessionCookie)),
		Params: map[string]string{"cycle": cycle}}, Units: "{}", Floor: "60"}
	if u.Role == ballots.RoleUnit {
		d.Title, d.TitleEN = "本单位指标", "Our indicators"
	}
	if cycle == "" {
		return d, nil
	}
	cy, err := s.svc.Cycle(ctx, cycle)
	if err != nil {
		return d, err
	}
	d.Cycle = cy
	own, _, err := s.accountYears(ctx, u)
	if err != nil {
		return d, err
	}
	d.Years = own
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return d, err
	}
	names := make(map[string]string, len(units))
	for _, un := range units {
		names[un.Code] = un.Name
		if u.Role == ballots.RoleUnit && un.Code == u.Unit {
			d.Bound = un.Name
		}
	}
	b, err := json.Marshal(names)
	if err != nil {
		return d, err
	}
	d.Units = string(b)
	if u.Role == ballots.RoleAssessor {
		bodies, err := s.svc.Bodies(ctx, cycle)
		if err != nil {
			return d, err
		}
		for _, body := range bodies {
			if body.Code == u.Body {
				d.Bound = body.Name
			}
		}
	}
	rules, err := s.rules(ctx, cycle)
	if err != nil {
		return d, err
	}
	d.Floor = strconv.FormatFloat(rules.CompletionFloor*100, 'f', -1, 64)
	return d, nil
}
