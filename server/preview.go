package server

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// Ballot preview: the ballot a form gives, for a chosen 被考核单位, before
// any meeting opens. No slip is involved, so nothing here ever sees, makes
// or logs a slip code; nothing is stored and nothing is audited.
func registerPreviewRoutes(s *Server, api, pages fiber.Router) {
	api.Get("/cycles/:cycle/forms/:form/preview", s.previewForm) // ?host=UNIT
	pages.Get("/console/cycles/:cycle/forms/:form/preview", s.previewPage)
}

// previewJSON is what the ballot page gets for a slip (BallotView), plus
// what was previewed.
type previewJSON struct {
	ballots.BallotView
	Preview struct {
		Form string `json:"form"`
		Host string `json:"host,omitempty"`
	} `json:"preview"`
}

// previewForm answers GET …/forms/{form}/preview?host=UNIT for admin and
// group users: 200 with the ballot view; 404 for an unknown year or form;
// 422 form_not_ready, in the clerk's terms, when the form cannot be made
// into a ballot for that unit (no one to rate, an unknown unit).
func (s *Server) previewForm(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleGroup); err != nil {
		return err
	}
	form, host := strings.Clone(c.Params("form")), strings.TrimSpace(strings.Clone(c.Query("host")))
	view, err := s.svc.PreviewForm(c.UserContext(), c.Params("cycle"), form, host)
	if err != nil {
		return err
	}
	out := previewJSON{BallotView: view}
	out.Preview.Form, out.Preview.Host = form, host
	return c.JSON(out)
}

// PreviewPage is what ballot.html gets in preview mode; the voting page
// (/b) gets nil.
type PreviewPage struct {
	API   string // the preview endpoint, without ?host
	Form  string // GET: the form (to know whether it rates the host)
	Units string // GET: the year's units (the host picker)
	Back  string // where 关闭预览 leads
}

// previewPage serves the ballot page in preview mode to admin and group
// users: a banner, a host picker, every input and check working and 提交
// disabled. Anyone not signed in goes to the login page first.
func (s *Server) previewPage(c *fiber.Ctx) error {
	u, ok, err := s.pageUser(c, c.OriginalURL())
	if !ok {
		return err
	}
	if u.Role != ballots.RoleAdmin && u.Role != ballots.RoleGroup {
		return ballots.Errorf(ballots.EForbidden, "当前账号无权预览选票 (your role may not preview ballots)")
	}
	cycle, form := url.PathEscape(c.Params("cycle")), url.PathEscape(c.Params("form"))
	base := fmt.Sprintf("/api/v1/cycles/%s", cycle)
	back := "/console"
	if u.Role == ballots.RoleAdmin {
		back = fmt.Sprintf("/console/cycles/%s/forms", cycle)
	}
	return s.renderPage(c, "ballot.html", PreviewPage{
		API:   base + "/forms/" + form + "/preview",
		Form:  base + "/forms/" + form,
		Units: base + "/units",
		Back:  back,
	})
}
