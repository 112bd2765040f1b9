package server

import (
	"strings"
	"testing"
)

// TestJSONContentType: JSON endpoints read a body only when it is sent as
// JSON; anything else is 415 unsupported_media in the error shape and
// changes nothing. An empty body needs no type; multipart imports and the
// console's form posts are not JSON endpoints (see their own tests).
func TestJSONContentType(t *testing.T) {
	ts := newTestServer(t)
	ts.seedYear(t)
	b := ts.issue(t, mURL, "cadres", 2)
	ts.open(t, mURL)
	before := ts.snapshot(t)
	cycle := `{"code":"2031","name":"2031年度"}`
	ct := func(v string) map[string]string { return map[string]string{"Content-Type": v} }
	refused := []scenario{
		{name: "TextPlain", method: "POST", url: "/api/v1/cycles", as: adminUser, body: cycle, headers: ct("text/plain"), status: 415, code: "unsupported_media"},
		{name: "Form", method: "POST", url: "/api/v1/cycles", as: adminUser, body: cycle, headers: ct("application/x-www-form-urlencoded"), status: 415, code: "unsupported_media"},
		{name: "Multipart", method: "POST", url: "/api/v1/cycles", as: adminUser, headers: ct("multipart/form-data; boundary=x"), status: 415, code: "unsupported_media",
			body: "--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n2031\r\n--x--\r\n"},
		{name: "None", method: "POST", url: "/api/v1/cycles", as: adminUser, body: cycle, headers: ct(""), status: 415, code: "unsupported_media"},
		{name: "Garbled", method: "POST", url: "/api/v1/cycles", as: adminUser, body: cycle, headers: ct("json"), status: 415, code: "unsupported_media"},
		{name: "Login", method: "POST", url: "/api/v1/login", body: `{"username":"admin","password":"x"}`, headers: ct("text/plain;charset=UTF-8"), status: 415, code: "unsupported_media"},
		{name: "Units", method: "PUT", url: "/api/v1/cycles/2020/units", as: adminUser, body: `[]`, headers: ct("text/csv"), status: 415, code: "unsupported_media"},
		{name: "Rules", method: "PUT", url: "/api/v1/cycles/2020/rules", as: adminUser, body: `{}`, headers: ct("text/plain"), status: 415, code: "unsupported_media"},
		{name: "User", method: "PATCH", url: "/api/v1/users/" + groupUser, as: adminUser, body: `{"display_name":"张"}`, headers: ct("text/plain"), status: 415, code: "unsupported_media"},
		{name: "Ballot", method: "POST", url: "/api/v1/ballot", body: goodVote().body(), status: 415, code: "unsupported_media",
			headers: map[string]string{"Content-Type": "text/plain", "Authorization": "Ballot " + b.Tokens[0], "Idempotency-Key": "k1"}},
	}
	for i := range refused {
		refused[i].contains = []string{"application/json"}
	}
	ts.run(t, refused)
	if after := ts.snapshot(t); after != before {
		t.Fatalf("a refused body changed stored data:\n%s", diffLines(before, after))
	}
	ts.run(t, []scenario{
		{name: "Charset", method: "POST", url: "/api/v1/cycles", as: adminUser, body: cycle, headers: ct("application/json; charset=utf-8"), status: 201},
		{name: "PlusJSON", method: "PATCH", url: "/api/v1/users/" + groupUser, as: adminUser, body: `{"display_name":"张"}`, headers: ct("application/merge-patch+json"), status: 200},
		{name: "UpperCase", method: "POST", url: "/api/v1/ballot", body: goodVote().body(), status: 201,
			headers: map[string]string{"Content-Type": "Application/JSON", "Authorization": "Ballot " + b.Tokens[0], "Idempotency-Key": "k1"}},
		// An empty body with no type is no body at all.
		{name: "EmptyClose", method: "POST", url: mURL + "/close", as: adminUser, headers: ct(""), status: 200},
	})
	// The refused ballot counted nothing: the slip counted once, above.
	if status, body := ts.cast(t, b.Tokens[0], "k2", goodVote().body()); status != 409 || !strings.Contains(string(body), "token_used") {
		t.Fatalf("the slip after its cast: %d %s", status, body)
	}
}
