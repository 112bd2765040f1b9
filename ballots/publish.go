package ballots

import "sort"

// PooledPurposes are the section purposes whose answers the score table adds
// up per rated subject across every form and voter group (the five
// evaluation components). Publish treats each such subject as one more
// published figure, because the score table is one.
var PooledPurposes = map[string]bool{"conference": true, "mutual": true, "group": true, "democratic": true, "social": true}

// sectionKey names a merged section: one section of one form, answered by
// every voter group of the meeting that was given that form.
type sectionKey struct{ form, section string }

// publication is what of a sealed meeting may be shown (invariant 8). It is
// decided once, here, and every view renders from Publish's result.
type publication struct {
	tooFew  bool                           // fewer than k ballots in all: no sections
	order   []sectionKey                   // merged sections in the order the groups list them
	ballots map[sectionKey]int64           // ballots of the groups that answered it
	groups  map[sectionKey][]string        // those groups, in the meeting's order
	hidden  map[sectionKey]bool            // the merged section is not shown
	hideIn  map[sectionKey]map[string]bool // a group's own part of a shown section is not shown
}

// decide applies invariant 8 to a sealed tally:
//
//  1. Per merged section, over the groups that answered it: each group under
//     k is hidden; while the hidden groups hold 1 to k−1 ballots together
//     the next smallest group is hidden too, so that subtracting the shown
//     groups from the merged section never isolates fewer than k ballots. A
//     merged section with fewer than k ballots is not shown at all.
//  2. Per subject of a pooled purpose (the score table adds up those answers
//     across forms): while the merged sections that are not shown hold 1 to
//     k−1 ballots together, the smallest shown section rating that subject
//     for that purpose is not shown either, so that the score table minus
//     the shown sections never isolates fewer than k ballots.
//  3. A meeting with fewer than k ballots shows no section.
func decide(def *MeetingDef, t Tally, k int64) publication {
	p := publication{ballots: map[sectionKey]int64{}, groups: map[sectionKey][]string{},
		hidden: map[sectionKey]bool{}, hideIn: map[sectionKey]map[string]bool{}}
	var all int64
	type pool struct{ purpose, subject string }
	var pools []pool
	rating := map[pool][]sectionKey{}
	for gi := range def.Groups {
		g := &def.Groups[gi]
		n := t.Ballots(g.Code)
		all += n
		for si := range g.Sections {
			s := &g.Sections[si]
			key := sectionKey{g.Form, s.Code}
			if _, seen := p.ballots[key]; !seen {
				p.order = append(p.order, key)
				p.ballots[key] = 0
				if PooledPurposes[s.Purpose] {
					for _, subj := range s.Subjects {
						pl := pool{s.Purpose, subj.Code}
						if rating[pl] == nil {
							pools = append(pools, pl)
						}
						rating[pl] = append(rating[pl], key)
					}
				}
			}
			if n > 0 {
				p.ballots[key] += n
				p.groups[key] = append(p.groups[key], g.Code)
			}
		}
	}
	p.tooFew = all < k

	// 1. Groups within each merged section.
	for _, key := range p.order {
		codes := append([]string(nil), p.groups[key]...)
		sort.SliceStable(codes, func(i, j int) bool { return t.Ballots(codes[i]) < t.Ballots(codes[j]) })
		hide := map[string]bool{}
		var held int64
		for _, c := range codes {
			if n := t.Ballots(c); n < k {
				hide[c] = true
				held += n
			}
		}
		for _, c := range codes {
			if held == 0 || held >= k {
				break
			}
			if !hide[c] {
				hide[c] = true
				held += t.Ballots(c)
			}
		}
		p.hideIn[key] = hide
		if p.ballots[key] > 0 && p.ballots[key] < k {
			p.hidden[key] = true
		}
	}

	// 2. Subjects the score table pools across forms. Hiding only grows, so
	// the loop ends.
	for changed := true; changed; {
		changed = false
		for _, pl := range pools {
			var held int64
			var smallest *sectionKey
			for i, key := range rating[pl] {
				if p.hidden[key] {
					held += p.ballots[key]
				} else if p.ballots[key] > 0 && (smallest == nil || p.ballots[key] < p.ballots[*smallest]) {
					smallest = &rating[pl][i]
				}
			}
			if held > 0 && held < k && smallest != nil {
				p.hidden[*smallest] = true
				changed = true
			}
		}
	}
	return p
}

// shows reports whether group g's own counts of a merged section are shown.
func (p publication) shows(key sectionKey, g string) bool {
	return !p.tooFew && !p.hidden[key] && !p.hideIn[key][g]
}

// listable reports whether group g's whole ballots may be listed: every
// section of its form is shown for it (a ballot's answers show them all).
func (p publication) listable(g *GroupDef) bool {
	for _, s := range g.Sections {
		if !p.shows(sectionKey{g.Form, s.Code}, g.Code) {
			return false
		}
	}
	return true
}

// Publish renders a sealed tally as the meeting's publishable result: the
// one every view (results API, tally sheet, big screen, cadre reports,
// exports) renders from. Sections and groups that invariant 8 hides carry
// Suppressed and no counts; the meeting's and each group's ballot count
// (turnout) are always shown.
func Publish(def *MeetingDef, s Sealed, k int64) Result {
	r := Result{Meeting: def.Code, Title: def.Title, Ballots: s.Ballots, Digest: s.Digest, LiveCheck: s.LiveCheck,
		Sections: []SectionResult{}, Groups: []GroupResult{}}
	p := decide(def, s.Tally, k)
	merged := map[sectionKey]int{}
	for gi := range def.Groups {
		g := &def.Groups[gi]
		gr := GroupResult{Code: g.Code, Name: g.Name, Ballots: s.Tally.Ballots(g.Code)}
		shown := 0
		for si := range g.Sections {
			sd := &g.Sections[si]
			key := sectionKey{g.Form, sd.Code}
			sec := sectionResult(g, sd, s.Tally)
			if gr.Ballots > 0 {
				own := sec
				own.Ballots, own.Groups = gr.Ballots, []string{g.Code}
				if !p.shows(key, g.Code) {
					own = hiddenSection(own)
				} else {
					shown++
				}
				gr.Sections = append(gr.Sections, own)
			}
			if p.tooFew {
				continue
			}
			if i, ok := merged[key]; ok {
				if !r.Sections[i].Suppressed {
					mergeSection(&r.Sections[i], sec)
				}
				continue
			}
			m := copySection(sec)
			m.Ballots, m.Groups = p.ballots[key], append([]string{}, p.groups[key]...)
			if p.hidden[key] {
				m = hiddenSection(m)
			}
			merged[key] = len(r.Sections)
			r.Sections = append(r.Sections, m)
		}
		if gr.Ballots > 0 && shown == 0 {
			gr.Suppressed, gr.Sections = true, nil
		}
		r.Groups = append(r.Groups, gr)
	}
	return r
}

func hiddenSection(s SectionResult) SectionResult {
	s.Suppressed, s.Subjects = true, []SubjectResult{}
	return s
}

// PublishBallots returns the ballots of a sealed meeting that may be listed
// for anyone to recount: none when the meeting has fewer than k ballots,
// otherwise the ballots of every group whose sections Publish shows in full
// (the answers of any other ballot would name its form and group). Each
// listed ballot names its group.
func PublishBallots(def *MeetingDef, s Sealed, k int64, all []Ballot) []Ballot {
	p := decide(def, s.Tally, k)
	out := []Ballot{}
	if p.tooFew {
		return out
	}
	ok := map[string]bool{}
	for i := range def.Groups {
		ok[def.Groups[i].Code] = p.listable(&def.Groups[i])
	}
	for _, b := range all {
		if ok[b.Group] {
			out = append(out, b)
		}
	}
	return out
}

// Pool names one figure of the score table: a subject's answers of a pooled
// purpose, added up across forms, groups and meetings.
type Pool struct{ Purpose, Subject string }

// Unpublished returns, per pool, how many of a sealed meeting's ballots the
// score table counts there while no section Publish shows does (the rest
// are in shown sections). Added up over a year's meetings, a total of 1 to
// k−1 is a figure the score table reveals by difference with the published
// results: the score's row must say so.
func Unpublished(def *MeetingDef, s Sealed, k int64) map[Pool]int64 {
	p := decide(def, s.Tally, k)
	out := map[Pool]int64{}
	for _, key := range p.order {
		if !p.tooFew && !p.hidden[key] {
			continue
		}
		for _, g := range def.Groups {
			if g.Form != key.form {
				continue
			}
			for _, sd := range g.Sections {
				if sd.Code == key.section && PooledPurposes[sd.Purpose] {
					for _, subj := range sd.Subjects {
						out[Pool{sd.Purpose, subj.Code}] += s.Tally.Ballots(g.Code)
					}
				}
			}
		}
	}
	return out
}
