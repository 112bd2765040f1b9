package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ceping/ceping/ballots"
)

// runBench starts a server (embedded, or on the configured PostgreSQL and
// Redis), issues N slips of a realistic four-section ballot, casts them with
// C concurrent HTTP clients, prints votes/s and latency percentiles, then
// closes the meeting and checks the sealed count against the acknowledged
// casts.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := configFlags(fs)
	n := fs.Int("n", 5000, "slips to cast")
	c := fs.Int("c", 64, "concurrent voters")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the casting phase to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *c < 1 {
		return fmt.Errorf("-n and -c must be positive")
	}
	cfg.Addr = "127.0.0.1:0"
	if os.Getenv("CEPING_DATA") == "" {
		dir, err := os.MkdirTemp("", "ceping-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Data = dir
	}
	cfg.RedisPrefix = "cepingbench:" + ballots.GeneratePassword()[:8] + ":"
	app, err := Start(ctx, *cfg, io.Discard)
	if err != nil {
		return err
	}
	defer app.Stop()
	app.Serve()
	password := ballots.GeneratePassword()
	user := "bench" + password[:6]
	if err := app.Service.CreateUser(ctx, user, ballots.RoleAdmin, password); err != nil {
		return err
	}
	cl := &benchClient{base: app.URL(), http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: *c * 2, MaxIdleConnsPerHost: *c * 2}}}
	var login struct{ Token string }
	if err := cl.do("POST", "/api/v1/login", map[string]string{"username": user, "password": password}, 200, &login); err != nil {
		return err
	}
	cl.jwt = login.Token
	cycle := "bench-" + password[:6]
	tokens, err := benchSetup(cl, cycle, *n)
	if err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	body := benchBallot()

	fmt.Fprintf(stdout, "machine: %s, %d cores, %s/%s, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(stdout, "set-up: database=%s redis=%s; ballot: 4 sections (grade, score ×12, grade ×6×5 dimensions, choose)\n",
		map[bool]string{true: "PostgreSQL", false: "SQLite (embedded)"}[cfg.DatabaseURL != ""],
		map[bool]string{true: "Redis", false: "embedded"}[cfg.RedisURL != ""])
	fmt.Fprintf(stdout, "casting %d slips with %d concurrent clients over HTTP on loopback…\n", *n, *c)

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	work := make(chan int)
	lat := make([]time.Duration, *n)
	status := make([]int, *n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t0 := time.Now()
				status[i] = cl.cast(tokens[i], body)
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := 0; i < *n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)

	acked := 0
	errs := map[int]int{}
	var ok []time.Duration
	for i, s := range status {
		if s == http.StatusCreated {
			acked++
			ok = append(ok, lat[i])
		} else {
			errs[s]++
		}
	}
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	pct := func(p float64) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(p*float64(len(ok))))]
	}
	fmt.Fprintf(stdout, "acknowledged %d of %d in %.2fs: %.0f votes/s\n", acked, *n, elapsed.Seconds(), float64(acked)/elapsed.Seconds())
	fmt.Fprintf(stdout, "latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n", ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)))
	fmt.Fprintf(stdout, "errors: %d %v\n", *n-acked, errs)

	var closed struct {
		Ballots   int64  `json:"ballots"`
		LiveCheck string `json:"live_check"`
	}
	if err := cl.do("POST", "/api/v1/cycles/"+cycle+"/meetings/M/close", nil, 200, &closed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sealed: %d ballots (live check: %s)\n", closed.Ballots, closed.LiveCheck)
	if closed.Ballots != int64(acked) {
		return fmt.Errorf("sealed count %d differs from %d acknowledged casts", closed.Ballots, acked)
	}
	fmt.Fprintln(stdout, "sealed count equals acknowledged casts: OK")
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

type benchClient struct {
	base string
	jwt  string
	http *http.Client
}

func (b *benchClient) do(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if b.jwt != "" {
		req.Header.Set("Authorization", "Bearer "+b.jwt)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (b *benchClient) cast(token string, body []byte) int {
	req, _ := http.NewRequest("POST", b.base+"/api/v1/ballot", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Ballot "+token)
	req.Header.Set("Idempotency-Key", token[:8])
	resp, err := b.http.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// benchSetup creates a year with the demo's units and people, one meeting
// with a four-section form, and n slips; it opens the meeting.
func benchSetup(cl *benchClient, cycle string, n int) ([]string, error) {
	if err := cl.do("POST", "/api/v1/cycles", ballots.Cycle{Code: cycle, Name: "压力测试"}, 201, nil); err != nil {
		return nil, err
	}
	var units []ballots.Unit
	for i := 1; i <= 8; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("T%02d", i), Name: fmt.Sprintf("第%d镇", i), Kind: "town"})
	}
	for i := 1; i <= 12; i++ {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("D%02d", i), Name: fmt.Sprintf("第%d局", i), Kind: "department"})
	}
	if err := cl.do("PUT", "/api/v1/cycles/"+cycle+"/units", units, 200, nil); err != nil {
		return nil, err
	}
	var people []ballots.Person
	for i := 1; i <= 6; i++ {
		people = append(people, ballots.Person{Code: fmt.Sprintf("P%02d", i), Name: fmt.Sprintf("干部%d", i), Unit: "T01"})
	}
	if err := cl.do("PUT", "/api/v1/cycles/"+cycle+"/people", people, 200, nil); err != nil {
		return nil, err
	}
	competent := ballots.Scale{Type: "grade", Options: []ballots.Option{{Label: "优秀", Value: 1}, {Label: "称职", Value: 0.8}, {Label: "基本称职", Value: 0.5}, {Label: "不称职", Value: 0}}}
	form := ballots.Form{Title: "工作报告大会测评表", Sections: []ballots.Section{
		{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"}, Scale: goodScale},
		{Code: "mut", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"}, Scale: ballots.Scale{Type: "score", Min: num(0), Max: num(100)}},
		{Code: "cad", Title: "科级干部测评", Purpose: "cadre", Subjects: []string{"people:host"}, Scale: competent,
			Dimensions: []string{"德", "能", "勤", "绩", "廉"}, Limits: []ballots.Limit{{Options: []string{"优秀"}, MaxShare: 0.3}}},
		{Code: "rec", Title: "无任用推荐", Purpose: "recommend", Subjects: []string{"people:host"}, Scale: ballots.Scale{Type: "choose", Max: num(2)}},
	}}
	if err := cl.do("PUT", "/api/v1/cycles/"+cycle+"/forms/F", form, 200, nil); err != nil {
		return nil, err
	}
	m := ballots.Meeting{Title: "压力测试大会", Kind: "work_report", Host: "T01", Date: "2021-01-15",
		Groups: []ballots.Group{{Code: "all", Name: "全体", Form: "F"}}}
	if err := cl.do("PUT", "/api/v1/cycles/"+cycle+"/meetings/M", m, 201, nil); err != nil {
		return nil, err
	}
	var tokens []string
	for left := n; left > 0; left -= ballots.MaxBatch {
		var b struct{ Tokens []string }
		if err := cl.do("POST", "/api/v1/cycles/"+cycle+"/meetings/M/batches", map[string]any{"group": "all", "count": min(left, ballots.MaxBatch)}, 201, &b); err != nil {
			return nil, err
		}
		tokens = append(tokens, b.Tokens...)
	}
	if err := cl.do("POST", "/api/v1/cycles/"+cycle+"/meetings/M/open", nil, 200, nil); err != nil {
		return nil, err
	}
	return tokens, nil
}

func benchBallot() []byte {
	mut := map[string]int{}
	for i := 1; i <= 12; i++ {
		mut[fmt.Sprintf("D%02d", i)] = 80 + i
	}
	cad := map[string]map[string]string{}
	for i := 1; i <= 6; i++ {
		grade := "称职"
		if i <= 2 {
			grade = "优秀"
		}
		cad[fmt.Sprintf("P%02d", i)] = map[string]string{"德": grade, "能": "称职", "勤": "称职", "绩": grade, "廉": "称职"}
	}
	b, _ := json.Marshal(map[string]any{"answers": map[string]any{
		"dem": map[string]string{"T01": "好"}, "mut": mut, "cad": cad, "rec": []string{"P03"}}})
	return b
}
