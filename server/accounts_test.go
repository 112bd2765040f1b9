package server

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestLogin(t *testing.T) {
	ts := newTestServer(t)
	ts.run(t, []scenario{
		{name: "OK", method: "POST", url: "/api/v1/login", body: `{"username":"admin","password":"` + password + `"}`,
			status: 200, contains: []string{`"token":"`, `"expires_at":"`},
			after: func(t *testing.T, body []byte) {
				var out struct {
					Token     string `json:"token"`
					ExpiresAt string `json:"expires_at"`
				}
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				exp, err := time.Parse(time.RFC3339, out.ExpiresAt)
				if err != nil {
					t.Fatalf("expires_at %q is not RFC3339: %v", out.ExpiresAt, err)
				}
				if d := time.Until(exp); d < time.Hour || d > 13*time.Hour {
					t.Errorf("expires_at %s is %s away, want about 12h", out.ExpiresAt, d)
				}
				// The token works.
				status, _ := ts.do(t, req{method: "GET", url: "/api/v1/cycles", headers: map[string]string{"Authorization": "Bearer " + out.Token}})
				if status != 200 {
					t.Errorf("GET /cycles with the new token: %d", status)
				}
			}},
		{name: "WrongPassword", method: "POST", url: "/api/v1/login", body: `{"username":"admin","password":"wrong password"}`,
			status: 401, code: "unauthorized", absent: []string{"token\":"}},
		{name: "UnknownUser", method: "POST", url: "/api/v1/login", body: `{"username":"nobody","password":"` + password + `"}`,
			status: 401, code: "unauthorized"},
		{name: "EmptyCredentials", method: "POST", url: "/api/v1/login", body: `{"username":"","password":""}`,
			status: 401, code: "unauthorized"},
		// A NUL character cannot be stored in PostgreSQL text: the lookup must
		// still answer 401 (or 400), never 500.
		{name: "NULInName", method: "POST", url: "/api/v1/login", body: `{"username":"ad\u0000min","password":"` + password + `"}`,
			status: 401, code: "unauthorized"},
		{name: "MalformedJSON", method: "POST", url: "/api/v1/login", body: `{"username":"admin",`, status: 400, code: "invalid"},
		{name: "WrongType", method: "POST", url: "/api/v1/login", body: `{"username":["admin"],"password":"x"}`, status: 400, code: "invalid"},
		{name: "UnknownField", method: "POST", url: "/api/v1/login", body: `{"user":"admin","password":"x"}`, status: 400, code: "invalid"},
		{name: "EmptyBody", method: "POST", url: "/api/v1/login", status: 400, code: "invalid"},
		{name: "NotAnObject", method: "POST", url: "/api/v1/login", body: `"admin"`, status: 400, code: "invalid"},
		{name: "TrailingData", method: "POST", url: "/api/v1/login", body: `{"username":"admin","password":"x"} {}`, status: 400, code: "invalid"},
	})
}

// organizerEndpoints are every endpoint that needs an organizer, with a
// body that would be valid.
func organizerEndpoints(batchID string) []scenario {
	m := mURL
	return []scenario{
		{method: "GET", url: "/api/v1/cycles"},
		{method: "POST", url: "/api/v1/cycles", body: `{"code":"2021","name":"2021年度目标责任考核"}`},
		{method: "GET", url: "/api/v1/cycles/2020/units"},
		{method: "PUT", url: "/api/v1/cycles/2020/units", body: `[{"code":"T01","name":"城关镇","kind":"town","staff":80}]`},
		{method: "GET", url: "/api/v1/cycles/2020/people"},
		{method: "PUT", url: "/api/v1/cycles/2020/people", body: `[]`},
		{method: "GET", url: "/api/v1/cycles/2020/forms"},
		{method: "GET", url: "/api/v1/cycles/2020/forms/F-town"},
		{method: "PUT", url: "/api/v1/cycles/2020/forms/F-town", body: mustJSON(seedForm(formID))},
		{method: "GET", url: "/api/v1/cycles/2020/meetings"},
		{method: "GET", url: m},
		{method: "PUT", url: m, body: mustJSON(seedMeeting())},
		{method: "POST", url: m + "/batches", body: `{"group":"cadres","count":1}`},
		{method: "POST", url: "/api/v1/batches/" + batchID + "/revoke"},
		{method: "POST", url: m + "/open"},
		{method: "POST", url: m + "/close"},
		{method: "GET", url: m + "/turnout"},
		{method: "GET", url: m + "/events"},
		{method: "GET", url: m + "/results"},
		{method: "GET", url: m + "/ballots"},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// signed returns a JWT for claims signed with method and key.
func signed(t *testing.T, method jwt.SigningMethod, key any, cl jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, cl).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrganizerAuth(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 2)
	before := ts.snapshot(t)
	secret := ts.srv.cfg.Secret
	now := time.Now()
	admin := func(exp time.Time, iss string) claims {
		return claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{Subject: "admin", Issuer: iss,
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now.Add(-13 * time.Hour))}}
	}
	// A viewer's token with its payload rewritten to role admin.
	parts := strings.Split(ts.jwts[viewerUser], ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"viewer"`, `"admin"`, -1)))
	tampered := strings.Join(parts, ".")

	bad := map[string]map[string]string{
		"NoToken":       {},
		"Garbage":       {"Authorization": "Bearer not.a.jwt"},
		"EmptyBearer":   {"Authorization": "Bearer "},
		"BasicScheme":   {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="},
		"SlipScheme":    {"Authorization": "Ballot 00000000000000000000000000"},
		"Expired":       {"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS256, secret, admin(now.Add(-time.Hour), "ceping"))},
		"WrongKey":      {"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two b!!"), admin(now.Add(time.Hour), "ceping"))},
		"WrongIssuer":   {"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS256, secret, admin(now.Add(time.Hour), "evil"))},
		"HS512":         {"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS512, secret, admin(now.Add(time.Hour), "ceping"))},
		"AlgNone":       {"Authorization": "Bearer " + signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, admin(now.Add(time.Hour), "ceping"))},
		"NoExpiry":      {"Authorization": "Bearer " + signed(t, jwt.SigningMethodHS256, secret, claims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{Subject: "admin", Issuer: "ceping"}})},
		"TamperedRole":  {"Authorization": "Bearer " + tampered},
		"BadCookie":     {"Cookie": sessionCookie + "=not.a.jwt"},
		"ExpiredCookie": {"Cookie": sessionCookie + "=" + signed(t, jwt.SigningMethodHS256, secret, admin(now.Add(-time.Minute), "ceping"))},
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			var scs []scenario
			for _, e := range organizerEndpoints(b.Batch) {
				e.name = e.method + " " + e.url
				e.headers = h
				e.status = 401
				e.code = "unauthorized"
				scs = append(scs, e)
			}
			ts.run(t, scs)
		})
	}
	if after := ts.snapshot(t); after != before {
		t.Errorf("requests without valid credentials changed the data:\nbefore %s\nafter  %s", before, after)
	}
}

func TestRoles(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	m2 := ts.putMeeting(t, "M2", nil, "cadres", "village") // zhang does not run M2
	b1 := ts.issue(t, mURL, "cadres", 2)
	b2 := ts.issue(t, m2, "cadres", 2)
	m := mURL

	var scs []scenario
	// Setting up the year is for admins only.
	for _, e := range organizerEndpoints(b1.Batch) {
		if e.method == "GET" || strings.Contains(e.url, "/batches") || strings.HasSuffix(e.url, "/open") || strings.HasSuffix(e.url, "/close") {
			continue
		}
		for _, who := range []string{viewerUser, groupUser} {
			e := e
			e.name = who + " " + e.method + " " + e.url
			e.as, e.status, e.code = who, 403, "forbidden"
			scs = append(scs, e)
		}
	}
	ts.run(t, scs)
	ts.run(t, []scenario{
		// Viewers read every meeting but run none.
		{name: "ViewerReadsMeeting", method: "GET", url: m, as: viewerUser, status: 200, contains: []string{`"code":"M1"`}},
		{name: "ViewerReadsTurnout", method: "GET", url: m + "/turnout", as: viewerUser, status: 200, contains: []string{`"issued":2`}},
		{name: "ViewerReadsUnits", method: "GET", url: "/api/v1/cycles/2020/units", as: viewerUser, status: 200, contains: []string{"城关镇"}},
		{name: "ViewerBatch", method: "POST", url: m + "/batches", as: viewerUser, body: `{"group":"cadres","count":1}`, status: 403, code: "forbidden"},
		{name: "ViewerRevoke", method: "POST", url: "/api/v1/batches/" + b1.Batch + "/revoke", as: viewerUser, status: 403, code: "forbidden"},
		{name: "ViewerOpen", method: "POST", url: m + "/open", as: viewerUser, status: 403, code: "forbidden"},

		// A group user runs the meetings whose staff names them, and no other.
		{name: "OtherGroupUserMeeting", method: "GET", url: m, as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserBatch", method: "POST", url: m + "/batches", as: otherGroup, body: `{"group":"cadres","count":1}`, status: 403, code: "forbidden"},
		{name: "OtherGroupUserRevoke", method: "POST", url: "/api/v1/batches/" + b1.Batch + "/revoke", as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserOpen", method: "POST", url: m + "/open", as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserTurnout", method: "GET", url: m + "/turnout", as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserEvents", method: "GET", url: m + "/events", as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserResults", method: "GET", url: m + "/results", as: otherGroup, status: 403, code: "forbidden"},
		{name: "OtherGroupUserBallots", method: "GET", url: m + "/ballots", as: otherGroup, status: 403, code: "forbidden"},
		{name: "StaffOnOtherMeetingBatch", method: "POST", url: m2 + "/batches", as: groupUser, body: `{"group":"cadres","count":1}`, status: 403, code: "forbidden"},
		{name: "StaffOnOtherMeetingRevoke", method: "POST", url: "/api/v1/batches/" + b2.Batch + "/revoke", as: groupUser, status: 403, code: "forbidden"},
		{name: "StaffOnOtherMeetingOpen", method: "POST", url: m2 + "/open", as: groupUser, status: 403, code: "forbidden"},
		{name: "StaffOnOtherMeetingTurnout", method: "GET", url: m2 + "/turnout", as: groupUser, status: 403, code: "forbidden"},
		{name: "StaffOnOtherMeetingClose", method: "POST", url: m2 + "/close", as: groupUser, status: 403, code: "forbidden"},
		{name: "StaffListsOnlyOwnMeetings", method: "GET", url: "/api/v1/cycles/2020/meetings", as: groupUser, status: 200,
			contains: []string{`"code":"M1"`}, absent: []string{`"code":"M2"`}},

		{name: "StaffReadsMeeting", method: "GET", url: m, as: groupUser, status: 200, contains: []string{`"status":"pending"`}},
		{name: "StaffBatch", method: "POST", url: m + "/batches", as: groupUser, body: `{"group":"village","count":3}`, status: 201,
			contains: []string{`"group":"village"`, `"count":3`}},
		{name: "StaffRevoke", method: "POST", url: "/api/v1/batches/" + b1.Batch + "/revoke", as: groupUser, status: 200, contains: []string{`"revoked":2`}},
		{name: "StaffOpen", method: "POST", url: m + "/open", as: groupUser, status: 200, contains: []string{`"status":"open"`}},
		{name: "StaffTurnout", method: "GET", url: m + "/turnout", as: groupUser, status: 200,
			contains: []string{`"status":"open"`, `"issued":3`, `"revoked":2`}},
		{name: "StaffResultsWhileOpen", method: "GET", url: m + "/results", as: groupUser, status: 409, code: "meeting_open"},
		{name: "StaffClose", method: "POST", url: m + "/close", as: groupUser, status: 200, contains: []string{`"status":"closed"`}},
		{name: "StaffResults", method: "GET", url: m + "/results", as: groupUser, status: 200, contains: []string{`"ballots":0`}},
		{name: "ViewerResults", method: "GET", url: m + "/results", as: viewerUser, status: 200, contains: []string{`"meeting":"M1"`}},
	})
}
