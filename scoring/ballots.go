package scoring

import (
	"fmt"

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
					Scale: scaleOf(s.Scale), Counts: counts})
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

// CadreSections turns a sealed meeting's team, cadre, integrity and
// recommend sections into tallies, merging the voter groups that answered
// the same form section.
func CadreSections(def *ballots.MeetingDef, sealed ballots.Sealed) []SectionTally {
	var out []SectionTally
	idx := sealed.Tally.Index()
	index := map[string]int{}
	for _, g := range def.Groups {
		n := sealed.Tally.Ballots(g.Code)
		if n == 0 {
			continue
		}
		for _, s := range g.Sections {
			if !cadrePurposes[s.Purpose] {
				continue
			}
			key := g.Form + "/" + s.Code
			i, ok := index[key]
			if !ok {
				st := SectionTally{Section: fmt.Sprintf("%s/%s", def.Code, s.Code), Title: s.Title, Purpose: s.Purpose, Dimensions: s.Dimensions}
				for _, o := range s.Scale.Options {
					st.Options = append(st.Options, o.Label)
				}
				for _, subj := range s.Subjects {
					st.Subjects = append(st.Subjects, SubjectTally{Subject: subj.Code, Name: subj.Name})
				}
				i = len(out)
				index[key] = i
				out = append(out, st)
			}
			st := &out[i]
			st.Ballots += n
			for j := range st.Subjects {
				subj := &st.Subjects[j]
				switch {
				case s.Scale.Type == ballots.ScaleChoose:
					subj.Votes += idx.Counts(g.Code, s.Code, subj.Subject, "")[""]
				case len(s.Dimensions) > 0:
					if subj.ByDimension == nil {
						subj.ByDimension = map[string]map[string]int64{}
					}
					for _, d := range s.Dimensions {
						if subj.ByDimension[d] == nil {
							subj.ByDimension[d] = map[string]int64{}
						}
						for k, v := range idx.Counts(g.Code, s.Code, subj.Subject, d) {
							subj.ByDimension[d][k] += v
						}
					}
				default:
					if subj.Counts == nil {
						subj.Counts = map[string]int64{}
					}
					for k, v := range idx.Counts(g.Code, s.Code, subj.Subject, "") {
						subj.Counts[k] += v
					}
				}
			}
		}
	}
	return out
}
