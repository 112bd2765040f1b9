package server

import (
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// formWith returns the seeded form changed by edit, as JSON.
func formWith(edit func(f *ballots.Form)) string {
	f := seedForm(formID)
	edit(&f)
	return mustJSON(f)
}

// meetingWith returns the seeded meeting changed by edit, as JSON.
func meetingWith(edit func(m *ballots.Meeting)) string {
	m := seedMeeting()
	edit(&m)
	return mustJSON(m)
}

func TestSetup(t *testing.T) {
	ts := newTestServer(t)
	const c = "/api/v1/cycles/2020"
	var openMeeting string // GET of M1 once it has opened
	ts.run(t, []scenario{
		// Cycles.
		{name: "CycleCreate", method: "POST", url: "/api/v1/cycles", as: adminUser, body: `{"code":"2020","name":"2020年度目标责任考核"}`,
			status: 201, contains: []string{`"code":"2020"`, "2020年度目标责任考核"}},
		{name: "CycleDuplicate", method: "POST", url: "/api/v1/cycles", as: adminUser, body: `{"code":"2020","name":"又一个"}`,
			status: 409, code: "conflict"},
		{name: "CycleBadCode", method: "POST", url: "/api/v1/cycles", as: adminUser, body: `{"code":"20 20","name":"x"}`,
			status: 400, code: "invalid", contains: []string{`"field":"code"`}},
		{name: "CycleNoName", method: "POST", url: "/api/v1/cycles", as: adminUser, body: `{"code":"2021"}`,
			status: 400, code: "invalid", contains: []string{`"field":"name"`}},
		{name: "CycleList", method: "GET", url: "/api/v1/cycles", as: viewerUser, status: 200,
			contains: []string{`"code":"2020"`}, absent: []string{`"2021"`}},

		// Units.
		{name: "UnitsOK", method: "PUT", url: c + "/units", as: adminUser, body: mustJSON(seedUnits), status: 200, contains: []string{`"units":4`}},
		{name: "UnitsUnknownKind", method: "PUT", url: c + "/units", as: adminUser,
			body: `[{"code":"T01","name":"城关镇","kind":"village","staff":80}]`, status: 400, code: "invalid", contains: []string{`"field":"[0].kind"`}},
		{name: "UnitsDuplicateCode", method: "PUT", url: c + "/units", as: adminUser,
			body: `[{"code":"T01","name":"城关镇","kind":"town"},{"code":"T01","name":"河口镇","kind":"town"}]`, status: 400, code: "invalid",
			contains: []string{`"field":"[1].code"`}},
		{name: "UnitsNegativeStaff", method: "PUT", url: c + "/units", as: adminUser,
			body: `[{"code":"T01","name":"城关镇","kind":"town","staff":-1}]`, status: 400, code: "invalid", contains: []string{`"field":"[0].staff"`}},
		{name: "UnitsNoName", method: "PUT", url: c + "/units", as: adminUser,
			body: `[{"code":"T01","name":" ","kind":"town"}]`, status: 400, code: "invalid", contains: []string{`"field":"[0].name"`}},
		{name: "UnitsUnknownCycle", method: "PUT", url: "/api/v1/cycles/1999/units", as: adminUser, body: mustJSON(seedUnits), status: 404, code: "not_found"},
		{name: "UnitsKept", method: "GET", url: c + "/units", as: adminUser, status: 200,
			contains: []string{"城关镇", "河口镇", "县财政局", "县教育局"}, absent: []string{"village"}},

		// People.
		{name: "PeopleOK", method: "PUT", url: c + "/people", as: adminUser, body: mustJSON(seedPeople), status: 200, contains: []string{`"people":5`}},
		{name: "PeopleUnknownUnit", method: "PUT", url: c + "/people", as: adminUser,
			body: `[{"code":"P01","name":"张建国","unit":"T99"}]`, status: 400, code: "invalid", contains: []string{`"field":"[0].unit"`, "T99"}},
		{name: "PeopleDuplicateCode", method: "PUT", url: c + "/people", as: adminUser,
			body: `[{"code":"P01","name":"张建国","unit":"T01"},{"code":"P01","name":"李卫东","unit":"T01"}]`, status: 400, code: "invalid",
			contains: []string{`"field":"[1].code"`}},
		{name: "PeopleKept", method: "GET", url: c + "/people", as: adminUser, status: 200, contains: []string{"张建国", "周鹏"}},

		// Forms.
		{name: "FormOK", method: "PUT", url: c + "/forms/F-town", as: adminUser, body: mustJSON(seedForm(formID)), status: 200,
			contains: []string{`"code":"F-town"`, "德", "优秀"}},
		{name: "FormCodeFromPath", method: "PUT", url: c + "/forms/F-other", as: adminUser, body: formWith(func(f *ballots.Form) { f.Code = "" }),
			status: 200, contains: []string{`"code":"F-other"`}},
		{name: "FormCodeDiffers", method: "PUT", url: c + "/forms/F-x", as: adminUser, body: mustJSON(seedForm(formID)), status: 400, code: "invalid"},
		{name: "FormUnknownScaleType", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[0].Scale.Type = "stars" }), status: 400, code: "invalid",
			contains: []string{`"field":"sections[0].scale.type"`}},
		{name: "FormUnknownSelector", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[1].Subjects = []string{"kind:village"} }), status: 400, code: "invalid",
			contains: []string{`"field":"sections[1].subjects[0]"`}},
		{name: "FormLimitUnknownOption", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[2].Limits[0].Options = []string{"特优"} }), status: 400, code: "invalid",
			contains: []string{`"field":"sections[2].limits[0].options"`, "特优"}},
		{name: "FormLimitOnScore", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) {
				f.Sections[1].Limits = []ballots.Limit{{Options: []string{"100"}, MaxShare: 0.3}}
			}),
			status: 400, code: "invalid", contains: []string{`"field":"sections[1].limits[0].options"`}},
		{name: "FormUnknownPurpose", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[0].Purpose = "fun" }), status: 400, code: "invalid",
			contains: []string{`"field":"sections[0].purpose"`}},
		{name: "FormScoreMinAboveMax", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[1].Scale.Min = num(100); f.Sections[1].Scale.Max = num(0) }), status: 400, code: "invalid"},
		{name: "FormChooseWithDimensions", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[3].Dimensions = []string{"德"} }), status: 400, code: "invalid"},
		{name: "FormDuplicateSection", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Sections[1].Code = "dem" }), status: 400, code: "invalid",
			contains: []string{`"field":"sections[1].code"`}},
		{name: "FormNoSections", method: "PUT", url: c + "/forms/F-town", as: adminUser, body: `{"title":"空表","sections":[]}`, status: 400, code: "invalid"},
		{name: "FormUnknownCycle", method: "PUT", url: "/api/v1/cycles/1999/forms/F-town", as: adminUser, body: mustJSON(seedForm(formID)), status: 404, code: "not_found"},
		{name: "FormKept", method: "GET", url: c + "/forms/F-town", as: adminUser, status: 200,
			contains: []string{`"type":"grade"`, `"max_share":0.3`}, absent: []string{"stars", "特优", "kind:village"}},
		{name: "FormUnknown", method: "GET", url: c + "/forms/F-none", as: adminUser, status: 404, code: "not_found"},

		// Meetings.
		{name: "MeetingCreate", method: "PUT", url: mURL, as: adminUser, body: mustJSON(seedMeeting()), status: 201,
			contains: []string{`"code":"M1"`, `"status":"pending"`, `"staff":["zhang"]`}},
		{name: "MeetingReplace", method: "PUT", url: mURL, as: adminUser, body: meetingWith(func(m *ballots.Meeting) { m.Title = "城关镇工作报告大会" }),
			status: 200, contains: []string{"城关镇工作报告大会"}},
		{name: "MeetingUnknownForm", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Groups[1].Form = "F-none" }), status: 400, code: "invalid",
			contains: []string{`"field":"groups[1].form"`}},
		{name: "MeetingUnknownHost", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Host = "T99" }), status: 400, code: "invalid", contains: []string{`"field":"host"`}},
		{name: "MeetingUnknownStaff", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Staff = []string{"zhang", "li"} }), status: 400, code: "invalid",
			contains: []string{`"field":"staff[1]"`}},
		{name: "MeetingImpossibleDate", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Date = "2021-02-30" }), status: 400, code: "invalid", contains: []string{`"field":"date"`}},
		{name: "MeetingDateFormat", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Date = "15/01/2021" }), status: 400, code: "invalid", contains: []string{`"field":"date"`}},
		{name: "MeetingUnknownKind", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Kind = "party" }), status: 400, code: "invalid", contains: []string{`"field":"kind"`}},
		{name: "MeetingNoGroups", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Groups = nil }), status: 400, code: "invalid", contains: []string{`"field":"groups"`}},
		{name: "MeetingDuplicateGroups", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Groups[1].Code = "cadres" }), status: 400, code: "invalid",
			contains: []string{`"field":"groups[1].code"`}},
		{name: "MeetingStatusField", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Status = "open" }), status: 400, code: "invalid"},
		{name: "MeetingCodeDiffers", method: "PUT", url: mURL, as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Code = "M9" }), status: 400, code: "invalid"},
		{name: "MeetingUnknownCycle", method: "PUT", url: "/api/v1/cycles/1999/meetings/M1", as: adminUser, body: mustJSON(seedMeeting()),
			status: 404, code: "not_found"},
		{name: "MeetingKept", method: "GET", url: mURL, as: adminUser, status: 200,
			contains: []string{"城关镇工作报告大会", `"host":"T01"`, `"date":"2021-01-15"`, `"form":"F-town"`, `"status":"pending"`},
			absent:   []string{"F-none", "T99", "2021-02-30", `"li"`}},
		{name: "UnknownMeeting", method: "GET", url: c + "/meetings/M9", as: adminUser, status: 404, code: "not_found"},
		{name: "CloseBeforeOpen", method: "POST", url: mURL + "/close", as: adminUser, status: 409, code: "conflict"},

		// A meeting without a host cannot open a form that rates "host".
		{name: "HostlessMeeting", method: "PUT", url: c + "/meetings/M3", as: adminUser,
			body: meetingWith(func(m *ballots.Meeting) { m.Host = ""; m.Kind = "conference" }), status: 422, code: "form_not_ready",
			contains: []string{`"field":"groups[0].form"`, "被考核单位"}},
		{name: "HostlessOpen", method: "POST", url: c + "/meetings/M3/open", as: adminUser, status: 404, code: "not_found"},
		{name: "HostlessStillPending", method: "GET", url: c + "/meetings/M3", as: adminUser, status: 404, code: "not_found"},

		// Once open, a meeting changes no more: 409 before anything else.
		{name: "Open", method: "POST", url: mURL + "/open", as: adminUser, status: 200, contains: []string{`"status":"open"`},
			after: func(t *testing.T, _ []byte) {
				_, b := ts.do(t, req{method: "GET", url: mURL, as: adminUser})
				openMeeting = string(b)
			}},
		{name: "OpenTwice", method: "POST", url: mURL + "/open", as: adminUser, status: 409, code: "conflict"},
		{name: "PutOpenMeetingValid", method: "PUT", url: mURL, as: adminUser, body: mustJSON(seedMeeting()), status: 409, code: "conflict"},
		{name: "PutOpenMeetingMalformed", method: "PUT", url: mURL, as: adminUser, body: `{"title":`, status: 409, code: "conflict"},
		{name: "PutOpenMeetingEmpty", method: "PUT", url: mURL, as: adminUser, status: 409, code: "conflict"},
		{name: "PutOpenMeetingInvalid", method: "PUT", url: mURL, as: adminUser,
			body: `{"kind":"party","date":"yesterday","groups":[],"bogus":1}`, status: 409, code: "conflict"},
		{name: "PutOpenMeetingHuge", method: "PUT", url: mURL, as: adminUser,
			body: `{"title":"` + strings.Repeat("长", 100000) + `"}`, status: 409, code: "conflict"},
		{name: "OpenMeetingUnchanged", method: "GET", url: mURL, as: adminUser, status: 200,
			after: func(t *testing.T, body []byte) {
				if string(body) != openMeeting {
					t.Errorf("the open meeting changed:\nbefore %s\nafter  %s", openMeeting, body)
				}
			}},
		{name: "PutFormOfOpenMeeting", method: "PUT", url: c + "/forms/F-town", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Title = "改过的表" }), status: 409, code: "conflict"},
		{name: "FormOfOpenMeetingKept", method: "GET", url: c + "/forms/F-town", as: adminUser, status: 200,
			contains: []string{"城关镇民主测评表"}, absent: []string{"改过的表"}},
		{name: "PutOtherFormStillAllowed", method: "PUT", url: c + "/forms/F-other", as: adminUser,
			body: formWith(func(f *ballots.Form) { f.Code = "F-other"; f.Title = "另一张表" }), status: 200},
		{name: "CloseOpen", method: "POST", url: mURL + "/close", as: adminUser, status: 200,
			contains: []string{`"status":"closed"`, `"ballots":0`, `"digest":"sha256:`}},
		{name: "CloseTwice", method: "POST", url: mURL + "/close", as: adminUser, status: 409, code: "conflict"},
		{name: "PutClosedMeeting", method: "PUT", url: mURL, as: adminUser, body: `not json`, status: 409, code: "conflict"},
		{name: "BatchForClosedMeeting", method: "POST", url: mURL + "/batches", as: adminUser, body: `{"group":"cadres","count":1}`,
			status: 409, code: "conflict"},
	})
}
