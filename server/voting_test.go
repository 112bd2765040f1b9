package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// slip returns the headers of a voter holding token.
func slip(token string, key ...string) map[string]string {
	h := map[string]string{"Authorization": "Ballot " + token}
	if len(key) > 0 {
		h["Idempotency-Key"] = key[0]
	}
	return h
}

// neverIssued returns a well-formed code (right length, alphabet and check
// character) that no batch printed.
func neverIssued() string {
	var tok ballots.Token
	for i := range tok {
		tok[i] = byte(0xA5 ^ i)
	}
	return tok.String()
}

func TestVoting(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 20)
	rv := ts.issue(t, mURL, "village", 2)
	tok := b.Tokens

	// Before the meeting opens.
	ts.run(t, []scenario{
		{name: "NotOpen/Get", method: "GET", url: "/api/v1/ballot", headers: slip(tok[0]), status: 403, code: "meeting_not_open"},
		{name: "NotOpen/Post", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "k0"), body: goodVote().body(),
			status: 403, code: "meeting_not_open"},
	})
	ts.open(t, mURL)
	var revoked struct {
		Revoked int `json:"revoked"`
	}
	ts.call(t, "POST", "/api/v1/batches/"+rv.Batch+"/revoke", adminUser, nil, 200, &revoked)
	if revoked.Revoked != 2 {
		t.Fatalf("revoked %d slips, want 2", revoked.Revoked)
	}

	good := goodVote().body()
	ts.run(t, []scenario{
		// Reading a ballot spends nothing, however often (WeChat reads links twice).
		{name: "Get", method: "GET", url: "/api/v1/ballot", headers: slip(tok[0]), status: 200,
			contains: []string{`"code":"M1"`, `"group":{"code":"cadres","name":"机关干部"`, `"code":"T01","name":"城关镇"`,
				`"code":"D01","name":"县财政局"`, `"code":"P01","name":"张建国"`, `"code":"P07","name":"赵丽"`, `"dimensions":["德","能","勤","绩","廉"]`},
			absent: []string{`"T02"`, `"unit"`}},
		{name: "GetAgain", method: "GET", url: "/api/v1/ballot", headers: slip(tok[0]), status: 200, contains: []string{`"sections":[`}},
		{name: "GetGrouped", method: "GET", url: "/api/v1/ballot", headers: slip(groupedLower(tok[0])), status: 200},
		{name: "GetSpendsNothing", method: "GET", url: mURL + "/turnout", as: adminUser, status: 200,
			contains: []string{`"cast":0`, `"issued":20`, `"revoked":2`}},

		// Casting.
		{name: "NoIdempotencyKey", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0]), body: good, status: 400, code: "invalid",
			contains: []string{"Idempotency-Key"}},
		{name: "Cast", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "key-1"), body: good, status: 201,
			contains: []string{`{"status":"counted"}`}},
		{name: "ResendSameKey", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "key-1"), body: good, status: 201,
			contains: []string{`{"status":"counted"}`}},
		{name: "ResendSameKeyOtherAnswers", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "key-1"),
			body: vote{dem: "差", mut: [2]float64{1, 2}, cad: [3]string{"不称职", "不称职", "不称职"}}.body(), status: 201},
		{name: "OtherKey", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "key-2"), body: good, status: 409, code: "token_used"},
		{name: "GetSpent", method: "GET", url: "/api/v1/ballot", headers: slip(tok[0]), status: 409, code: "token_used"},
		{name: "KeyScopedToToken", method: "POST", url: "/api/v1/ballot", headers: slip(tok[1], "key-1"), body: good, status: 201},

		// Bad credentials.
		{name: "NoAuthorization", method: "GET", url: "/api/v1/ballot", status: 401, code: "unauthorized"},
		{name: "NoAuthorizationPost", method: "POST", url: "/api/v1/ballot", headers: map[string]string{"Idempotency-Key": "k"}, body: good,
			status: 401, code: "unauthorized"},
		{name: "BearerInsteadOfBallot", method: "GET", url: "/api/v1/ballot", as: adminUser, status: 401, code: "unauthorized"},
		{name: "EmptyCode", method: "GET", url: "/api/v1/ballot", headers: map[string]string{"Authorization": "Ballot "}, status: 401, code: "unauthorized"},
		{name: "ShortCode", method: "GET", url: "/api/v1/ballot", headers: slip(tok[2][:26]), status: 400, code: "invalid_token"},
		{name: "LongCode", method: "GET", url: "/api/v1/ballot", headers: slip(tok[2] + "0"), status: 400, code: "invalid_token"},
		{name: "BadCharacter", method: "GET", url: "/api/v1/ballot", headers: slip("U" + tok[2][1:]), status: 400, code: "invalid_token"},
		{name: "BadCheckCharacter", method: "GET", url: "/api/v1/ballot", headers: slip(typo(tok[2])), status: 400, code: "invalid_token"},
		{name: "BadCheckCharacterPost", method: "POST", url: "/api/v1/ballot", headers: slip(typo(tok[2]), "k"), body: good,
			status: 400, code: "invalid_token"},
		{name: "NeverIssued", method: "GET", url: "/api/v1/ballot", headers: slip(neverIssued()), status: 404, code: "not_found"},
		{name: "NeverIssuedPost", method: "POST", url: "/api/v1/ballot", headers: slip(neverIssued(), "k"), body: good, status: 404, code: "not_found"},
		{name: "Revoked", method: "GET", url: "/api/v1/ballot", headers: slip(rv.Tokens[0]), status: 410, code: "token_revoked"},
		{name: "RevokedPost", method: "POST", url: "/api/v1/ballot", headers: slip(rv.Tokens[0], "k"), body: good, status: 410, code: "token_revoked"},
	})

	// Broken rules: 422 naming section, subject and rule; nothing counted;
	// then the same slip with the ballot fixed counts.
	type broken struct {
		name                   string
		edit                   func(a map[string]any)
		section, subject, rule string
	}
	for i, c := range []broken{
		{"MissingRequiredSection", func(a map[string]any) { delete(a, "dem") }, "dem", "", "required"},
		{"MissingRequiredSubject", func(a map[string]any) { delete(a["mut"].(map[string]any), "D02") }, "mut", "D02", "required"},
		{"MissingDimension", func(a map[string]any) { delete(a["cad"].(map[string]any)["P02"].(map[string]any), "廉") }, "cad", "P02", "required"},
		{"UnknownOption", func(a map[string]any) { a["dem"] = map[string]any{"T01": "特好"} }, "dem", "T01", "unknown_option"},
		{"UnknownSubject", func(a map[string]any) { a["mut"].(map[string]any)["D99"] = 80 }, "mut", "D99", "unknown_subject"},
		{"HostRatesItself", func(a map[string]any) { a["mut"].(map[string]any)["T01"] = 80 }, "mut", "T01", "unknown_subject"},
		{"UnknownSection", func(a map[string]any) { a["xyz"] = map[string]any{} }, "xyz", "", "unknown_section"},
		{"ScoreTooHigh", func(a map[string]any) { a["mut"].(map[string]any)["D01"] = 101 }, "mut", "D01", "out_of_range"},
		{"ScoreNegative", func(a map[string]any) { a["mut"].(map[string]any)["D02"] = -1 }, "mut", "D02", "out_of_range"},
		{"ScoreNotWhole", func(a map[string]any) { a["mut"].(map[string]any)["D02"] = 88.5 }, "mut", "D02", "step"},
		{"ScoreAsText", func(a map[string]any) { a["mut"].(map[string]any)["D02"] = "88" }, "mut", "D02", "type"},
		{"TooManyExcellent", func(a map[string]any) {
			a["cad"].(map[string]any)["P02"].(map[string]any)["德"] = "优秀"
		}, "cad", "", "limit"},
		{"TooManyRecommended", func(a map[string]any) { a["rec"] = []string{"P07", "P08"} }, "rec", "", "too_many"},
		{"UnknownCandidate", func(a map[string]any) { a["rec"] = []string{"P01"} }, "rec", "P01", "unknown_subject"},
		{"ChosenTwice", func(a map[string]any) { a["rec"] = []string{"P07", "P07"} }, "rec", "P07", "duplicate"},
		{"SectionNotAnObject", func(a map[string]any) { a["cad"] = []string{"P01"} }, "cad", "", "type"},
	} {
		t.Run("Invalid/"+c.name, func(t *testing.T) {
			token := tok[2+i]
			v := goodVote()
			v.edit = c.edit
			status, body := ts.cast(t, token, "fix-"+c.name, v.body())
			if status != 422 {
				t.Fatalf("status %d, want 422: %s", status, body)
			}
			if code := errorShape(t, body); code != "invalid_ballot" {
				t.Errorf("code %q, want invalid_ballot", code)
			}
			found := false
			for _, d := range errorDetails(t, body) {
				if d.Section == c.section && d.Subject == c.subject && d.Rule == c.rule && d.Message != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("details do not name section %q, subject %q, rule %q: %s", c.section, c.subject, c.rule, body)
			}
			// The rejected ballot spent nothing: the same slip, fixed, counts,
			// under the same key or (after a 422) a new one.
			key := "fix-" + c.name
			if i%2 == 1 {
				key = "another-key"
			}
			status, body = ts.cast(t, token, key, goodVote().body())
			if status != 201 {
				t.Fatalf("fixed ballot: %d %s", status, body)
			}
			if status, _ = ts.cast(t, token, key, goodVote().body()); status != 201 {
				t.Fatalf("resend of the fixed ballot: %d", status)
			}
		})
	}

	// Two counted plus sixteen fixed, none counted twice.
	tu := ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 18 })
	if tu.Issued != 20 || tu.Revoked != 2 || tu.Status != "open" || len(tu.Groups) != 2 ||
		tu.Groups[0].Code != "cadres" || tu.Groups[0].Cast != 18 || tu.Groups[0].Issued != 20 ||
		tu.Groups[1].Code != "village" || tu.Groups[1].Issued != 0 || tu.Groups[1].Cast != 0 {
		t.Errorf("turnout %+v", tu)
	}

	// After close.
	late := ts.issue(t, mURL, "village", 1)
	ts.closeMeeting(t, mURL)
	ts.run(t, []scenario{
		{name: "Closed/Get", method: "GET", url: "/api/v1/ballot", headers: slip(late.Tokens[0]), status: 403, code: "meeting_closed"},
		{name: "Closed/Post", method: "POST", url: "/api/v1/ballot", headers: slip(late.Tokens[0], "k"), body: good, status: 403, code: "meeting_closed"},
		{name: "Closed/ResendCounted", method: "POST", url: "/api/v1/ballot", headers: slip(tok[0], "key-1"), body: good, status: 201},
		{name: "Closed/Spent", method: "POST", url: "/api/v1/ballot", headers: slip(tok[1], "other"), body: good, status: 409, code: "token_used"},
	})
	var res struct {
		Ballots int64 `json:"ballots"`
	}
	ts.call(t, "GET", mURL+"/results", viewerUser, nil, 200, &res)
	if res.Ballots != 18 {
		t.Errorf("sealed %d ballots, want 18", res.Ballots)
	}
}

// groupedLower is a code as a person might type it: in groups, lower case.
func groupedLower(code string) string {
	var sb strings.Builder
	for i, r := range strings.ToLower(code) {
		if i > 0 && i%4 == 0 {
			sb.WriteByte(' ')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// typo changes one character of a code so that its check character fails.
func typo(code string) string {
	for _, c := range "0123456789ABCDEFGHJKMNPQRSTVWXYZ" {
		x := string(c) + code[1:]
		if x == code {
			continue
		}
		if _, err := ballots.ParseToken(x); ballots.ErrorCode(err) == ballots.EInvalidToken &&
			strings.Contains(ballots.ErrorMessage(err), "check") {
			return x
		}
	}
	panic("no typo found")
}

// TestConcurrentCasts sends one slip many times at once: under different
// keys exactly one ballot counts and the rest answer 409 token_used; under
// one key every answer is 201 and one ballot counts.
func TestConcurrentCasts(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 2)
	ts.open(t, mURL)
	const n = 12
	type answer struct {
		status int
		body   []byte
	}
	send := func(token string, key func(i int) string) []answer {
		out := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i].status, out[i].body = ts.cast(t, token, key(i), goodVote().body())
			}()
		}
		wg.Wait()
		return out
	}
	counted := 0
	for _, a := range send(b.Tokens[0], func(i int) string { return fmt.Sprintf("key-%d", i) }) {
		switch a.status {
		case 201:
			counted++
		case 409:
			if code := errorShape(t, a.body); code != "token_used" {
				t.Errorf("409 with code %q", code)
			}
		default:
			t.Errorf("concurrent cast: %d %s", a.status, a.body)
		}
	}
	if counted != 1 {
		t.Errorf("%d casts of one slip under different keys were acknowledged, want 1", counted)
	}
	for _, a := range send(b.Tokens[1], func(int) string { return "same-key" }) {
		if a.status != 201 {
			t.Errorf("resend under the same key: %d %s", a.status, a.body)
		}
	}
	ts.waitTurnout(t, mURL, func(tu turnoutJSON) bool { return tu.Cast == 2 })
	ts.closeMeeting(t, mURL)
	var res resultJSON
	ts.call(t, "GET", mURL+"/results", adminUser, nil, 200, &res)
	if res.Ballots != 2 {
		t.Errorf("sealed %d ballots, want 2", res.Ballots)
	}
}
