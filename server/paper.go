package server

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// Paper ballots, entered by two people (see ballots/paper.go). Slip codes
// travel in request bodies only, never in a URL, so no log or history holds
// one.
func registerPaperRoutes(s *Server, r fiber.Router) {
	r.Post("/cycles/:cycle/meetings/:meeting/paper/slip", s.paperSlip)
	r.Get("/cycles/:cycle/meetings/:meeting/paper", s.listPaper)
	r.Post("/cycles/:cycle/meetings/:meeting/paper", s.keyPaper)
	r.Post("/cycles/:cycle/meetings/:meeting/paper/:id/confirm", s.confirmPaper)
	r.Delete("/cycles/:cycle/meetings/:meeting/paper/:id", s.discardPaper)
}

// runMeeting returns the caller and the meeting of the URL, which the
// caller must run (admin, or a group user on its staff).
func (s *Server) runMeeting(c *fiber.Ctx) (ballots.User, ballots.MeetingRecord, error) {
	rec, err := s.meeting(c, true)
	if err != nil {
		return ballots.User{}, rec, err
	}
	return s.actor(c), rec, nil
}

// paperSlip answers POST …/paper/slip {"code"}: the slip's group and form,
// to key its paper ballot. The slip is not spent.
func (s *Server) paperSlip(c *fiber.Ctx) error {
	_, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	tok, err := decodeCode(c)
	if err != nil {
		return err
	}
	view, err := s.svc.PaperForm(c.UserContext(), rec, tok)
	if err != nil {
		return err
	}
	return c.JSON(view)
}

// paperJSON is a waiting paper ballot as the staff see it: the answers also
// as readable lines (section, subject, answer), to check against the paper.
type paperJSON struct {
	ballots.PaperBallot
	GroupName  string      `json:"group_name"`
	Lines      []paperLine `json:"lines"`
	CanConfirm bool        `json:"can_confirm"` // the caller did not key it
}

type paperLine struct {
	Section string `json:"section"`
	Subject string `json:"subject,omitempty"`
	Answer  string `json:"answer"`
}

func toPaperJSON(def *ballots.MeetingDef, p ballots.PaperBallot) paperJSON {
	out := paperJSON{PaperBallot: p, Lines: []paperLine{}}
	if def == nil {
		return out
	}
	g, ok := def.Group(p.Group)
	if !ok {
		return out
	}
	out.GroupName = g.Name
	var answers map[string]json.RawMessage
	_ = json.Unmarshal(p.Answers, &answers)
	for _, sec := range g.Sections {
		raw, ok := answers[sec.Code]
		names := map[string]string{}
		for _, subj := range sec.Subjects {
			names[subj.Code] = subj.Name
		}
		name := func(code string) string {
			if n, ok := names[code]; ok {
				return n
			}
			return code
		}
		if !ok {
			out.Lines = append(out.Lines, paperLine{Section: sec.Title, Answer: "（未填）"})
			continue
		}
		if sec.Scale.Type == ballots.ScaleChoose {
			var chosen []string
			_ = json.Unmarshal(raw, &chosen)
			for i := range chosen {
				chosen[i] = name(chosen[i])
			}
			ans := strings.Join(chosen, "、")
			if ans == "" {
				ans = "（未选）"
			}
			out.Lines = append(out.Lines, paperLine{Section: sec.Title, Answer: ans})
			continue
		}
		var bySubject map[string]json.RawMessage
		_ = json.Unmarshal(raw, &bySubject)
		for _, subj := range sec.Subjects {
			v, ok := bySubject[subj.Code]
			if !ok {
				continue
			}
			out.Lines = append(out.Lines, paperLine{Section: sec.Title, Subject: name(subj.Code), Answer: answerText(sec, v)})
		}
	}
	return out
}

// answerText renders one subject's answer: a grade, a score, or a grade or
// score per dimension in the form's order.
func answerText(sec ballots.SectionDef, v json.RawMessage) string {
	if len(sec.Dimensions) > 0 {
		var byDim map[string]json.RawMessage
		_ = json.Unmarshal(v, &byDim)
		parts := make([]string, 0, len(sec.Dimensions))
		for _, d := range sec.Dimensions {
			if x, ok := byDim[d]; ok {
				parts = append(parts, d+" "+scalarText(x))
			}
		}
		return strings.Join(parts, "　")
	}
	return scalarText(v)
}

func scalarText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var f float64
	if json.Unmarshal(v, &f) == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return string(v)
}

// listPaper answers GET …/paper: the waiting paper ballots, oldest first,
// with who keyed each and when, and whether the caller may confirm it.
func (s *Server) listPaper(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	list, err := s.svc.PaperBallots(c.UserContext(), rec)
	if err != nil {
		return err
	}
	out := make([]paperJSON, 0, len(list))
	for _, p := range list {
		pj := toPaperJSON(rec.Def, p)
		pj.CanConfirm = p.KeyedBy != u.Name
		out = append(out, pj)
	}
	return c.JSON(fiber.Map{"meeting": rec.Meeting.Code, "status": rec.Meeting.Status, "paper": out})
}

// keyPaper answers POST …/paper {"code","answers"}: 201 with the waiting
// ballot. 422 invalid_ballot with details when it breaks the form.
func (s *Server) keyPaper(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	var req struct {
		Code    string                     `json:"code"`
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Answers == nil {
		return ballots.Errorf(ballots.EInvalid, "缺少 answers 字段 (the body needs \"answers\")")
	}
	tok, err := ballots.ParseToken(req.Code)
	if err != nil {
		return err
	}
	p, err := s.svc.KeyPaper(c.UserContext(), rec, u.Name, tok, req.Answers)
	if err != nil {
		return err
	}
	s.audit(c, u, auditPaperKey, meetingTarget(rec), paperDetail(rec, p.Group))
	return c.Status(fiber.StatusCreated).JSON(toPaperJSON(rec.Def, p))
}

// confirmPaper answers POST …/paper/{id}/confirm {"code"}: the second
// person casts the waiting ballot. 201 {"status":"counted"}; 409 conflict
// for the person who keyed it; 400 invalid when the code is another slip's;
// 409 token_used when the slip was used meanwhile (by phone: the phone's
// ballot stands and the paper copy is dropped).
func (s *Server) confirmPaper(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	tok, err := decodeCode(c)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	entry := paperDetail(rec, s.paperGroup(c.UserContext(), rec, id))
	err = s.svc.ConfirmPaper(c.UserContext(), rec, u.Name, id, tok)
	switch ballots.ErrorCode(err) {
	case "":
		s.audit(c, u, auditPaperConfirm, meetingTarget(rec), entry)
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"status": "counted"})
	case ballots.ETokenUsed, ballots.ETokenRevoked, ballots.EClosed:
		s.audit(c, u, auditPaperVoid, meetingTarget(rec), paperVoidDetail(entry, err))
	}
	return err
}

// discardPaper answers DELETE …/paper/{id}: 204; nothing is counted and the
// slip stays unspent.
func (s *Server) discardPaper(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	entry := paperDetail(rec, s.paperGroup(c.UserContext(), rec, id))
	if err := s.svc.DiscardPaper(c.UserContext(), rec, id); err != nil {
		return err
	}
	s.audit(c, u, auditPaperDiscard, meetingTarget(rec), entry)
	return c.SendStatus(fiber.StatusNoContent)
}

// decodeCode reads a slip code from a {"code"} body: it travels in the
// body, never in a URL.
func decodeCode(c *fiber.Ctx) (ballots.Token, error) {
	var req struct {
		Code string `json:"code"`
	}
	if err := decode(c, &req); err != nil {
		return ballots.Token{}, err
	}
	return ballots.ParseToken(req.Code)
}
