package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// The office's collection board (数据采集): one console page for admins
// (read-only for viewers) over the collection API (collect.go), and the
// history of one indicator's entry from the audit log.
func registerCollectionPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/collection", s.consolePage("collection.html", "数据采集", "Indicator collection", ballots.RoleAdmin, ballots.RoleViewer))
}

// registerHistoryRoutes is called with the API group (audit.go).
func registerHistoryRoutes(s *Server, api fiber.Router) {
	api.Get("/cycles/:cycle/indicators/:code/history", s.entryHistory)
}

// historyLine is one event in an entry's history.
type historyLine struct {
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Detail   string    `json:"detail"`
	DetailEN string    `json:"detail_en,omitempty"`
}

// entryActions are the audit actions recorded against one indicator,
// target "cycle/code".
var entryActions = map[string]bool{auditEntryPut: true, auditEntryReturn: true, auditEntryApprove: true, auditEntryReopen: true}

// bodyActions are the audit actions recorded against a whole body, target
// "cycle/body", that list their indicators' codes in the detail.
var bodyActions = map[string]bool{auditEntrySubmit: true, auditEntryApprove: true}

// listsCode reports whether a body-level detail ("报送 3 项指标：T01-01、T01-02")
// names code among its indicators.
func listsCode(detail, code string) bool {
	detail, _ = strings.CutSuffix(detail, demoSuffix)
	_, list, ok := strings.Cut(detail, "：")
	if !ok {
		return false
	}
	for _, c := range strings.Split(list, "、") {
		if strings.TrimSpace(c) == code {
			return true
		}
	}
	return false
}

// entryHistory answers GET /cycles/{cycle}/indicators/{code}/history
// (admin, viewer): {"indicator","history":[{at,actor,action,detail}]}, newest
// first — the entry's own events and its body's submits and approvals that
// name it. 404 for an indicator not in the catalogue.
func (s *Server) entryHistory(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer); err != nil {
		return err
	}
	ctx, cycle, code := c.UserContext(), c.Params("cycle"), strings.Clone(c.Params("code"))
	inds, err := s.svc.Indicators(ctx, cycle)
	if err != nil {
		return err
	}
	var ind *ballots.Indicator
	for i := range inds {
		if inds[i].Code == code {
			ind = &inds[i]
		}
	}
	if ind == nil {
		return ballots.Errorf(ballots.ENotFound, "指标 %s 不存在 (no such indicator)", code)
	}
	own, body := cycle+"/"+code, cycle+"/"+ind.Source
	trail, err := s.svc.AuditTrail(ctx, []string{own, body}, ballots.MaxAuditPage)
	if err != nil {
		return err
	}
	out := []historyLine{}
	for _, e := range trail {
		mine := (e.Target == own && entryActions[e.Action]) || (e.Target == body && bodyActions[e.Action] && listsCode(e.Detail, code))
		if mine {
			out = append(out, historyLine{At: e.At, Actor: e.Actor, Action: e.Action, Detail: e.Detail, DetailEN: detailEN(e.Detail)})
		}
	}
	return c.JSON(fiber.Map{"indicator": code, "history": out})
}
