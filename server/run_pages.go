package server

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerRunPages registers the pages that run meetings and show results:
// the meetings list, a meeting's run page with its slip printing, the
// printable tally sheet (计票单) and the year's results.
func registerRunPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/meetings", s.consolePage("meetings.html", "会议", "Meetings"))
	r.Get("/console/cycles/:cycle/meetings/:meeting", s.consolePage("meeting.html", "会议", "Meeting"))
	r.Post("/console/cycles/:cycle/meetings/:meeting/print", s.printSlips)
	r.Get("/console/cycles/:cycle/meetings/:meeting/tally", s.tallyPage)
	r.Get("/console/cycles/:cycle/results", s.consolePage("results.html", "考核结果", "Results", ballots.RoleAdmin, ballots.RoleViewer))
}

// pageParams copies the route's parameters for a page template.
func pageParams(c *fiber.Ctx) map[string]string {
	params := map[string]string{}
	for _, p := range c.Route().Params {
		params[p] = strings.Clone(c.Params(p))
	}
	return params
}

// pageUser is s.user for a page: a visitor who is not signed in (or whose
// session has expired) is sent to the login page and comes back to back.
func (s *Server) pageUser(c *fiber.Ctx, back string) (ballots.User, bool, error) {
	u, err := s.user(c)
	if ballots.ErrorCode(err) == ballots.EUnauthorized {
		return u, false, c.Redirect("/console/login?next="+url.QueryEscape(back), fiber.StatusSeeOther)
	}
	return u, err == nil, err
}

// printSlips is the run page's form post: it issues a batch for a voter
// group through the same service call as the API and answers the A4 print
// page (format=html) or the PDF (format=pdf). Cookie sessions must carry
// the _csrf field. A refused or invalid request shows the run page again
// with the reason, under the refusal's status.
func (s *Server) printSlips(c *fiber.Ctx) error {
	runPage := fmt.Sprintf("/console/cycles/%s/meetings/%s", url.PathEscape(c.Params("cycle")), url.PathEscape(c.Params("meeting")))
	u, ok, err := s.pageUser(c, runPage)
	if !ok {
		return err
	}
	data := PageData{Title: "会议", TitleEN: "Meeting", User: u, CSRF: s.csrfToken(c.Cookies(sessionCookie)), Params: pageParams(c)}
	b, rec, format, err := s.issueFromForm(c)
	if err != nil {
		if ballots.ErrorCode(err) == ballots.EInternal {
			return err
		}
		data.Error = ballots.ErrorMessage(err)
		for _, d := range ballots.ErrorDetails(err) {
			data.Error += "；" + d.Message
		}
		c.Status(statusOf(ballots.ErrorCode(err)))
		return s.renderPage(c, "meeting.html", data)
	}
	warning, err := s.staffWarning(c.UserContext(), rec)
	if err != nil {
		return err
	}
	return s.sendSlips(c, rec, b, format, warning)
}

func (s *Server) issueFromForm(c *fiber.Ctx) (ballots.IssuedBatch, ballots.MeetingRecord, string, error) {
	rec, err := s.meeting(c, true)
	if err != nil {
		return ballots.IssuedBatch{}, rec, "", err
	}
	format := c.FormValue("format", "html")
	if format != "html" && format != "pdf" {
		return ballots.IssuedBatch{}, rec, "", ballots.Errorf(ballots.EInvalid, "打印格式须为 html 或 pdf (format is html or pdf)")
	}
	count, err := strconv.Atoi(strings.TrimSpace(c.FormValue("count")))
	if err != nil {
		return ballots.IssuedBatch{}, rec, "", ballots.Errorf(ballots.EInvalid, "请填写要打印的选票张数 (enter how many slips to print)")
	}
	b, err := s.svc.IssueBatch(c.UserContext(), rec, strings.Clone(c.FormValue("group")), count)
	return b, rec, format, err
}

// tallyData is what the tally sheet template gets.
type tallyData struct {
	PageData
	Meeting  ballots.Meeting
	HostName string
	Kind     string
	Sealed   bool
	Result   ballots.Result
	TooFew   bool // fewer than k ballots: no counts at all
	K        int64
	Check    string // live_check in words
	Sections []tallySection
	Groups   []tallyGroup
}

type tallyGroup struct {
	Name       string
	Ballots    int64
	Suppressed bool
	Sections   []tallySection
}

type tallySection struct {
	Title   string
	Purpose string
	Scale   string
	Head    []string
	Rows    [][]tallyCell
}

type tallyCell struct {
	Text string
	Num  bool
}

// tallyPage is the printable tally sheet of a closed meeting. While the
// meeting has not closed it answers 409 with a page that says why: the
// tally stays sealed until then (invariant 7).
func (s *Server) tallyPage(c *fiber.Ctx) error {
	u, ok, err := s.pageUser(c, c.OriginalURL())
	if !ok {
		return err
	}
	d := tallyData{PageData: PageData{Title: "计票单", TitleEN: "Tally sheet", User: u, CSRF: s.csrfToken(c.Cookies(sessionCookie)), Params: pageParams(c)},
		K: s.svc.MinGroup()}
	rec, err := s.meeting(c, false)
	if err != nil {
		if ballots.ErrorCode(err) == ballots.EInternal {
			return err
		}
		d.Error = ballots.ErrorMessage(err)
		c.Status(statusOf(ballots.ErrorCode(err)))
		return s.renderTally(c, d)
	}
	d.Meeting = rec.Meeting
	d.Kind = meetingKindLabels[rec.Meeting.Kind]
	d.HostName = rec.Meeting.Host
	if units, err := s.svc.Units(c.UserContext(), rec.Cycle); err == nil {
		for _, un := range units {
			if un.Code == rec.Meeting.Host {
				d.HostName = un.Name
			}
		}
	}
	res, err := s.svc.Results(c.UserContext(), rec)
	if ballots.ErrorCode(err) == ballots.EMeetingOpen {
		c.Status(statusOf(ballots.EMeetingOpen))
		return s.renderTally(c, d)
	} else if err != nil {
		return err
	}
	d.Sealed, d.Result = true, res
	d.TooFew = res.Ballots < d.K
	d.Check = liveCheckLabels[res.LiveCheck]
	for _, sec := range res.Sections {
		d.Sections = append(d.Sections, tallyTable(sec))
	}
	for _, g := range res.Groups {
		tg := tallyGroup{Name: g.Name, Ballots: g.Ballots, Suppressed: g.Suppressed}
		for _, sec := range g.Sections {
			tg.Sections = append(tg.Sections, tallyTable(sec))
		}
		d.Groups = append(d.Groups, tg)
	}
	return s.renderTally(c, d)
}

// renderTally is renderPage for the tally sheet's own data.
func (s *Server) renderTally(c *fiber.Ctx, d tallyData) error {
	return s.renderPage(c, "tally.html", d)
}

var meetingKindLabels = map[string]string{"work_report": "工作报告大会", "conference": "全县领导干部大会", "social": "社会评价", "group": "考核组评价", "other": "其他"}

var liveCheckLabels = map[string]string{
	"match":       "一致：实时计数与账本重新计数相同 (match)",
	"mismatch":    "不一致：以账本重新计数为准 (mismatch: the ledger recount is sealed)",
	"unavailable": "无法比对：实时计数不可用，以账本重新计数为准 (unavailable)",
}

var purposeLabels = map[string]string{"conference": "全县领导干部大会评价", "mutual": "单位互评", "group": "考核组评价", "democratic": "民主测评",
	"social": "社会评价", "team": "领导班子", "cadre": "科级干部", "integrity": "党风廉政", "recommend": "无任用推荐", "other": "其他"}

// tallyTable lays out one section's counts: per option for grades; count,
// sum, mean and histogram for scores; votes for choose.
func tallyTable(sec ballots.SectionResult) tallySection {
	t := tallySection{Title: sec.Title, Purpose: purposeLabels[sec.Purpose], Scale: sec.Scale.Type}
	dims := false
	for _, sr := range sec.Subjects {
		dims = dims || sr.Dimension != ""
	}
	t.Head = []string{"测评对象"}
	if dims {
		t.Head = append(t.Head, "维度")
	}
	switch sec.Scale.Type {
	case ballots.ScaleGrade:
		t.Head = append(t.Head, "有效票")
		for _, o := range sec.Scale.Options {
			t.Head = append(t.Head, o.Label)
		}
	case ballots.ScaleScore:
		t.Head = append(t.Head, "有效票", "总分", "平均分", "分数分布（分数×票数）")
	default:
		t.Head = append(t.Head, "得票")
	}
	for _, sr := range sec.Subjects {
		row := []tallyCell{{Text: sr.Name}}
		if dims {
			row = append(row, tallyCell{Text: sr.Dimension})
		}
		switch sec.Scale.Type {
		case ballots.ScaleGrade:
			row = append(row, countCell(sr.Answered))
			for _, o := range sec.Scale.Options {
				row = append(row, countCell(sr.Counts[o.Label]))
			}
		case ballots.ScaleScore:
			var n int64
			var sum float64
			if sr.Count != nil {
				n = *sr.Count
			}
			if sr.Sum != nil {
				sum = *sr.Sum
			}
			mean := "—"
			if n > 0 {
				mean = strconv.FormatFloat(sum/float64(n), 'f', 2, 64)
			}
			row = append(row, countCell(n), tallyCell{Text: strconv.FormatFloat(sum, 'f', -1, 64), Num: true}, tallyCell{Text: mean, Num: true},
				tallyCell{Text: histogram(sr.Histogram)})
		default:
			var n int64
			if sr.Count != nil {
				n = *sr.Count
			}
			row = append(row, countCell(n))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func countCell(n int64) tallyCell { return tallyCell{Text: strconv.FormatInt(n, 10), Num: true} }

// histogram writes score counts highest score first: "95×3　88×1".
func histogram(h map[string]int64) string {
	type bin struct {
		score string
		x     float64
		n     int64
	}
	bins := make([]bin, 0, len(h))
	for k, n := range h {
		x, _ := strconv.ParseFloat(k, 64)
		bins = append(bins, bin{k, x, n})
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].x > bins[j].x })
	parts := make([]string, len(bins))
	for i, b := range bins {
		parts[i] = fmt.Sprintf("%s×%d", b.score, b.n)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "　")
}
