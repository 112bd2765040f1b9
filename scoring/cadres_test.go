package scoring

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var cadreOptions = []string{"优秀", "称职", "基本称职", "不称职"}

func TestSummarizeSections(t *testing.T) {
	sections := []SectionTally{{
		Section: "team", Purpose: PurposeTeam, Options: []string{"好", "较好", "一般", "差"}, Ballots: 40,
		Subjects: []SubjectTally{{Subject: "T01", Name: "城关镇领导班子", Counts: map[string]int64{"好": 20, "较好": 10, "一般": 6, "差": 4}}},
	}, {
		Section: "cad", Purpose: PurposeCadre, Options: cadreOptions, Dimensions: []string{"德", "廉"}, Ballots: 30,
		Subjects: []SubjectTally{
			{Subject: "P01", Name: "张三", ByDimension: map[string]map[string]int64{
				"德": {"优秀": 12, "称职": 15, "基本称职": 3},
				"廉": {"优秀": 5, "称职": 5, "基本称职": 9, "不称职": 11},
			}},
			{Subject: "P02", Name: "李四"}, // nobody answered
		},
	}, {
		Section: "lian", Purpose: PurposeIntegrity, Options: []string{"好", "差"}, Ballots: 3,
		Subjects: []SubjectTally{{Subject: "T01", Counts: map[string]int64{"好": 2, "差": 1}}},
	}, {
		Section: "rec", Purpose: PurposeRecommend, Ballots: 50,
		Subjects: []SubjectTally{
			{Subject: "P07", Name: "王五", Votes: 12},
			{Subject: "P08", Name: "赵六", Votes: 30},
			{Subject: "P09", Votes: 12},
			{Subject: "P10", Votes: 0},
		},
	}}
	got, err := SummarizeSections(sections, DefaultRules().FlagShare)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d sections", len(got))
	}

	// team T01: 40 answers. 优秀率 20/40 = 0.5; 称职及以上 (20+10)/40 = 0.75;
	// 差 4/40 = 0.1 ≤ 0.3333: not flagged.
	team := got[0].Subjects[0]
	if team.Answered != 40 || !near(team.ExcellentRate, 0.5) || !near(team.CompetentRate, 0.75) || team.Flagged ||
		team.Options[3].Count != 4 || !near(team.Options[3].Share, 0.1) {
		t.Errorf("team %+v", team)
	}

	// cadre P01, one row per dimension:
	//   德: 30 answers; 优秀 12/30 = 0.4; 称职及以上 27/30 = 0.9; 不称职 0
	//   廉: 30 answers; 优秀 5/30 = 0.1666…; 称职及以上 10/30 = 0.333…;
	//       不称职 11/30 = 0.3666… > 0.3333: flagged
	cad := got[1].Subjects
	if len(cad) != 4 {
		t.Fatalf("cadre rows %d, want 2 subjects × 2 dimensions", len(cad))
	}
	de, lian := cad[0], cad[1]
	if de.Subject != "P01" || de.Dimension != "德" || de.Answered != 30 || !near(de.ExcellentRate, 0.4) || !near(de.CompetentRate, 0.9) || de.Flagged {
		t.Errorf("德 %+v", de)
	}
	if lian.Dimension != "廉" || !near(lian.ExcellentRate, 5.0/30) || !near(lian.CompetentRate, 10.0/30) || !lian.Flagged {
		t.Errorf("廉 %+v", lian)
	}
	if p2 := cad[2]; p2.Subject != "P02" || p2.Answered != 0 || p2.ExcellentRate != 0 || p2.Flagged || len(p2.Options) != 4 {
		t.Errorf("P02 %+v", p2)
	}

	// integrity: 差 1/3 = 0.3333… > 0.3333: flagged (the default sits just
	// under a third so that one in three is flagged).
	if in := got[2].Subjects[0]; !in.Flagged || !near(in.CompetentRate, 1) {
		t.Errorf("integrity %+v", in)
	}

	// recommend: P08 30/50 = 0.6 rank 1; P07 and P09 12/50 = 0.24 share rank 2
	// (input order kept); P10 0 rank 4.
	rec := got[3].Candidates
	want := []struct {
		subject string
		votes   int64
		share   float64
		rank    int
	}{{"P08", 30, 0.6, 1}, {"P07", 12, 0.24, 2}, {"P09", 12, 0.24, 2}, {"P10", 0, 0, 4}}
	for i, w := range want {
		if c := rec[i]; c.Subject != w.subject || c.Votes != w.votes || !near(c.Share, w.share) || c.Rank != w.rank {
			t.Errorf("candidate %d: %+v, want %+v", i, c, w)
		}
	}

	js, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{
		`{"subject":"P01","name":"张三","dimension":"廉","answered":30,"options":[{"label":"优秀","count":5,"share":0.1667},{"label":"称职","count":5,"share":0.1667},{"label":"基本称职","count":9,"share":0.3},{"label":"不称职","count":11,"share":0.3667}],"excellent_rate":0.1667,"competent_rate":0.3333,"flagged":true}`,
		`"candidates":[{"subject":"P08","name":"赵六","votes":30,"share":0.6,"rank":1}`,
	} {
		if !strings.Contains(string(js), frag) {
			t.Errorf("JSON lacks %s\n%s", frag, js)
		}
	}
}

func TestSummarizeSectionsErrors(t *testing.T) {
	good := func() SectionTally {
		return SectionTally{Section: "cad", Purpose: PurposeCadre, Options: cadreOptions, Ballots: 10,
			Subjects: []SubjectTally{{Subject: "P01", Counts: map[string]int64{"优秀": 3}}}}
	}
	cases := []struct {
		name  string
		edit  func(*SectionTally)
		field string
		msg   string
	}{
		{"unknown purpose", func(s *SectionTally) { s.Purpose = "democratic" }, "sections[0].purpose", `用途 purpose "democratic" 未知`},
		{"unknown option", func(s *SectionTally) { s.Subjects[0].Counts["好"] = 1 }, "sections[0].subjects[0].counts.好", `选项 "好" 不在 options 中`},
		{"negative count", func(s *SectionTally) { s.Subjects[0].Counts["称职"] = -1 }, "sections[0].subjects[0].counts.称职", "为 -1"},
		{"more answers than ballots", func(s *SectionTally) { s.Subjects[0].Counts["称职"] = 8 }, "sections[0].subjects[0].counts", "答题数 11 多于票数 ballots 10"},
		{"no options", func(s *SectionTally) { s.Options = nil }, "sections[0].options", "缺少选项"},
		{"duplicate subject", func(s *SectionTally) { s.Subjects = append(s.Subjects, s.Subjects[0]) }, "sections[0].subjects[1].subject", "重复"},
		{"counts without the section's dimensions", func(s *SectionTally) { s.Dimensions = []string{"德"} }, "sections[0].subjects[0].counts", "按维度测评"},
		{"unknown dimension", func(s *SectionTally) {
			s.Dimensions = []string{"德"}
			s.Subjects[0].Counts = nil
			s.Subjects[0].ByDimension = map[string]map[string]int64{"才": {"优秀": 1}}
		}, "sections[0].subjects[0].dimensions.才", `维度 "才" 不在 dimensions 中`},
		{"votes beyond ballots", func(s *SectionTally) {
			s.Purpose = PurposeRecommend
			s.Subjects[0] = SubjectTally{Subject: "P07", Votes: 11}
		}, "sections[0].subjects[0].votes", "votes 为 11，应在 0 到 ballots 10 之间"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.edit(&s)
			_, err := SummarizeSections([]SectionTally{s}, 0.3333)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v", err)
			}
			if ie.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("field %q error %q, want %q %q", ie.Field, err, tc.field, tc.msg)
			}
		})
	}
	if _, err := SummarizeSections(nil, 1.5); err == nil {
		t.Error("flag share 1.5 accepted")
	}
}

func FuzzSummarizeSections(f *testing.F) {
	f.Add([]byte(`[{"section":"cad","purpose":"cadre","options":["优秀","称职","不称职"],"dimensions":["德"],"ballots":5,`+
		`"subjects":[{"subject":"P1","dimensions":{"德":{"优秀":2,"不称职":3}}}]},`+
		`{"section":"rec","purpose":"recommend","ballots":4,"subjects":[{"subject":"P7","votes":3},{"subject":"P8","votes":3}]}]`), 0.3333)
	f.Fuzz(func(t *testing.T, data []byte, flag float64) {
		var sections []SectionTally
		if json.Unmarshal(data, &sections) != nil {
			return
		}
		out, err := SummarizeSections(sections, flag)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatal(err)
		}
		for _, s := range out {
			for _, sub := range s.Subjects {
				if sub.ExcellentRate < 0 || sub.ExcellentRate > sub.CompetentRate || sub.CompetentRate > 1 {
					t.Fatalf("rates %+v", sub)
				}
			}
			for _, c := range s.Candidates {
				if c.Share < 0 || c.Share > 1 || c.Rank < 1 {
					t.Fatalf("candidate %+v", c)
				}
			}
		}
	})
}
