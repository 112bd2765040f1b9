package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// The big screen: a full-screen turnout page for the hall's projector,
// opened through a signed, meeting-scoped, expiring link, so the projector
// PC needs no account. The link reads turnout and nothing else — and, when
// made with show_results, the sealed result's per-section counts after the
// meeting has closed. It is no credential for the API: /api/v1 takes only
// a bearer token or a session cookie. Every link is stored when made
// (ballots.ScreenLink); the staff list them on the run page and can revoke
// one, which ends its page, its results and its event stream.
func registerScreenRoutes(s *Server, r fiber.Router) {
	r.Post("/cycles/:cycle/meetings/:meeting/screen-link", s.screenLink)
	r.Get("/cycles/:cycle/meetings/:meeting/screen-links", s.listScreenLinks)
	r.Delete("/cycles/:cycle/meetings/:meeting/screen-links/:id", s.revokeScreenLink)
}

// registerScreenPages registers the link's own routes, outside /api/v1.
func registerScreenPages(s *Server, r fiber.Router) {
	r.Get("/screen/:cycle/:meeting", s.screenPage)
	r.Get("/screen/:cycle/:meeting/events", s.screenEvents)
	r.Get("/screen/:cycle/:meeting/results", s.screenResults)
}

// defaultRecheck is how often an event stream checks that its viewer may
// still watch: a revoked screen link's or an ended session's stream ends
// within this time.
const defaultRecheck = 5 * time.Second

// screenSig signs a link: HMAC-SHA256 under a key derived from the server's
// secret for this use only, over "screen|<link id>|<meeting id>|<exp>|<results>".
func (s *Server) screenSig(linkID string, meetingID, exp int64, results bool) string {
	k := hmac.New(sha256.New, s.cfg.Secret)
	k.Write([]byte("ceping screen link v2"))
	m := hmac.New(sha256.New, k.Sum(nil))
	r := 0
	if results {
		r = 1
	}
	fmt.Fprintf(m, "screen|%s|%d|%d|%d", linkID, meetingID, exp, r)
	return hex.EncodeToString(m.Sum(nil))
}

// screenQuery is the query string of a signed link.
func (s *Server) screenQuery(l ballots.ScreenLink) string {
	r := "0"
	if l.ShowResults {
		r = "1"
	}
	exp := l.ExpiresAt.Unix()
	v := url.Values{"link": {l.ID}, "exp": {strconv.FormatInt(exp, 10)}, "results": {r}, "sig": {s.screenSig(l.ID, l.MeetingID, exp, l.ShowResults)}}
	return v.Encode()
}

// screenLinkJSON is a link as the run page lists it: never its signed URL,
// which is a credential shown once, when it is made.
type screenLinkJSON struct {
	ballots.ScreenLink
	State string `json:"state"` // valid, expired or revoked
}

// screenLink answers POST …/screen-link {"hours":1..48 (default 12),
// "show_results":bool} for an admin or the meeting's staff:
// {"id","url","path","expires_at","show_results"}.
func (s *Server) screenLink(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	var req struct {
		Hours       int  `json:"hours"`
		ShowResults bool `json:"show_results"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Hours < 0 {
		req.Hours = -1 // refused below, not taken for the default
	}
	l, err := s.svc.IssueScreenLink(c.UserContext(), rec, u.Name, time.Duration(req.Hours)*time.Hour, req.ShowResults)
	if err != nil {
		return err
	}
	path := "/screen/" + url.PathEscape(rec.Cycle) + "/" + url.PathEscape(rec.Meeting.Code) + "?" + s.screenQuery(l)
	hours := int(l.ExpiresAt.Sub(l.IssuedAt) / time.Hour)
	s.audit(c, u, auditScreenLink, meetingTarget(rec), screenDetail(l.ID, hours, l.ShowResults))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": l.ID, "url": strings.TrimRight(s.cfg.BaseURL, "/") + path, "path": path,
		"expires_at": l.ExpiresAt.Format(time.RFC3339), "show_results": l.ShowResults})
}

// listScreenLinks answers GET …/screen-links for an admin or the meeting's
// staff: {"links":[{"id","expires_at","show_results","issued_by",
// "issued_at","revoked_at","revoked_by","state"}]}, newest first.
func (s *Server) listScreenLinks(c *fiber.Ctx) error {
	_, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	links, err := s.svc.ScreenLinks(c.UserContext(), rec)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]screenLinkJSON, len(links))
	for i, l := range links {
		out[i] = screenLinkJSON{ScreenLink: l, State: l.State(now)}
	}
	return c.JSON(fiber.Map{"links": out})
}

// revokeScreenLink answers DELETE …/screen-links/{id} for an admin or the
// meeting's staff: the link, revoked. Revoking a revoked link changes
// nothing and answers the same; 404 for a link of another meeting.
func (s *Server) revokeScreenLink(c *fiber.Ctx) error {
	u, rec, err := s.runMeeting(c)
	if err != nil {
		return err
	}
	l, revoked, err := s.svc.RevokeScreenLink(c.UserContext(), rec, c.Params("id"), u.Name)
	if err != nil {
		return err
	}
	if revoked {
		s.audit(c, u, auditScreenRevoke, meetingTarget(rec), screenRevokeDetail(l))
	}
	return c.JSON(screenLinkJSON{ScreenLink: l, State: l.State(time.Now())})
}

var errScreenLink = ballots.Errorf(ballots.EForbidden, "大屏幕链接无效、已过期或已被收回，请向会议工作人员重新获取 (the screen link is invalid, has expired or was revoked)")

// screenAccess checks the link of a request: its signature over the link
// id and the meeting of the URL, its expiry, and that the stored link is
// neither revoked nor expired. It returns the meeting and the link. An
// unknown meeting or link answers as a bad link does, so links cannot
// probe for meetings.
func (s *Server) screenAccess(c *fiber.Ctx) (ballots.MeetingRecord, ballots.ScreenLink, error) {
	none := func(err error) (ballots.MeetingRecord, ballots.ScreenLink, error) {
		return ballots.MeetingRecord{}, ballots.ScreenLink{}, err
	}
	exp, err := strconv.ParseInt(c.Query("exp"), 10, 64)
	if err != nil {
		return none(errScreenLink)
	}
	r := c.Query("results")
	id := c.Query("link")
	if r != "0" && r != "1" || id == "" {
		return none(errScreenLink)
	}
	rec, err := s.svc.Meeting(c.UserContext(), c.Params("cycle"), c.Params("meeting"))
	if ballots.IsNotFound(err) {
		return none(errScreenLink)
	}
	if err != nil {
		return none(err)
	}
	want := s.screenSig(id, rec.ID, exp, r == "1")
	if !hmac.Equal([]byte(c.Query("sig")), []byte(want)) || time.Now().Unix() >= exp {
		return none(errScreenLink)
	}
	l, err := s.svc.ScreenLinkValid(c.UserContext(), rec.ID, strings.Clone(id))
	if ballots.ErrorCode(err) == ballots.EForbidden {
		return none(errScreenLink)
	}
	if err != nil {
		return none(err)
	}
	return rec, l, nil
}

// screenData is what screen.html gets.
type screenData struct {
	Title   string
	Error   string
	Events  string // the events URL, with the link's query
	Results string // the results URL, "" when the link shows none
	Exp     int64
}

// screenPage serves the big screen, or a 403 page in Chinese for a bad or
// expired link.
func (s *Server) screenPage(c *fiber.Ctx) error {
	rec, l, err := s.screenAccess(c)
	if ballots.ErrorCode(err) == ballots.EForbidden {
		c.Status(fiber.StatusForbidden)
		return s.renderScreen(c, screenData{Title: "大屏幕链接无效", Error: ballots.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	base := "/screen/" + url.PathEscape(rec.Cycle) + "/" + url.PathEscape(rec.Meeting.Code)
	q := s.screenQuery(l)
	d := screenData{Title: rec.Meeting.Title, Events: base + "/events?" + q, Exp: l.ExpiresAt.Unix()}
	if l.ShowResults {
		d.Results = base + "/results?" + q
	}
	return s.renderScreen(c, d)
}

func (s *Server) renderScreen(c *fiber.Ctx, d screenData) error {
	return s.renderPage(c, "screen.html", d)
}

// screenEvents streams turnout to the screen as Server-Sent Events: the same
// JSON as …/events of the API, never a tally. The stream ends when the link
// expires (an "expired" event) or is revoked (a "revoked" event, within
// defaultRecheck).
func (s *Server) screenEvents(c *fiber.Ctx) error {
	rec, l, err := s.screenAccess(c)
	if err != nil {
		return err
	}
	svc, meetingID, linkID := s.svc, rec.ID, l.ID // l comes from the store: nothing of c's buffers
	check := func(ctx context.Context) error {
		_, err := svc.ScreenLinkValid(ctx, meetingID, linkID)
		return err
	}
	return s.streamTurnout(c, rec.ID, l.ExpiresAt, check)
}

// screenResults answers the screen's GET …/results: after close, for a link
// made with show_results, the sealed result's ballot count and per-section
// counts (voter groups are left out). 409 meeting_open before; 403 for a
// link without show_results.
func (s *Server) screenResults(c *fiber.Ctx) error {
	rec, l, err := s.screenAccess(c)
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	if !l.ShowResults {
		return ballots.Errorf(ballots.EForbidden, "此大屏幕链接不显示结果 (this screen link shows no results)")
	}
	r, err := s.svc.Results(c.UserContext(), rec)
	if err != nil {
		return err
	}
	// The projector shows the sections the result publishes, nothing hidden.
	sections := []ballots.SectionResult{}
	for _, sec := range r.Sections {
		if !sec.Suppressed {
			sections = append(sections, sec)
		}
	}
	return c.JSON(fiber.Map{"meeting": r.Meeting, "title": r.Title, "ballots": r.Ballots, "digest": r.Digest, "sections": sections})
}
