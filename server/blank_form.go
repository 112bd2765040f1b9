package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// The blank paper form: what an attendee without a phone fills in with a
// pen, laid out like the electronic ballot of their voter group (same
// sections, subjects and order), so that keying it in later is a matter of
// copying row by row. It holds no slip code and no count.
func registerBlankFormRoutes(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/meetings/:meeting/groups/:group/blank", s.blankFormPage)
}

type blankData struct {
	PageData
	Meeting   ballots.Meeting
	HostName  string
	Group     ballots.GroupDef
	Sections  []blankSection
	Opened    bool // the form is the meeting's snapshot, not today's lists
	PaperPage string
}

type blankSection struct {
	ballots.SectionDef
	Options []string // grade labels
	// Heads are the option headers of a dimension table: the labels'
	// first characters where that is unambiguous, spelt out in Legend, so
	// 德能勤绩廉 × 4 grades fit A4 in a readable size without wrapping.
	Heads  []string
	Legend string
	Rules  []string // what the voter must keep to, in words
}

// blankFormPage serves the printable paper form of one voter group to the
// meeting's staff and admins. Before the meeting opens the form is expanded
// against today's units and people (as the preview does); from open on it
// is the meeting's snapshot, so paper and phones always agree.
func (s *Server) blankFormPage(c *fiber.Ctx) error {
	u, ok, err := s.pageUser(c, c.OriginalURL())
	if !ok {
		return err
	}
	rec, err := s.meeting(c, true)
	if err != nil {
		return err
	}
	d := blankData{PageData: PageData{Title: "纸质测评表", TitleEN: "Paper ballot form", User: u, CSRF: s.csrfToken(c.Cookies(sessionCookie)), Params: pageParams(c)},
		Meeting: rec.Meeting, HostName: rec.Meeting.Host,
		PaperPage: fmt.Sprintf("/console/cycles/%s/meetings/%s", c.Params("cycle"), c.Params("meeting"))}
	if units, err := s.svc.Units(c.UserContext(), rec.Cycle); err == nil {
		for _, un := range units {
			if un.Code == rec.Meeting.Host {
				d.HostName = un.Name
			}
		}
	}
	code := c.Params("group")
	if rec.Def != nil {
		d.Opened = true
		g, ok := rec.Def.Group(code)
		if !ok {
			return ballots.Errorf(ballots.ENotFound, "本次会议没有这个参评人员类别 (no such voter group)")
		}
		d.Group = *g
	} else {
		var group *ballots.Group
		for i := range rec.Meeting.Groups {
			if rec.Meeting.Groups[i].Code == code {
				group = &rec.Meeting.Groups[i]
			}
		}
		if group == nil {
			return ballots.Errorf(ballots.ENotFound, "本次会议没有这个参评人员类别 (no such voter group)")
		}
		view, err := s.svc.PreviewForm(c.UserContext(), rec.Cycle, group.Form, rec.Meeting.Host)
		if err != nil {
			return err
		}
		d.Group = ballots.GroupDef{Code: group.Code, Name: group.Name, Form: group.Form, FormTitle: view.Group.FormTitle, Sections: view.Sections}
	}
	for _, sec := range d.Group.Sections {
		d.Sections = append(d.Sections, blankSectionOf(sec))
	}
	return s.renderPage(c, "blank.html", d)
}

// blankSectionOf says a section's rules as a paper form prints them.
func blankSectionOf(sec ballots.SectionDef) blankSection {
	b := blankSection{SectionDef: sec}
	for _, o := range sec.Scale.Options {
		b.Options = append(b.Options, o.Label)
	}
	b.Heads, b.Legend = b.Options, ""
	if len(sec.Dimensions) > 0 {
		b.Heads, b.Legend = shortLabels(sec.Scale.Options)
	}
	switch sec.Scale.Type {
	case "grade":
		if len(sec.Dimensions) > 0 {
			b.Rules = append(b.Rules, "每人按各项分别选一个等次，在所选等次下的方框内打“√”。")
		} else {
			b.Rules = append(b.Rules, "每个对象选一个等次，在所选等次下的方框内打“√”。")
		}
		for _, l := range sec.Limits {
			n := l.Allowed(len(sec.Subjects))
			per := ""
			if len(sec.Dimensions) > 0 {
				per = "每一项中"
			}
			b.Rules = append(b.Rules, fmt.Sprintf("%s“%s”最多 %d 个。", per, strings.Join(l.Options, "、"), n))
		}
	case "score":
		lo, hi := "", ""
		if sec.Scale.Min != nil {
			lo = strconv.FormatFloat(*sec.Scale.Min, 'f', -1, 64)
		}
		if sec.Scale.Max != nil {
			hi = strconv.FormatFloat(*sec.Scale.Max, 'f', -1, 64)
		}
		b.Rules = append(b.Rules, fmt.Sprintf("在方框内填写 %s–%s 之间的分数。", lo, hi))
	case "choose":
		most := 0
		if sec.Scale.Max != nil {
			most = int(*sec.Scale.Max)
		}
		b.Rules = append(b.Rules, fmt.Sprintf("最多选 %d 人，在所选人员姓名前的方框内打“√”。", most))
	}
	if !sec.Required {
		b.Rules = append(b.Rules, "本项选填，可以不填。")
	}
	return b
}
