package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// closedMeeting runs a meeting of F-town with slips per group on a real
// server, casts every slip with ballotFor and closes it. It returns the
// server's URL of the meeting (for verify) and the api.
func closedMeeting(t *testing.T, code string, slips map[string]int, groups ...string) (string, *api) {
	t.Helper()
	ctx := context.Background()
	app, a := startApp(t, ctx, t.TempDir(), sqltest.URL(t))
	const pw = "verify-admin-password"
	if _, err := app.Service.EnsureAdmin(ctx, pw); err != nil {
		t.Fatal(err)
	}
	a.login("admin", pw)
	setupYear(a, "2020")
	path, tokens := setupMeeting(a, "2020", code, slips, groups...)
	i := 0
	for _, g := range groups {
		for _, tok := range tokens[g] {
			if status, body := a.cast(tok, fmt.Sprint("k", i), ballotFor(i)); status != 201 {
				t.Fatalf("cast: %d %s", status, body)
			}
			i++
		}
	}
	a.must("POST", path+"/close", nil, 200, nil)
	return app.URL() + path, a
}

// verifyRun runs `ceping verify args…` and returns its exit status and output.
func verifyRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"verify"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String() + errOut.String()
}

// edit rewrites a JSON file through f.
func edit(t *testing.T, src, dst string, f func(doc map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	must(t, json.Unmarshal(b, &doc))
	f(doc)
	b, err = json.Marshal(doc)
	must(t, err)
	must(t, os.WriteFile(dst, b, 0o644))
}

// TestVerify: an auditor fetches a closed meeting's results and ballot list
// from the server and recounts them: they match. A count changed by one in
// the results, or an answer changed in the list, is reported at its place.
func TestVerify(t *testing.T) {
	url, a := closedMeeting(t, "M1", map[string]int{"cadres": 7, "village": 5}, "cadres", "village")
	dir := t.TempDir()

	// Without a token the server refuses, and verify says what to set.
	t.Setenv("CEPING_TOKEN", "")
	if code, out := verifyRun(t, url); code != 1 || !strings.Contains(out, "CEPING_TOKEN") {
		t.Fatalf("verify without a token: %d\n%s", code, out)
	}
	t.Setenv("CEPING_TOKEN", a.jwt)
	code, out := verifyRun(t, "-save", dir, url)
	if code != 0 || !strings.HasSuffix(out, "一致 (matches)\n") || strings.Contains(out, "未能核对") {
		t.Fatalf("verify a fresh meeting: %d\n%s", code, out)
	}
	for _, want := range []string{"公布 12 张选票，选票清单 12 张", "✓ 票数 12 张", "✓ 类别 cadres（参评人员 cadres）：7 张",
		"✓ 类别 village（参评人员 village）：5 张", "✓ 测评表 F-town 第 dem 项（民主测评）", "✓ 测评表 F-town 第 rec 项（无任用推荐）", "✓ 封存摘要 sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	results, list := filepath.Join(dir, "results.json"), filepath.Join(dir, "ballots.json")
	// The console page's address works as well; the saved files work offline.
	if code, out := verifyRun(t, strings.Replace(url, "/api/v1/", "/console/", 1)); code != 0 {
		t.Fatalf("verify by the console page's URL: %d\n%s", code, out)
	}
	if code, out := verifyRun(t, results, list); code != 0 || !strings.HasSuffix(out, "一致 (matches)\n") {
		t.Fatalf("verify the saved files: %d\n%s", code, out)
	}

	// One count changed in the merged section: exactly that place.
	var pubGood, recGood int64
	edit(t, results, filepath.Join(dir, "tampered.json"), func(doc map[string]any) {
		s := doc["sections"].([]any)[0].(map[string]any)
		subj := s["subjects"].([]any)[0].(map[string]any)
		counts := subj["counts"].(map[string]any)
		recGood = int64(counts["好"].(float64))
		pubGood = recGood + 1
		counts["好"] = pubGood
	})
	code, out = verifyRun(t, filepath.Join(dir, "tampered.json"), list)
	place := fmt.Sprintf("✗ 测评表 F-town 第 dem 项（民主测评），对象 T01（城关镇），选项 好 (option)：公布 %d，重新清点 %d", pubGood, recGood)
	if code != 1 || !strings.Contains(out, place) || !strings.Contains(out, "不一致 (mismatch)：1 处") || strings.Contains(out, "一致 (matches)") {
		t.Fatalf("verify a changed count: %d, want the place %q\n%s", code, place, out)
	}

	// A group's score histogram changed.
	edit(t, results, filepath.Join(dir, "tampered2.json"), func(doc map[string]any) {
		g := doc["groups"].([]any)[1].(map[string]any)
		for _, s := range g["sections"].([]any) {
			if s.(map[string]any)["section"] == "mut" {
				subj := s.(map[string]any)["subjects"].([]any)[0].(map[string]any)
				subj["histogram"] = map[string]any{"99": 5}
			}
		}
	})
	code, out = verifyRun(t, filepath.Join(dir, "tampered2.json"), list)
	if code != 1 || !strings.Contains(out, "✗ 类别 village（参评人员 village） 测评表 F-town 第 mut 项（单位互评），对象 D01（县财政局），打 99 分的人数 (score)：公布 5，重新清点 0") {
		t.Fatalf("verify a changed histogram: %d\n%s", code, out)
	}

	// An answer changed in the list: the recount and the digest differ.
	edit(t, list, filepath.Join(dir, "tampered-list.json"), func(doc map[string]any) {
		b := doc["ballots"].([]any)[0].(map[string]any)
		dem := b["answers"].(map[string]any)["dem"].(map[string]any)
		if dem["T01"] == "差" {
			dem["T01"] = "好"
		} else {
			dem["T01"] = "差"
		}
	})
	code, out = verifyRun(t, results, filepath.Join(dir, "tampered-list.json"))
	if code != 1 || !strings.Contains(out, "选项 差 (option)") || !strings.Contains(out, "✗ 封存摘要：公布 sha256:") {
		t.Fatalf("verify a changed ballot: %d\n%s", code, out)
	}
	// A ballot taken out of the list.
	edit(t, list, filepath.Join(dir, "short-list.json"), func(doc map[string]any) {
		doc["ballots"] = doc["ballots"].([]any)[1:]
	})
	if code, out := verifyRun(t, results, filepath.Join(dir, "short-list.json")); code != 1 || !strings.Contains(out, "✗ 票数：结果公布 12 张，选票清单 11 张") {
		t.Fatalf("verify a short list: %d\n%s", code, out)
	}
	// Files the wrong way round are refused, not recounted.
	if code, out := verifyRun(t, list, results); code != 1 || !strings.Contains(out, "不是会议的计票结果") {
		t.Fatalf("verify with the files swapped: %d\n%s", code, out)
	}
}

// TestVerifySuppressed: with a group under k, the list leaves its ballots
// out and verify checks what can be checked, names what it
// cannot (the suppressed groups, the digest) and still finds a changed
// count of a shown group.
func TestVerifySuppressed(t *testing.T) {
	url, a := closedMeeting(t, "M2", map[string]int{"cadres": 6, "village": 5, "deputies": 2}, "cadres", "village", "deputies")
	dir := t.TempDir()
	t.Setenv("CEPING_TOKEN", a.jwt)
	code, out := verifyRun(t, "-save", dir, url)
	if code != 0 || !strings.HasSuffix(out, "一致 (matches)\n") {
		t.Fatalf("verify a meeting with a suppressed group: %d\n%s", code, out)
	}
	for _, want := range []string{"✓ 类别 cadres（参评人员 cadres）：6 张", "未能核对 (could not be checked):", "deputies（参评人员 deputies）（2 张）",
		"- 封存摘要：覆盖全部 13 张选票", "✓ 票数 13 张，其中"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✓ 封存摘要") {
		t.Errorf("the digest was 'checked' from an incomplete list:\n%s", out)
	}
	results, list := filepath.Join(dir, "results.json"), filepath.Join(dir, "ballots.json")
	edit(t, results, filepath.Join(dir, "tampered.json"), func(doc map[string]any) {
		for _, g := range doc["groups"].([]any) {
			if g.(map[string]any)["code"] != "cadres" {
				continue
			}
			s := g.(map[string]any)["sections"].([]any)[0].(map[string]any)
			counts := s["subjects"].([]any)[0].(map[string]any)["counts"].(map[string]any)
			counts["一般"] = counts["一般"].(float64) + 2
		}
	})
	if code, out := verifyRun(t, filepath.Join(dir, "tampered.json"), list); code != 1 || !strings.Contains(out, "✗ 类别 cadres（参评人员 cadres） 测评表 F-town 第 dem 项（民主测评），对象 T01（城关镇），选项 一般 (option)") {
		t.Fatalf("verify a changed count of a shown group: %d\n%s", code, out)
	}
}

func TestMeetingAPI(t *testing.T) {
	for in, want := range map[string]string{
		"https://vote.example.gov.cn/api/v1/cycles/2020/meetings/M1":          "https://vote.example.gov.cn/api/v1/cycles/2020/meetings/M1",
		"https://vote.example.gov.cn/api/v1/cycles/2020/meetings/M1/results/": "https://vote.example.gov.cn/api/v1/cycles/2020/meetings/M1",
		"http://10.0.0.2:8080/console/cycles/2020/meetings/M%201?x=1":         "http://10.0.0.2:8080/api/v1/cycles/2020/meetings/M%201",
		"http://10.0.0.2:8080/console/cycles/2020/meetings/M1/tally":          "http://10.0.0.2:8080/api/v1/cycles/2020/meetings/M1",
		"ftp://x/api/v1/cycles/2020/meetings/M1":                              "",
		"https://vote.example.gov.cn/console":                                 "",
		"results.json":                                                        "",
	} {
		got, err := meetingAPI(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("meetingAPI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
