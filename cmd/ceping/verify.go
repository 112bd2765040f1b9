package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ceping/ceping/ballots"
)

// ceping verify: an auditor's recount. From a closed meeting's published
// result (GET …/results) and anonymous ballot list (GET …/ballots) it
// counts every published figure again, with the domain's own tally and
// digest, and says where the two disagree. It needs no database and no
// server: the two files are enough (a URL fetches them).
//
// Only what both publish can be compared. The list leaves out the ballots
// of every group with a withheld section (fewer than k ballots, see
// ballots.Publish), and withheld sections show no counts: a section some of
// whose groups' ballots are not in the list cannot be recounted, and the
// digest, over all ballots, only when the list is complete. The report says
// which parts could not be checked and why.

const verifyUsage = `usage:
  ceping verify RESULTS.json BALLOTS.json
  ceping verify [-save DIR] [-cacert FILE] URL

RESULTS.json and BALLOTS.json are the answers of
  GET /api/v1/cycles/{c}/meetings/{m}/results
  GET /api/v1/cycles/{c}/meetings/{m}/ballots
URL is the meeting's API address (…/api/v1/cycles/{c}/meetings/{m}) or its
console page; the bearer token, if the server asks for one, is read from
CEPING_TOKEN (POST /api/v1/login gives it). -save keeps the two answers in
DIR, to be checked again offline.
It prints 一致 (matches), or every place where a published figure differs
from the recount, and exits with status 1 then.
`

var errMismatch = errors.New("不一致：公布的结果与选票清单重新清点的结果不同 (mismatch: the published result differs from the recount of the ballot list)")

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage) }
	save := fs.String("save", "", "keep the fetched answers in this folder")
	caFile := fs.String("cacert", "", "trust this CA certificate (PEM) for the server's HTTPS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var resultsJSON, ballotsJSON []byte
	var err error
	switch fs.NArg() {
	case 1:
		resultsJSON, ballotsJSON, err = fetchPublished(ctx, fs.Arg(0), os.Getenv("CEPING_TOKEN"), *caFile)
		if err == nil && *save != "" {
			err = savePublished(*save, resultsJSON, ballotsJSON)
		}
	case 2:
		if resultsJSON, err = os.ReadFile(fs.Arg(0)); err == nil {
			ballotsJSON, err = os.ReadFile(fs.Arg(1))
		}
	default:
		fs.Usage()
		return flag.ErrHelp
	}
	if err != nil {
		return err
	}
	rep, err := verifyPublished(resultsJSON, ballotsJSON)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if len(rep.Mismatches) > 0 {
		return errMismatch
	}
	return nil
}

// meetingAPI turns a meeting's API URL, one of its sub-resources, or its
// console page into the meeting's API URL.
func meetingAPI(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL of a meeting", raw)
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	p = strings.TrimPrefix(p, "/console")
	p = strings.TrimPrefix(p, "/api/v1")
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) < 4 || parts[0] != "cycles" || parts[2] != "meetings" {
		return "", fmt.Errorf("%q is not a meeting's address (…/api/v1/cycles/{c}/meetings/{m} or /console/cycles/{c}/meetings/{m})", raw)
	}
	return u.Scheme + "://" + u.Host + "/api/v1/cycles/" + parts[1] + "/meetings/" + parts[3], nil
}

// fetchPublished reads a meeting's results and ballot list from a server.
func fetchPublished(ctx context.Context, raw, token, caFile string) ([]byte, []byte, error) {
	base, err := meetingAPI(raw)
	if err != nil {
		return nil, nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: tr}
	get := func(what string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/"+what, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", what, err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 512<<20))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", what, err)
		}
		if res.StatusCode != http.StatusOK {
			var e struct {
				Error struct{ Code, Message, MessageEN string } `json:"error"`
			}
			_ = json.Unmarshal(body, &e)
			if res.StatusCode == http.StatusUnauthorized && token == "" {
				return nil, fmt.Errorf("GET %s: %d：需要登录，请在环境变量 CEPING_TOKEN 中提供令牌 (set CEPING_TOKEN to a token from POST /api/v1/login)", what, res.StatusCode)
			}
			return nil, fmt.Errorf("GET %s: %d %s %s", what, res.StatusCode, e.Error.Code, e.Error.Message)
		}
		return body, nil
	}
	results, err := get("results")
	if err != nil {
		return nil, nil, err
	}
	list, err := get("ballots")
	if err != nil {
		return nil, nil, err
	}
	return results, list, nil
}

func savePublished(dir string, results, list []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), results, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "ballots.json"), list, 0o644)
}

// verifyReport is what verify found.
type verifyReport struct {
	Meeting, Title string
	Published      int64 // ballots in the result
	Listed         int   // ballots in the list
	Checked        []string
	NotChecked     []string
	Mismatches     []string
}

func (r *verifyReport) checked(format string, a ...any) {
	r.Checked = append(r.Checked, fmt.Sprintf(format, a...))
}
func (r *verifyReport) notChecked(format string, a ...any) {
	r.NotChecked = append(r.NotChecked, fmt.Sprintf(format, a...))
}
func (r *verifyReport) mismatch(format string, a ...any) {
	r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, a...))
}

func (r *verifyReport) print(w io.Writer) {
	fmt.Fprintf(w, "会议 %s %s：公布 %d 张选票，选票清单 %d 张 (meeting %s: %d ballots published, %d in the list)\n",
		r.Meeting, r.Title, r.Published, r.Listed, r.Meeting, r.Published, r.Listed)
	if len(r.Checked) > 0 {
		fmt.Fprintln(w, "已核对 (checked):")
		for _, s := range r.Checked {
			fmt.Fprintln(w, "  ✓", s)
		}
	}
	if len(r.NotChecked) > 0 {
		fmt.Fprintln(w, "未能核对 (could not be checked):")
		for _, s := range r.NotChecked {
			fmt.Fprintln(w, "  -", s)
		}
	}
	if len(r.Mismatches) > 0 {
		fmt.Fprintf(w, "不一致 (mismatch)：%d 处 (places)\n", len(r.Mismatches))
		for _, s := range r.Mismatches {
			fmt.Fprintln(w, "  ✗", s)
		}
		return
	}
	fmt.Fprintln(w, "一致 (matches)")
}

// verifyPublished recounts a result from a ballot list.
func verifyPublished(resultsJSON, ballotsJSON []byte) (*verifyReport, error) {
	var res ballots.Result
	if err := json.Unmarshal(resultsJSON, &res); err != nil {
		return nil, fmt.Errorf("第一个文件不是会议的计票结果 (the first file is not a meeting's results): %w", err)
	}
	var list ballots.BallotList
	if err := json.Unmarshal(ballotsJSON, &list); err != nil {
		return nil, fmt.Errorf("第二个文件不是选票清单 (the second file is not a ballot list): %w", err)
	}
	if res.Meeting == "" || !strings.HasPrefix(res.Digest, "sha256:") {
		return nil, errors.New("第一个文件不是会议的计票结果 (the first file is not a meeting's results: no meeting or digest)")
	}
	rep := &verifyReport{Meeting: res.Meeting, Title: res.Title, Published: res.Ballots, Listed: len(list.Ballots)}

	// The voter groups. A group whose every section is shown gives its
	// form in full, and its ballots are listed; the others' are not.
	var def ballots.MeetingDef
	published := map[string]ballots.GroupResult{}
	var groupSum int64
	var withheld []string
	for _, g := range res.Groups {
		groupSum += g.Ballots
		published[g.Code] = g
		if g.Ballots == 0 {
			continue
		}
		if !wholeGroup(g) {
			withheld = append(withheld, fmt.Sprintf("%s（%d 张）", groupLabel(g.Code, g.Name), g.Ballots))
			continue
		}
		gd, err := groupDef(g)
		if err != nil {
			rep.mismatch("类别 %s：%v", groupLabel(g.Code, g.Name), err)
			continue
		}
		def.Groups = append(def.Groups, gd)
	}
	if groupSum != res.Ballots {
		rep.mismatch("票数：各类别合计 %d 张，结果公布 %d 张 (groups add up to %d, the result says %d)", groupSum, res.Ballots, groupSum, res.Ballots)
	}
	if len(withheld) > 0 {
		rep.notChecked("类别 %s：按少数保护规则有测评项不公开，其选票不在清单中 (groups with withheld sections: their ballots are not listed)", strings.Join(withheld, "、"))
	}

	// Count the list with the domain's tally.
	tally := ballots.Tally{}
	perGroup := map[string]int64{}
	var counted int64
	for _, b := range list.Ballots {
		g, ok := def.Group(b.Group)
		if !ok {
			rep.mismatch("选票 %s：类别 %q 的选票不应在清单中（结果中没有它的全部测评项） (a ballot of a group whose sections are not all published)", b.ID, b.Group)
			continue
		}
		a, err := answersFor(g, b)
		if err != nil {
			rep.mismatch("选票 %s（类别 %s）：%v", b.ID, groupLabel(g.Code, g.Name), err)
			continue
		}
		tally.Add(g, a)
		perGroup[b.Group]++
		counted++
	}
	// The ballot count: the list and the withheld groups make the whole.
	var withheldSum int64
	for _, g := range res.Groups {
		if g.Ballots > 0 && !wholeGroup(g) {
			withheldSum += g.Ballots
		}
	}
	switch listed := int64(len(list.Ballots)); {
	case listed+withheldSum != res.Ballots:
		rep.mismatch("票数：结果公布 %d 张，选票清单 %d 张、不公开的类别 %d 张 (published %d; listed %d, withheld groups %d)",
			res.Ballots, listed, withheldSum, res.Ballots, listed, withheldSum)
	case withheldSum == 0:
		rep.checked("票数 %d 张 (ballots)", res.Ballots)
	default:
		rep.checked("票数 %d 张，其中 %d 张属于不公开的类别 (ballots, %d of them in withheld groups)", res.Ballots, withheldSum, withheldSum)
	}

	// k = 1: the recount shows every figure of the listed ballots.
	recount := ballots.Publish(&def, ballots.Sealed{Ballots: counted, Tally: tally}, 1)

	// Each listed group: its ballots and its sections.
	for _, rg := range recount.Groups {
		g := published[rg.Code]
		label := groupLabel(g.Code, g.Name)
		if n := perGroup[g.Code]; n != g.Ballots {
			rep.mismatch("类别 %s 的票数：公布 %d，清单中 %d (published %d, listed %d)", label, g.Ballots, n, g.Ballots, n)
			continue
		}
		before := len(rep.Mismatches)
		compareSections(rep, "类别 "+label+" ", g.Sections, rg.Sections)
		if len(rep.Mismatches) == before {
			rep.checked("类别 %s：%d 张，%d 项 (group: ballots and sections)", label, g.Ballots, len(g.Sections))
		}
	}

	// The merged sections, one per form and section, over the groups that
	// answered it: recounted when all of those groups' ballots are listed.
	recMerged := map[string]ballots.SectionResult{}
	for _, s := range recount.Sections {
		recMerged[s.Form+"\x00"+s.Section] = s
	}
	for _, s := range res.Sections {
		label := sectionLabel(s)
		if s.Suppressed {
			rep.notChecked("%s：作答票数太少，按少数保护规则不公开 (withheld: too few ballots)", label)
			continue
		}
		var listed int64
		complete := true
		for _, code := range s.Groups {
			if _, ok := def.Group(code); !ok {
				complete = false
			}
			listed += perGroup[code]
		}
		if !complete {
			rep.notChecked("%s：共 %d 张，其中 %d 张在清单中，其余属于不公开的类别 (%d ballots, %d of them listed)", label, s.Ballots, listed, s.Ballots, listed)
			continue
		}
		if listed != s.Ballots {
			rep.mismatch("%s 的票数：公布 %d，重新清点 %d (published %d, recounted %d)", label, s.Ballots, listed, s.Ballots, listed)
			continue
		}
		rs, ok := recMerged[s.Form+"\x00"+s.Section]
		if !ok && s.Ballots > 0 {
			rep.mismatch("%s：公布了，但清单中没有答这一项的选票 (published, but no listed ballot answered it)", label)
			continue
		}
		before := len(rep.Mismatches)
		compareSections(rep, "", []ballots.SectionResult{s}, []ballots.SectionResult{rs})
		if len(rep.Mismatches) == before {
			rep.checked("%s (section)", label)
		}
	}

	// The digest covers every ballot: it can be recomputed only from a
	// complete list.
	if int64(len(list.Ballots)) == res.Ballots && len(withheld) == 0 {
		if d := ballots.Digest(list.Ballots); d != res.Digest {
			rep.mismatch("封存摘要：公布 %s，重新计算 %s (digest: published, recomputed)", res.Digest, d)
		} else {
			rep.checked("封存摘要 %s (digest)", res.Digest)
		}
	} else {
		rep.notChecked("封存摘要：覆盖全部 %d 张选票，清单中只有 %d 张，无法重新计算 (the digest covers all ballots; the list is not complete)",
			res.Ballots, len(list.Ballots))
	}
	return rep, nil
}

// wholeGroup reports whether a group's every section is published: only
// then are its ballots listed.
func wholeGroup(g ballots.GroupResult) bool {
	if g.Suppressed || len(g.Sections) == 0 {
		return false
	}
	for _, s := range g.Sections {
		if s.Suppressed {
			return false
		}
	}
	return true
}

// groupDef rebuilds what a group answered from its published sections:
// subjects, dimensions and scales, enough to check and count its ballots
// as the server did.
func groupDef(g ballots.GroupResult) (ballots.GroupDef, error) {
	gd := ballots.GroupDef{Code: g.Code, Name: g.Name}
	for _, s := range g.Sections {
		if gd.Form == "" {
			gd.Form = s.Form
		}
		sd := ballots.SectionDef{Code: s.Section, Title: s.Title, Purpose: s.Purpose, Scale: s.Scale}
		switch s.Scale.Type {
		case ballots.ScaleScore:
			if s.Scale.Min == nil || s.Scale.Max == nil {
				return gd, fmt.Errorf("%s 的分值范围不全 (score scale without min or max)", sectionLabel(s))
			}
		case ballots.ScaleChoose:
			if s.Scale.Max == nil {
				return gd, fmt.Errorf("%s 没有可选人数 (choose scale without max)", sectionLabel(s))
			}
		}
		seen := map[string]bool{}
		dims := map[string]bool{}
		for _, x := range s.Subjects {
			if !seen[x.Subject] {
				seen[x.Subject] = true
				sd.Subjects = append(sd.Subjects, ballots.Subject{Code: x.Subject, Name: x.Name})
			}
			if x.Dimension != "" && !dims[x.Dimension] {
				dims[x.Dimension] = true
				sd.Dimensions = append(sd.Dimensions, x.Dimension)
			}
		}
		gd.Sections = append(gd.Sections, sd)
	}
	return gd, nil
}

// answersFor checks a listed ballot against its group's published sections
// and returns its answers as the domain counts them.
func answersFor(g *ballots.GroupDef, b ballots.Ballot) (ballots.Answers, error) {
	raw := map[string]json.RawMessage{}
	for code, v := range b.Answers {
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		raw[code] = j
	}
	a, err := g.ValidateAnswers(raw)
	if err != nil {
		return nil, fmt.Errorf("与公布的测评项目不符：%s (does not fit the published sections)", ballots.ErrorMessage(err))
	}
	return a, nil
}

// compareSections compares published sections with recounted ones, subject
// by subject and option by option, and records every difference.
func compareSections(rep *verifyReport, prefix string, pub []ballots.SectionResult, rec []ballots.SectionResult) {
	byKey := map[string]ballots.SectionResult{}
	for _, s := range rec {
		byKey[s.Form+"\x00"+s.Section] = s
	}
	for _, ps := range pub {
		label := prefix + sectionLabel(ps)
		rs, ok := byKey[ps.Form+"\x00"+ps.Section]
		if !ok {
			rep.mismatch("%s：公布了，重新清点中没有 (published, not in the recount)", label)
			continue
		}
		recSubj := map[string]ballots.SubjectResult{}
		for _, x := range rs.Subjects {
			recSubj[x.Subject+"\x00"+x.Dimension] = x
		}
		seen := map[string]bool{}
		for _, p := range ps.Subjects {
			key := p.Subject + "\x00" + p.Dimension
			seen[key] = true
			where := label + "，" + subjectLabel(p)
			r, ok := recSubj[key]
			if !ok {
				rep.mismatch("%s：公布了，重新清点中没有 (published, not in the recount)", where)
				continue
			}
			compareSubject(rep, where, ps.Scale.Type, p, r)
		}
		for _, r := range rs.Subjects {
			if !seen[r.Subject+"\x00"+r.Dimension] && r.Answered > 0 {
				rep.mismatch("%s，%s：清单中有 %d 个回答，结果中没有公布 (answered in the list, missing from the result)", label, subjectLabel(r), r.Answered)
			}
		}
	}
}

func compareSubject(rep *verifyReport, where, scale string, p, r ballots.SubjectResult) {
	num := func(what string, pub, rec int64) {
		if pub != rec {
			rep.mismatch("%s，%s：公布 %d，重新清点 %d (published %d, recounted %d)", where, what, pub, rec, pub, rec)
		}
	}
	num("回答数 (answered)", p.Answered, r.Answered)
	switch scale {
	case ballots.ScaleGrade:
		for _, k := range unionKeys(p.Counts, r.Counts) {
			num("选项 "+k+" (option)", p.Counts[k], r.Counts[k])
		}
	case ballots.ScaleScore:
		num("打分人数 (count)", deref(p.Count), deref(r.Count))
		ps, rs := derefF(p.Sum), derefF(r.Sum)
		if math.Abs(ps-rs) > 1e-6 {
			rep.mismatch("%s，总分 (sum)：公布 %v，重新清点 %v (published, recounted)", where, ps, rs)
		}
		for _, k := range unionKeys(p.Histogram, r.Histogram) {
			num("打 "+k+" 分的人数 (score)", p.Histogram[k], r.Histogram[k])
		}
	default:
		num("得票 (votes)", deref(p.Count), deref(r.Count))
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func derefF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func unionKeys(a, b map[string]int64) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return sortedKeys(set)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func groupLabel(code, name string) string {
	if name == "" || name == code {
		return code
	}
	return code + "（" + name + "）"
}

func sectionLabel(s ballots.SectionResult) string {
	l := "测评表 " + s.Form + " 第 " + s.Section + " 项"
	if s.Title != "" {
		l += "（" + s.Title + "）"
	}
	return l
}

func subjectLabel(x ballots.SubjectResult) string {
	l := "对象 " + groupLabel(x.Subject, x.Name)
	if x.Dimension != "" {
		l += " · " + x.Dimension
	}
	return l
}
