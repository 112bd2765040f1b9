package server

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

// Indicator collection (数据采集): bodies, the catalogue, entries and their
// review. The rules are ballots'; the factor arithmetic is scoring's; this
// file checks roles, shapes the JSON and writes the audit log.
func registerCollectRoutes(s *Server, r fiber.Router) {
	r.Get("/cycles/:cycle/bodies", s.getBodies)
	r.Put("/cycles/:cycle/bodies", s.putBodies)
	r.Post("/cycles/:cycle/bodies/:body/submit", s.submitBody)
	r.Post("/cycles/:cycle/bodies/:body/approve", s.approveBody)
	r.Get("/cycles/:cycle/indicators", s.getIndicators)
	r.Put("/cycles/:cycle/indicators", s.putIndicators)
	r.Put("/cycles/:cycle/indicators/:code/entry", s.putEntry)
	r.Post("/cycles/:cycle/indicators/:code/approve", s.reviewEntry(ballots.Approve))
	r.Post("/cycles/:cycle/indicators/:code/return", s.reviewEntry(ballots.Return))
	r.Post("/cycles/:cycle/indicators/:code/reopen", s.reviewEntry(ballots.Reopen))
	r.Get("/cycles/:cycle/entries", s.getEntries)
	r.Get("/cycles/:cycle/collection", s.getCollection)
	r.Put("/cycles/:cycle/collection", s.putCollection)
}

// Audit actions of the collection.
const (
	auditBodiesPut     = "bodies.put"
	auditIndicatorsPut = "indicators.put"
	auditEntryPut      = "entry.put"
	auditEntrySubmit   = "entry.submit"
	auditEntryApprove  = "entry.approve"
	auditEntryReturn   = "entry.return"
	auditEntryReopen   = "entry.reopen"
	auditDeadline      = "collection.deadline"
)

// collectActor is the caller as the collection knows it.
func collectActor(u ballots.User) ballots.Actor {
	return ballots.Actor{Name: u.Name, Role: u.Role, Body: u.Body}
}

func (s *Server) getBodies(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleAssessor); err != nil {
		return err
	}
	bodies, err := s.svc.Bodies(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	if bodies == nil {
		bodies = []ballots.Body{}
	}
	return c.JSON(bodies)
}

func (s *Server) putBodies(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var bodies []ballots.Body
	if err := decode(c, &bodies); err != nil {
		return err
	}
	for i := range bodies {
		bodies[i].Code, bodies[i].Name = strings.TrimSpace(bodies[i].Code), strings.TrimSpace(bodies[i].Name)
	}
	cycle := c.Params("cycle")
	if err := s.svc.PutBodies(c.UserContext(), cycle, bodies); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditBodiesPut, cycle, fmt.Sprintf("保存考核主体名单，共 %d 个", len(bodies)))
	return c.JSON(bodies)
}

// visibleIndicators is the part of the catalogue u may read: everything
// for admins and viewers, its body's indicators for an assessor, its own
// for a unit account. Other roles read none.
func (s *Server) visibleIndicators(c *fiber.Ctx) (ballots.User, []ballots.Indicator, error) {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleAssessor, ballots.RoleUnit)
	if err != nil {
		return u, nil, err
	}
	all, err := s.svc.Indicators(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return u, nil, err
	}
	out := make([]ballots.Indicator, 0, len(all))
	for _, ind := range all {
		if u.Role == ballots.RoleAdmin || u.Role == ballots.RoleViewer ||
			(u.Role == ballots.RoleAssessor && ind.Source == u.Body) || (u.Role == ballots.RoleUnit && ind.Unit == u.Unit) {
			out = append(out, ind)
		}
	}
	return u, out, nil
}

func (s *Server) getIndicators(c *fiber.Ctx) error {
	_, inds, err := s.visibleIndicators(c)
	if err != nil {
		return err
	}
	return c.JSON(inds)
}

// putIndicators answers PUT /cycles/{cycle}/indicators[?reset=1] (admin):
// the catalogue, checked field by field (400 with details), then against
// the rules' categories and points (422 naming unit and category).
func (s *Server) putIndicators(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var inds []ballots.Indicator
	if err := decode(c, &inds); err != nil {
		return err
	}
	cycle, ctx := c.Params("cycle"), c.UserContext()
	reset := c.Query("reset") == "1"
	dropped, err := s.saveCatalogue(ctx, cycle, inds, reset)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("保存目标任务分解表，共 %d 项指标", len(inds))
	if len(dropped) > 0 {
		detail += fmt.Sprintf("；作废已填报的数值 %d 项：%s", len(dropped), strings.Join(dropped, "、"))
	}
	s.audit(c, s.actor(c), auditIndicatorsPut, cycle, detail)
	return c.JSON(fiber.Map{"indicators": len(inds), "reset": nonNil(dropped)})
}

// saveCatalogue checks and stores a catalogue (the API and the import).
func (s *Server) saveCatalogue(ctx context.Context, cycle string, inds []ballots.Indicator, reset bool) ([]string, error) {
	for i := range inds {
		inds[i].Code, inds[i].Unit, inds[i].Source = strings.TrimSpace(inds[i].Code), strings.TrimSpace(inds[i].Unit), strings.TrimSpace(inds[i].Source)
	}
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return nil, err
	}
	bodies, err := s.svc.Bodies(ctx, cycle)
	if err != nil {
		return nil, err
	}
	unitMap := make(map[string]ballots.Unit, len(units))
	for _, u := range units {
		unitMap[u.Code] = u
	}
	bodyMap := make(map[string]ballots.Body, len(bodies))
	for _, b := range bodies {
		bodyMap[b.Code] = b
	}
	if err := ballots.ValidateCatalogue(inds, unitMap, bodyMap); err != nil {
		return nil, err
	}
	in, err := s.scoreBase(ctx, cycle)
	if err != nil {
		return nil, err
	}
	in.Targets = scoring.CatalogueTargets(inds)
	if err := in.Validate(); err != nil {
		return nil, scoringError(err)
	}
	return s.svc.PutCatalogue(ctx, cycle, inds, reset)
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// entryJSON is an entry as the API shows it: its fields, and the
// completion, factor and points its value gives (none without a value).
type entryJSON struct {
	ballots.Entry
	Completion *float64 `json:"completion,omitempty"`
	Factor     *float64 `json:"factor,omitempty"`
	Points     *float64 `json:"points,omitempty"`
	Rule       string   `json:"rule,omitempty"` // major_loss, floor (60%以下) or capped (完成率 100% 以上)
}

func round(x float64, places int) *float64 {
	p := math.Pow(10, float64(places))
	r := math.Round(x*p) / p
	return &r
}

func (s *Server) toEntryJSON(ind ballots.Indicator, e ballots.Entry, floor float64) entryJSON {
	out := entryJSON{Entry: e}
	if f := scoring.EntryFigures(ind, e, floor); f != nil {
		if f.Completion != nil {
			out.Completion = round(*f.Completion, 4)
		}
		out.Factor, out.Points, out.Rule = round(f.Factor, 4), round(f.Points, 3), f.Rule
	}
	return out
}

// putEntry answers PUT /cycles/{cycle}/indicators/{code}/entry (the
// assessor of the indicator's body, or an admin): 200 with the entry.
func (s *Server) putEntry(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleAssessor)
	if err != nil {
		return err
	}
	var in ballots.EntryInput
	if err := decode(c, &in); err != nil {
		return err
	}
	cycle, code, ctx := c.Params("cycle"), strings.Clone(c.Params("code")), c.UserContext()
	ch, err := s.svc.PutEntry(ctx, cycle, code, collectActor(u), in)
	if err != nil {
		return err
	}
	rules, err := s.rules(ctx, cycle)
	if err != nil {
		return err
	}
	if detail := entryChange(ch); detail != "" {
		s.audit(c, u, auditEntryPut, cycle+"/"+code, detail)
	}
	return c.JSON(s.toEntryJSON(ch.Indicator, ch.After, rules.CompletionFloor))
}

// entryValue is an entry's value as the audit log writes it.
func entryValue(e *ballots.Entry) string {
	if e == nil {
		return "空"
	}
	var parts []string
	if e.Actual != nil {
		parts = append(parts, trimFloat(*e.Actual))
	}
	if e.Score != nil {
		parts = append(parts, trimFloat(*e.Score)+" 分")
	}
	if e.MajorLoss {
		parts = append(parts, "重大失分（"+e.Reason+"）")
	}
	if len(parts) == 0 {
		return "空"
	}
	return strings.Join(parts, "，")
}

func trimFloat(x float64) string { return fmt.Sprintf("%g", x) }

// entryChange is the audit detail of an entry change, "" when nothing
// changed (a draft saved again as it was).
func entryChange(ch ballots.Change) string {
	before, after := entryValue(ch.Before), entryValue(&ch.After)
	noteBefore := ""
	if ch.Before != nil {
		noteBefore = ch.Before.Note
	}
	switch {
	case before != after:
		return fmt.Sprintf("%s：%s → %s", ch.Indicator.Name, before, after)
	case noteBefore != ch.After.Note:
		return fmt.Sprintf("%s：修改说明", ch.Indicator.Name)
	}
	return ""
}

func (s *Server) submitBody(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleAssessor)
	if err != nil {
		return err
	}
	cycle, body := c.Params("cycle"), strings.Clone(c.Params("body"))
	changes, err := s.svc.SubmitBody(c.UserContext(), cycle, body, collectActor(u))
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		s.audit(c, u, auditEntrySubmit, cycle+"/"+body, fmt.Sprintf("报送 %d 项指标：%s", len(changes), changeCodes(changes)))
	}
	return c.JSON(fiber.Map{"submitted": len(changes)})
}

func changeCodes(changes []ballots.Change) string {
	codes := make([]string, len(changes))
	for i, ch := range changes {
		codes[i] = ch.Indicator.Code
	}
	return strings.Join(codes, "、")
}

func (s *Server) approveBody(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	cycle, body := c.Params("cycle"), strings.Clone(c.Params("body"))
	changes, err := s.svc.ReviewEntries(c.UserContext(), cycle, nil, body, ballots.Approve, "", s.actor(c).Name)
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		s.audit(c, s.actor(c), auditEntryApprove, cycle+"/"+body, fmt.Sprintf("审核通过 %d 项指标：%s", len(changes), changeCodes(changes)))
	}
	return c.JSON(fiber.Map{"approved": len(changes)})
}

// reviewEntry answers POST …/indicators/{code}/approve|return|reopen
// (admin); return and reopen take {"comment"}.
func (s *Server) reviewEntry(r ballots.Review) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.admin(c); err != nil {
			return err
		}
		var req struct {
			Comment string `json:"comment"`
		}
		if r != ballots.Approve || len(c.Body()) > 0 {
			if err := decode(c, &req); err != nil {
				return err
			}
		}
		cycle, code, ctx := c.Params("cycle"), strings.Clone(c.Params("code")), c.UserContext()
		changes, err := s.svc.ReviewEntries(ctx, cycle, []string{code}, "", r, req.Comment, s.actor(c).Name)
		if err != nil {
			return err
		}
		ch := changes[0]
		action, detail := auditEntryApprove, ch.Indicator.Name+"："+entryValue(&ch.After)
		switch r {
		case ballots.Return:
			action, detail = auditEntryReturn, ch.Indicator.Name+"，退回意见："+ch.After.Comment
		case ballots.Reopen:
			action, detail = auditEntryReopen, ch.Indicator.Name+"，重新打开："+ch.After.Comment
		}
		s.audit(c, s.actor(c), action, cycle+"/"+code, detail)
		rules, err := s.rules(ctx, cycle)
		if err != nil {
			return err
		}
		return c.JSON(s.toEntryJSON(ch.Indicator, ch.After, rules.CompletionFloor))
	}
}

// indicatorEntry is one line of GET entries: an indicator and its entry
// (null before anything is entered, and for a unit account until approved).
type indicatorEntry struct {
	ballots.Indicator
	Entry *entryJSON `json:"entry"`
}

// getEntries answers GET /cycles/{cycle}/entries[?body=B&unit=U]: the
// indicators the caller may read with their entries.
func (s *Server) getEntries(c *fiber.Ctx) error {
	u, inds, err := s.visibleIndicators(c)
	if err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), c.Params("cycle")
	entries, err := s.svc.Entries(ctx, cycle)
	if err != nil {
		return err
	}
	rules, err := s.rules(ctx, cycle)
	if err != nil {
		return err
	}
	byCode := make(map[string]ballots.Entry, len(entries))
	for _, e := range entries {
		byCode[e.Indicator] = e
	}
	body, unit := c.Query("body"), c.Query("unit")
	out := make([]indicatorEntry, 0, len(inds))
	for _, ind := range inds {
		if (body != "" && ind.Source != body) || (unit != "" && ind.Unit != unit) {
			continue
		}
		line := indicatorEntry{Indicator: ind}
		if e, ok := byCode[ind.Code]; ok && (u.Role != ballots.RoleUnit || e.Status == ballots.EntryApproved) {
			if u.Role == ballots.RoleUnit {
				e.UpdatedBy = "" // a unit reads the approved value, not who in the office keyed it
			}
			j := s.toEntryJSON(ind, e, rules.CompletionFloor)
			line.Entry = &j
		}
		out = append(out, line)
	}
	return c.JSON(fiber.Map{"entries": out})
}

// countyZone is the county's clock (China Standard Time, no daylight
// saving): a deadline date ends at midnight there, whatever the server's
// zone.
var countyZone = time.FixedZone("CST", 8*3600)

// collectionJSON is GET collection: the deadline and each body's progress.
type collectionJSON struct {
	Deadline string                 `json:"deadline"`
	Bodies   []ballots.BodyProgress `json:"bodies"`
}

func (s *Server) collection(ctx context.Context, cycle string) (collectionJSON, error) {
	deadline, err := s.svc.Deadline(ctx, cycle)
	if err != nil {
		return collectionJSON{}, err
	}
	bodies, err := s.svc.Bodies(ctx, cycle)
	if err != nil {
		return collectionJSON{}, err
	}
	inds, err := s.svc.Indicators(ctx, cycle)
	if err != nil {
		return collectionJSON{}, err
	}
	entries, err := s.svc.Entries(ctx, cycle)
	if err != nil {
		return collectionJSON{}, err
	}
	rows := ballots.Progress(bodies, inds, entries, deadline, time.Now().In(countyZone))
	return collectionJSON{Deadline: deadline, Bodies: rows}, nil
}

// getCollection answers GET /cycles/{cycle}/collection (admin, viewer; an
// assessor reads its own body's row).
func (s *Server) getCollection(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleAssessor)
	if err != nil {
		return err
	}
	col, err := s.collection(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	if u.Role == ballots.RoleAssessor {
		own := []ballots.BodyProgress{}
		for _, b := range col.Bodies {
			if b.Code == u.Body {
				own = append(own, b)
			}
		}
		col.Bodies = own
	}
	return c.JSON(col)
}

// putCollection answers PUT /cycles/{cycle}/collection {"deadline"} (admin).
func (s *Server) putCollection(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var req struct {
		Deadline string `json:"deadline"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	cycle, ctx := c.Params("cycle"), c.UserContext()
	if err := s.svc.PutDeadline(ctx, cycle, strings.TrimSpace(req.Deadline)); err != nil {
		return err
	}
	detail := "取消截止日期"
	if req.Deadline != "" {
		detail = "截止日期：" + strings.TrimSpace(req.Deadline)
	}
	s.audit(c, s.actor(c), auditDeadline, cycle, detail)
	col, err := s.collection(ctx, cycle)
	if err != nil {
		return err
	}
	return c.JSON(col)
}
