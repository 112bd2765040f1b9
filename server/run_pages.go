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
		if code := ballots.ErrorCode(err); code == ballots.EInternal || code == ballots.EUnavailable {
			return err // the error page; a 503 with Retry-After
		}
		data.Error = ballots.ErrorMessage(err)
		for _, d := range ballots.ErrorDetails(err) {
			data.Error += "；" + d.Message
		}
		c.Status(statusOf(ballots.ErrorCode(err)))
		return s.renderPage(c, "meeting.html", data)
	}
	s.audit(c, s.actor(c), auditBatchIssue, meetingTarget(rec), batchIssueDetail(rec, b.Batch))
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
	Check    string // live_check in words, Chinese
	Sections []tallySection
	Groups   []tallyGroup
}

type tallyGroup struct {
	Name       string
	Ballots    int64
	Suppressed bool
	Sections   []tallySection
}

// tallySection is one section's table on the sheet.
type tallySection struct {
	Title   string
	Purpose string
	Scale   string
	// Answered says who answered the section and how many ballots that is
	// ("本表由 机关干部、村两委负责人 作答，共 17 票"), so that a section's
	// count can be read against the sheet's total; "" inside a group.
	Answered string
	Head     [][]tallyHead // one or two header rows
	Rows     [][]tallyCell
	// Long tables may break across pages; short ones are kept whole.
	Long bool
	// Wide tables (dimension blocks that do not fit A4 portrait) print on
	// landscape pages.
	Wide bool
	// Legend explains abbreviated option headers of a dimension table
	// ("优＝优秀　称＝称职　…"); "" when the headers are the labels.
	Legend string
	// Suppressed: the published result hides this section's counts.
	Suppressed bool
}

type tallyHead struct {
	Text       string
	Cols, Rows int  // colspan, rowspan when above 1
	Num        bool // over numbers: right-aligned
	Start      bool // the first column of a dimension's block
}

type tallyCell struct {
	Text  string
	Num   bool
	Start bool // the first column of a dimension's block
}

// A section with more rows than longSection may break across pages.
const longSection = 12

// Dimension blocks print on A4 portrait up to this many count columns.
const portraitColumns = 20

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
		if code := ballots.ErrorCode(err); code == ballots.EInternal || code == ballots.EUnavailable {
			return err // the error page; a 503 with Retry-After
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
		t := tallyTable(sec)
		t.Answered = answeredBy(res, sec)
		d.Sections = append(d.Sections, t)
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

// answeredBy names the voter groups whose ballots a merged section counts,
// with their ballots together: "本表由 机关干部、村两委负责人 作答，共 17 票".
// Group counts are on the sheet already (a group's heading), so naming them
// reveals nothing the sheet does not show.
func answeredBy(res ballots.Result, sec ballots.SectionResult) string {
	names := map[string]string{}
	for _, g := range res.Groups {
		names[g.Code] = g.Name
	}
	var who []string
	for _, code := range sec.Groups {
		who = append(who, names[code])
	}
	if len(who) == 0 {
		return ""
	}
	return fmt.Sprintf("本表由 %s 作答，共 %d 票", strings.Join(who, "、"), sec.Ballots)
}

// renderTally is renderPage for the tally sheet's own data.
func (s *Server) renderTally(c *fiber.Ctx, d tallyData) error {
	return s.renderPage(c, "tally.html", d)
}

var meetingKindLabels = map[string]string{"work_report": "工作报告大会", "conference": "全县领导干部大会", "social": "社会评价", "group": "考核组评价", "other": "其他"}

// liveCheckLabels say the live_check in Chinese; the page's English switch
// has its own words (tally.js).
var liveCheckLabels = map[string]string{
	"match":       "一致：实时计数与数据库中的选票重新清点结果相同",
	"mismatch":    "不一致：已按数据库中的选票重新清点结果封存",
	"partial":     "部分一致：可比对的实时计数与重新清点结果相同，其余少量选票的计数暂存在其他服务器上，已按数据库中的选票重新清点结果封存",
	"unavailable": "无法比对：实时计数不可用，已按数据库中的选票重新清点结果封存",
}

var purposeLabels = map[string]string{"conference": "全县领导干部大会评价", "mutual": "单位互评", "group": "考核组评价", "democratic": "民主测评",
	"social": "社会评价", "team": "领导班子", "cadre": "科级干部", "integrity": "党风廉政", "recommend": "无任用推荐", "other": "其他"}

// tallyTable lays out one section's counts: per option for grades; count,
// sum, mean and histogram for scores; votes for choose. A graded section
// with dimensions (德能勤绩廉) gets one row per person and a block of
// option columns per dimension.
func tallyTable(sec ballots.SectionResult) tallySection {
	t := tallySection{Title: sec.Title, Purpose: purposeLabels[sec.Purpose], Scale: sec.Scale.Type}
	// The purpose is shown only when the title does not already say it
	// ("领导班子测评", not "领导班子测评 领导班子").
	if t.Purpose == "" || strings.Contains(t.Title, t.Purpose) {
		t.Purpose = ""
	}
	if sec.Suppressed {
		t.Suppressed = true
		return t
	}
	var dimOrder []string
	seen := map[string]bool{}
	for _, sr := range sec.Subjects {
		if sr.Dimension != "" && !seen[sr.Dimension] {
			seen[sr.Dimension] = true
			dimOrder = append(dimOrder, sr.Dimension)
		}
	}
	if len(dimOrder) > 0 && sec.Scale.Type == ballots.ScaleGrade {
		return dimensionTable(t, sec, dimOrder)
	}
	dims := len(dimOrder) > 0
	head := []tallyHead{{Text: "测评对象"}}
	if dims {
		head = append(head, tallyHead{Text: "维度"})
	}
	switch sec.Scale.Type {
	case ballots.ScaleGrade:
		head = append(head, tallyHead{Text: "有效票", Num: true})
		for _, o := range sec.Scale.Options {
			head = append(head, tallyHead{Text: o.Label, Num: true})
		}
	case ballots.ScaleScore:
		head = append(head, tallyHead{Text: "有效票", Num: true}, tallyHead{Text: "总分", Num: true}, tallyHead{Text: "平均分", Num: true},
			tallyHead{Text: "分数分布（分数×票数）"})
	default:
		head = append(head, tallyHead{Text: "得票", Num: true})
	}
	t.Head = [][]tallyHead{head}
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
	t.Long = len(t.Rows) > longSection
	return t
}

// dimensionTable is a graded section with dimensions: a row per person,
// 有效票, then for each dimension a block of one column per option. When
// every dimension has the same number of answers 有效票 is that number,
// else the numbers per dimension ("6/6/5/6/6").
func dimensionTable(t tallySection, sec ballots.SectionResult, dims []string) tallySection {
	opts := sec.Scale.Options
	labels, legend := shortLabels(opts)
	t.Legend = legend
	top := []tallyHead{{Text: "测评对象", Rows: 2}, {Text: "有效票", Rows: 2, Num: true}}
	var sub []tallyHead
	for _, d := range dims {
		top = append(top, tallyHead{Text: d, Cols: len(opts), Start: true})
		for i := range opts {
			sub = append(sub, tallyHead{Text: labels[i], Num: true, Start: i == 0})
		}
	}
	t.Head = [][]tallyHead{top, sub}
	type person struct {
		name  string
		byDim map[string]ballots.SubjectResult
	}
	var people []*person
	index := map[string]*person{}
	for _, sr := range sec.Subjects {
		p := index[sr.Subject]
		if p == nil {
			p = &person{name: sr.Name, byDim: map[string]ballots.SubjectResult{}}
			index[sr.Subject] = p
			people = append(people, p)
		}
		p.byDim[sr.Dimension] = sr
	}
	for _, p := range people {
		answered := make([]string, len(dims))
		same := true
		for i, d := range dims {
			answered[i] = strconv.FormatInt(p.byDim[d].Answered, 10)
			same = same && answered[i] == answered[0]
		}
		row := []tallyCell{{Text: p.name}, {Text: answered[0], Num: true}}
		if !same {
			row[1].Text = strings.Join(answered, "/")
		}
		for _, d := range dims {
			for i, o := range opts {
				c := countCell(p.byDim[d].Counts[o.Label])
				c.Start = i == 0
				row = append(row, c)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.Long = len(t.Rows) > longSection
	t.Wide = len(dims)*len(opts) > portraitColumns
	return t
}

// shortLabels abbreviates option labels to their first character, so that
// 德能勤绩廉 × 4 grades fit the page without 基本称职 wrapping a character a
// line; the legend spells them out. When the labels are single characters
// already, or their first characters clash, they stay as they are.
func shortLabels(opts []ballots.Option) ([]string, string) {
	full := make([]string, len(opts))
	short := make([]string, len(opts))
	seen := map[string]bool{}
	abbreviated := false
	for i, o := range opts {
		full[i] = o.Label
		r := []rune(o.Label)
		if len(r) == 0 {
			return full, ""
		}
		short[i] = string(r[0])
		if seen[short[i]] {
			return full, ""
		}
		seen[short[i]] = true
		abbreviated = abbreviated || len(r) > 1
	}
	if !abbreviated {
		return full, ""
	}
	parts := make([]string, len(opts))
	for i := range opts {
		parts[i] = short[i] + "＝" + full[i]
	}
	return short, strings.Join(parts, "　")
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
