package server

import (
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
// a bearer token or a session cookie.
func registerScreenRoutes(s *Server, r fiber.Router) {
	r.Post("/cycles/:cycle/meetings/:meeting/screen-link", s.screenLink)
}

// registerScreenPages registers the link's own routes, outside /api/v1.
func registerScreenPages(s *Server, r fiber.Router) {
	r.Get("/screen/:cycle/:meeting", s.screenPage)
	r.Get("/screen/:cycle/:meeting/events", s.screenEvents)
	r.Get("/screen/:cycle/:meeting/results", s.screenResults)
}

// Screen links last 1 to maxScreenHours hours.
const maxScreenHours = 48

// screenSig signs a link: HMAC-SHA256 under a key derived from the server's
// secret for this use only, over "screen|<meeting id>|<exp>|<results>".
func (s *Server) screenSig(meetingID, exp int64, results bool) string {
	k := hmac.New(sha256.New, s.cfg.Secret)
	k.Write([]byte("ceping screen link v1"))
	m := hmac.New(sha256.New, k.Sum(nil))
	r := 0
	if results {
		r = 1
	}
	fmt.Fprintf(m, "screen|%d|%d|%d", meetingID, exp, r)
	return hex.EncodeToString(m.Sum(nil))
}

// screenQuery is the query string of a signed link.
func (s *Server) screenQuery(meetingID, exp int64, results bool) string {
	r := "0"
	if results {
		r = "1"
	}
	v := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "results": {r}, "sig": {s.screenSig(meetingID, exp, results)}}
	return v.Encode()
}

// screenLink answers POST …/screen-link {"hours":1..48,"show_results":bool}
// for an admin or the meeting's staff: {"url","path","expires_at"}.
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
	if req.Hours < 1 || req.Hours > maxScreenHours {
		return &ballots.Error{Code: ballots.EInvalid, Message: fmt.Sprintf("有效时长须为 1 到 %d 小时 (hours from 1 to %d)", maxScreenHours, maxScreenHours),
			Details: []ballots.Detail{{Field: "hours", Message: fmt.Sprintf("1–%d", maxScreenHours)}}}
	}
	exp := time.Now().Add(time.Duration(req.Hours) * time.Hour).Unix()
	path := "/screen/" + url.PathEscape(rec.Cycle) + "/" + url.PathEscape(rec.Meeting.Code) + "?" + s.screenQuery(rec.ID, exp, req.ShowResults)
	s.audit(c, u, auditScreenLink, meetingTarget(rec), screenDetail(req.Hours, req.ShowResults))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"url": strings.TrimRight(s.cfg.BaseURL, "/") + path, "path": path,
		"expires_at": time.Unix(exp, 0).UTC().Format(time.RFC3339), "show_results": req.ShowResults})
}

var errScreenLink = ballots.Errorf(ballots.EForbidden, "大屏幕链接无效或已过期，请向会议工作人员重新获取 (the screen link is invalid or has expired)")

// screenAccess checks the link of a request: its signature over the
// meeting of the URL, its expiry. It returns the meeting, whether the link
// may show sealed results, and when it expires. An unknown meeting answers
// as a bad link does, so links cannot probe for meetings.
func (s *Server) screenAccess(c *fiber.Ctx) (ballots.MeetingRecord, bool, time.Time, error) {
	exp, err := strconv.ParseInt(c.Query("exp"), 10, 64)
	if err != nil {
		return ballots.MeetingRecord{}, false, time.Time{}, errScreenLink
	}
	r := c.Query("results")
	if r != "0" && r != "1" {
		return ballots.MeetingRecord{}, false, time.Time{}, errScreenLink
	}
	rec, err := s.svc.Meeting(c.UserContext(), c.Params("cycle"), c.Params("meeting"))
	if ballots.IsNotFound(err) {
		return rec, false, time.Time{}, errScreenLink
	}
	if err != nil {
		return rec, false, time.Time{}, err
	}
	want := s.screenSig(rec.ID, exp, r == "1")
	if !hmac.Equal([]byte(c.Query("sig")), []byte(want)) || time.Now().Unix() >= exp {
		return ballots.MeetingRecord{}, false, time.Time{}, errScreenLink
	}
	return rec, r == "1", time.Unix(exp, 0), nil
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
	rec, results, exp, err := s.screenAccess(c)
	if ballots.ErrorCode(err) == ballots.EForbidden {
		c.Status(fiber.StatusForbidden)
		return s.renderScreen(c, screenData{Title: "大屏幕链接无效", Error: ballots.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	base := "/screen/" + url.PathEscape(rec.Cycle) + "/" + url.PathEscape(rec.Meeting.Code)
	q := s.screenQuery(rec.ID, exp.Unix(), results)
	d := screenData{Title: rec.Meeting.Title, Events: base + "/events?" + q, Exp: exp.Unix()}
	if results {
		d.Results = base + "/results?" + q
	}
	return s.renderScreen(c, d)
}

func (s *Server) renderScreen(c *fiber.Ctx, d screenData) error {
	return s.renderPage(c, "screen.html", d)
}

// screenEvents streams turnout to the screen as Server-Sent Events: the same
// JSON as …/events of the API, never a tally. The stream ends when the link
// expires.
func (s *Server) screenEvents(c *fiber.Ctx) error {
	rec, _, exp, err := s.screenAccess(c)
	if err != nil {
		return err
	}
	return s.streamTurnout(c, rec.ID, exp)
}

// screenResults answers the screen's GET …/results: after close, for a link
// made with show_results, the sealed result's ballot count and per-section
// counts (voter groups are left out). 409 meeting_open before; 403 for a
// link without show_results.
func (s *Server) screenResults(c *fiber.Ctx) error {
	rec, results, _, err := s.screenAccess(c)
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	if !results {
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
