package server

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// The audit log: every organizer action a handler records with s.audit
// after it succeeded. Admins read it; nobody can change it (there is no
// route for that, and the table refuses UPDATE and DELETE).
func registerAuditRoutes(s *Server, r fiber.Router) {
	r.Get("/audit", s.auditLog)
}

// Audit actions, as recorded and shown on the audit page.
const (
	auditLogin        = "login"
	auditBatchIssue   = "batch.issue"
	auditBatchRevoke  = "batch.revoke"
	auditMeetingOpen  = "meeting.open"
	auditMeetingClose = "meeting.close"
	auditRulesPut     = "rules.put"
	auditTargetsPut   = "targets.put"
	auditUserCreate   = "user.create"
	auditUserDelete   = "user.delete"
	auditImport       = "import"
	auditSetup        = "setup.put"
	auditFormDelete   = "form.delete"
	auditLoginFailed  = "login.failed"
	auditPaperKey     = "paper.key"
	auditPaperConfirm = "paper.confirm"
	auditPaperDiscard = "paper.discard"
	auditPaperVoid    = "paper.void" // a confirmation found the slip spent, revoked or the meeting closed
	auditScreenLink   = "screen.link"
)

// actor returns the signed-in user of a request that has already passed
// its permission check.
func (s *Server) actor(c *fiber.Ctx) ballots.User {
	u, _ := s.user(c)
	return u
}

// audit records that u did action to target. Call it after the action
// succeeded. target and detail name objects (a meeting, a batch, a user) and
// counts — never a ballot's answers, a slip code, a password or an address.
// A failure to record is logged and does not undo the action.
func (s *Server) audit(c *fiber.Ctx, u ballots.User, action, target, detail string) {
	e := ballots.AuditEntry{Actor: strings.Clone(u.Name), Action: action, Target: strings.Clone(target), Detail: strings.Clone(detail)}
	if err := s.svc.Audit(c.UserContext(), e); err != nil {
		s.log.Error("audit log: entry not recorded", "action", action, "err", err)
	}
}

// meetingTarget names a meeting in the audit log.
func meetingTarget(rec ballots.MeetingRecord) string { return rec.Cycle + "/" + rec.Meeting.Code }

// auditLog answers GET /api/v1/audit?limit=N&before=ID: entries newest
// first, and "next", the before= of the following page (0 at the end).
func (s *Server) auditLog(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100)
	if err != nil {
		return err
	}
	if limit < 1 || limit > ballots.MaxAuditPage {
		return ballots.Errorf(ballots.EInvalid, "limit 须在 1 到 %d 之间 (limit from 1 to %d)", ballots.MaxAuditPage, ballots.MaxAuditPage)
	}
	before, err := queryInt(c, "before", 0)
	if err != nil {
		return err
	}
	entries, err := s.svc.AuditLog(c.UserContext(), int64(before), limit)
	if err != nil {
		return err
	}
	next := int64(0)
	if len(entries) == limit {
		next = entries[len(entries)-1].ID
	}
	return c.JSON(fiber.Map{"entries": entries, "next": next})
}

func queryInt(c *fiber.Ctx, name string, def int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, ballots.Errorf(ballots.EInvalid, "%s 须为非负整数 (%s must be a whole number)", name, name)
	}
	return n, nil
}

// failedName is what a failed sign-in records as its target: the account
// name when such an account exists, else a placeholder — people type their
// password into the name field, and that must not land in the log.
func (s *Server) failedName(c *fiber.Ctx, name string) string {
	if _, err := s.svc.User(c.UserContext(), name); err == nil {
		return name
	}
	return "(unknown name)"
}
