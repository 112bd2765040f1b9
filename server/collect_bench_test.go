package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
	"github.com/ceping/ceping/server"
)

// BenchmarkCollectionBoard measures the two requests the collection board
// repeats every 12 s, as a browser sees them (a real listener, an HTTP
// client, JSON on the wire): GET …/collection and GET …/entries?body=B.
// The county: 30 towns and 80 departments, 20 indicators each (2,200),
// 11 bodies of about 10 units each (200 indicators a body), entries in
// every state: a fifth not entered, the rest draft, submitted, approved
// or returned.
func BenchmarkCollectionBoard(b *testing.B) {
	ctx := context.Background()
	store := sqltest.Open(b)
	svc := ballots.NewService(store, redistest.Open(b), ballots.Options{})
	svc.Start(ctx)
	defer svc.Stop()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	const cycle = "2020"
	must(svc.CreateCycle(ctx, ballots.Cycle{Code: cycle, Name: "2020年度"}))
	var units []ballots.Unit
	for i := 1; i <= 30; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("T%02d", i), Name: fmt.Sprintf("第%d镇", i), Kind: "town"})
	}
	for i := 1; i <= 80; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("D%02d", i), Name: fmt.Sprintf("第%d局", i), Kind: "department"})
	}
	must(svc.PutUnits(ctx, cycle, units))
	var bodies []ballots.Body
	for k := 1; k <= 11; k++ {
		kind := ballots.BodyDepartment
		if k == 1 {
			kind = ballots.BodyStatistics
		}
		bodies = append(bodies, ballots.Body{Code: fmt.Sprintf("B%02d", k), Name: fmt.Sprintf("考核主体%d", k), Kind: kind})
	}
	must(svc.PutBodies(ctx, cycle, bodies))
	// 20 indicators of 5 points per unit, covering its kind's categories.
	town := []struct {
		cat string
		n   int
	}{{"economic", 7}, {"social", 3}, {"environment", 3}, {"stability", 4}, {"team", 3}}
	dept := []struct {
		cat string
		n   int
	}{{"work", 14}, {"team", 6}}
	target := 8.5
	var inds []ballots.Indicator
	for ui, u := range units {
		cats := town
		if u.Kind == "department" {
			cats = dept
		}
		j := 0
		for _, c := range cats {
			for range c.n {
				j++
				ind := ballots.Indicator{Code: fmt.Sprintf("%s-%02d", u.Code, j), Unit: u.Code, Category: c.cat, Name: fmt.Sprintf("%s指标%d", u.Name, j),
					Points: 5, Method: ballots.MethodScore, Source: bodies[ui/10].Code}
				if j%2 == 1 {
					ind.Method, ind.Target, ind.Measure = ballots.MethodCompletion, &target, "%"
				}
				inds = append(inds, ind)
			}
		}
	}
	_, err := svc.PutCatalogue(ctx, cycle, inds, false)
	must(err)
	states := []string{"", "", ballots.EntryDraft, ballots.EntryDraft, ballots.EntrySubmitted, ballots.EntrySubmitted,
		ballots.EntryApproved, ballots.EntryApproved, ballots.EntryApproved, ballots.EntryReturned}
	now := time.Now().UTC()
	must(store.Collect(ctx, cycle, func(c *ballots.Collection) error {
		for i, ind := range inds {
			st := states[i%len(states)]
			if st == "" {
				continue
			}
			v := float64(60 + i%41)
			e := ballots.Entry{Indicator: ind.Code, Status: st, Note: "依据年报", UpdatedBy: "b", UpdatedAt: now}
			if ind.Method == ballots.MethodCompletion {
				a := v / 10
				e.Actual = &a
			} else {
				e.Score = &v
			}
			if st == ballots.EntryReturned {
				e.Comment = "请核对"
			}
			c.Put(e)
		}
		return nil
	}))
	must(svc.PutDeadline(ctx, cycle, "2021-01-10"))

	srv := server.New(svc, server.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	_, err = svc.EnsureAdmin(ctx, "admin-password")
	must(err)
	a := &app{t: b, svc: svc, srv: srv}
	var login struct{ Token string }
	a.call("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "admin-password"}, 200, &login)
	base := "http://" + ln.Addr().String() + "/api/v1/cycles/" + cycle
	client := &http.Client{}
	get := func(b *testing.B, url string) int {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+login.Token)
		req.Header.Set("Accept-Encoding", "gzip") // as a browser asks
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		return int(n)
	}
	for _, bc := range []struct{ name, url string }{
		{"collection", base + "/collection"},
		{"entries_one_body", base + "/entries?body=B05"},
		{"entries_whole_year", base + "/entries"},
		{"history", base + "/indicators/T01-01/history"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			size := get(b, bc.url) // warm: the first request pays for connections and caches
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				get(b, bc.url)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/req")
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
