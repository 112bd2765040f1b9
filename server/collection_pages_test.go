package server

import (
	"strings"
	"testing"
)

// TestCollectionBoardRoles: the board page and the history with every
// role; a viewer reads everything the board shows and changes nothing.
func TestCollectionBoardRoles(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	const page = "/console/cycles/2020/collection"
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":7.9}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-02/entry", tjjUser, `{"actual":0.6}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/D01-01/entry", tjjUser, `{"actual":11}`, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y+"/indicators/T01-02/approve", adminUser, nil, 200, nil)
	ts.run(t, []scenario{
		{name: "admin opens the board with its controls", method: "GET", url: page, as: adminUser, status: 200,
			contains: []string{"数据采集", "/collection.js", `id="approve-body"`, `id="deadline-form"`, `data-admin="1"`}},
		{name: "a viewer opens the board without controls", method: "GET", url: page, as: viewerUser, status: 200,
			contains: []string{"数据采集", "/collection.js"}, absent: []string{`id="approve-body"`, `id="deadline-form"`, `data-admin="1"`}},
		{name: "a group user may not open the board", method: "GET", url: page, as: groupUser, status: 403},
		{name: "an assessor may not open the board", method: "GET", url: page, as: tjjUser, status: 403},
		{name: "a unit account may not open the board", method: "GET", url: page, as: unitUser, status: 403},
		{name: "anonymous goes to sign in", method: "GET", url: page, status: 303},

		{name: "admin reads an entry's history", method: "GET", url: y + "/indicators/T01-01/history", as: adminUser, status: 200, contains: []string{`"action":"entry.put"`, `"action":"entry.submit"`}},
		{name: "a viewer reads an entry's history", method: "GET", url: y + "/indicators/T01-01/history", as: viewerUser, status: 200, contains: []string{`"action":"entry.put"`}},
		{name: "a group user reads no history", method: "GET", url: y + "/indicators/T01-01/history", as: groupUser, status: 403, code: "forbidden"},
		{name: "an assessor reads no history", method: "GET", url: y + "/indicators/T01-01/history", as: tjjUser, status: 403, code: "forbidden"},
		{name: "a unit account reads no history", method: "GET", url: y + "/indicators/T01-01/history", as: unitUser, status: 403, code: "forbidden"},
		{name: "anonymous reads no history", method: "GET", url: y + "/indicators/T01-01/history", status: 401},
		{name: "an unknown indicator's history", method: "GET", url: y + "/indicators/NOPE/history", as: adminUser, status: 404, code: "not_found"},
		{name: "an unknown year's history", method: "GET", url: "/api/v1/cycles/1999/indicators/T01-01/history", as: adminUser, status: 404},

		{name: "a viewer reads the board", method: "GET", url: y + "/collection", as: viewerUser, status: 200, contains: []string{`"code":"TJJ"`, `"approved":1`}},
		{name: "a viewer reads a body's entries", method: "GET", url: y + "/entries?body=TJJ", as: viewerUser, status: 200, contains: []string{`"T01-01"`, `"status":"submitted"`}, absent: []string{`"T01-05"`}},
		{name: "a viewer cannot approve one", method: "POST", url: y + "/indicators/T01-01/approve", as: viewerUser, status: 403},
		{name: "a viewer cannot approve a body", method: "POST", url: y + "/bodies/TJJ/approve", as: viewerUser, status: 403},
		{name: "a viewer cannot return", method: "POST", url: y + "/indicators/T01-01/return", as: viewerUser, body: `{"comment":"x"}`, status: 403},
		{name: "a viewer cannot reopen", method: "POST", url: y + "/indicators/T01-02/reopen", as: viewerUser, body: `{"comment":"x"}`, status: 403},
		{name: "a viewer cannot set the deadline", method: "PUT", url: y + "/collection", as: viewerUser, body: `{"deadline":"2021-01-10"}`, status: 403},
		{name: "nothing changed by the viewer", method: "GET", url: y + "/collection", as: adminUser, status: 200, contains: []string{`"deadline":""`, `"approved":1`, `"submitted":3`}},
	})
}

type historyOut struct {
	Indicator string `json:"indicator"`
	History   []struct {
		Actor, Action, Detail string
		DetailEN              string `json:"detail_en"`
	} `json:"history"`
}

func historyOf(t *testing.T, ts *testServer, code string) []string {
	t.Helper()
	var h historyOut
	ts.call(t, "GET", "/api/v1/cycles/2020/indicators/"+code+"/history", adminUser, nil, 200, &h)
	out := make([]string, len(h.History))
	for i, e := range h.History {
		out[i] = e.Actor + " " + e.Action + " " + e.Detail
		if e.DetailEN == "" {
			t.Errorf("%s: no English for %q", code, e.Detail)
		}
	}
	return out
}

// TestEntryHistory: an entry's history is its own changes and its body's
// submits and approvals that name it, newest first — not its neighbours'.
func TestEntryHistory(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	if got := historyOf(t, ts, "T01-01"); len(got) != 0 {
		t.Errorf("history before anything was entered: %q", got)
	}
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":7.9}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-02/entry", tjjUser, `{"actual":0.625}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/D01-01/entry", tjjUser, `{"actual":11.4}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-05/entry", ajjUser, `{"score":88}`, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y+"/bodies/AJJ/submit", ajjUser, nil, 200, nil)
	ts.call(t, "POST", y+"/indicators/T01-01/return", adminUser, `{"comment":"请按统计年鉴终审数填写"}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":8.1}`, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/approve", adminUser, nil, 200, nil)
	ts.call(t, "POST", y+"/indicators/D01-01/reopen", adminUser, `{"comment":"财政局提供了更正数"}`, 200, nil)
	ts.call(t, "POST", y+"/indicators/T01-05/approve", adminUser, nil, 200, nil)

	for code, want := range map[string][]string{
		"T01-01": {
			"admin entry.approve 审核通过 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.submit 报送 1 项指标：T01-01",
			"tjj entry.put 地区生产总值增速：7.9 → 8.1",
			"admin entry.return 地区生产总值增速，退回意见：请按统计年鉴终审数填写",
			"tjj entry.submit 报送 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.put 地区生产总值增速：空 → 7.9",
		},
		"T01-02": { // not T01-01's resubmission
			"admin entry.approve 审核通过 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.submit 报送 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.put 万元GDP能耗：空 → 0.625",
		},
		"D01-01": {
			"admin entry.reopen 财政收入，重新打开：财政局提供了更正数",
			"admin entry.approve 审核通过 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.submit 报送 3 项指标：T01-01、T01-02、D01-01",
			"tjj entry.put 财政收入：空 → 11.4",
		},
		"T01-05": {
			"admin entry.approve 安全生产：88 分",
			"ajj entry.submit 报送 1 项指标：T01-05",
			"ajj entry.put 安全生产：空 → 88 分",
		},
		"T01-03": {},
	} {
		if got := historyOf(t, ts, code); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("history of %s:\n%s\nwant\n%s", code, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestCollectionAuditPage: the audit page names an entry's indicator and
// unit, a body's submit by the body, the deadline by the year, and reads
// every collection detail in English.
func TestCollectionAuditPage(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":7.9,"major_loss":true,"reason":"统计造假被通报"}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-02/entry", tjjUser, `{"actual":0.625}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/D01-01/entry", tjjUser, `{"actual":11.4,"note":"快报数"}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/D01-01/entry", tjjUser, `{"actual":11.4,"note":"年报数"}`, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y+"/indicators/T01-02/return", adminUser, `{"comment":"核对"}`, 200, nil)
	ts.call(t, "POST", y+"/indicators/T01-01/approve", adminUser, nil, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/approve", adminUser, nil, 200, nil)
	ts.call(t, "POST", y+"/indicators/D01-01/reopen", adminUser, `{"comment":"更正"}`, 200, nil)
	ts.call(t, "PUT", y+"/collection", adminUser, `{"deadline":"2021-01-10"}`, 200, nil)
	ts.call(t, "PUT", y+"/collection", adminUser, `{"deadline":""}`, 200, nil)

	var log struct {
		Entries []struct {
			Action, Target, Detail string
			TargetName             string `json:"target_name"`
			DetailEN               string `json:"detail_en"`
		}
	}
	ts.call(t, "GET", "/api/v1/audit?limit=500&action=bodies.put,indicators.put,entry.put,entry.submit,entry.approve,entry.return,entry.reopen,collection.deadline", adminUser, nil, 200, &log)
	names := map[string]string{}
	for _, e := range log.Entries {
		if e.DetailEN == "" {
			t.Errorf("%s %s: no English for %q", e.Action, e.Target, e.Detail)
		}
		names[e.Action+" "+e.Target] = e.TargetName
	}
	for key, want := range map[string]string{
		"entry.put 2020/T01-01":     "地区生产总值增速（城关镇）",
		"entry.put 2020/D01-01":     "财政收入（县财政局）",
		"entry.return 2020/T01-02":  "万元GDP能耗（城关镇）",
		"entry.approve 2020/T01-01": "地区生产总值增速（城关镇）",
		"entry.approve 2020/TJJ":    "县统计局",
		"entry.submit 2020/TJJ":     "县统计局",
		"entry.reopen 2020/D01-01":  "财政收入（县财政局）",
		"collection.deadline 2020":  "2020年度目标责任考核",
		"indicators.put 2020":       "2020年度目标责任考核",
		"bodies.put 2020":           "2020年度目标责任考核",
	} {
		if got, ok := names[key]; !ok || got != want {
			t.Errorf("%s: target name %q (listed %v), want %q", key, got, ok, want)
		}
	}
}
