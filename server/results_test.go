package server

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// resultJSON is GET …/results.
type resultJSON struct {
	Meeting   string          `json:"meeting"`
	Ballots   int64           `json:"ballots"`
	Digest    string          `json:"digest"`
	LiveCheck string          `json:"live_check"`
	Sections  []sectionResult `json:"sections"`
	Groups    []struct {
		Code       string          `json:"code"`
		Ballots    int64           `json:"ballots"`
		Suppressed bool            `json:"suppressed"`
		Sections   []sectionResult `json:"sections"`
	} `json:"groups"`
}

type sectionResult struct {
	Form     string `json:"form"`
	Section  string `json:"section"`
	Purpose  string `json:"purpose"`
	Subjects []struct {
		Subject   string           `json:"subject"`
		Dimension string           `json:"dimension"`
		Answered  int64            `json:"answered"`
		Counts    map[string]int64 `json:"counts"`
		Count     *int64           `json:"count"`
		Sum       *float64         `json:"sum"`
		Histogram map[string]int64 `json:"histogram"`
	} `json:"subjects"`
}

// counts is a tally in a form easy to compare: "section/subject/dimension"
// → answer (grade label, score, or "chosen") → how many; zeros left out.
type counts map[string]map[string]int64

func (c counts) add(key, answer string, n int64) {
	if n == 0 {
		return
	}
	if c[key] == nil {
		c[key] = map[string]int64{}
	}
	c[key][answer] += n
}

// countResult flattens result sections into counts, checking on the way
// that each score subject's count and sum agree with its histogram.
func countResult(t *testing.T, secs []sectionResult) counts {
	t.Helper()
	c := counts{}
	for _, s := range secs {
		for _, x := range s.Subjects {
			key := s.Section + "/" + x.Subject + "/" + x.Dimension
			switch {
			case x.Histogram != nil:
				var n int64
				var sum float64
				for v, k := range x.Histogram {
					var f float64
					fmt.Sscan(v, &f)
					n += k
					sum += f * float64(k)
					c.add(key, v, k)
				}
				if x.Count == nil || *x.Count != n || x.Sum == nil || *x.Sum != sum || x.Answered != n {
					t.Errorf("%s: count %v sum %v answered %d disagree with histogram %v", key, x.Count, x.Sum, x.Answered, x.Histogram)
				}
			case x.Counts != nil:
				var n int64
				for v, k := range x.Counts {
					n += k
					c.add(key, v, k)
				}
				if x.Answered != n {
					t.Errorf("%s: answered %d, counts sum to %d", key, x.Answered, n)
				}
			case x.Count != nil:
				c.add(key, "chosen", *x.Count)
			default:
				t.Errorf("%s: no counts in %+v", key, x)
			}
		}
	}
	return c
}

// countAnswers tallies ballots' answers (as cast, or as listed by GET
// …/ballots) into counts.
func countAnswers(answers []map[string]any) counts {
	c := counts{}
	for _, a := range answers {
		for sec, v := range a {
			switch x := v.(type) {
			case []any:
				for _, code := range x {
					c.add(sec+"/"+code.(string)+"/", "chosen", 1)
				}
			case []string:
				for _, code := range x {
					c.add(sec+"/"+code+"/", "chosen", 1)
				}
			case map[string]any:
				for subj, y := range x {
					if dims, ok := y.(map[string]any); ok {
						for d, z := range dims {
							c.add(sec+"/"+subj+"/"+d, fmt.Sprint(z), 1)
						}
						continue
					}
					c.add(sec+"/"+subj+"/", fmt.Sprint(y), 1)
				}
			}
		}
	}
	return c
}

// normalize round-trips answers through JSON, as the server sees them.
func normalize(votes []vote) []map[string]any {
	var out []map[string]any
	for _, v := range votes {
		var a map[string]any
		_ = json.Unmarshal([]byte(mustJSON(v.answers())), &a)
		out = append(out, a)
	}
	return out
}

func sameCounts(t *testing.T, what string, got, want counts) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		keys := map[string]bool{}
		for k := range got {
			keys[k] = true
		}
		for k := range want {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s %s: got %v, want %v", what, k, got[k], want[k])
			}
		}
	}
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ballotListJSON is GET …/ballots.
type ballotListJSON struct {
	Ballots []struct {
		ID      string         `json:"id"`
		Group   *string        `json:"group"`
		Answers map[string]any `json:"answers"`
	} `json:"ballots"`
	Suppressed bool `json:"suppressed"`
}

func TestResults(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	cb := ts.issue(t, mURL, "cadres", 6)
	vb := ts.issue(t, mURL, "village", 4)
	ts.open(t, mURL)

	cadres := []vote{
		{dem: "好", mut: [2]float64{88, 92}, cad: [3]string{"优秀", "称职", "称职"}, rec: []string{"P07"}},
		{dem: "好", mut: [2]float64{90, 92}, cad: [3]string{"称职", "优秀", "称职"}, rec: []string{"P08"}},
		{dem: "较好", mut: [2]float64{88, 80}, cad: [3]string{"称职", "称职", "基本称职"}},
		{dem: "一般", mut: [2]float64{70, 60}, cad: [3]string{"不称职", "称职", "称职"}, rec: []string{}},
		{dem: "好", mut: [2]float64{100, 100}, cad: [3]string{"优秀", "称职", "称职"}, rec: []string{"P07"}},
	}
	village := []vote{
		{dem: "差", mut: [2]float64{60, 70}, cad: [3]string{"称职", "称职", "称职"}, rec: []string{"P07"}},
		{dem: "好", mut: [2]float64{88, 88}, cad: [3]string{"称职", "称职", "优秀"}},
		{dem: "好", mut: [2]float64{95, 85}, cad: [3]string{"称职", "称职", "称职"}, rec: []string{"P08"}},
	}
	for i, v := range cadres {
		ts.mustCast(t, cb.Tokens[i], v)
	}
	for i, v := range village {
		ts.mustCast(t, vb.Tokens[i], v)
	}

	// While open: turnout only.
	tu := ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 8 })
	if tu.Status != "open" || tu.Issued != 10 || tu.Revoked != 0 || len(tu.Groups) != 2 ||
		tu.Groups[0].Code != "cadres" || tu.Groups[0].Name != "机关干部" || tu.Groups[0].Issued != 6 || tu.Groups[0].Cast != 5 ||
		tu.Groups[1].Code != "village" || tu.Groups[1].Issued != 4 || tu.Groups[1].Cast != 3 {
		t.Errorf("turnout %+v", tu)
	}
	ts.run(t, []scenario{
		{name: "ResultsWhileOpen", method: "GET", url: mURL + "/results", as: adminUser, status: 409, code: "meeting_open",
			absent: []string{"好", "counts"}},
		{name: "BallotsWhileOpen", method: "GET", url: mURL + "/ballots", as: adminUser, status: 409, code: "meeting_open"},
		{name: "TurnoutHasNoTally", method: "GET", url: mURL + "/turnout", as: viewerUser, status: 200, absent: []string{"好", "counts", "P07"}},
	})

	var closed struct {
		Status    string `json:"status"`
		Ballots   int64  `json:"ballots"`
		Digest    string `json:"digest"`
		LiveCheck string `json:"live_check"`
	}
	ts.call(t, "POST", mURL+"/close", groupUser, nil, 200, &closed)
	if closed.Status != "closed" || closed.Ballots != 8 || !digestRE.MatchString(closed.Digest) || closed.LiveCheck != "match" {
		t.Errorf("close answered %+v", closed)
	}
	if tu := ts.turnout(t, mURL); tu.Status != "closed" || tu.Cast != 8 {
		t.Errorf("turnout after close %+v", tu)
	}

	var res resultJSON
	ts.call(t, "GET", mURL+"/results", viewerUser, nil, 200, &res)
	if res.Meeting != "M1" || res.Ballots != 8 || res.Digest != closed.Digest || !digestRE.MatchString(res.Digest) {
		t.Errorf("result header: meeting %q ballots %d digest %q (close said %q)", res.Meeting, res.Ballots, res.Digest, closed.Digest)
	}
	if len(res.Sections) != 4 {
		t.Fatalf("%d merged sections, want 4 (one per section of F-town)", len(res.Sections))
	}
	all := append(append([]vote{}, cadres...), village...)
	sameCounts(t, "merged", countResult(t, res.Sections), countAnswers(normalize(all)))
	// A few figures by hand, so the check above is not circular.
	got := countResult(t, res.Sections)
	for key, want := range map[string]map[string]int64{
		"dem/T01/":  {"好": 5, "较好": 1, "一般": 1, "差": 1},
		"mut/D01/":  {"88": 3, "90": 1, "70": 1, "100": 1, "60": 1, "95": 1},
		"cad/P01/德": {"优秀": 2, "称职": 5, "不称职": 1},
		"cad/P03/廉": {"称职": 6, "基本称职": 1, "优秀": 1},
		"rec/P07/":  {"chosen": 3},
		"rec/P08/":  {"chosen": 2},
	} {
		if !reflect.DeepEqual(got[key], want) {
			t.Errorf("%s: got %v, want %v", key, got[key], want)
		}
	}
	for _, s := range res.Sections {
		for _, x := range s.Subjects {
			if s.Section == "mut" && x.Subject == "D01" && (x.Sum == nil || *x.Sum != 679) {
				t.Errorf("mut D01 sum %v, want 679", x.Sum)
			}
		}
	}
	if len(res.Groups) != 2 {
		t.Fatalf("groups %+v", res.Groups)
	}
	for i, g := range []struct {
		code  string
		votes []vote
	}{{"cadres", cadres}, {"village", village}} {
		rg := res.Groups[i]
		if rg.Code != g.code || rg.Ballots != int64(len(g.votes)) || rg.Suppressed {
			t.Errorf("group %d: %+v", i, rg)
		}
		sameCounts(t, "group "+g.code, countResult(t, rg.Sections), countAnswers(normalize(g.votes)))
	}

	// The anonymous ballots recount to the same result and digest.
	var list ballotListJSON
	ts.call(t, "GET", mURL+"/ballots", viewerUser, nil, 200, &list)
	if len(list.Ballots) != 8 || list.Suppressed {
		t.Fatalf("%d ballots listed (suppressed %v), want 8", len(list.Ballots), list.Suppressed)
	}
	var answers []map[string]any
	var asBallots []ballots.Ballot
	ids := map[string]bool{}
	idRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	perGroup := map[string]int{}
	for i, b := range list.Ballots {
		if !idRE.MatchString(b.ID) || ids[b.ID] {
			t.Errorf("ballot id %q is not a fresh random id", b.ID)
		}
		ids[b.ID] = true
		if i > 0 && list.Ballots[i-1].ID >= b.ID {
			t.Errorf("ballots not in id order: %s before %s", list.Ballots[i-1].ID, b.ID)
		}
		if b.Group == nil {
			t.Errorf("ballot %s lacks its group, though no group is small", b.ID)
			continue
		}
		perGroup[*b.Group]++
		answers = append(answers, b.Answers)
		asBallots = append(asBallots, ballots.Ballot{ID: b.ID, Group: *b.Group, Answers: b.Answers})
	}
	if perGroup["cadres"] != 5 || perGroup["village"] != 3 {
		t.Errorf("ballots per group %v", perGroup)
	}
	sameCounts(t, "recount", countAnswers(answers), countResult(t, res.Sections))
	if d := ballots.Digest(asBallots); d != res.Digest {
		t.Errorf("digest of the listed ballots %s, sealed %s", d, res.Digest)
	}
}

func TestSmallGroups(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	m3 := ts.putMeeting(t, "M3", []string{groupUser}, "a", "b", "c")
	m4 := ts.putMeeting(t, "M4", []string{groupUser}, "cadres", "village")
	ta := ts.issue(t, m3, "a", 2)
	tb := ts.issue(t, m3, "b", 3)
	tc := ts.issue(t, m3, "c", 4)
	t4 := ts.issue(t, m4, "cadres", 3)
	ts.open(t, m3)
	ts.open(t, m4)
	v := goodVote()
	for _, tok := range append(append(ta.Tokens, tb.Tokens...), tc.Tokens...) {
		ts.mustCast(t, tok, v)
	}
	ts.mustCast(t, t4.Tokens[0], v)
	ts.mustCast(t, t4.Tokens[1], v)
	ts.closeMeeting(t, m3)
	ts.closeMeeting(t, m4)

	// Group a has 2 ballots: hidden, and b (the next smallest) with it, so
	// that the merged result minus c reveals nothing about a alone.
	var res resultJSON
	ts.call(t, "GET", m3+"/results", adminUser, nil, 200, &res)
	if res.Ballots != 9 || len(res.Sections) != 4 {
		t.Errorf("M3: %d ballots, %d sections; want 9 and 4", res.Ballots, len(res.Sections))
	}
	sameCounts(t, "M3 merged", countResult(t, res.Sections), countAnswers(normalize([]vote{v, v, v, v, v, v, v, v, v})))
	want := map[string]struct {
		n          int64
		suppressed bool
	}{"a": {2, true}, "b": {3, true}, "c": {4, false}}
	for _, g := range res.Groups {
		w := want[g.Code]
		if g.Ballots != w.n || g.Suppressed != w.suppressed {
			t.Errorf("M3 group %s: ballots %d suppressed %v; want %d %v", g.Code, g.Ballots, g.Suppressed, w.n, w.suppressed)
		}
		if g.Suppressed && len(g.Sections) != 0 {
			t.Errorf("M3 group %s is suppressed but shows %d sections", g.Code, len(g.Sections))
		}
		if !g.Suppressed && len(g.Sections) != 4 {
			t.Errorf("M3 group %s shows %d sections, want 4", g.Code, len(g.Sections))
		}
	}
	status, body := ts.do(t, req{method: "GET", url: m3 + "/results", as: adminUser})
	if status != 200 || !regexp.MustCompile(`\{"code":"a","name":"类别a","ballots":2,"suppressed":true\}`).Match(body) {
		t.Errorf("M3 group a is not shown as {\"code\":\"a\",…,\"ballots\":2,\"suppressed\":true}: %s", trim(body))
	}

	// Ballots of hidden groups are left out of the list: their answers'
	// shape, beside the shown groups, would name them. The list says so.
	var list ballotListJSON
	ts.call(t, "GET", m3+"/ballots", adminUser, nil, 200, &list)
	if len(list.Ballots) != 4 || !list.Suppressed {
		t.Fatalf("M3 lists %d ballots (suppressed %v), want the 4 of c and suppressed", len(list.Ballots), list.Suppressed)
	}
	var answers []map[string]any
	for _, b := range list.Ballots {
		if b.Group == nil || *b.Group != "c" {
			t.Errorf("M3 lists ballot %s of group %v, want only c", b.ID, b.Group)
		}
		answers = append(answers, b.Answers)
	}
	for _, g := range res.Groups {
		if g.Code == "c" {
			sameCounts(t, "M3 recount of c", countAnswers(answers), countResult(t, g.Sections))
		}
	}

	// Fewer than 3 ballots in all: the count, and nothing else.
	ts.run(t, []scenario{
		{name: "TinyMeetingResults", method: "GET", url: m4 + "/results", as: adminUser, status: 200,
			contains: []string{`"ballots":2`, `"sections":[]`, `"code":"cadres","name":"类别cadres","ballots":2,"suppressed":true`},
			absent:   []string{`"counts"`, `"histogram"`, `"subjects"`}},
		{name: "TinyMeetingBallots", method: "GET", url: m4 + "/ballots", as: adminUser, status: 200,
			contains: []string{`"ballots":[]`, `"suppressed":true`}, absent: []string{`"answers"`}},
	})
}
