package scoring

import (
	"slices"

	"github.com/ceping/ceping/ballots"
)

// Components are the section purposes that score points.
var evaluationPurposes = map[string]bool{Conference: true, Mutual: true, Group: true, Democratic: true, Social: true}

// FromMeeting turns a sealed meeting into evaluations: one per voter group,
// evaluation section and rated unit (subjects that are not units are left
// out). Score scales give their histogram as counts.
func FromMeeting(def *ballots.MeetingDef, sealed ballots.Sealed, units map[string]bool) []Evaluation {
	var out []Evaluation
	idx := sealed.Tally.Index()
	for _, g := range def.Groups {
		if sealed.Tally.Ballots(g.Code) == 0 {
			continue
		}
		for _, s := range g.Sections {
			if !evaluationPurposes[s.Purpose] || s.Scale.Type == ballots.ScaleChoose {
				continue
			}
			dims := s.Dimensions
			if len(dims) == 0 {
				dims = []string{""}
			}
			for _, subj := range s.Subjects {
				if !units[subj.Code] {
					continue
				}
				counts := map[string]int64{}
				for _, d := range dims {
					for k, n := range idx.Counts(g.Code, s.Code, subj.Code, d) {
						counts[k] += n
					}
				}
				if len(counts) == 0 {
					continue
				}
				out = append(out, Evaluation{Unit: subj.Code, Component: s.Purpose, Group: g.Code, Meeting: def.Code, GroupName: g.Name, MeetingTitle: def.Title,
					Scale: scaleOf(s.Scale), Counts: counts, Ballots: sealed.Tally.Answered(g.Code, s.Code, subj.Code, dims[0])})
			}
		}
	}
	return out
}

func scaleOf(s ballots.Scale) Scale {
	out := Scale{Type: s.Type, Min: s.Min, Max: s.Max, Step: s.Step}
	for _, o := range s.Options {
		out.Options = append(out.Options, Option{Label: o.Label, Value: o.Value})
	}
	return out
}

// cadrePurposes are the sections reported but not scored.
var cadrePurposes = map[string]bool{PurposeTeam: true, PurposeCadre: true, PurposeIntegrity: true, PurposeRecommend: true}

// CadreSections turns a meeting's published team, cadre, integrity and
// recommend sections into tallies. It reads the publishable result
// (ballots.Publish), never the raw tally, so a section the result hides is
// left out here too.
func CadreSections(r ballots.Result) []SectionTally {
	var out []SectionTally
	for _, sec := range r.Sections {
		if !cadrePurposes[sec.Purpose] || sec.Suppressed || sec.Ballots == 0 {
			continue
		}
		st := SectionTally{Section: r.Meeting + "/" + sec.Section, Title: sec.Title, Purpose: sec.Purpose, Ballots: sec.Ballots}
		for _, o := range sec.Scale.Options {
			st.Options = append(st.Options, o.Label)
		}
		index := map[string]int{}
		for _, x := range sec.Subjects {
			i, ok := index[x.Subject]
			if !ok {
				i = len(st.Subjects)
				index[x.Subject] = i
				st.Subjects = append(st.Subjects, SubjectTally{Subject: x.Subject, Name: x.Name})
			}
			subj := &st.Subjects[i]
			counts := x.Counts
			if counts == nil {
				counts = x.Histogram
			}
			switch {
			case sec.Scale.Type == ballots.ScaleChoose:
				if x.Count != nil {
					subj.Votes += *x.Count
				}
			case x.Dimension != "":
				if subj.ByDimension == nil {
					subj.ByDimension = map[string]map[string]int64{}
				}
				if !slices.Contains(st.Dimensions, x.Dimension) {
					st.Dimensions = append(st.Dimensions, x.Dimension)
				}
				subj.ByDimension[x.Dimension] = copyCounts(counts)
			default:
				subj.Counts = copyCounts(counts)
			}
		}
		out = append(out, st)
	}
	return out
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
