package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
	"github.com/ceping/ceping/server"
)

// BenchmarkScores measures GET /scores for a county of 30 towns and 80
// departments with 100 closed meetings (30 town and 69 department
// work-report meetings and the leading-cadres conference), 20 ballots each.
func BenchmarkScores(b *testing.B) {
	ctx := context.Background()
	store := sqltest.Open(b)
	svc := ballots.NewService(store, redistest.Open(b), ballots.Options{})
	svc.Start(ctx)
	defer svc.Stop()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(svc.CreateCycle(ctx, ballots.Cycle{Code: "2020", Name: "2020年度"}))
	var units []ballots.Unit
	for i := 1; i <= 30; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("T%02d", i), Name: fmt.Sprintf("第%d镇", i), Kind: "town"})
	}
	for i := 1; i <= 80; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("D%02d", i), Name: fmt.Sprintf("第%d局", i), Kind: "department"})
	}
	must(svc.PutUnits(ctx, "2020", units))
	grade := ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "好", Value: 1}, {Label: "较好", Value: 0.8}, {Label: "一般", Value: 0.6}, {Label: "差", Value: 0}}}
	score := ballots.Scale{Type: "score", Min: num(60), Max: num(100)}
	form := func(code, mutual string) ballots.Form {
		return ballots.Form{Code: code, Title: code, Sections: []ballots.Section{
			{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"}, Scale: grade},
			{Code: "soc", Title: "社会评价", Purpose: "social", Subjects: []string{"host"}, Scale: grade},
			{Code: "mut", Title: "单位互评", Purpose: "mutual", Subjects: []string{mutual}, Scale: score},
		}}
	}
	must(svc.PutForm(ctx, "2020", form("town", "kind:department")))
	must(svc.PutForm(ctx, "2020", form("dept", "kind:town")))
	must(svc.PutForm(ctx, "2020", ballots.Form{Code: "conf", Title: "大会评价", Sections: []ballots.Section{
		{Code: "t", Title: "各镇", Purpose: "conference", Subjects: []string{"kind:town"}, Scale: grade},
		{Code: "d", Title: "各部门", Purpose: "conference", Subjects: []string{"kind:department"}, Scale: grade}}}))
	type meeting struct{ code, host, form string }
	var ms []meeting
	for i := 1; i <= 30; i++ {
		ms = append(ms, meeting{fmt.Sprintf("MT%02d", i), fmt.Sprintf("T%02d", i), "town"})
	}
	for i := 1; i <= 69; i++ {
		ms = append(ms, meeting{fmt.Sprintf("MD%02d", i), fmt.Sprintf("D%02d", i), "dept"})
	}
	ms = append(ms, meeting{"CONF", "", "conf"})
	labels := []string{"好", "较好", "一般", "差"}
	for _, m := range ms {
		_, err := svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: m.code, Title: m.code, Kind: "work_report", Host: m.host, Date: "2021-01-15",
			Groups: []ballots.Group{{Code: "all", Name: "全体", Form: m.form}}})
		must(err)
		rec, err := svc.Meeting(ctx, "2020", m.code)
		must(err)
		must(svc.Open(ctx, rec))
		rec, _ = svc.Meeting(ctx, "2020", m.code)
		batch, err := svc.IssueBatch(ctx, rec, "all", 20)
		must(err)
		g := rec.Def.Groups[0]
		for i, tok := range batch.Tokens {
			answers := map[string]any{}
			for _, s := range g.Sections {
				byUnit := map[string]any{}
				for j, subj := range s.Subjects {
					if s.Scale.Type == "score" {
						byUnit[subj.Code] = 60 + (i*7+j*3)%41
					} else {
						byUnit[subj.Code] = labels[(i+j)%4]
					}
				}
				answers[s.Code] = byUnit
			}
			raw := map[string]json.RawMessage{}
			for k, v := range answers {
				raw[k], _ = json.Marshal(v)
			}
			must(svc.Cast(ctx, tok, "k", raw))
		}
		_, err = svc.Close(ctx, rec)
		must(err)
	}
	a := &app{t: b, svc: svc, srv: server.New(svc, server.Config{Secret: []byte("0123456789abcdef0123456789abcdef")})}
	if _, err := svc.EnsureAdmin(ctx, "admin-password"); err != nil {
		b.Fatal(err)
	}
	u, _ := svc.Authenticate(ctx, "admin", "admin-password")
	_ = u
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "admin-password"}, 200, &login)
	a.jwt = login.Token
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		resp := a.get("/api/v1/cycles/2020/scores")
		if resp.StatusCode != 200 {
			b.Fatalf("scores: %d", resp.StatusCode)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/scores")
}
