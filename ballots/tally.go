package ballots

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Ballot is one anonymous cast ballot as the ledger keeps it: a random id,
// the voter group and the answers. Nothing else, by design.
type Ballot struct {
	ID      string  `json:"id"`
	Group   string  `json:"group,omitempty"`
	Answers Answers `json:"answers"`
}

// Tally counts ballots by field. Field names join their parts with sep:
//
//	b␟group                               ballots cast by the group
//	a␟group␟section␟subject␟dimension     answers given for a subject
//	c␟group␟section␟subject␟dimension␟x   answers with option, score or (choose) the candidate
//
// Codes, labels and dimensions never contain control characters, so the
// separator is unambiguous. A Tally is what Redis keeps live and what the
// ledger recount produces; at close the two must be equal.
type Tally map[string]int64

const sep = "\x1f"

func ballotsField(group string) string { return "b" + sep + group }

// Add counts one ballot of group g.
func (t Tally) Add(g *GroupDef, a Answers) {
	t[ballotsField(g.Code)]++
	for i := range g.Sections {
		s := &g.Sections[i]
		v, ok := a[s.Code]
		if !ok {
			continue
		}
		base := g.Code + sep + s.Code + sep
		if s.Scale.Type == ScaleChoose {
			for _, c := range v.([]string) {
				t["c"+sep+base+c+sep+sep]++
			}
			continue
		}
		for subj, x := range v.(map[string]any) {
			if dims, ok := x.(map[string]any); ok {
				for d, y := range dims {
					t["a"+sep+base+subj+sep+d]++
					t["c"+sep+base+subj+sep+d+sep+answerKey(y)]++
				}
				continue
			}
			t["a"+sep+base+subj+sep]++
			t["c"+sep+base+subj+sep+sep+answerKey(x)]++
		}
	}
}

func answerKey(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(x)
}

// Merge adds u into t.
func (t Tally) Merge(u Tally) {
	for k, v := range u {
		t[k] += v
	}
}

// Equal reports whether two tallies count the same, ignoring zero fields.
func (t Tally) Equal(u Tally) bool {
	for k, v := range t {
		if u[k] != v {
			return false
		}
	}
	for k, v := range u {
		if t[k] != v {
			return false
		}
	}
	return true
}

// Answered returns how many of group's ballots answered about a subject
// (and dimension) in a section.
func (t Tally) Answered(group, section, subject, dim string) int64 {
	return t["a"+sep+group+sep+section+sep+subject+sep+dim]
}

// Ballots returns how many ballots group cast.
func (t Tally) Ballots(group string) int64 { return t[ballotsField(group)] }

// Digest returns "sha256:<hex>" over the ballots in canonical order: sorted
// by id, one line each of id, group and the answers' canonical JSON.
func Digest(ballots []Ballot) string {
	sorted := make([]Ballot, len(ballots))
	copy(sorted, ballots)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	h := sha256.New()
	for _, b := range sorted {
		answers, _ := json.Marshal(b.Answers) // maps marshal with sorted keys
		fmt.Fprintf(h, "%s\t%s\t%s\n", b.ID, b.Group, answers)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Sealed is what a meeting's close stores: the recount of the ledger, its
// ballot count and digest, and whether the live tally agreed.
type Sealed struct {
	Ballots   int64  `json:"ballots"`
	Digest    string `json:"digest"`
	Tally     Tally  `json:"tally"`
	LiveCheck string `json:"live_check"` // "match", "mismatch", "partial" (several servers) or "unavailable"
}

// Result is a sealed meeting's published result.
type Result struct {
	Meeting   string          `json:"meeting"`
	Title     string          `json:"title"`
	Ballots   int64           `json:"ballots"`
	Digest    string          `json:"digest"`
	LiveCheck string          `json:"live_check"`
	Sections  []SectionResult `json:"sections"`
	Groups    []GroupResult   `json:"groups"`
}

// GroupResult is one voter group's part of a result. A group whose every
// section is hidden is Suppressed and lists no sections; otherwise a hidden
// section of it is listed with Suppressed set and no counts.
type GroupResult struct {
	Code       string          `json:"code"`
	Name       string          `json:"name"`
	Ballots    int64           `json:"ballots"`
	Suppressed bool            `json:"suppressed,omitempty"`
	Sections   []SectionResult `json:"sections,omitempty"`
}

// SectionResult is the count of one section of one form.
//
// Ballots is how many ballots the counts come from and Groups the voter
// groups that cast them. A Suppressed section shows neither subjects nor
// counts: too few ballots would be revealed (see Publish).
type SectionResult struct {
	Form       string          `json:"form"`
	Section    string          `json:"section"`
	Title      string          `json:"title"`
	Purpose    string          `json:"purpose"`
	Scale      Scale           `json:"scale"`
	Ballots    int64           `json:"ballots"`
	Groups     []string        `json:"groups"`
	Suppressed bool            `json:"suppressed,omitempty"`
	Subjects   []SubjectResult `json:"subjects"`
}

// SubjectResult counts the answers about one subject (and dimension).
type SubjectResult struct {
	Subject   string           `json:"subject"`
	Name      string           `json:"name"`
	Dimension string           `json:"dimension,omitempty"`
	Answered  int64            `json:"answered"`
	Counts    map[string]int64 `json:"counts,omitempty"`    // grade
	Count     *int64           `json:"count,omitempty"`     // score: answers; choose: votes
	Sum       *float64         `json:"sum,omitempty"`       // score
	Histogram map[string]int64 `json:"histogram,omitempty"` // score
}

func sectionResult(g *GroupDef, s *SectionDef, t Tally) SectionResult {
	out := SectionResult{Form: g.Form, Section: s.Code, Title: s.Title, Purpose: s.Purpose, Scale: s.Scale}
	base := g.Code + sep + s.Code + sep
	dims := s.Dimensions
	if len(dims) == 0 {
		dims = []string{""}
	}
	for _, subj := range s.Subjects {
		if s.Scale.Type == ScaleChoose {
			n := t["c"+sep+base+subj.Code+sep+sep]
			out.Subjects = append(out.Subjects, SubjectResult{Subject: subj.Code, Name: subj.Name, Answered: n, Count: &n})
			continue
		}
		for _, d := range dims {
			sr := SubjectResult{Subject: subj.Code, Name: subj.Name, Dimension: d, Answered: t["a"+sep+base+subj.Code+sep+d]}
			prefix := "c" + sep + base + subj.Code + sep + d + sep
			if s.Scale.Type == ScaleGrade {
				sr.Counts = map[string]int64{}
				for _, o := range s.Scale.Options {
					sr.Counts[o.Label] = t[prefix+o.Label]
				}
			} else {
				sr.Histogram = map[string]int64{}
				var count int64
				var sum float64
				for k, n := range t {
					if v, ok := strings.CutPrefix(k, prefix); ok && n != 0 {
						x, _ := strconv.ParseFloat(v, 64)
						sr.Histogram[v] = n
						count += n
						sum += x * float64(n)
					}
				}
				sr.Count, sr.Sum = &count, &sum
			}
			out.Subjects = append(out.Subjects, sr)
		}
	}
	return out
}

func copySection(s SectionResult) SectionResult {
	out := s
	out.Subjects = make([]SubjectResult, len(s.Subjects))
	for i, x := range s.Subjects {
		y := x
		if x.Counts != nil {
			y.Counts = map[string]int64{}
			for k, v := range x.Counts {
				y.Counts[k] = v
			}
		}
		if x.Histogram != nil {
			y.Histogram = map[string]int64{}
			for k, v := range x.Histogram {
				y.Histogram[k] = v
			}
		}
		if x.Count != nil {
			c := *x.Count
			y.Count = &c
		}
		if x.Sum != nil {
			sm := *x.Sum
			y.Sum = &sm
		}
		out.Subjects[i] = y
	}
	return out
}

// mergeSection adds b's counts into a; both come from the same form
// section, but groups voting on one form see the same subjects only if the
// snapshot was taken once, so subjects are matched by code and dimension.
func mergeSection(a *SectionResult, b SectionResult) {
	idx := map[string]int{}
	for i, x := range a.Subjects {
		idx[x.Subject+sep+x.Dimension] = i
	}
	for _, y := range b.Subjects {
		i, ok := idx[y.Subject+sep+y.Dimension]
		if !ok {
			a.Subjects = append(a.Subjects, copySection(SectionResult{Subjects: []SubjectResult{y}}).Subjects[0])
			continue
		}
		x := &a.Subjects[i]
		x.Answered += y.Answered
		for k, v := range y.Counts {
			x.Counts[k] += v
		}
		for k, v := range y.Histogram {
			x.Histogram[k] += v
		}
		if x.Count != nil && y.Count != nil {
			*x.Count += *y.Count
		}
		if x.Sum != nil && y.Sum != nil {
			*x.Sum += *y.Sum
		}
	}
}

// CountIndex is a tally's counts grouped by group, section, subject and
// dimension, built in one pass for reading many subjects.
type CountIndex map[[4]string]map[string]int64

// Index groups the tally's counts; Counts of a large tally is a scan.
func (t Tally) Index() CountIndex {
	idx := CountIndex{}
	for k, n := range t {
		if n == 0 || !strings.HasPrefix(k, "c"+sep) {
			continue
		}
		parts := strings.SplitN(k[2:], sep, 5)
		if len(parts) != 5 {
			continue
		}
		key := [4]string{parts[0], parts[1], parts[2], parts[3]}
		m := idx[key]
		if m == nil {
			m = map[string]int64{}
			idx[key] = m
		}
		m[parts[4]] = n
	}
	return idx
}

// Counts is Tally.Counts on the index.
func (x CountIndex) Counts(group, section, subject, dim string) map[string]int64 {
	return x[[4]string{group, section, subject, dim}]
}

// Counts returns one group's answers about a subject (and dimension) in a
// section: by option label for grade scales, by score for score scales. For
// a choose section it returns the subject's votes under the key "".
func (t Tally) Counts(group, section, subject, dim string) map[string]int64 {
	prefix := "c" + sep + group + sep + section + sep + subject + sep + dim + sep
	out := map[string]int64{}
	for k, n := range t {
		if v, ok := strings.CutPrefix(k, prefix); ok && n != 0 {
			out[v] = n
		}
	}
	return out
}
