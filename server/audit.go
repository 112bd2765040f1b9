package server

import (
	"context"
	"fmt"
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
	registerHistoryRoutes(s, r) // an indicator's entry history (collection_pages.go)
}

// Audit actions, as recorded and shown on the audit page.
const (
	auditLogin        = "login"
	auditLogout       = "logout" // an account's sessions ended by itself (退出, 在所有设备上退出)
	auditBatchIssue   = "batch.issue"
	auditBatchRevoke  = "batch.revoke"
	auditMeetingOpen  = "meeting.open"
	auditMeetingClose = "meeting.close"
	auditRulesPut     = "rules.put"
	auditTargetsPut   = "targets.put"
	auditUserCreate   = "user.create"
	auditUserDelete   = "user.delete"
	auditUserUpdate   = "user.update"   // display name changed
	auditUserPassword = "user.password" // own change or an admin's reset; never the password
	auditUserRole     = "user.role"     // role changed (its sessions end)
	auditUserSessions = "user.sessions" // an admin signed an account out everywhere
	auditImport       = "import"
	auditSetup        = "setup.put"
	auditFormDelete   = "form.delete"
	auditLoginFailed  = "login.failed"
	auditPaperKey     = "paper.key"
	auditPaperConfirm = "paper.confirm"
	auditPaperDiscard = "paper.discard"
	auditPaperVoid    = "paper.void" // a confirmation found the slip spent, revoked or the meeting closed
	auditScreenLink   = "screen.link"
	auditScreenRevoke = "screen.revoke"
	auditMeetingSave  = "meeting.save" // a meeting created or changed before it opens
	auditFormSave     = "form.save"    // a ballot form created or changed
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

// meetingTarget names a meeting in the audit log; the log page shows its
// title (see targetNames).
func meetingTarget(rec ballots.MeetingRecord) string { return rec.Cycle + "/" + rec.Meeting.Code }

// The details of audit entries, in Chinese: what a clerk reads on the audit
// page. Codes appear only where the console shows the same code (a batch on
// the run page, a paper entry on the paper page).

// auditGroup is a voter group's name in rec, or its code.
func auditGroup(rec ballots.MeetingRecord, code string) string {
	for _, g := range rec.Meeting.Groups {
		if g.Code == code && g.Name != "" {
			return g.Name
		}
	}
	return code
}

// batchName names a batch as the run page and its slips do: 第 N 批.
func batchName(b ballots.Batch) string {
	if b.Number > 0 {
		return fmt.Sprintf("第 %d 批", b.Number)
	}
	return "批次 " + b.ID
}

func batchIssueDetail(rec ballots.MeetingRecord, b ballots.Batch) string {
	return fmt.Sprintf("%s：类别 %s，%d 张", batchName(b), auditGroup(rec, b.Group), b.Count)
}

func batchRevokeDetail(rec ballots.MeetingRecord, b ballots.Batch, voided int64) string {
	return fmt.Sprintf("%s：类别 %s，作废未用选票 %d 张", batchName(b), auditGroup(rec, b.Group), voided)
}

// paperDetail names a paper entry by its voter group, not by its id: the id
// means nothing to a clerk reading the log.
func paperDetail(rec ballots.MeetingRecord, group string) string {
	if group == "" {
		return "纸质选票"
	}
	return "纸质选票（" + auditGroup(rec, group) + "）"
}

// paperGroup is the voter group of the waiting paper entry id in rec, or ""
// when it is not found; look it up before the entry is confirmed or deleted.
func (s *Server) paperGroup(ctx context.Context, rec ballots.MeetingRecord, id string) string {
	list, err := s.svc.PaperBallots(ctx, rec)
	if err != nil {
		return ""
	}
	for _, p := range list {
		if p.ID == id {
			return p.Group
		}
	}
	return ""
}

// paperVoidDetail says why a confirmed paper entry was not counted.
func paperVoidDetail(entry string, err error) string {
	why := map[string]string{
		ballots.ETokenUsed:    "这张选票已经投过，纸质选票不计入",
		ballots.ETokenRevoked: "这张选票已作废",
		ballots.EClosed:       "会议已结束",
	}[ballots.ErrorCode(err)]
	if why == "" {
		why = "未能计入"
	}
	return entry + "：" + why
}

func closeDetail(sealed ballots.Sealed) string {
	return fmt.Sprintf("共 %d 张选票，封存摘要 %s", sealed.Ballots, sealed.Digest)
}

// screenDetail names a new big-screen link by its id, as the run page's
// list of links does, so its revocation can be matched to it.
func screenDetail(id string, hours int, showResults bool) string {
	if showResults {
		return fmt.Sprintf("有效 %d 小时，结束后显示结果（链接 %s）", hours, id)
	}
	return fmt.Sprintf("有效 %d 小时，不显示结果（链接 %s）", hours, id)
}

func screenRevokeDetail(l ballots.ScreenLink) string {
	return fmt.Sprintf("收回 %s 生成的大屏幕链接（链接 %s）", l.IssuedBy, l.ID)
}

// auditEntryJSON is an entry as the audit page gets it: TargetName is the
// meeting's title or the year's name its target stands for.
type auditEntryJSON struct {
	ballots.AuditEntry
	TargetName string `json:"target_name,omitempty"`
	DetailEN   string `json:"detail_en,omitempty"` // the detail in English, when known
}

// meetingActions are the actions whose target is a meeting, "cycle/code".
var meetingActions = map[string]bool{
	auditBatchIssue: true, auditBatchRevoke: true, auditMeetingOpen: true, auditMeetingClose: true,
	auditPaperKey: true, auditPaperConfirm: true, auditPaperDiscard: true, auditPaperVoid: true, auditScreenLink: true,
	auditScreenRevoke: true, auditMeetingSave: true,
}

// formActions are the actions whose target is a ballot form, "cycle/code".
var formActions = map[string]bool{auditFormSave: true, auditFormDelete: true}

// cycleActions are the actions whose target is a year's code.
var cycleActions = map[string]bool{auditRulesPut: true, auditTargetsPut: true, auditImport: true,
	auditBodiesPut: true, auditIndicatorsPut: true, auditDeadline: true}

// collectActions are the collection's actions whose target is
// "cycle/indicator" or, for a body's submit and approval, "cycle/body".
var collectActions = map[string]bool{auditEntryPut: true, auditEntrySubmit: true, auditEntryApprove: true,
	auditEntryReturn: true, auditEntryReopen: true}

// collectNames maps "cycle/code" of a year's indicators to "name（unit
// name）" and "cycle/body" of its bodies to the body's name.
func (s *Server) collectNames(ctx context.Context, cycle string, into map[string]string) {
	units := map[string]string{}
	if list, err := s.svc.Units(ctx, cycle); err == nil {
		for _, u := range list {
			units[u.Code] = u.Name
		}
	}
	if bodies, err := s.svc.Bodies(ctx, cycle); err == nil {
		for _, b := range bodies {
			into[cycle+"/"+b.Code] = b.Name
		}
	}
	if inds, err := s.svc.Indicators(ctx, cycle); err == nil {
		for _, ind := range inds {
			unit := units[ind.Unit]
			if unit == "" {
				unit = ind.Unit
			}
			into[cycle+"/"+ind.Code] = ind.Name + "（" + unit + "）"
		}
	}
}

// targetNames looks up the titles of the meetings and the names of the
// years that entries name, as they are now.
func (s *Server) targetNames(ctx context.Context, entries []ballots.AuditEntry) []auditEntryJSON {
	out := make([]auditEntryJSON, len(entries))
	var cycles map[string]string
	titles := map[string]string{}
	collected, collectNames := map[string]bool{}, map[string]string{}
	for i, e := range entries {
		out[i].AuditEntry = e
		out[i].DetailEN = detailEN(e.Detail)
		cycle, code, isMeeting := strings.Cut(e.Target, "/")
		switch {
		case isMeeting && collectActions[e.Action]:
			if !collected[cycle] {
				collected[cycle] = true
				s.collectNames(ctx, cycle, collectNames)
			}
			out[i].TargetName = collectNames[e.Target]
		case isMeeting && (meetingActions[e.Action] || (e.Action == auditSetup && strings.HasPrefix(e.Detail, "会议"))):
			title, ok := titles[e.Target]
			if !ok {
				if rec, err := s.svc.Meeting(ctx, cycle, code); err == nil {
					title = rec.Meeting.Title
				}
				titles[e.Target] = title
			}
			out[i].TargetName = title
		case isMeeting && (formActions[e.Action] || (e.Action == auditSetup && strings.HasPrefix(e.Detail, "测评表"))):
			title, ok := titles["form:"+e.Target]
			if !ok {
				if f, err := s.svc.Form(ctx, cycle, code); err == nil {
					title = f.Title
				} else if e.Action == auditFormDelete {
					title = e.Detail // a deleted form: its title was recorded
				}
				titles["form:"+e.Target] = title
			}
			out[i].TargetName = title
		case !isMeeting && (cycleActions[e.Action] || e.Action == auditSetup):
			if cycles == nil {
				cycles = map[string]string{}
				if list, err := s.svc.Cycles(ctx); err == nil {
					for _, c := range list {
						cycles[c.Code] = c.Name
					}
				}
			}
			out[i].TargetName = cycles[e.Target]
		}
	}
	return out
}

// auditFilter keeps the entries whose action is in only (when given) and
// not in skip.
type auditFilter struct{ only, skip map[string]bool }

func parseAuditFilter(c *fiber.Ctx) auditFilter {
	set := func(raw string) map[string]bool {
		if raw == "" {
			return nil
		}
		m := map[string]bool{}
		for _, a := range strings.Split(raw, ",") {
			if a = strings.TrimSpace(a); a != "" {
				m[strings.Clone(a)] = true
			}
		}
		return m
	}
	return auditFilter{only: set(c.Query("action")), skip: set(c.Query("exclude"))}
}

func (f auditFilter) none() bool { return f.only == nil && f.skip == nil }

func (f auditFilter) keep(action string) bool {
	return (f.only == nil || f.only[action]) && !f.skip[action]
}

// auditScan is how many entries one filtered request reads at most before
// it answers with what it found and a next= to go on from.
const auditScan = 20 * ballots.MaxAuditPage

// auditLog answers GET /api/v1/audit?limit=N&before=ID&action=a,b&exclude=c,d:
// entries newest first (only the actions listed, none of the excluded ones),
// each with its target's name, and "next", the before= of the following page
// (0 at the end).
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
	filter := parseAuditFilter(c)
	var entries []ballots.AuditEntry
	next, cursor, scanned := int64(0), int64(before), 0
scan:
	for {
		page, err := s.svc.AuditLog(c.UserContext(), cursor, limit)
		if err != nil {
			return err
		}
		for _, e := range page {
			cursor = e.ID
			if filter.keep(e.Action) {
				entries = append(entries, e)
				if len(entries) == limit {
					next = e.ID
					break scan
				}
			}
		}
		scanned += len(page)
		if len(page) < limit {
			break
		}
		if filter.none() || scanned >= auditScan {
			next = cursor
			break
		}
	}
	if entries == nil {
		entries = []ballots.AuditEntry{}
	}
	return c.JSON(fiber.Map{"entries": s.targetNames(c.UserContext(), entries), "next": next})
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
	return "（不存在的账号）"
}
