package server

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

const adjURL = "/api/v1/cycles/2020/adjustments"

// adjust makes an adjustment as who and returns its id.
func (ts *testServer) adjust(t *testing.T, who string, body any, status string) int64 {
	t.Helper()
	var a ballots.Adjustment
	ts.call(t, "POST", adjURL, who, body, 201, &a)
	if a.ID == 0 || a.Status != status {
		t.Fatalf("POST adjustment %v as %s: %+v, want status %s", body, who, a, status)
	}
	return a.ID
}

func adjID(id int64) string { return fmt.Sprintf("%s/%d", adjURL, id) }

// TestAdjustmentRoles: every route with every role.
func TestAdjustmentRoles(t *testing.T) {
	ts := collectYear(t)
	applied := ts.adjust(t, unitUser, `{"category":"provincial_award","reason":"获省级文明乡镇称号"}`, "applied")
	const cats = "/api/v1/cycles/2020/adjustment-categories"
	ts.run(t, []scenario{
		{name: "anonymous reads nothing", method: "GET", url: adjURL, status: 401},
		{name: "a group user reads no adjustments", method: "GET", url: adjURL, as: groupUser, status: 403, code: "forbidden"},
		{name: "an assessor reads no adjustments", method: "GET", url: adjURL, as: tjjUser, status: 403},
		{name: "a viewer reads them all", method: "GET", url: adjURL, as: viewerUser, status: 200, contains: []string{"获省级文明乡镇称号"}},
		{name: "another unit does not see it", method: "GET", url: adjURL, as: unitT02, status: 200, absent: []string{"获省级文明乡镇称号", `"T01"`}},
		{name: "the unit sees its own", method: "GET", url: adjURL, as: unitUser, status: 200, contains: []string{"获省级文明乡镇称号", `"status":"applied"`}},
		{name: "a viewer cannot record", method: "POST", url: adjURL, as: viewerUser, body: `{"unit":"T01","category":"city_award","reason":"x"}`, status: 403},
		{name: "an assessor cannot record", method: "POST", url: adjURL, as: tjjUser, body: `{"unit":"T01","category":"city_award","reason":"x"}`, status: 403},
		{name: "a group user cannot record", method: "POST", url: adjURL, as: groupUser, body: `{"unit":"T01","category":"city_award","reason":"x"}`, status: 403},
		{name: "a unit cannot apply for another unit", method: "POST", url: adjURL, as: unitUser, body: `{"unit":"T02","category":"city_award","reason":"x"}`, status: 403, code: "forbidden"},
		{name: "a unit cannot apply for a penalty", method: "POST", url: adjURL, as: unitUser, body: `{"category":"criticized","reason":"x"}`, status: 422, code: "invalid_adjustment", contains: []string{"category"}},
		{name: "a unit cannot approve", method: "POST", url: adjID(applied) + "/approve", as: unitUser, status: 403},
		{name: "a viewer cannot approve", method: "POST", url: adjID(applied) + "/approve", as: viewerUser, status: 403},
		{name: "an assessor cannot reject", method: "POST", url: adjID(applied) + "/reject", as: tjjUser, body: `{"comment":"x"}`, status: 403},
		{name: "a unit cannot revoke", method: "POST", url: adjID(applied) + "/revoke", as: unitUser, body: `{"comment":"x"}`, status: 403},
		{name: "the office does not withdraw a unit's application", method: "POST", url: adjID(applied) + "/withdraw", as: adminUser, status: 403},
		{name: "another unit cannot withdraw it", method: "POST", url: adjID(applied) + "/withdraw", as: unitT02, status: 403},
		{name: "a viewer cannot withdraw", method: "POST", url: adjID(applied) + "/withdraw", as: viewerUser, status: 403},
		{name: "a unit reads the categories", method: "GET", url: cats, as: unitUser, status: 200, contains: []string{`"defaults":true`, "获国家级表彰", `"max":1`}},
		{name: "a group user reads no categories", method: "GET", url: cats, as: groupUser, status: 403},
		{name: "a viewer cannot put categories", method: "PUT", url: cats, as: viewerUser, body: `[]`, status: 403},
		{name: "a unit cannot put categories", method: "PUT", url: cats, as: unitUser, body: `[]`, status: 403},
	})
}

// TestAdjustmentWorkflow: every state transition, its errors and the audit
// log.
func TestAdjustmentWorkflow(t *testing.T) {
	ts := collectYear(t)
	const cats = "/api/v1/cycles/2020/adjustment-categories"
	// The table's URLs are written before it runs: the entries' ids are
	// the order they are made in a fresh year, and keep checks that.
	ids := map[string]int64{"award": 1, "task": 2, "national": 3, "penalty": 4, "city": 6, "pending": 7}
	keep := func(key string) func(*testing.T, []byte) {
		return func(t *testing.T, b []byte) {
			var a ballots.Adjustment
			if err := json.Unmarshal(b, &a); err != nil || a.ID != ids[key] {
				t.Fatalf("adjustment %s: want id %d in %s", key, ids[key], b)
			}
		}
	}
	id := func(key, action string) string { return adjID(ids[key]) + "/" + action }
	ts.run(t, []scenario{
		{name: "a unit applies with the category's default points", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"provincial_award","reason":"获省级文明乡镇称号"}`, status: 201, contains: []string{`"status":"applied"`, `"points":1,`, `"unit":"T01"`}, after: keep("award")},
		{name: "no points for a category without a default", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","reason":"承担全省试点"}`, status: 422, code: "invalid_adjustment", contains: []string{`"field":"points"`}},
		{name: "points beyond the category's max", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","points":1.5,"reason":"承担全省试点"}`, status: 422, code: "invalid_adjustment", contains: []string{`"field":"points"`, "最多加 1 分"}},
		{name: "a bonus cannot be negative", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","points":-0.5,"reason":"x"}`, status: 422, contains: []string{`"field":"points"`}},
		{name: "a reason is required", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","points":0.8,"reason":"  "}`, status: 400, code: "invalid", contains: []string{`"field":"reason"`}},
		{name: "an unknown category", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"nope","points":0.8,"reason":"x"}`, status: 422, contains: []string{`"field":"category"`}},
		{name: "unknown fields are refused", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","points":0.8,"reason":"x","status":"approved"}`, status: 400},
		{name: "a unit applies within the max", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"major_task","points":0.8,"reason":"承担全省试点"}`, status: 201, contains: []string{`"points":0.8`}, after: keep("task")},
		{name: "the office approves", method: "POST", url: id("award", "approve"), as: adminUser, status: 200, contains: []string{`"status":"approved"`, `"decided_by":"admin"`}},
		{name: "approve twice", method: "POST", url: id("award", "approve"), as: adminUser, status: 409, code: "conflict", contains: []string{"已通过"}},
		{name: "reject an approved one", method: "POST", url: id("award", "reject"), as: adminUser, body: `{"comment":"x"}`, status: 409},
		{name: "reject without a comment", method: "POST", url: id("task", "reject"), as: adminUser, status: 400, contains: []string{`"field":"comment"`}},
		{name: "reject with a blank comment", method: "POST", url: id("task", "reject"), as: adminUser, body: `{"comment":"  "}`, status: 400},
		{name: "the office rejects with a comment", method: "POST", url: id("task", "reject"), as: adminUser, body: `{"comment":"请附省里的任务分工文件"}`, status: 200,
			contains: []string{`"status":"rejected"`, "任务分工文件"}},
		{name: "a rejected one cannot be approved", method: "POST", url: id("task", "approve"), as: adminUser, status: 409},
		{name: "a rejected one cannot be withdrawn", method: "POST", url: id("task", "withdraw"), as: unitUser, status: 409},
		{name: "a unit applies again", method: "POST", url: adjURL, as: unitUser,
			body: `{"category":"national_award","reason":"获全国先进"}`, status: 201, after: keep("national")},
		{name: "the unit withdraws it", method: "POST", url: id("national", "withdraw"), as: unitUser, status: 200, contains: []string{`"status":"withdrawn"`}, absent: []string{`"decided_by"`}},
		{name: "withdraw twice", method: "POST", url: id("national", "withdraw"), as: unitUser, status: 409},
		{name: "a withdrawn one cannot be approved", method: "POST", url: id("national", "approve"), as: adminUser, status: 409},
		{name: "the office records a penalty", method: "POST", url: adjURL, as: adminUser,
			body: `{"unit":"T01","category":"criticized","reason":"被市政府通报批评"}`, status: 201, contains: []string{`"status":"recorded"`, `"points":-1`}, after: keep("penalty")},
		{name: "a penalty's points may be given signed", method: "POST", url: adjURL, as: adminUser,
			body: `{"unit":"T02","category":"safety_accident","points":-1.5,"reason":"较大道路交通事故"}`, status: 201, contains: []string{`"points":-1.5`}},
		{name: "a penalty beyond its max", method: "POST", url: adjURL, as: adminUser,
			body: `{"unit":"T02","category":"safety_accident","points":3,"reason":"x"}`, status: 422, contains: []string{`"field":"points"`}},
		{name: "the office must name the unit", method: "POST", url: adjURL, as: adminUser,
			body: `{"category":"city_award","reason":"x"}`, status: 400, contains: []string{`"field":"unit"`}},
		{name: "an unknown unit", method: "POST", url: adjURL, as: adminUser,
			body: `{"unit":"T99","category":"city_award","reason":"x"}`, status: 422, contains: []string{`"field":"unit"`}},
		{name: "the office records a bonus", method: "POST", url: adjURL, as: adminUser,
			body: `{"unit":"T02","category":"city_award","reason":"获市级表彰"}`, status: 201, after: keep("city")},
		{name: "revoke without a comment", method: "POST", url: id("city", "revoke"), as: adminUser, body: `{}`, status: 400},
		{name: "revoke a recorded one", method: "POST", url: id("city", "revoke"), as: adminUser, body: `{"comment":"表彰文件系误报"}`, status: 200, contains: []string{`"status":"revoked"`}},
		{name: "revoke twice", method: "POST", url: id("city", "revoke"), as: adminUser, body: `{"comment":"x"}`, status: 409},
		{name: "revoke an approved one", method: "POST", url: id("award", "revoke"), as: adminUser, body: `{"comment":"称号被撤销"}`, status: 200, contains: []string{`"status":"revoked"`}},
		{name: "a pending one cannot be revoked", method: "POST", url: adjURL, as: unitUser, body: `{"category":"city_award","reason":"获市级表彰"}`, status: 201, after: keep("pending")},
		{name: "revoke pending", method: "POST", url: id("pending", "revoke"), as: adminUser, body: `{"comment":"x"}`, status: 409},
		{name: "approve lowering the points", method: "POST", url: id("pending", "approve"), as: adminUser, body: `{"points":0.25,"comment":"与他单位共享"}`, status: 200, contains: []string{`"points":0.25`}},
		{name: "an unknown adjustment", method: "POST", url: adjURL + "/9999/approve", as: adminUser, status: 404},
		{name: "a malformed id", method: "POST", url: adjURL + "/abc/approve", as: adminUser, status: 404},
		{name: "an unknown year", method: "GET", url: "/api/v1/cycles/1999/adjustments", as: adminUser, status: 404},
		{name: "filter by status", method: "GET", url: adjURL + "?status=recorded", as: adminUser, status: 200,
			contains: []string{"被市政府通报批评", "较大道路交通事故"}, absent: []string{"获省级文明乡镇称号"}},
		{name: "the unit reads its own, without office names", method: "GET", url: adjURL, as: unitUser, status: 200,
			contains: []string{"被市政府通报批评", "任务分工文件"}, absent: []string{"较大道路交通事故", `"decided_by"`, `"created_by":"admin"`}},
		{name: "categories: dropping one in use", method: "PUT", url: cats, as: adminUser,
			body: `[{"code":"x","name":"其他","sign":"bonus","points":1}]`, status: 409, contains: []string{"criticized"}},
		{name: "categories: a bad one", method: "PUT", url: cats, as: adminUser,
			body: `[{"code":"x","name":"","sign":"plus","points":0}]`, status: 400, contains: []string{"[0].name", "[0].sign", "[0].points"}},
		{name: "categories: points above the max", method: "PUT", url: cats, as: adminUser,
			body: `[{"code":"x","name":"其他","sign":"bonus","points":2,"max":1}]`, status: 400, contains: []string{"[0].points"}},
	})
	// New categories: the old entries keep their points; new ones follow
	// the new category.
	newCats := ballots.DefaultAdjustmentCategories()
	newCats[0].Points = 2
	newCats = append(newCats, ballots.AdjustmentCategory{Code: "other", Name: "其他加分", Sign: ballots.AdjustBonus, Max: 0.3})
	ts.call(t, "PUT", cats, adminUser, newCats, 200, nil)
	var got categoriesJSON
	ts.call(t, "GET", cats, unitUser, nil, 200, &got)
	if got.Defaults || len(got.Categories) != 9 || got.Categories[0].Points != 2 {
		t.Errorf("categories after PUT: %+v", got)
	}
	ts.run(t, []scenario{
		{name: "a new category's max", method: "POST", url: adjURL, as: unitUser, body: `{"category":"other","points":0.5,"reason":"x"}`, status: 422, contains: []string{`"field":"points"`, "0.3"}},
		{name: "a new default", method: "POST", url: adjURL, as: unitUser, body: `{"category":"national_award","reason":"获全国先进"}`, status: 201, contains: []string{`"points":2,`}},
	})

	// The audit log: every step, in Chinese.
	var log struct {
		Entries []struct{ Actor, Action, Target, Detail string }
	}
	ts.call(t, "GET", "/api/v1/audit?limit=500", adminUser, nil, 200, &log)
	var lines []string
	for _, e := range log.Entries {
		if strings.HasPrefix(e.Action, "adjust.") {
			lines = append(lines, e.Actor+" "+e.Action+" "+e.Target+" "+e.Detail)
		}
	}
	all := strings.Join(lines, "\n")
	for _, w := range []string{
		fmt.Sprintf("t01 adjust.apply 2020/adjustments/%d 申请（第 %d 项，城关镇，获省级表彰）：加 1 分，理由：获省级文明乡镇称号", ids["award"], ids["award"]),
		fmt.Sprintf("admin adjust.approve 2020/adjustments/%d 审核通过（第 %d 项，城关镇，获省级表彰）：加 1 分", ids["award"], ids["award"]),
		fmt.Sprintf("admin adjust.reject 2020/adjustments/%d 不予通过（第 %d 项，城关镇，承担重大专项任务）：加 0.8 分，意见：请附省里的任务分工文件", ids["task"], ids["task"]),
		fmt.Sprintf("t01 adjust.withdraw 2020/adjustments/%d 撤回申请（第 %d 项，城关镇，获国家级表彰）：加 1.5 分", ids["national"], ids["national"]),
		fmt.Sprintf("admin adjust.record 2020/adjustments/%d 记录（第 %d 项，城关镇，被上级通报批评）：减 1 分，理由：被市政府通报批评", ids["penalty"], ids["penalty"]),
		fmt.Sprintf("admin adjust.revoke 2020/adjustments/%d 撤销已记录（第 %d 项，河口镇，获市级表彰）：加 0.5 分，原因：表彰文件系误报", ids["city"], ids["city"]),
		fmt.Sprintf("admin adjust.revoke 2020/adjustments/%d 撤销已通过", ids["award"]),
		fmt.Sprintf("admin adjust.approve 2020/adjustments/%d 审核通过（第 %d 项，城关镇，获市级表彰）：加 0.25 分（申请 加 0.5 分），意见：与他单位共享", ids["pending"], ids["pending"]),
		"admin adjust.categories 2020 保存加减分类别，共 9 类",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("the audit log lacks %q:\n%s", w, all)
		}
	}
}

// scoreRow is a row of GET scores as these tests read it.
type scoreRow struct {
	Unit        string   `json:"unit"`
	Adjustments float64  `json:"adjustments"`
	Total       float64  `json:"total"`
	Warnings    []string `json:"warnings"`
}

func (ts *testServer) scoreRows(t *testing.T) map[string]scoreRow {
	t.Helper()
	var table struct{ Units []scoreRow }
	ts.call(t, "GET", "/api/v1/cycles/2020/scores", adminUser, nil, 200, &table)
	out := map[string]scoreRow{}
	for _, r := range table.Units {
		out[r.Unit] = r
	}
	return out
}

// TestAdjustmentScores: approved and recorded entries count, bonuses under
// the cap, penalties uncapped; applied, rejected, withdrawn and revoked
// ones do not; pending ones are named on the row. With a catalogue and
// without one (where the hand-typed adjustments count too).
func TestAdjustmentScores(t *testing.T) {
	t.Run("with a catalogue", func(t *testing.T) {
		ts := collectYear(t)
		ts.call(t, "PUT", "/api/v1/cycles/2020/rules", adminUser, `{"bonus_cap":2}`, 200, nil)
		before := ts.scoreRows(t)
		approve := func(body string) {
			id := ts.adjust(t, unitUser, body, "applied")
			ts.call(t, "POST", adjID(id)+"/approve", adminUser, nil, 200, nil)
		}
		approve(`{"category":"national_award","reason":"全国文明村镇"}`)                                         // +1.5
		approve(`{"category":"provincial_award","reason":"省级卫生乡镇"}`)                                       // +1 → 2.5, capped at 2
		ts.adjust(t, adminUser, `{"unit":"T01","category":"criticized","reason":"通报批评"}`, "recorded")      // −1
		ts.adjust(t, adminUser, `{"unit":"T01","category":"safety_accident","reason":"较大事故"}`, "recorded") // −2: penalties uncapped
		ts.adjust(t, unitUser, `{"category":"city_award","reason":"待审"}`, "applied")                       // pending
		rej := ts.adjust(t, unitUser, `{"category":"reform_promoted","reason":"经验推广"}`, "applied")         // rejected
		ts.call(t, "POST", adjID(rej)+"/reject", adminUser, `{"comment":"无推广文件"}`, 200, nil)
		rev := ts.adjust(t, adminUser, `{"unit":"D01","category":"city_award","reason":"误报"}`, "recorded") // revoked
		ts.call(t, "POST", adjID(rev)+"/revoke", adminUser, `{"comment":"误报"}`, 200, nil)
		ts.adjust(t, adminUser, `{"unit":"T02","category":"city_award","reason":"无目标任务"}`, "recorded") // T02 has no targets

		rows := ts.scoreRows(t)
		t01 := rows["T01"]
		if t01.Adjustments != -1 { // min(2.5, 2) − 1 − 2
			t.Errorf("T01 adjustments %v, want -1 (bonus 2.5 capped at 2, penalties −3)", t01.Adjustments)
		}
		if d := t01.Total - before["T01"].Total; math.Abs(d-(-1)) > 0.011 {
			t.Errorf("T01 total moved by %v, want -1", d)
		}
		w := strings.Join(t01.Warnings, "|")
		for _, want := range []string{"有 1 项加减分申请待审核", "超过加分上限 2 分"} {
			if !strings.Contains(w, want) {
				t.Errorf("T01 warnings %q lack %q", t01.Warnings, want)
			}
		}
		if d01 := rows["D01"]; d01.Adjustments != 0 || strings.Contains(strings.Join(d01.Warnings, "|"), "加减分") {
			t.Errorf("D01 (a revoked entry only): %+v", d01)
		}
		if t02 := rows["T02"]; t02.Adjustments != 0 || !strings.Contains(strings.Join(t02.Warnings, "|"), "有 1 项已生效的加减分未计入") {
			t.Errorf("T02 (no targets): %+v", t02)
		}
	})
	t.Run("without a catalogue", func(t *testing.T) {
		ts := newTestServer(t)
		ts.seedYear(t)
		ctx := t.Context()
		if err := ts.svc.AddUser(ctx, ballots.User{Name: "d01u", Role: ballots.RoleUnit, Unit: "D01"}, password); err != nil {
			t.Fatal(err)
		}
		stored, _ := ts.svc.User(ctx, "d01u")
		tok, _, _ := ts.srv.issueJWT(stored, "")
		ts.jwts["d01u"] = tok
		targets := []map[string]any{{"unit": "D01", "indicators": []map[string]any{
			{"category": "work", "name": "财政收入", "points": 70, "completion": 0.95},
			{"category": "team", "name": "班子建设", "points": 30, "score": 88}}, "adjustments": []map[string]any{{"points": 0.5, "reason": "手填加分"}}}}
		ts.call(t, "PUT", "/api/v1/cycles/2020/targets", adminUser, targets, 200, nil)
		ts.call(t, "PUT", "/api/v1/cycles/2020/rules", adminUser, `{"bonus_cap":2}`, 200, nil)
		if got := ts.scoreRows(t)["D01"].Adjustments; got != 0.5 {
			t.Fatalf("hand-typed only: %v, want 0.5", got)
		}
		id := ts.adjust(t, "d01u", `{"category":"provincial_award","reason":"省级表彰"}`, "applied")
		if r := ts.scoreRows(t)["D01"]; r.Adjustments != 0.5 || !strings.Contains(strings.Join(r.Warnings, "|"), "有 1 项加减分申请待审核") {
			t.Errorf("an application counts before approval: %+v", r)
		}
		ts.call(t, "POST", adjID(id)+"/approve", adminUser, nil, 200, nil)
		ts.adjust(t, adminUser, `{"unit":"D01","category":"national_award","reason":"国家级表彰"}`, "recorded")
		ts.adjust(t, adminUser, `{"unit":"D01","category":"safety_accident","reason":"较大事故"}`, "recorded")
		r := ts.scoreRows(t)["D01"]
		if r.Adjustments != 0 { // 0.5 + 1 + 1.5 = 3 → cap 2; −2
			t.Errorf("D01 adjustments %v, want 0 (hand-typed 0.5 + entries 2.5 capped at 2, −2)", r.Adjustments)
		}
		if strings.Contains(strings.Join(r.Warnings, "|"), "待审核") {
			t.Errorf("no application is pending now: %q", r.Warnings)
		}
		// GET targets reads back the hand-typed adjustments alone: saving
		// them again does not count the entries twice.
		var back []map[string]any
		ts.call(t, "GET", "/api/v1/cycles/2020/targets", adminUser, nil, 200, &back)
		if b, _ := json.Marshal(back); strings.Contains(string(b), "省级表彰") || !strings.Contains(string(b), "手填加分") {
			t.Errorf("GET targets: %s", b)
		}
	})
}
