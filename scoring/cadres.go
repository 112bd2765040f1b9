package scoring

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// Purposes of the sections that score no points but are reported to the
// organization department and the discipline commission.
const (
	PurposeTeam      = "team"      // 领导班子
	PurposeCadre     = "cadre"     // 科级干部 德能勤绩廉
	PurposeIntegrity = "integrity" // 党风廉政
	PurposeRecommend = "recommend" // 无任用推荐
)

// SectionTally is the sealed tally of one team, cadre, integrity or
// recommend section (of one meeting, or of several added up).
//
// For team, cadre and integrity sections Options lists the option labels
// best first (e.g. 优秀, 称职, 基本称职, 不称职) and each subject gives Counts
// by label, or, when the section has Dimensions (德, 能, 勤, 绩, 廉), Counts
// per dimension in ByDimension. For recommend sections each subject (a
// candidate) gives Votes; Options and Dimensions are not used.
type SectionTally struct {
	Section string `json:"section"`
	// Title is the form section's title (科级干部测评), for people to read.
	Title      string         `json:"title,omitempty"`
	Purpose    string         `json:"purpose"`
	Options    []string       `json:"options,omitempty"`
	Dimensions []string       `json:"dimensions,omitempty"`
	Ballots    int64          `json:"ballots"`
	Subjects   []SubjectTally `json:"subjects"`
}

// SubjectTally is one subject's (a unit's team, a cadre, a candidate) counts
// in a section.
type SubjectTally struct {
	Subject     string                      `json:"subject"`
	Name        string                      `json:"name,omitempty"`
	Counts      map[string]int64            `json:"counts,omitempty"`
	ByDimension map[string]map[string]int64 `json:"dimensions,omitempty"`
	Votes       int64                       `json:"votes,omitempty"`
}

// SectionSummary is the report of one section: Subjects for team, cadre and
// integrity sections, Candidates for recommend sections.
type SectionSummary struct {
	Section    string             `json:"section"`
	Title      string             `json:"title,omitempty"`
	Purpose    string             `json:"purpose"`
	Ballots    int64              `json:"ballots"`
	Options    []string           `json:"options,omitempty"`
	Subjects   []SubjectSummary   `json:"subjects,omitempty"`
	Candidates []CandidateSummary `json:"candidates,omitempty"`
}

// SubjectSummary is one subject's result in a graded section, for one
// dimension when the section has dimensions. Shares are of Answered, the
// answers given for the subject (and dimension).
type SubjectSummary struct {
	Subject   string        `json:"subject"`
	Name      string        `json:"name,omitempty"`
	Dimension string        `json:"dimension,omitempty"`
	Answered  int64         `json:"answered"`
	Options   []OptionShare `json:"options"`
	// ExcellentRate (优秀率) is the first option's share.
	ExcellentRate float64 `json:"excellent_rate"`
	// CompetentRate (称职及以上率) is the first two options' share.
	CompetentRate float64 `json:"competent_rate"`
	// Flagged is true when the last option's share exceeds flag_share.
	Flagged bool `json:"flagged"`
}

// OptionShare is one option's count and share of the answers.
type OptionShare struct {
	Label string  `json:"label"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// CandidateSummary is one candidate of a recommend section: votes, share of
// the section's ballots, and rank by votes (equal votes share a rank).
type CandidateSummary struct {
	Subject string  `json:"subject"`
	Name    string  `json:"name,omitempty"`
	Votes   int64   `json:"votes"`
	Share   float64 `json:"share"`
	Rank    int     `json:"rank"`
}

// MarshalJSON rounds the shares to 4 decimals.
func (o OptionShare) MarshalJSON() ([]byte, error) {
	type plain OptionShare
	p := plain(o)
	p.Share = round(p.Share, ratioPlaces)
	return json.Marshal(p)
}

// MarshalJSON rounds the rates to 4 decimals.
func (s SubjectSummary) MarshalJSON() ([]byte, error) {
	type plain SubjectSummary
	p := plain(s)
	p.ExcellentRate = round(p.ExcellentRate, ratioPlaces)
	p.CompetentRate = round(p.CompetentRate, ratioPlaces)
	if p.Options == nil {
		p.Options = []OptionShare{}
	}
	return json.Marshal(p)
}

// MarshalJSON rounds the share to 4 decimals.
func (c CandidateSummary) MarshalJSON() ([]byte, error) {
	type plain CandidateSummary
	p := plain(c)
	p.Share = round(p.Share, ratioPlaces)
	return json.Marshal(p)
}

// SummarizeSections reports team, cadre, integrity and recommend sections:
// per subject (and dimension) the count and share of each option, 优秀率,
// 称职及以上率 and a flag when the last option's share exceeds flagShare
// (Rules.FlagShare); per recommend section the candidates with votes and
// share of ballots, ranked. Subjects keep their input order; candidates are
// ranked by votes, ties in input order. Invalid input (unknown purpose or
// option, negative counts, more answers or votes than ballots, flagShare
// outside [0,1]) is an *InputError whose Field is "sections[i]…".
func SummarizeSections(sections []SectionTally, flagShare float64) ([]SectionSummary, error) {
	if !finite(flagShare) || flagShare < 0 || flagShare > 1 {
		return nil, inputErr("", "flag_share", "flag_share 为 %s，应在 0 到 1 之间", num(flagShare))
	}
	out := make([]SectionSummary, 0, len(sections))
	for i, s := range sections {
		field := fmt.Sprintf("sections[%d]", i)
		if err := validateSection(s, field); err != nil {
			return nil, err
		}
		sum := SectionSummary{Section: s.Section, Title: s.Title, Purpose: s.Purpose, Ballots: s.Ballots}
		if s.Purpose == PurposeRecommend {
			sum.Candidates = rankCandidates(s)
		} else {
			sum.Options = slices.Clone(s.Options)
			for _, subj := range s.Subjects {
				if len(s.Dimensions) == 0 {
					sum.Subjects = append(sum.Subjects, summarize(s.Options, subj, "", subj.Counts, flagShare))
					continue
				}
				for _, d := range s.Dimensions {
					sum.Subjects = append(sum.Subjects, summarize(s.Options, subj, d, subj.ByDimension[d], flagShare))
				}
			}
		}
		out = append(out, sum)
	}
	return out, nil
}

func summarize(options []string, subj SubjectTally, dim string, counts map[string]int64, flagShare float64) SubjectSummary {
	s := SubjectSummary{Subject: subj.Subject, Name: subj.Name, Dimension: dim, Options: make([]OptionShare, len(options))}
	for _, o := range options {
		s.Answered += counts[o]
	}
	share := func(n int64) float64 {
		if s.Answered == 0 {
			return 0
		}
		return float64(n) / float64(s.Answered)
	}
	for i, o := range options {
		s.Options[i] = OptionShare{Label: o, Count: counts[o], Share: share(counts[o])}
	}
	s.ExcellentRate = s.Options[0].Share
	top2 := counts[options[0]]
	if len(options) > 1 {
		top2 += counts[options[1]]
	}
	s.CompetentRate = share(top2)
	s.Flagged = s.Options[len(options)-1].Share > flagShare
	return s
}

func rankCandidates(s SectionTally) []CandidateSummary {
	cs := make([]CandidateSummary, len(s.Subjects))
	for i, subj := range s.Subjects {
		cs[i] = CandidateSummary{Subject: subj.Subject, Name: subj.Name, Votes: subj.Votes}
		if s.Ballots > 0 {
			cs[i].Share = float64(subj.Votes) / float64(s.Ballots)
		}
	}
	slices.SortStableFunc(cs, func(a, b CandidateSummary) int { return cmp.Compare(b.Votes, a.Votes) })
	for i := range cs {
		if i > 0 && cs[i].Votes == cs[i-1].Votes {
			cs[i].Rank = cs[i-1].Rank
		} else {
			cs[i].Rank = i + 1
		}
	}
	return cs
}

func validateSection(s SectionTally, field string) error {
	if s.Section == "" {
		return inputErr("", field+".section", "%s 缺少栏目代码 section", field)
	}
	where := "栏目 " + s.Section
	switch s.Purpose {
	case PurposeTeam, PurposeCadre, PurposeIntegrity, PurposeRecommend:
	default:
		return inputErr("", field+".purpose", "%s 的用途 purpose %q 未知，应为 team、cadre、integrity 或 recommend", where, s.Purpose)
	}
	if s.Ballots < 0 || s.Ballots > MaxCount {
		return inputErr("", field+".ballots", "%s 的票数 ballots 为 %d，应在 0 到 %d 之间", where, s.Ballots, MaxCount)
	}
	seen := map[string]bool{}
	for j, subj := range s.Subjects {
		f := fmt.Sprintf("%s.subjects[%d]", field, j)
		if subj.Subject == "" {
			return inputErr("", f+".subject", "%s 的第 %d 个对象缺少代码 subject", where, j+1)
		}
		if seen[subj.Subject] {
			return inputErr("", f+".subject", "%s 的对象 subject %s 重复", where, subj.Subject)
		}
		seen[subj.Subject] = true
	}
	if s.Purpose == PurposeRecommend {
		for j, subj := range s.Subjects {
			f := fmt.Sprintf("%s.subjects[%d]", field, j)
			if len(subj.Counts) > 0 || len(subj.ByDimension) > 0 {
				return inputErr("", f, "%s 是推荐栏目，对象 %s 应给出 votes 而不是 counts", where, subj.Subject)
			}
			if subj.Votes < 0 || subj.Votes > s.Ballots {
				return inputErr("", f+".votes", "%s 的对象 %s 的票数 votes 为 %d，应在 0 到 ballots %d 之间", where, subj.Subject, subj.Votes, s.Ballots)
			}
		}
		return nil
	}
	if len(s.Options) == 0 {
		return inputErr("", field+".options", "%s 缺少选项 options", where)
	}
	labels := map[string]bool{}
	for j, o := range s.Options {
		if o == "" || labels[o] {
			return inputErr("", fmt.Sprintf("%s.options[%d]", field, j), "%s 的选项 options 不能为空或重复：%q", where, o)
		}
		labels[o] = true
	}
	dims := map[string]bool{}
	for j, d := range s.Dimensions {
		if d == "" || dims[d] {
			return inputErr("", fmt.Sprintf("%s.dimensions[%d]", field, j), "%s 的维度 dimensions 不能为空或重复：%q", where, d)
		}
		dims[d] = true
	}
	checkCounts := func(f, subject string, counts map[string]int64) error {
		var answered int64
		for _, label := range sortedKeys(counts) {
			n := counts[label]
			if !labels[label] {
				return inputErr("", f+"."+label, "%s 的对象 %s 的选项 %q 不在 options 中", where, subject, label)
			}
			if n < 0 || n > MaxCount {
				return inputErr("", f+"."+label, "%s 的对象 %s 的票数 counts[%q] 为 %d，应在 0 到 %d 之间", where, subject, label, n, MaxCount)
			}
			answered += n
		}
		if answered > s.Ballots {
			return inputErr("", f, "%s 的对象 %s 的答题数 %d 多于票数 ballots %d", where, subject, answered, s.Ballots)
		}
		return nil
	}
	for j, subj := range s.Subjects {
		f := fmt.Sprintf("%s.subjects[%d]", field, j)
		if subj.Votes != 0 {
			return inputErr("", f+".votes", "%s 不是推荐栏目，对象 %s 不能给出 votes", where, subj.Subject)
		}
		if len(s.Dimensions) == 0 {
			if len(subj.ByDimension) > 0 {
				return inputErr("", f+".dimensions", "%s 没有维度 dimensions，对象 %s 应给出 counts", where, subj.Subject)
			}
			if err := checkCounts(f+".counts", subj.Subject, subj.Counts); err != nil {
				return err
			}
			continue
		}
		if len(subj.Counts) > 0 {
			return inputErr("", f+".counts", "%s 按维度测评，对象 %s 应按维度给出 dimensions 而不是 counts", where, subj.Subject)
		}
		for _, d := range sortedKeys(subj.ByDimension) {
			if !dims[d] {
				return inputErr("", f+".dimensions."+d, "%s 的对象 %s 的维度 %q 不在 dimensions 中", where, subj.Subject, d)
			}
			if err := checkCounts(f+".dimensions."+d, subj.Subject, subj.ByDimension[d]); err != nil {
				return err
			}
		}
	}
	return nil
}
