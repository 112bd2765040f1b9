package server

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/frontend/slips"
)

func registerSetupRoutes(s *Server, r fiber.Router) {
	r.Get("/cycles", s.listCycles)
	r.Post("/cycles", s.createCycle)
	r.Get("/cycles/:cycle/units", s.getUnits)
	r.Put("/cycles/:cycle/units", s.putUnits)
	r.Get("/cycles/:cycle/people", s.getPeople)
	r.Put("/cycles/:cycle/people", s.putPeople)
	r.Get("/cycles/:cycle/forms", s.listForms)
	r.Get("/cycles/:cycle/forms/:form", s.getForm)
	r.Put("/cycles/:cycle/forms/:form", s.putForm)
	r.Delete("/cycles/:cycle/forms/:form", s.deleteForm)
	r.Get("/cycles/:cycle/meetings", s.listMeetings)
	r.Get("/cycles/:cycle/meetings/:meeting", s.getMeeting)
	r.Put("/cycles/:cycle/meetings/:meeting", s.putMeeting)
	r.Post("/cycles/:cycle/meetings/:meeting/batches", s.issueBatch)
	r.Get("/cycles/:cycle/meetings/:meeting/batches", s.listBatches)
	r.Post("/batches/:batch/revoke", s.revokeBatch)
	r.Post("/cycles/:cycle/meetings/:meeting/open", s.openMeeting)
	r.Post("/cycles/:cycle/meetings/:meeting/close", s.closeMeeting)
}

func (s *Server) listCycles(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	cycles, err := s.svc.Cycles(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cycles": cycles})
}

func (s *Server) createCycle(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var cy ballots.Cycle
	if err := decode(c, &cy); err != nil {
		return err
	}
	if err := s.svc.CreateCycle(c.UserContext(), cy); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditSetup, cy.Code, "新建考核年度："+cy.Name)
	return c.Status(fiber.StatusCreated).JSON(cy)
}

func (s *Server) getUnits(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	units, err := s.svc.Units(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(units)
}

func (s *Server) putUnits(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var units []ballots.Unit
	if err := decode(c, &units); err != nil {
		return err
	}
	if err := s.svc.PutUnits(c.UserContext(), c.Params("cycle"), units); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditSetup, c.Params("cycle"), fmt.Sprintf("保存单位名单，共 %d 个单位", len(units)))
	return c.JSON(fiber.Map{"units": len(units)})
}

func (s *Server) getPeople(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	people, err := s.svc.People(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(people)
}

func (s *Server) putPeople(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var people []ballots.Person
	if err := decode(c, &people); err != nil {
		return err
	}
	if err := s.svc.PutPeople(c.UserContext(), c.Params("cycle"), people); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditSetup, c.Params("cycle"), fmt.Sprintf("保存人员名单，共 %d 人", len(people)))
	return c.JSON(fiber.Map{"people": len(people)})
}

func (s *Server) listForms(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	forms, err := s.svc.Forms(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"forms": forms})
}

func (s *Server) getForm(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	f, err := s.svc.Form(c.UserContext(), c.Params("cycle"), c.Params("form"))
	if err != nil {
		return err
	}
	return c.JSON(f)
}

// codeFromPath fills a body's code from the URL, or checks that they agree.
func codeFromPath(body *string, path, what string) error {
	if *body == "" {
		*body = strings.Clone(path)
		return nil
	}
	if *body != path {
		return ballots.Errorf(ballots.EInvalid, "请求体中的编码 %q 与地址中的%s编码 %q 不一致 (code in body differs from the URL)", *body, what, path)
	}
	return nil
}

func (s *Server) putForm(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var f ballots.Form
	if err := decode(c, &f); err != nil {
		return err
	}
	if err := codeFromPath(&f.Code, c.Params("form"), "表单"); err != nil {
		return err
	}
	if err := s.svc.PutForm(c.UserContext(), c.Params("cycle"), f); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditFormSave, c.Params("cycle")+"/"+f.Code, "测评表："+f.Title)
	return c.JSON(f)
}

// deleteForm removes a form no meeting uses: 204; 404 if there is none;
// 409 naming the meetings that use it.
func (s *Server) deleteForm(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	f, err := s.svc.DeleteForm(c.UserContext(), c.Params("cycle"), c.Params("form"))
	if err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditFormDelete, c.Params("cycle")+"/"+f.Code, f.Title)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listMeetings(c *fiber.Ctx) error {
	u, err := s.reader(c)
	if err != nil {
		return err
	}
	recs, err := s.svc.Meetings(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	out := []meetingJSON{}
	for _, r := range recs {
		if ballots.CanRead(u, r.Meeting) {
			out = append(out, toMeetingJSON(r))
		}
	}
	return c.JSON(fiber.Map{"meetings": out})
}

type meetingJSON struct {
	ballots.Meeting
	Cycle  string `json:"cycle"`
	Sealed bool   `json:"sealed"`
}

func toMeetingJSON(r ballots.MeetingRecord) meetingJSON {
	m := r.Meeting
	if m.Staff == nil {
		m.Staff = []string{}
	}
	return meetingJSON{Meeting: m, Cycle: r.Cycle, Sealed: r.Sealed != nil}
}

// meeting loads the meeting of the URL and checks that the caller may run
// it (run) or read it.
func (s *Server) meeting(c *fiber.Ctx, run bool) (ballots.MeetingRecord, error) {
	u, err := s.reader(c)
	if err != nil {
		return ballots.MeetingRecord{}, err
	}
	rec, err := s.svc.Meeting(c.UserContext(), c.Params("cycle"), c.Params("meeting"))
	if err != nil {
		return rec, err
	}
	if run && !ballots.CanRun(u, rec.Meeting) || !run && !ballots.CanRead(u, rec.Meeting) {
		return rec, ballots.Errorf(ballots.EForbidden, "您不是这个会议的工作人员 (you do not run this meeting)")
	}
	return rec, nil
}

func (s *Server) getMeeting(c *fiber.Ctx) error {
	rec, err := s.meeting(c, false)
	if err != nil {
		return err
	}
	return c.JSON(toMeetingJSON(rec))
}

func (s *Server) putMeeting(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	// An opened meeting answers 409 before its body is even read.
	if rec, err := s.svc.Meeting(c.UserContext(), c.Params("cycle"), c.Params("meeting")); err == nil && rec.Meeting.Status != ballots.StatusPending {
		return ballots.Errorf(ballots.EConflict, "会议已开始或已结束，不能再修改 (the meeting has opened: it can no longer change)")
	}
	var m ballots.Meeting
	if err := decode(c, &m); err != nil {
		return err
	}
	if m.Status != "" {
		return ballots.Errorf(ballots.EInvalid, "status 不能直接修改，请使用 open / close (use open and close to change status)")
	}
	if err := codeFromPath(&m.Code, c.Params("meeting"), "会议"); err != nil {
		return err
	}
	created, err := s.svc.PutMeeting(c.UserContext(), c.Params("cycle"), m)
	if err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditMeetingSave, c.Params("cycle")+"/"+m.Code, "会议："+m.Title)
	rec, err := s.svc.Meeting(c.UserContext(), c.Params("cycle"), m.Code)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(toMeetingJSON(rec))
}

func (s *Server) issueBatch(c *fiber.Ctx) error {
	rec, err := s.meeting(c, true)
	if err != nil {
		return err
	}
	var req struct {
		Group string `json:"group"`
		Count int    `json:"count"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	b, err := s.svc.IssueBatch(c.UserContext(), rec, req.Group, req.Count)
	if err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditBatchIssue, meetingTarget(rec), batchIssueDetail(rec, b.Batch))
	return s.renderBatch(c, rec, b)
}

// renderBatch answers a new batch as JSON (the default), as the A4 print
// page (Accept: text/html) or as a PDF (Accept: application/pdf). This is
// the only response that ever holds the slips' codes.
func (s *Server) renderBatch(c *fiber.Ctx, rec ballots.MeetingRecord, b ballots.IssuedBatch) error {
	warning, err := s.staffWarning(c.UserContext(), rec)
	if err != nil {
		return err
	}
	switch c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML, "application/pdf") {
	case fiber.MIMETextHTML:
		return s.sendSlips(c, rec, b, "html", warning)
	case "application/pdf":
		return s.sendSlips(c, rec, b, "pdf", warning)
	}
	c.Set("Cache-Control", "no-store")
	out := fiber.Map{"batch": b.ID, "number": b.Number, "group": b.Group, "count": b.Count,
		"tokens": tokenStrings(b), "url": strings.TrimRight(s.cfg.BaseURL, "/") + "/b#"}
	if warning != "" {
		out["warning"], out["warning_en"] = splitMessage(warning)
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func tokenStrings(b ballots.IssuedBatch) []string {
	tokens := make([]string, len(b.Tokens))
	for i, t := range b.Tokens {
		tokens[i] = t.String()
	}
	return tokens
}

// sendSlips answers a new batch as the A4 print page (format "html") or the
// slips PDF ("pdf"), both 201. Each slip carries its batch's number (第 N
// 批), so a lost or unprinted pile can be matched to the batch to void. A
// warning (see staffWarning) heads the print page, above the sheets and
// not printed, with a print button and the way back to the meeting.
func (s *Server) sendSlips(c *fiber.Ctx, rec ballots.MeetingRecord, b ballots.IssuedBatch, format, warning string) error {
	sheet := slips.Sheet{Title: rec.Meeting.Title, Group: b.Group, Batch: b.Number, BaseURL: s.cfg.BaseURL, Codes: tokenStrings(b),
		Back: fmt.Sprintf("/console/cycles/%s/meetings/%s", url.PathEscape(rec.Cycle), url.PathEscape(rec.Meeting.Code))}
	for _, g := range rec.Meeting.Groups {
		if g.Code == b.Group {
			sheet.Group = g.Name
		}
	}
	sheet.Warning, _ = splitMessage(warning)
	c.Set("Cache-Control", "no-store")
	if format == "pdf" {
		var buf bytes.Buffer
		if err := slips.PDF(&buf, sheet); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="slips-%s-%s.pdf"`, rec.Meeting.Code, b.Group))
		return c.Status(fiber.StatusCreated).Send(buf.Bytes())
	}
	page, err := slips.HTML(sheet)
	if err != nil {
		return err
	}
	c.Set("Content-Security-Policy", pageCSP)
	c.Type("html", "utf-8")
	return c.Status(fiber.StatusCreated).Send(page)
}

// MinParticipants is the rules text's floor: a unit of this many staff or
// more should have at least this many participants at its meeting.
const MinParticipants = 50

// staffWarning returns a warning when the meeting's host unit has
// MinParticipants staff or more but the meeting holds fewer valid
// (not revoked) slips than that in all; "" otherwise.
func (s *Server) staffWarning(ctx context.Context, rec ballots.MeetingRecord) (string, error) {
	if rec.Meeting.Host == "" {
		return "", nil
	}
	units, err := s.svc.Units(ctx, rec.Cycle)
	if err != nil {
		return "", err
	}
	for _, u := range units {
		if u.Code != rec.Meeting.Host || u.Staff < MinParticipants {
			continue
		}
		t, err := s.svc.TurnoutByID(ctx, rec.ID)
		if err != nil {
			return "", err
		}
		if t.Issued >= MinParticipants {
			return "", nil
		}
		return fmt.Sprintf("注意：%s共有 %d 名干部职工，本会议目前共发出有效选票 %d 张，不足 %d 张。考核办法要求 50 人以上的单位原则上不少于 50 人参加，请补发选票。"+
			" (Warning: the unit assessed has %d staff but this meeting has only %d valid slips in all; the rules ask for at least %d participants.)",
			u.Name, u.Staff, t.Issued, MinParticipants, u.Staff, t.Issued, MinParticipants), nil
	}
	return "", nil
}

func (s *Server) listBatches(c *fiber.Ctx) error {
	rec, err := s.meeting(c, true)
	if err != nil {
		return err
	}
	bs, err := s.svc.Batches(c.UserContext(), rec)
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []ballots.BatchInfo{}
	}
	return c.JSON(fiber.Map{"batches": bs})
}

func (s *Server) revokeBatch(c *fiber.Ctx) error {
	u, err := s.reader(c)
	if err != nil {
		return err
	}
	rec, err := s.svc.BatchMeeting(c.UserContext(), c.Params("batch"))
	if err != nil {
		return err
	}
	if !ballots.CanRun(u, rec.Meeting) {
		return ballots.Errorf(ballots.EForbidden, "您不是这个会议的工作人员 (you do not run this meeting)")
	}
	b, n, err := s.svc.RevokeBatch(c.UserContext(), c.Params("batch"))
	if err != nil {
		return err
	}
	if list, err := s.svc.Batches(c.UserContext(), rec); err == nil { // its 第 N 批, for the log
		for _, x := range list {
			if x.ID == b.ID {
				b.Number = x.Number
			}
		}
	}
	s.audit(c, u, auditBatchRevoke, meetingTarget(rec), batchRevokeDetail(rec, b, n))
	return c.JSON(fiber.Map{"batch": b.ID, "group": b.Group, "count": b.Count, "revoked": n})
}

func (s *Server) openMeeting(c *fiber.Ctx) error {
	rec, err := s.meeting(c, true)
	if err != nil {
		return err
	}
	if err := s.svc.Open(c.UserContext(), rec); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditMeetingOpen, meetingTarget(rec), "")
	rec, err = s.svc.Meeting(c.UserContext(), rec.Cycle, rec.Meeting.Code)
	if err != nil {
		return err
	}
	return c.JSON(toMeetingJSON(rec))
}

func (s *Server) closeMeeting(c *fiber.Ctx) error {
	rec, err := s.meeting(c, true)
	if err != nil {
		return err
	}
	sealed, err := s.svc.Close(c.UserContext(), rec)
	if err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditMeetingClose, meetingTarget(rec), closeDetail(sealed))
	return c.JSON(fiber.Map{"meeting": rec.Meeting.Code, "status": ballots.StatusClosed, "ballots": sealed.Ballots,
		"digest": sealed.Digest, "live_check": sealed.LiveCheck})
}
