package ballots

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// publishFixture builds a sealed meeting from groups given as
// code → form and ballots, with forms given as their sections.
type pubGroup struct {
	code, form string
	n          int64
}

func publishFixture(forms map[string][]SectionDef, groups []pubGroup) (*MeetingDef, Sealed) {
	def := &MeetingDef{Code: "M", Title: "会议"}
	t := Tally{}
	var all int64
	for _, g := range groups {
		def.Groups = append(def.Groups, GroupDef{Code: g.code, Name: "类别" + g.code, Form: g.form, Sections: forms[g.form]})
		if g.n > 0 {
			t[ballotsField(g.code)] = g.n
		}
		all += g.n
	}
	return def, Sealed{Ballots: all, Digest: "sha256:x", Tally: t}
}

func grade(code, purpose string, subjects ...string) SectionDef {
	s := SectionDef{Code: code, Title: code, Purpose: purpose, Required: true,
		Scale: Scale{Type: ScaleGrade, Options: []Option{{Label: "好", Value: 1}, {Label: "差", Value: 0}}}}
	for _, x := range subjects {
		s.Subjects = append(s.Subjects, Subject{Code: x, Name: x})
	}
	return s
}

func sectionOf(r Result, form, section string) (SectionResult, bool) {
	for _, s := range r.Sections {
		if s.Form == form && s.Section == section {
			return s, true
		}
	}
	return SectionResult{}, false
}

func groupOf(r Result, code string) GroupResult {
	for _, g := range r.Groups {
		if g.Code == code {
			return g
		}
	}
	return GroupResult{}
}

// TestPublishDemoTownMeeting is the audit's case on the demo's own town
// meeting: groups answer different forms. A 2-ballot group alone on its form
// was published in full; a 1-ballot group sharing a form with a shown group
// was recovered by subtracting that group from the merged section.
func TestPublishDemoTownMeeting(t *testing.T) {
	forms := map[string][]SectionDef{
		"town-report": {grade("dem", "democratic", "T01"), grade("team", "team", "T01")},
		"town-mutual": {grade("mutual", "mutual", "D01", "D02")},
		"town-social": {grade("social", "social", "T01")},
	}
	def, sealed := publishFixture(forms, []pubGroup{
		{"cadres", "town-report", 40}, {"village", "town-report", 1},
		{"committee", "town-mutual", 2}, {"deputies", "town-social", 12},
	})
	r := Publish(def, sealed, 3)

	t.Run("a small group alone on its form shows nothing", func(t *testing.T) {
		s, ok := sectionOf(r, "town-mutual", "mutual")
		if !ok || !s.Suppressed || len(s.Subjects) != 0 {
			t.Errorf("town-mutual section: present %v, %+v; want it suppressed without subjects", ok, s)
		}
		if g := groupOf(r, "committee"); !g.Suppressed || len(g.Sections) != 0 || g.Ballots != 2 {
			t.Errorf("committee group %+v, want suppressed with its 2 ballots counted and no sections", g)
		}
	})
	t.Run("a one-ballot group is not the difference of two shown figures", func(t *testing.T) {
		s, ok := sectionOf(r, "town-report", "dem")
		if !ok || s.Suppressed || s.Ballots != 41 {
			t.Fatalf("town-report merged section %+v, want shown with 41 ballots", s)
		}
		// village (1) is hidden and so is the next smallest, cadres (40):
		// merged − shown groups = 41 ballots, never 1.
		for _, code := range []string{"village", "cadres"} {
			if g := groupOf(r, code); !g.Suppressed || len(g.Sections) != 0 {
				t.Errorf("group %s %+v, want suppressed", code, g)
			}
		}
	})
	t.Run("a group of its own form large enough is shown", func(t *testing.T) {
		g := groupOf(r, "deputies")
		if g.Suppressed || len(g.Sections) != 1 || g.Sections[0].Suppressed || g.Sections[0].Ballots != 12 {
			t.Errorf("deputies %+v, want its one section shown with 12 ballots", g)
		}
	})
	t.Run("the ballot list leaves out every hidden group", func(t *testing.T) {
		var all []Ballot
		for _, g := range def.Groups {
			for i := int64(0); i < sealed.Tally.Ballots(g.Code); i++ {
				all = append(all, Ballot{ID: fmt.Sprintf("%s-%d", g.Code, i), Group: g.Code})
			}
		}
		list := PublishBallots(def, sealed, 3, all)
		if len(list) != 12 {
			t.Fatalf("%d ballots listed, want the 12 of deputies", len(list))
		}
		for _, b := range list {
			if b.Group != "deputies" {
				t.Errorf("listed ballot %s of group %s, which results hide", b.ID, b.Group)
			}
		}
	})
}

// TestPublishScoreTablePooling: the score table adds up a unit's answers of
// one purpose across forms. When a form rating the host is hidden, the
// shown form rating the host for the same purpose is hidden too, or the
// score minus the shown section would be the hidden ballots.
func TestPublishScoreTablePooling(t *testing.T) {
	forms := map[string][]SectionDef{
		"cadres":  {grade("dem", "democratic", "T01"), grade("team", "team", "T01")},
		"village": {grade("dem", "democratic", "T01")},
	}
	def, sealed := publishFixture(forms, []pubGroup{{"cadres", "cadres", 30}, {"village", "village", 2}})
	r := Publish(def, sealed, 3)
	if s, _ := sectionOf(r, "village", "dem"); !s.Suppressed {
		t.Errorf("village's democratic section (2 ballots) is shown: %+v", s)
	}
	if s, _ := sectionOf(r, "cadres", "dem"); !s.Suppressed {
		t.Errorf("cadres' democratic section is shown: the score table minus it gives the village's 2 ballots")
	}
	if s, _ := sectionOf(r, "cadres", "team"); s.Suppressed || s.Ballots != 30 {
		t.Errorf("cadres' team section %+v, want shown (nothing pools with it)", s)
	}
	g := groupOf(r, "cadres")
	if g.Suppressed || len(g.Sections) != 2 || !g.Sections[0].Suppressed || g.Sections[1].Suppressed {
		t.Errorf("cadres group %+v, want dem hidden and team shown", g)
	}
	list := PublishBallots(def, sealed, 3, []Ballot{{ID: "1", Group: "cadres"}, {ID: "2", Group: "village"}})
	if len(list) != 0 {
		t.Errorf("ballots listed %v: a cadres ballot shows its hidden democratic answer", list)
	}
}

func TestPublishTooFew(t *testing.T) {
	forms := map[string][]SectionDef{"f": {grade("dem", "democratic", "T01")}}
	def, sealed := publishFixture(forms, []pubGroup{{"a", "f", 1}, {"b", "f", 1}})
	r := Publish(def, sealed, 3)
	if r.Ballots != 2 || len(r.Sections) != 0 {
		t.Errorf("result %+v, want 2 ballots and no sections", r)
	}
	for _, g := range r.Groups {
		if !g.Suppressed || g.Ballots != 1 {
			t.Errorf("group %+v, want suppressed with its ballot count", g)
		}
	}
}

// TestPublishNoDifferenceIsolatesFewBallots attacks random meetings as an
// adversary would, from the published result alone: within each shown
// merged section, the groups whose own counts are hidden hold 0 or at least
// k ballots; for each subject of a pooled purpose, the ballots the score
// table counts beyond the shown sections are 0 or at least k; every shown
// figure rests on at least k ballots; a listed ballot's group shows every
// section.
func TestPublishNoDifferenceIsolatesFewBallots(t *testing.T) {
	const k = 3
	purposes := []string{"democratic", "mutual", "social", "team", "cadre"}
	units := []string{"U1", "U2", "U3"}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 3000 {
		forms := map[string][]SectionDef{}
		nForms := 1 + rng.IntN(4)
		for f := range nForms {
			var secs []SectionDef
			for s := range 1 + rng.IntN(3) {
				var subj []string
				for _, u := range units {
					if rng.IntN(2) == 0 {
						subj = append(subj, u)
					}
				}
				if len(subj) == 0 {
					subj = units[:1]
				}
				secs = append(secs, grade(fmt.Sprintf("s%d", s), purposes[rng.IntN(len(purposes))], subj...))
			}
			forms[fmt.Sprintf("f%d", f)] = secs
		}
		var groups []pubGroup
		for g := range 1 + rng.IntN(6) {
			groups = append(groups, pubGroup{fmt.Sprintf("g%d", g), fmt.Sprintf("f%d", rng.IntN(nForms)), int64(rng.IntN(9))})
		}
		def, sealed := publishFixture(forms, groups)
		r := Publish(def, sealed, k)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("run %d, groups %v: %s", run, groups, fmt.Sprintf(format, args...))
		}
		small := func(n int64) bool { return n > 0 && n < k }
		ballotsOf := map[string]int64{}
		for _, g := range groups {
			ballotsOf[g.code] = g.n
		}
		if sealed.Ballots < k && len(r.Sections) > 0 {
			fail("%d ballots in all, yet %d sections shown", sealed.Ballots, len(r.Sections))
		}
		shownOwn := map[[3]string]bool{} // group, form, section
		for _, g := range r.Groups {
			for _, s := range g.Sections {
				if !s.Suppressed {
					if g.Ballots < k {
						fail("group %s shows section %s on %d ballots", g.Code, s.Section, g.Ballots)
					}
					shownOwn[[3]string{g.Code, s.Form, s.Section}] = true
				}
			}
		}
		for _, s := range r.Sections {
			if s.Suppressed {
				continue
			}
			if small(s.Ballots) {
				fail("section %s/%s shown on %d ballots", s.Form, s.Section, s.Ballots)
			}
			var hidden int64
			for _, g := range s.Groups {
				if !shownOwn[[3]string{g, s.Form, s.Section}] {
					hidden += ballotsOf[g]
				}
			}
			if small(hidden) {
				fail("section %s/%s minus its shown groups leaves %d ballots", s.Form, s.Section, hidden)
			}
		}
		// The score table's figure per pooled purpose and subject.
		type pool struct{ purpose, subject string }
		counted, shown := map[pool]int64{}, map[pool]int64{}
		for _, g := range def.Groups {
			for _, s := range g.Sections {
				if PooledPurposes[s.Purpose] {
					for _, x := range s.Subjects {
						counted[pool{s.Purpose, x.Code}] += ballotsOf[g.Code]
					}
				}
			}
		}
		for _, s := range r.Sections {
			if s.Suppressed || !PooledPurposes[s.Purpose] {
				continue
			}
			for _, x := range forms[s.Form] {
				if x.Code == s.Section {
					for _, subj := range x.Subjects {
						shown[pool{s.Purpose, subj.Code}] += s.Ballots
					}
				}
			}
		}
		for p, n := range counted {
			if shown[p] > 0 && small(n-shown[p]) {
				fail("score of %s for %s minus its shown sections leaves %d ballots", p.subject, p.purpose, n-shown[p])
			}
		}
		var all []Ballot
		for _, g := range groups {
			for i := int64(0); i < g.n; i++ {
				all = append(all, Ballot{ID: fmt.Sprint(g.code, i), Group: g.code})
			}
		}
		for _, b := range PublishBallots(def, sealed, k, all) {
			g, _ := def.Group(b.Group)
			for _, s := range g.Sections {
				if !shownOwn[[3]string{g.Code, g.Form, s.Code}] {
					fail("a ballot of %s is listed though its section %s is hidden", g.Code, s.Code)
				}
			}
		}
	}
}
