package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

// Adjustments (加减分): a year's categories and the entries of each unit,
// applied for by a unit account and decided by the office, or recorded by
// the office directly. The rules are ballots'; this file checks roles,
// shapes the JSON, writes the audit log and hands the counted entries to
// the score table (targets() in scores.go).
func registerAdjustRoutes(s *Server, r fiber.Router) {
	r.Get("/cycles/:cycle/adjustment-categories", s.getAdjustCategories)
	r.Put("/cycles/:cycle/adjustment-categories", s.putAdjustCategories)
	r.Get("/cycles/:cycle/adjustments", s.getAdjustments)
	r.Post("/cycles/:cycle/adjustments", s.postAdjustment)
	r.Post("/cycles/:cycle/adjustments/:id/approve", s.decideAdjustment(ballots.AdjApprove))
	r.Post("/cycles/:cycle/adjustments/:id/reject", s.decideAdjustment(ballots.AdjReject))
	r.Post("/cycles/:cycle/adjustments/:id/withdraw", s.decideAdjustment(ballots.AdjWithdraw))
	r.Post("/cycles/:cycle/adjustments/:id/revoke", s.decideAdjustment(ballots.AdjRevoke))
}

// Audit actions of adjustments.
const (
	auditAdjustCategories = "adjust.categories"
	auditAdjustRecord     = "adjust.record"
	auditAdjustApply      = "adjust.apply"
	auditAdjustApprove    = "adjust.approve"
	auditAdjustReject     = "adjust.reject"
	auditAdjustWithdraw   = "adjust.withdraw"
	auditAdjustRevoke     = "adjust.revoke"
)

// categoriesJSON is GET adjustment-categories: the year's categories and
// whether they are the product's defaults (never set for the year).
type categoriesJSON struct {
	Categories []ballots.AdjustmentCategory `json:"categories"`
	Defaults   bool                         `json:"defaults"`
}

func (s *Server) getAdjustCategories(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleUnit); err != nil {
		return err
	}
	cats, defaults, err := s.svc.AdjustmentCategories(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(categoriesJSON{Categories: cats, Defaults: defaults})
}

func (s *Server) putAdjustCategories(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var cats []ballots.AdjustmentCategory
	if err := decode(c, &cats); err != nil {
		return err
	}
	cycle := c.Params("cycle")
	if err := s.svc.PutAdjustmentCategories(c.UserContext(), cycle, cats); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditAdjustCategories, cycle, fmt.Sprintf("保存加减分类别，共 %d 类", len(cats)))
	return c.JSON(categoriesJSON{Categories: cats, Defaults: false})
}

// adjustmentsJSON is GET adjustments: the entries the caller may read,
// and the units it may choose from.
type adjustmentsJSON struct {
	Adjustments []ballots.Adjustment `json:"adjustments"`
	Units       []ballots.Unit       `json:"units"`
}

// getAdjustments answers GET /cycles/{cycle}/adjustments[?status=S&unit=U]:
// every entry for admins and viewers, a unit account's own unit's.
func (s *Server) getAdjustments(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleUnit)
	if err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), c.Params("cycle")
	all, err := s.svc.Adjustments(ctx, cycle)
	if err != nil {
		return err
	}
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return err
	}
	status, unit := c.Query("status"), c.Query("unit")
	out := adjustmentsJSON{Adjustments: []ballots.Adjustment{}, Units: []ballots.Unit{}}
	for _, a := range all {
		if (u.Role == ballots.RoleUnit && a.Unit != u.Unit) || (status != "" && a.Status != status) || (unit != "" && a.Unit != unit) {
			continue
		}
		if u.Role == ballots.RoleUnit {
			// A unit reads what was decided and why, not who in the office keyed it.
			a.DecidedBy = ""
			if a.Status == ballots.AdjRecorded {
				a.CreatedBy = ""
			}
		}
		out.Adjustments = append(out.Adjustments, a)
	}
	for _, x := range units {
		if u.Role != ballots.RoleUnit || x.Code == u.Unit {
			out.Units = append(out.Units, ballots.Unit{Code: x.Code, Name: x.Name, Kind: x.Kind})
		}
	}
	return c.JSON(out)
}

// postAdjustment answers POST /cycles/{cycle}/adjustments: the office
// records an entry (201, recorded), a unit account applies for its own
// unit (201, applied).
func (s *Server) postAdjustment(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleUnit)
	if err != nil {
		return err
	}
	var in ballots.AdjustmentInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), c.Params("cycle")
	a, err := s.svc.AddAdjustment(ctx, cycle, u, in)
	if err != nil {
		return err
	}
	action, verb := auditAdjustRecord, "记录"
	if a.Status == ballots.AdjApplied {
		action, verb = auditAdjustApply, "申请"
	}
	s.audit(c, u, action, adjustTarget(a), fmt.Sprintf("%s%s：%s，理由：%s", verb, s.adjustLabel(ctx, a), pointsZH(a.Points), a.Reason))
	return c.Status(fiber.StatusCreated).JSON(a)
}

// decideAdjustment answers POST …/adjustments/{id}/approve|reject|withdraw|revoke:
// approve takes {"comment","points"} (both optional), reject and revoke
// {"comment"} (required), withdraw nothing.
func (s *Server) decideAdjustment(act ballots.AdjustAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleUnit)
		if err != nil {
			return err
		}
		var req struct {
			Comment string   `json:"comment"`
			Points  *float64 `json:"points"`
		}
		if len(c.Body()) > 0 {
			if err := decode(c, &req); err != nil {
				return err
			}
		}
		ctx, cycle := c.UserContext(), c.Params("cycle")
		id, perr := strconv.ParseInt(c.Params("id"), 10, 64)
		if perr != nil || id < 1 {
			return ballots.Errorf(ballots.ENotFound, "第 %s 项加减分不存在 (no such adjustment)", c.Params("id"))
		}
		before, after, err := s.svc.DecideAdjustment(ctx, cycle, id, u, act, req.Comment, req.Points)
		if err != nil {
			return err
		}
		label := s.adjustLabel(ctx, after)
		var action, detail string
		switch act {
		case ballots.AdjApprove:
			action, detail = auditAdjustApprove, fmt.Sprintf("审核通过%s：%s", label, pointsZH(after.Points))
			if after.Points != before.Points {
				detail += fmt.Sprintf("（申请 %s）", pointsZH(before.Points))
			}
			if after.Comment != "" {
				detail += "，意见：" + after.Comment
			}
		case ballots.AdjReject:
			action, detail = auditAdjustReject, fmt.Sprintf("不予通过%s：%s，意见：%s", label, pointsZH(after.Points), after.Comment)
		case ballots.AdjWithdraw:
			action, detail = auditAdjustWithdraw, fmt.Sprintf("撤回申请%s：%s", label, pointsZH(after.Points))
		case ballots.AdjRevoke:
			action, detail = auditAdjustRevoke, fmt.Sprintf("撤销%s%s：%s，原因：%s", ballots.AdjustStatusZH(before.Status), label, pointsZH(after.Points), after.Comment)
		}
		s.audit(c, u, action, adjustTarget(after), detail)
		if u.Role == ballots.RoleUnit {
			after.DecidedBy = ""
		}
		return c.JSON(after)
	}
}

// adjustTarget names an adjustment in the audit log: year/adjustments/id.
func adjustTarget(a ballots.Adjustment) string {
	return fmt.Sprintf("%s/adjustments/%d", a.Cycle, a.ID)
}

// adjustLabel is "（第 N 项，城关镇，获省级表彰）" for the audit log.
func (s *Server) adjustLabel(ctx context.Context, a ballots.Adjustment) string {
	name := a.Unit
	if units, err := s.svc.Units(ctx, a.Cycle); err == nil {
		for _, u := range units {
			if u.Code == a.Unit {
				name = u.Name
			}
		}
	}
	return fmt.Sprintf("（第 %d 项，%s，%s）", a.ID, name, a.CategoryName)
}

// pointsZH is "加 1 分" or "减 0.5 分".
func pointsZH(p float64) string {
	if p < 0 {
		return "减 " + trimFloat(-p) + " 分"
	}
	return "加 " + trimFloat(p) + " 分"
}

// yearAdjustments is what the score table takes from a year's entries:
// the counted ones per unit, as scoring adjustments, and the number of
// pending applications per unit.
func (s *Server) yearAdjustments(ctx context.Context, cycle string) (map[string][]scoring.Adjustment, map[string]int, error) {
	all, err := s.svc.Adjustments(ctx, cycle)
	if err != nil {
		return nil, nil, err
	}
	counted, pending := map[string][]scoring.Adjustment{}, map[string]int{}
	for _, a := range all {
		switch {
		case a.Counts():
			counted[a.Unit] = append(counted[a.Unit], scoring.Adjustment{Points: a.Points, Reason: a.CategoryName + "：" + a.Reason})
		case a.Status == ballots.AdjApplied:
			pending[a.Unit]++
		}
	}
	return counted, pending, nil
}

// withAdjustments adds a year's counted entries to the adjustments its
// targets carry (hand-typed ones of a year without a catalogue stay as
// they are: both count). A unit without targets keeps its entries out of
// the table; warnAdjustments says so on its row.
func (s *Server) withAdjustments(ctx context.Context, cycle string, ts []scoring.Target) ([]scoring.Target, error) {
	counted, _, err := s.yearAdjustments(ctx, cycle)
	if err != nil || len(counted) == 0 {
		return ts, err
	}
	for i := range ts {
		if extra := counted[ts[i].Unit]; len(extra) > 0 {
			// A copy: the targets' own slice is not appended to in place.
			ts[i].Adjustments = append(append([]scoring.Adjustment{}, ts[i].Adjustments...), extra...)
		}
	}
	return ts, nil
}

// warnAdjustments names on each row the unit's applications awaiting the
// office, and counted entries that could not count for want of targets.
func (s *Server) warnAdjustments(ctx context.Context, cycle string, table scoring.Table, targets []scoring.Target) error {
	counted, pending, err := s.yearAdjustments(ctx, cycle)
	if err != nil {
		return err
	}
	has := make(map[string]bool, len(targets))
	for _, t := range targets {
		has[t.Unit] = true
	}
	for i := range table.Units {
		row := &table.Units[i]
		if n := pending[row.Unit]; n > 0 {
			row.Warnings = append(row.Warnings, fmt.Sprintf("有 %d 项加减分申请待审核，暂未计入 (%d adjustment application(s) await review: not counted yet)", n, n))
		}
		if n := len(counted[row.Unit]); n > 0 && !has[row.Unit] {
			row.Warnings = append(row.Warnings, fmt.Sprintf("有 %d 项已生效的加减分未计入：该单位还没有目标任务数据 (%d counted adjustment(s) left out: the unit has no target tasks yet)", n, n))
		}
	}
	return nil
}
