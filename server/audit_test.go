package server

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

type auditOut struct {
	Entries []ballots.AuditEntry `json:"entries"`
	Next    int64                `json:"next"`
}

func (ts *testServer) auditLog(t *testing.T, query string) auditOut {
	t.Helper()
	var out auditOut
	ts.call(t, "GET", "/api/v1/audit"+query, adminUser, nil, 200, &out)
	return out
}

func TestAuditLog(t *testing.T) {
	ts := newTestServer(t)
	// Sign-ins through the API and through the console's form.
	ts.login(t, adminUser, password)
	form := url.Values{"username": {groupUser}, "password": {password}, "next": {"/console"}}
	if status, _ := ts.do(t, req{method: "POST", url: "/console/login", body: form.Encode(),
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}); status != 303 {
		t.Fatalf("console sign-in: %d", status)
	}
	// A failed sign-in is not an action.
	if _, err := ts.tryLogin(adminUser, "wrong password"); err == nil {
		t.Fatal("a wrong password signed in")
	}

	ts.seedYear(t)
	ts.call(t, "PUT", "/api/v1/cycles/2020/rules", adminUser, map[string]any{"trim": 1}, 200, nil)
	ts.call(t, "PUT", "/api/v1/cycles/2020/targets", adminUser, []any{}, 200, nil)
	b := ts.issue(t, mURL, "cadres", 5)
	spare := ts.issue(t, mURL, "village", 2)
	ts.call(t, "POST", "/api/v1/batches/"+spare.Batch+"/revoke", groupUser, nil, 200, nil)
	ts.open(t, mURL)
	var p paperJSONOut
	ts.call(t, "POST", mURL+"/paper", groupUser, paperBody(b.Tokens[0], goodVote()), 201, &p)
	ts.call(t, "POST", mURL+"/paper/"+p.ID+"/confirm", adminUser, map[string]string{"code": b.Tokens[0]}, 201, nil)
	ts.call(t, "POST", mURL+"/paper", groupUser, paperBody(b.Tokens[1], goodVote()), 201, &p)
	ts.call(t, "DELETE", mURL+"/paper/"+p.ID, groupUser, nil, 204, nil)
	ts.call(t, "POST", mURL+"/paper", groupUser, paperBody(b.Tokens[2], goodVote()), 201, &p)
	ts.mustCast(t, b.Tokens[2], goodVote())
	ts.call(t, "POST", mURL+"/paper/"+p.ID+"/confirm", adminUser, map[string]string{"code": b.Tokens[2]}, 409, nil)
	ts.mustCast(t, b.Tokens[3], goodVote())
	ts.call(t, "POST", mURL+"/screen-link", groupUser, map[string]any{"hours": 3}, 201, nil)
	ts.closeMeeting(t, mURL)
	ts.call(t, "POST", "/api/v1/users", adminUser, map[string]string{"name": "li", "role": "group", "password": "a long password"}, 201, nil)
	ts.call(t, "DELETE", "/api/v1/users/li", adminUser, nil, 204, nil)

	log := ts.auditLog(t, "?limit=500")
	want := []struct{ actor, action, target, detail string }{
		{adminUser, "login", adminUser, "通过接口"},
		{groupUser, "login", groupUser, "通过控制台"},
		{adminUser, "rules.put", "2020", ""},
		{adminUser, "targets.put", "2020", "0 个单位的目标任务"},
		// Batches are named as the run page and the slips name them.
		{adminUser, "batch.issue", "2020/M1", "第 1 批：类别 机关干部，5 张"},
		{adminUser, "batch.issue", "2020/M1", "第 2 批：类别 村两委及集镇单位负责人，2 张"},
		{groupUser, "batch.revoke", "2020/M1", "第 2 批：类别 村两委及集镇单位负责人，作废未用选票 2 张"},
		{adminUser, "meeting.open", "2020/M1", ""},
		{groupUser, "paper.key", "2020/M1", "纸质选票（机关干部）"},
		{adminUser, "paper.confirm", "2020/M1", "纸质选票（机关干部）"},
		{groupUser, "paper.discard", "2020/M1", "纸质选票（机关干部）"},
		{adminUser, "paper.void", "2020/M1", "这张选票已经投过"},
		{groupUser, "screen.link", "2020/M1", "有效 3 小时，不显示结果"},
		{adminUser, "meeting.close", "2020/M1", "共 3 张选票，封存摘要 sha256:"},
		{adminUser, "user.create", "li", "角色：考核组"},
		{adminUser, "user.delete", "li", ""},
	}
	// Oldest first for matching; the API answers newest first.
	entries := make([]ballots.AuditEntry, len(log.Entries))
	for i, e := range log.Entries {
		entries[len(entries)-1-i] = e
	}
	at := 0
	for _, w := range want {
		found := false
		for ; at < len(entries); at++ {
			e := entries[at]
			if e.Actor == w.actor && e.Action == w.action && e.Target == w.target && strings.Contains(e.Detail, w.detail) {
				if e.At.IsZero() || e.ID == 0 {
					t.Errorf("entry without time or id: %+v", e)
				}
				found = true
				at++
				break
			}
		}
		if !found {
			t.Fatalf("no entry %+v in order in the audit log:\n%+v", w, entries)
		}
	}

	// No slip code, answer, password or address in it.
	body := string(ts.call(t, "GET", "/api/v1/audit?limit=500", adminUser, nil, 200, nil))
	for _, tok := range append(append([]string{}, b.Tokens...), spare.Tokens...) {
		if strings.Contains(body, tok) {
			t.Fatalf("a slip code is in the audit log")
		}
	}
	for _, w := range []string{password, "a long password", "好", "优秀", "127.0.0.1", "0.0.0.0"} {
		if strings.Contains(body, w) {
			t.Fatalf("the audit log holds %q: %s", w, body)
		}
	}

	// Paging: newest first, before= the last id of a page.
	page := ts.auditLog(t, "?limit=2")
	if len(page.Entries) != 2 || page.Next != page.Entries[1].ID || page.Entries[0].Action != "user.delete" {
		t.Fatalf("first page %+v", page)
	}
	older := ts.auditLog(t, "?limit=2&before="+strconv.FormatInt(page.Next, 10))
	if len(older.Entries) != 2 || older.Entries[0].ID >= page.Next {
		t.Fatalf("second page %+v", older)
	}

	ts.run(t, []scenario{
		{name: "Group", method: "GET", url: "/api/v1/audit", as: groupUser, status: 403, code: "forbidden"},
		{name: "Viewer", method: "GET", url: "/api/v1/audit", as: viewerUser, status: 403, code: "forbidden"},
		{name: "Anonymous", method: "GET", url: "/api/v1/audit", status: 401, code: "unauthorized"},
		{name: "BadLimit", method: "GET", url: "/api/v1/audit?limit=0", as: adminUser, status: 400, code: "invalid"},
		{name: "BadBefore", method: "GET", url: "/api/v1/audit?before=x", as: adminUser, status: 400, code: "invalid"},
	})

	// No way to edit or delete: no such routes, and the log is unchanged.
	first := log.Entries[len(log.Entries)-1].ID
	for _, r := range []req{
		{method: "DELETE", url: "/api/v1/audit", as: adminUser},
		{method: "DELETE", url: "/api/v1/audit/" + strconv.FormatInt(first, 10), as: adminUser},
		{method: "PUT", url: "/api/v1/audit/" + strconv.FormatInt(first, 10), as: adminUser, body: `{"actor":"nobody"}`},
		{method: "PATCH", url: "/api/v1/audit/" + strconv.FormatInt(first, 10), as: adminUser, body: `{"actor":"nobody"}`},
		{method: "POST", url: "/api/v1/audit", as: adminUser, body: `{"actor":"nobody","action":"login"}`},
	} {
		if status, body := ts.do(t, r); status != 404 && status != 405 {
			t.Errorf("%s %s: %d %s", r.method, r.url, status, trim(body))
		}
	}
	after := ts.auditLog(t, "?limit=500")
	if len(after.Entries) != len(log.Entries) || after.Entries[len(after.Entries)-1] != log.Entries[len(log.Entries)-1] {
		t.Fatalf("the log changed: %d entries, was %d", len(after.Entries), len(log.Entries))
	}

	// The console page is admins' only.
	if status, body := ts.do(t, req{method: "GET", url: "/console/audit", as: adminUser}); status != 200 || !strings.Contains(string(body), "/audit.js") {
		t.Fatalf("audit page: %d %s", status, trim(body))
	}
	if status, _ := ts.do(t, req{method: "GET", url: "/console/audit", as: groupUser}); status != 403 {
		t.Fatalf("audit page as a group user: %d", status)
	}
}
