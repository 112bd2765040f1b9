package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

func registerScoreRoutes(s *Server, r fiber.Router) {
	r.Get("/cycles/:cycle/rules", s.getRules)
	r.Put("/cycles/:cycle/rules", s.putRules)
	r.Get("/cycles/:cycle/targets", s.getTargets)
	r.Put("/cycles/:cycle/targets", s.putTargets)
	r.Get("/cycles/:cycle/scores", s.scores)
	r.Get("/cycles/:cycle/cadres", s.cadres)
}

// scoringError turns the scoring package's input errors into 422s that
// name the unit and field.
func scoringError(err error) error {
	var ie *scoring.InputError
	if errors.As(err, &ie) {
		return &ballots.Error{Code: EInvalidScoring, Message: ie.Error(),
			Details: []ballots.Detail{{Subject: ie.Unit, Field: ie.Field, Message: ie.Message}}}
	}
	return err
}

// EInvalidScoring is the 422 for rules or targets that break the rules text.
const EInvalidScoring = "invalid_scoring"

func (s *Server) rules(ctx context.Context, cycle string) (scoring.Rules, error) {
	raw, err := s.svc.Rules(ctx, cycle)
	if err != nil || raw == nil {
		return scoring.DefaultRules(), err
	}
	r, err := scoring.ParseRules(raw)
	if err != nil {
		return r, fmt.Errorf("stored rules of %s: %w", cycle, err)
	}
	return r, nil
}

func (s *Server) getRules(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	r, err := s.rules(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) putRules(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	if err := requireJSON(c); err != nil {
		return err
	}
	r, err := scoring.ParseRules(c.Body())
	if err != nil {
		return scoringError(err)
	}
	if err := r.Validate(); err != nil {
		return scoringError(err)
	}
	canonical, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.svc.PutRules(c.UserContext(), c.Params("cycle"), canonical); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditRulesPut, c.Params("cycle"), "")
	return c.JSON(r)
}

func (s *Server) getTargets(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	ts, err := s.targetTasks(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	return c.JSON(ts)
}

// targets returns what the score table takes as target tasks: the year's
// target tasks (targetTasks) with the approved and recorded 加减分 entries
// added to the adjustments they carry (adjust.go). GET targets shows
// targetTasks alone, so a year without a catalogue reads back, and saves,
// only its hand-typed adjustments, never the entries twice.
func (s *Server) targets(ctx context.Context, cycle string) ([]scoring.Target, error) {
	ts, err := s.targetTasks(ctx, cycle)
	if err != nil {
		return nil, err
	}
	return s.withAdjustments(ctx, cycle, ts)
}

// targetTasks returns a year's target-task data: with a catalogue, its
// indicators valued by their approved entries (pending ones count 0);
// without, the targets as PUT.
func (s *Server) targetTasks(ctx context.Context, cycle string) ([]scoring.Target, error) {
	cat, err := s.svc.Indicators(ctx, cycle)
	if err != nil {
		return nil, err
	}
	if len(cat) > 0 {
		entries, err := s.svc.Entries(ctx, cycle)
		if err != nil {
			return nil, err
		}
		return scoring.FromCatalogue(cat, entries), nil
	}
	stored, err := s.svc.Targets(ctx, cycle)
	if err != nil {
		return nil, err
	}
	out := make([]scoring.Target, 0, len(stored))
	for _, t := range stored {
		var st scoring.Target
		if err := json.Unmarshal(t.JSON, &st); err != nil {
			return nil, fmt.Errorf("stored targets of %s: %w", t.Unit, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Server) putTargets(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var ts []scoring.Target
	if err := decode(c, &ts); err != nil {
		return err
	}
	// saveTargets (import.go) validates and stores, for the import too.
	if err := s.saveTargets(c.UserContext(), c.Params("cycle"), ts); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditTargetsPut, c.Params("cycle"), fmt.Sprintf("%d 个单位的目标任务", len(ts)))
	return c.JSON(fiber.Map{"targets": len(ts)})
}

// scoreBase returns a year's rules and units as scoring input.
func (s *Server) scoreBase(ctx context.Context, cycle string) (scoring.Input, error) {
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return scoring.Input{}, err
	}
	rules, err := s.rules(ctx, cycle)
	if err != nil {
		return scoring.Input{}, err
	}
	// The small-group rule of the scores is never weaker than the one of
	// published results: a weighted group index of fewer than k ballots
	// could be solved back from the table.
	if k := int(s.svc.MinGroup()); rules.MinGroupBallots < k {
		rules.MinGroupBallots = k
	}
	in := scoring.Input{Rules: rules}
	for _, u := range units {
		in.Units = append(in.Units, scoring.Unit{Code: u.Code, Name: u.Name, Kind: u.Kind, Staff: u.Staff})
	}
	return in, nil
}

// scoreInput gathers everything the score table is computed from: rules,
// units, targets and the evaluations of every sealed meeting. Meetings not
// yet closed count for nothing and are named in the warnings.
func (s *Server) scoreInput(ctx context.Context, cycle string) (scoring.Input, []ballots.MeetingRecord, []string, error) {
	in, err := s.scoreBase(ctx, cycle)
	if err != nil {
		return in, nil, nil, err
	}
	if in.Targets, err = s.targets(ctx, cycle); err != nil {
		return in, nil, nil, err
	}
	recs, err := s.svc.Meetings(ctx, cycle)
	if err != nil {
		return in, nil, nil, err
	}
	units := map[string]bool{}
	for _, u := range in.Units {
		units[u.Code] = true
	}
	warnings := []string{}
	var sealed []ballots.MeetingRecord
	for _, rec := range recs {
		if rec.Sealed == nil || rec.Def == nil {
			warnings = append(warnings, fmt.Sprintf("会议“%s”尚未结束，其测评结果未计入 (the meeting “%s” has not closed: its ballots are not counted yet)", rec.Meeting.Title, rec.Meeting.Title))
			continue
		}
		sealed = append(sealed, rec)
		in.Evaluations = append(in.Evaluations, scoring.FromMeeting(rec.Def, *rec.Sealed, units)...)
	}
	return in, sealed, warnings, nil
}

func (s *Server) scores(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer); err != nil {
		return err
	}
	cycle := c.Params("cycle")
	in, sealed, warnings, err := s.scoreInput(c.UserContext(), cycle)
	if err != nil {
		return err
	}
	table, err := scoring.Compute(in)
	if err != nil {
		return scoringError(err)
	}
	s.warnUnpublished(table, sealed)
	if err := s.warnAdjustments(c.UserContext(), cycle, table, in.Targets); err != nil { // 加减分 pending review (adjust.go)
		return err
	}
	if c.Query("format") == "xlsx" {
		cy, err := s.svc.Cycle(c.UserContext(), cycle)
		if err != nil {
			return err
		}
		cadres, err := cadreSummaries(sealed, in.Rules.FlagShare, s.svc.MinGroup())
		if err != nil {
			return err
		}
		detail, err := s.indicatorDetail(c.UserContext(), cycle) // the 指标明细 sheet, with a catalogue
		if err != nil {
			return err
		}
		book, err := scoreWorkbook(cy, in.Rules, table, cadres, warnings, detail)
		if err != nil {
			return err
		}
		// 2020年度考核结果汇总表.xlsx, with an ASCII name for old clients.
		setAttachment(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", workbookName(cy), "scores-"+cycle+".xlsx")
		return c.Send(book)
	}
	return c.JSON(fiber.Map{"cycle": cycle, "units": table.Units, "warnings": warnings})
}

// warnUnpublished marks the rows whose component points, minus what the
// meetings' published results show, leave 1 to k−1 ballots: a reader with
// the results and the table could solve those few ballots back. The points
// stay (the rules need every ballot); the row says so.
func (s *Server) warnUnpublished(table scoring.Table, sealed []ballots.MeetingRecord) {
	k := s.svc.MinGroup()
	held := map[ballots.Pool]int64{}
	for _, rec := range sealed {
		for p, n := range ballots.Unpublished(rec.Def, *rec.Sealed, k) {
			held[p] += n
		}
	}
	for i := range table.Units {
		row := &table.Units[i]
		for c := range row.Evaluation.Components {
			if n := held[ballots.Pool{Purpose: c, Subject: row.Unit}]; n > 0 && n < k {
				row.Warnings = append(row.Warnings, scoring.UnpublishedWarning(c, n))
			}
		}
	}
}

// meetingCadres is one sealed meeting's leadership, cadre, integrity and
// recommendation results.
type meetingCadres struct {
	Meeting  string                   `json:"meeting"`
	Title    string                   `json:"title"`
	Ballots  int64                    `json:"ballots"`
	Sections []scoring.SectionSummary `json:"sections"`
}

func cadreSummaries(sealed []ballots.MeetingRecord, flagShare float64, k int64) ([]meetingCadres, error) {
	out := []meetingCadres{}
	for _, rec := range sealed {
		// The published result already hides what invariant 8 requires.
		secs, err := scoring.SummarizeSections(scoring.CadreSections(ballots.Publish(rec.Def, *rec.Sealed, k)), flagShare)
		if err != nil {
			return nil, fmt.Errorf("meeting %s: %w", rec.Meeting.Code, err)
		}
		if len(secs) > 0 {
			out = append(out, meetingCadres{Meeting: rec.Meeting.Code, Title: rec.Meeting.Title, Ballots: rec.Sealed.Ballots, Sections: secs})
		}
	}
	return out, nil
}

func (s *Server) cadres(c *fiber.Ctx) error {
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer); err != nil {
		return err
	}
	in, sealed, warnings, err := s.scoreInput(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return err
	}
	out, err := cadreSummaries(sealed, in.Rules.FlagShare, s.svc.MinGroup())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cycle": c.Params("cycle"), "meetings": out, "warnings": warnings})
}
