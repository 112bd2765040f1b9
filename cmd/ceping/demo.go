package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

// The demo year is a county's year in the middle of its assessment: the
// indicator collection under way (a catalogue, entries in every state),
// three meetings closed with enough ballots to rank every unit,
// and 城关镇's work-report meeting open with 60 slips, one of them printed as
// a voting link. It is dated in the current year. A second start finds it as
// it was left: the same password, no new slips, the meeting's true state.

// demoMeeting is the meeting the demo opens for the newcomer to vote in.
const demoMeeting = "T01-report"

// demoPasswordFile keeps the demo admin's password in the demo's data folder,
// so that a second start can print it again (a bcrypt hash can't be).
const demoPasswordFile = "demo-admin-password"

// demoCycle returns the demo year's code: the year already seeded in this
// data folder, or the current year.
func demoCycle(ctx context.Context, svc *ballots.Service, now time.Time) (string, bool, error) {
	cycles, err := svc.Cycles(ctx)
	if err != nil {
		return "", false, err
	}
	if len(cycles) > 0 {
		return cycles[0].Code, true, nil
	}
	return fmt.Sprint(now.Year()), false, nil
}

var (
	demoTowns = []string{"城关镇", "河口镇", "青山镇", "石桥镇", "柳林镇", "白沙镇", "龙泉镇", "永安镇"}
	demoDepts = []string{"县财政局", "县教育局", "县卫生健康局", "县交通运输局", "县农业农村局", "县自然资源局",
		"县住房和城乡建设局", "县民政局", "县人力资源和社会保障局", "县市场监督管理局", "县水利局", "县文化和旅游局"}
	// Surnames and given names for the other towns' leaders.
	demoSurnames = []string{"黄", "何", "马", "罗", "高", "林", "谢", "唐"}
	demoGiven    = []string{"建华", "春梅", "国庆", "晓东", "玉兰", "志刚", "丽萍", "文斌", "红英", "永强", "秀英", "海波"}
)

// demoQuality is how well a unit did this year, 0 to 1: it makes the ranks.
func demoQuality(i int) float64 { return math.Mod(0.37+float64(i)*0.6180339887, 1) }

// seedDemo sets up the demo year cycle: units, people, forms, targets and
// meetings; it closes three meetings with ballots and opens demoMeeting.
func seedDemo(ctx context.Context, svc *ballots.Service, cycle string, now time.Time) error {
	// The audit log shows the demo's set-up as the console's would be.
	audit := func(action, target, detail string) {
		_ = svc.Audit(ctx, ballots.AuditEntry{Actor: "admin", Action: action, Target: target, Detail: detail + "（演示数据）"})
	}
	if err := svc.CreateCycle(ctx, ballots.Cycle{Code: cycle, Name: cycle + "年度目标责任考核"}); err != nil {
		return err
	}
	audit("setup.put", cycle, "新建考核年度："+cycle+"年度目标责任考核")
	var units []ballots.Unit
	for i, n := range demoTowns {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("T%02d", i+1), Name: n, Kind: ballots.KindTown, Staff: 40 + 7*i})
	}
	for i, n := range demoDepts {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("D%02d", i+1), Name: n, Kind: ballots.KindDepartment, Staff: 20 + 5*i})
	}
	if err := svc.PutUnits(ctx, cycle, units); err != nil {
		return err
	}
	audit("setup.put", cycle, fmt.Sprintf("保存单位名单，共 %d 个单位", len(units)))
	people := demoPeople()
	if err := svc.PutPeople(ctx, cycle, people); err != nil {
		return err
	}
	audit("setup.put", cycle, fmt.Sprintf("保存人员名单，共 %d 人", len(people)))
	for _, f := range demoForms() {
		if err := svc.PutForm(ctx, cycle, f); err != nil {
			return fmt.Errorf("form %s: %w", f.Code, err)
		}
		audit("form.save", cycle+"/"+f.Code, "测评表："+f.Title)
	}
	if err := seedCollection(ctx, svc, cycle, units, now, audit); err != nil {
		return err
	}
	day := func(ago int) string { return now.AddDate(0, 0, -ago).Format("2006-01-02") }
	townReport := func(code, host, title, date string) ballots.Meeting {
		return ballots.Meeting{Code: code, Title: title, Kind: "work_report", Host: host, Date: date,
			Groups: []ballots.Group{
				{Code: "cadres", Name: "机关干部", Form: "town-report"},
				{Code: "village", Name: "村两委及集镇单位负责人", Form: "town-report"},
				{Code: "committee", Name: "镇党委班子成员（评价县级部门）", Form: "town-mutual"},
				{Code: "deputies", Name: "党代表、人大代表、政协委员、群众代表", Form: "town-social"},
			}}
	}
	meetings := []ballots.Meeting{
		{Code: "conference", Title: "全县领导干部大会评价", Kind: "conference", Date: day(12),
			Groups: []ballots.Group{{Code: "leaders", Name: "县级领导及各镇各部门主要负责人", Form: "conference"}}},
		{Code: "deputies", Title: "人大代表、政协委员评价县级部门", Kind: "social", Date: day(9),
			Groups: []ballots.Group{{Code: "deputies", Name: "人大代表、政协委员", Form: "dept-social"}}},
		townReport("T02-report", "T02", cycle+"年度河口镇目标责任考核工作报告大会", day(5)),
		townReport(demoMeeting, "T01", cycle+"年度城关镇目标责任考核工作报告大会", day(0)),
	}
	for _, m := range meetings {
		if _, err := svc.PutMeeting(ctx, cycle, m); err != nil {
			return fmt.Errorf("meeting %s: %w", m.Code, err)
		}
		audit("meeting.save", cycle+"/"+m.Code, "会议："+m.Title)
	}
	// Closed meetings, with ballots: voters per group.
	rng := rand.New(rand.NewPCG(uint64(len(cycle)), 2026))
	for _, run := range []struct {
		meeting string
		voters  map[string]int
	}{
		{"conference", map[string]int{"leaders": 46}},
		{"deputies", map[string]int{"deputies": 32}},
		{"T02-report", map[string]int{"cadres": 24, "village": 11, "committee": 6, "deputies": 9}},
	} {
		if err := runDemoMeeting(ctx, svc, cycle, run.meeting, run.voters, rng, audit); err != nil {
			return fmt.Errorf("meeting %s: %w", run.meeting, err)
		}
	}
	rec, err := svc.Meeting(ctx, cycle, demoMeeting)
	if err != nil {
		return err
	}
	if err := svc.Open(ctx, rec); err != nil {
		return err
	}
	audit("meeting.open", cycle+"/"+demoMeeting, "")
	return nil
}

func demoPeople() []ballots.Person {
	people := []ballots.Person{
		{Code: "P01", Name: "张建国", Unit: "T01", Post: "党委书记", Leader: true},
		{Code: "P02", Name: "李卫东", Unit: "T01", Post: "镇长", Leader: true},
		{Code: "P03", Name: "王秀兰", Unit: "T01", Post: "人大主席", Leader: true},
		{Code: "P04", Name: "刘志强", Unit: "T01", Post: "纪委书记", Leader: true},
		{Code: "P05", Name: "陈海燕", Unit: "T01", Post: "副镇长", Leader: true},
		{Code: "P06", Name: "杨明", Unit: "T01", Post: "组织委员", Leader: true},
		{Code: "P07", Name: "赵丽", Unit: "T01", Post: "党政办主任"},
		{Code: "P08", Name: "周鹏", Unit: "T01", Post: "经济发展办主任"},
		{Code: "P09", Name: "吴桂芳", Unit: "T01", Post: "社会事务办主任"},
		{Code: "P11", Name: "孙德明", Unit: "D01", Post: "局长", Leader: true},
		{Code: "P12", Name: "郑晓红", Unit: "D01", Post: "副局长", Leader: true},
	}
	// The other towns' leaders: secretary, mayor, people's congress chair.
	posts := []string{"党委书记", "镇长", "人大主席"}
	n := 0
	for t := 2; t <= len(demoTowns); t++ {
		for _, post := range posts {
			people = append(people, ballots.Person{Code: fmt.Sprintf("P%d%02d", t, n%100), Unit: fmt.Sprintf("T%02d", t), Post: post, Leader: true,
				Name: demoSurnames[(t+n)%len(demoSurnames)] + demoGiven[n%len(demoGiven)]})
			n++
		}
	}
	return people
}

func ptr(x float64) *float64 { return &x }

// runDemoMeeting opens a meeting, issues slips, casts a ballot with each
// (answers leaning to each rated unit's quality) and closes it.
func runDemoMeeting(ctx context.Context, svc *ballots.Service, cycle, code string, voters map[string]int, rng *rand.Rand, audit func(action, target, detail string)) error {
	rec, err := svc.Meeting(ctx, cycle, code)
	if err != nil {
		return err
	}
	target := cycle + "/" + code
	if err := svc.Open(ctx, rec); err != nil {
		return err
	}
	audit("meeting.open", target, "")
	if rec, err = svc.Meeting(ctx, cycle, code); err != nil {
		return err
	}
	type cast struct {
		tok ballots.Token
		raw map[string]json.RawMessage
	}
	var casts []cast
	for _, g := range rec.Def.Groups {
		n := voters[g.Code]
		if n == 0 {
			continue
		}
		b, err := svc.IssueBatch(ctx, rec, g.Code, n)
		if err != nil {
			return err
		}
		audit("batch.issue", target, fmt.Sprintf("第 %d 批：类别 %s，%d 张", b.Number, g.Name, n))
		for _, tok := range b.Tokens {
			casts = append(casts, cast{tok, demoAnswers(&g, rng)})
		}
	}
	// Several voters at a time, as in a hall.
	var wg sync.WaitGroup
	errs := make(chan error, len(casts))
	sem := make(chan struct{}, 8)
	for i, c := range casts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- svc.Cast(ctx, c.tok, fmt.Sprintf("demo-%d", i), c.raw)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	sealed, err := svc.Close(ctx, rec)
	if err != nil {
		return err
	}
	audit("meeting.close", target, fmt.Sprintf("共 %d 张选票，封存摘要 %s", sealed.Ballots, sealed.Digest))
	return nil
}

// unitIndex maps demo unit codes to their place, for their quality.
func unitIndex(code string) int {
	var n int
	if _, err := fmt.Sscanf(code[1:], "%d", &n); err != nil {
		return 0
	}
	if code[0] == 'D' {
		n += len(demoTowns)
	}
	return n - 1
}

// demoAnswers fills one ballot of group g: grades and scores lean to the
// rated unit's quality, each limit on an option is kept, and a few names
// are recommended.
func demoAnswers(g *ballots.GroupDef, rng *rand.Rand) map[string]json.RawMessage {
	raw := map[string]json.RawMessage{}
	for _, s := range g.Sections {
		var v any
		switch s.Scale.Type {
		case ballots.ScaleChoose:
			var picked []string
			for _, subj := range s.Subjects {
				if rng.IntN(3) == 0 && (s.Scale.Max == nil || len(picked) < int(*s.Scale.Max)) {
					picked = append(picked, subj.Code)
				}
			}
			if len(picked) == 0 && s.Required {
				picked = []string{s.Subjects[0].Code}
			}
			v = picked
		case ballots.ScaleScore:
			m := map[string]any{}
			lo, hi := *s.Scale.Min, *s.Scale.Max
			for _, subj := range s.Subjects {
				q := demoQuality(unitIndex(subj.Code))
				x := lo + (hi-lo)*math.Min(1, math.Max(0, 0.55+0.4*q+0.15*(rng.Float64()-0.5)))
				m[subj.Code] = math.Round(x)
			}
			v = m
		default:
			dims := s.Dimensions
			if len(dims) == 0 {
				dims = []string{""}
			}
			used := map[string]map[string]int{} // dimension → option → answers
			pick := func(subject, dim string) string {
				q := demoQuality(unitIndex(subject))
				// 0 is the best option; better units lean to it.
				i := int(math.Floor(rng.Float64() * (1.8 - q) * float64(len(s.Scale.Options)) / 2))
				for ; i < len(s.Scale.Options); i++ {
					label := s.Scale.Options[i].Label
					if limitAllows(s, label, used[dim][label]) {
						if used[dim] == nil {
							used[dim] = map[string]int{}
						}
						used[dim][label]++
						return label
					}
				}
				return s.Scale.Options[len(s.Scale.Options)-1].Label
			}
			m := map[string]any{}
			for _, subj := range s.Subjects {
				if dims[0] == "" {
					m[subj.Code] = pick(subj.Code, "")
					continue
				}
				per := map[string]string{}
				for _, d := range dims {
					per[d] = pick(subj.Code, d)
				}
				m[subj.Code] = per
			}
			v = m
		}
		b, _ := json.Marshal(v)
		raw[s.Code] = b
	}
	return raw
}

// limitAllows reports whether one more answer with label keeps the
// section's limits (per dimension), given n answers with it so far.
func limitAllows(s ballots.SectionDef, label string, n int) bool {
	for _, l := range s.Limits {
		for _, o := range l.Options {
			if o != label {
				continue
			}
			max := int(math.Floor(l.MaxShare*float64(len(s.Subjects)) + 0.5))
			if l.MaxCount != nil {
				max = *l.MaxCount
			}
			if n+1 > max {
				return false
			}
		}
	}
	return true
}

func num(x float64) *float64 { return &x }

var goodScale = ballots.Scale{Type: ballots.ScaleGrade, Options: []ballots.Option{{Label: "好", Value: 1}, {Label: "较好", Value: 0.8}, {Label: "一般", Value: 0.6}, {Label: "差", Value: 0}}}

// demoForms are the paper forms of the rules text.
func demoForms() []ballots.Form {
	competent := ballots.Scale{Type: ballots.ScaleGrade, Options: []ballots.Option{{Label: "优秀", Value: 1}, {Label: "称职", Value: 0.8}, {Label: "基本称职", Value: 0.5}, {Label: "不称职", Value: 0}}}
	no := false
	return []ballots.Form{
		{Code: "town-report", Title: "镇年度工作报告大会测评表", Sections: []ballots.Section{
			{Code: "dem", Title: "民主测评（年度目标任务完成情况）", Purpose: "democratic", Subjects: []string{"host"}, Scale: goodScale},
			{Code: "team", Title: "领导班子测评", Purpose: "team", Subjects: []string{"host"}, Scale: competent},
			{Code: "cadre", Title: "科级干部测评（德能勤绩廉）", Purpose: "cadre", Subjects: []string{"people:host"}, Scale: competent,
				Dimensions: []string{"德", "能", "勤", "绩", "廉"}, Limits: []ballots.Limit{{Options: []string{"优秀"}, MaxShare: 0.3}}},
			{Code: "integrity", Title: "党风廉政建设测评", Purpose: "integrity", Subjects: []string{"host"}, Scale: competent},
			{Code: "recommend", Title: "无任用推荐（后备干部，最多推荐 2 人）", Purpose: "recommend",
				Subjects: []string{"people:host"}, Scale: ballots.Scale{Type: ballots.ScaleChoose, Max: num(2)}, Required: &no},
		}},
		{Code: "town-mutual", Title: "单位互评表（镇党委班子成员评价县级部门）", Sections: []ballots.Section{
			{Code: "mutual", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"}, Scale: ballots.Scale{Type: ballots.ScaleScore, Min: num(60), Max: num(100)}},
		}},
		{Code: "town-social", Title: "社会评价表", Sections: []ballots.Section{
			{Code: "social", Title: "社会评价", Purpose: "social", Subjects: []string{"host"}, Scale: goodScale},
		}},
		{Code: "dept-social", Title: "县级部门社会评价表", Sections: []ballots.Section{
			{Code: "social", Title: "社会评价（人大代表、政协委员）", Purpose: "social", Subjects: []string{"kind:department"}, Scale: goodScale},
		}},
		{Code: "conference", Title: "全县领导干部大会评价表", Sections: []ballots.Section{
			{Code: "towns", Title: "各镇年度目标任务完成情况评价", Purpose: "conference", Subjects: []string{"kind:town"}, Scale: goodScale},
			{Code: "depts", Title: "县级各部门年度目标任务完成情况评价", Purpose: "conference", Subjects: []string{"kind:department"}, Scale: goodScale},
		}},
	}
}

// demoPassword returns the demo admin's password: the one kept in the data
// folder, or a new one (kept there) when the folder has none — first start,
// or a folder from before it was kept. changed says the password is new to
// a folder that was seeded before.
func demoPassword(ctx context.Context, svc *ballots.Service, dir, first, given string, seeded bool) (password string, changed bool, err error) {
	path := filepath.Join(dir, demoPasswordFile)
	switch {
	case given != "": // CEPING_ADMIN_PASSWORD: the user knows it
		return given, false, nil
	case first != "": // EnsureAdmin just created admin with it
		password = first
	default:
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 8 {
			return strings.TrimSpace(string(b)), false, nil
		}
		password, changed = ballots.GeneratePassword(), seeded
		if err := svc.SetPassword(ctx, "admin", password); err != nil {
			return "", false, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	return password, changed, os.WriteFile(path, []byte(password+"\n"), 0o600)
}

// resetDemo empties a demo data folder, refusing any folder that isn't one.
func resetDemo(dir, databaseURL string) error {
	if databaseURL != "" {
		return errors.New("demo -reset 只清除内嵌数据库的演示数据；使用 PostgreSQL 时请自行清空数据库 (demo -reset clears the embedded database only)")
	}
	if _, err := os.Stat(filepath.Join(dir, demoPasswordFile)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "ceping.db")); err == nil {
			return fmt.Errorf("%s 不是演示数据目录，没有清除 (%s is not a demo data folder: nothing removed)", dir, dir)
		}
		return nil // nothing there yet
	}
	for _, name := range []string{"ceping.db", "ceping.db-wal", "ceping.db-shm", "secret", demoPasswordFile, demoAccountsFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// runDemo seeds the demo year on the first start and prints how to reach the
// console and, the first time, one voting link with its QR code; later it
// prints the meeting's state as it is.
func runDemo(ctx context.Context, app *App, password string, changed bool, out io.Writer) error {
	svc := app.Service
	now := time.Now()
	cycle, seeded, err := demoCycle(ctx, svc, now)
	if err != nil {
		return err
	}
	if !seeded {
		fmt.Fprintf(out, "正在建立演示年度 %s（约需十几秒）… (seeding the demo year)\n", cycle)
		if err := seedDemo(ctx, svc, cycle, now); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
	}
	accounts, err := demoAccountPasswords(ctx, svc, app.Config.Data)
	if err != nil {
		return err
	}
	rec, err := svc.Meeting(ctx, cycle, demoMeeting)
	if err != nil {
		return err
	}
	base := app.ConsoleBase()
	meetingURL := base + "/console/cycles/" + cycle + "/meetings/" + demoMeeting
	switch {
	case !seeded && rec.Meeting.Status == ballots.StatusOpen:
		b, err := svc.IssueBatch(ctx, rec, "cadres", 60)
		if err != nil {
			return err
		}
		_ = svc.Audit(ctx, ballots.AuditEntry{Actor: "admin", Action: "batch.issue", Target: cycle + "/" + demoMeeting,
			Detail: fmt.Sprintf("第 %d 批：类别 机关干部，%d 张（演示数据）", b.Number, b.Count)})
		link := strings.TrimRight(app.Config.BaseURL, "/") + "/b#" + b.Tokens[0].String()
		qr, err := qrcode.New(link, qrcode.Low)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s\n", qr.ToSmallString(false))
		fmt.Fprintf(out, "投票链接 (voting link, slip 1 of %d issued now):\n  %s\n", b.Count, link)
		fmt.Fprintf(out, "票码 (code): %s\n", b.Tokens[0].Grouped())
		fmt.Fprintf(out, "\n演示年度 (demo year) %s：会议“%s”已开始投票 (open)\n", cycle, rec.Meeting.Title)
	case rec.Meeting.Status == ballots.StatusOpen:
		t, err := svc.TurnoutByID(ctx, rec.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n演示年度 (demo year) %s：会议“%s”正在投票 (open)，已发选票 %d 张，已投 %d 张。\n", cycle, rec.Meeting.Title, t.Issued, t.Cast)
		fmt.Fprintf(out, "首次启动时打印的投票链接仍可使用；需要新的选票请在会议页打印 (print more slips on the meeting page):\n  %s\n", meetingURL)
	case rec.Meeting.Status == ballots.StatusClosed:
		fmt.Fprintf(out, "\n演示年度 (demo year) %s：会议“%s”已结束 (closed)，结果已封存，可查看计票单和考核结果。\n", cycle, rec.Meeting.Title)
	default:
		fmt.Fprintf(out, "\n演示年度 (demo year) %s：会议“%s”尚未开始 (not open yet)。\n", cycle, rec.Meeting.Title)
	}
	fmt.Fprintf(out, "\n管理控制台（用浏览器打开）: %s/console   API: %s/api/v1\n", base, app.URL())
	fmt.Fprintf(out, "管理员 (admin) 用户名 admin  密码 (password) %s\n", password)
	for _, u := range demoAccounts {
		fmt.Fprintf(out, "%s (%s) 用户名 %s  密码 (password) %s\n", u.DisplayName, u.Role, u.Name, accounts[u.Name])
	}
	if changed {
		fmt.Fprintln(out, "（这个演示目录里没有保存过密码，已设置新密码 / this demo folder kept no password: admin has a new one）")
	}
	fmt.Fprintf(out, "从头再来 (start over): ceping demo -reset    数据目录 (data): %s\n\n", app.Config.Data)
	return nil
}

// The demo's indicator collection (数据采集): a statistics bureau, three
// functional departments and two assessment groups; a catalogue covering
// every category of each unit's kind; entries in every state.
var demoBodies = []ballots.Body{
	{Code: "TJJ", Name: "县统计局", Kind: ballots.BodyStatistics},
	{Code: "ZZB", Name: "县委组织部", Kind: ballots.BodyDepartment},
	{Code: "AJJ", Name: "县应急管理局", Kind: ballots.BodyDepartment},
	{Code: "HBJ", Name: "县生态环境局", Kind: ballots.BodyDepartment},
	{Code: "G1", Name: "第一考核组", Kind: ballots.BodyGroup},
	{Code: "G2", Name: "第二考核组", Kind: ballots.BodyGroup},
}

// Demo accounts besides admin: an assessor of the statistics bureau and
// 城关镇's unit account. Their passwords are kept in demoAccountsFile, as
// admin's is.
var demoAccounts = []ballots.User{
	{Name: "tjj", DisplayName: "县统计局填报员", Role: ballots.RoleAssessor, Body: "TJJ"},
	{Name: "chengguan", DisplayName: "城关镇", Role: ballots.RoleUnit, Unit: "T01"},
}

const demoAccountsFile = "demo-accounts"

// demoIndicator is one line of a unit's catalogue before it is numbered.
type demoIndicator struct {
	category, name, source, measure, better string
	points                                  float64
	target                                  float64 // 0: a score indicator
}

// demoCatalogue is every unit's indicators, in the points of the rules
// text: towns 35/15/15/20/15, departments 70/30.
func demoCatalogue(units []ballots.Unit) []ballots.Indicator {
	var out []ballots.Indicator
	for i, u := range units {
		var lines []demoIndicator
		if u.Kind == ballots.KindTown {
			lines = []demoIndicator{
				{"economic", "地区生产总值增速", "TJJ", "%", "", 15, 7.5},
				{"economic", "规模以上工业增加值增速", "TJJ", "%", "", 10, 8},
				{"economic", "固定资产投资", "TJJ", "亿元", "", 10, float64(6 + i)},
				{"social", "农村居民人均可支配收入增速", "TJJ", "%", "", 8, 8},
				{"social", "城镇新增就业人数", "TJJ", "人", "", 7, float64(300 + 40*i)},
				{"environment", "空气质量优良天数比例", "HBJ", "%", "", 8, 85},
				{"environment", "万元地区生产总值能耗", "TJJ", "吨标煤", ballots.BetterLower, 7, 0.45},
				{"stability", "安全生产", "AJJ", "", "", 12, 0},
				{"stability", "信访稳定", "AJJ", "", "", 8, 0},
				{"team", "领导班子和队伍建设", "ZZB", "", "", 15, 0},
			}
		} else {
			lines = []demoIndicator{
				{"work", "职能工作目标任务", "G1", "", "", 50, 0},
				{"work", "重点项目推进", "G2", "项", "", 20, float64(4 + i%4)},
				{"team", "领导班子和队伍建设", "ZZB", "", "", 30, 0},
			}
		}
		for k, l := range lines {
			ind := ballots.Indicator{Code: fmt.Sprintf("%s-%02d", u.Code, k+1), Unit: u.Code, Category: l.category, Name: l.name,
				Points: l.points, Method: ballots.MethodScore, Measure: l.measure, Source: l.source}
			if l.target > 0 {
				ind.Method, ind.Target, ind.Better = ballots.MethodCompletion, ptr(l.target), l.better
				if ind.Better == "" {
					ind.Better = ballots.BetterHigher
				}
			}
			out = append(out, ind)
		}
	}
	return out
}

// demoEntry is the value a body enters for an indicator, led by the
// unit's quality: completions from 85% to about 105%, scores 74 to 96.
func demoEntry(ind ballots.Indicator) ballots.EntryInput {
	q := demoQuality(unitIndex(ind.Unit))
	if ind.Method == ballots.MethodScore {
		return ballots.EntryInput{Score: ptr(math.Round(74 + 22*math.Mod(q+0.1*float64(len(ind.Name)), 1)))}
	}
	c := 0.85 + 0.2*math.Mod(q+0.07*float64(len(ind.Name)), 1)
	actual := *ind.Target * c
	if ind.Better == ballots.BetterLower {
		actual = *ind.Target / c
	}
	return ballots.EntryInput{Actual: ptr(math.Round(actual*100) / 100)}
}

// seedCollection sets up the collection of the demo year: bodies, the
// catalogue, a deadline, and entries in every state —
//   - 县统计局: submitted, approved, but 青山镇's 固定资产投资 returned with a
//     comment and 永安镇's growth below 60% of its target (no points);
//   - 县应急管理局, 县委组织部, 第一考核组: submitted and approved, with one
//     major loss (白沙镇's safety);
//   - 县生态环境局: submitted, half approved, half awaiting review;
//   - 第二考核组: drafts, one indicator not entered yet.
func seedCollection(ctx context.Context, svc *ballots.Service, cycle string, units []ballots.Unit, now time.Time, audit func(action, target, detail string)) error {
	if err := svc.PutBodies(ctx, cycle, demoBodies); err != nil {
		return err
	}
	audit("bodies.put", cycle, fmt.Sprintf("保存考核主体名单，共 %d 个", len(demoBodies)))
	cat := demoCatalogue(units)
	in := scoring.Input{Rules: scoring.DefaultRules(), Targets: scoring.CatalogueTargets(cat)}
	for _, u := range units {
		in.Units = append(in.Units, scoring.Unit{Code: u.Code, Name: u.Name, Kind: u.Kind, Staff: u.Staff})
	}
	if err := in.Validate(); err != nil {
		return fmt.Errorf("demo catalogue: %w", err)
	}
	if _, err := svc.PutCatalogue(ctx, cycle, cat, false); err != nil {
		return err
	}
	audit("indicators.put", cycle, fmt.Sprintf("保存目标任务分解表，共 %d 项指标", len(cat)))
	deadline := now.AddDate(0, 0, 7).Format(time.DateOnly)
	if err := svc.PutDeadline(ctx, cycle, deadline); err != nil {
		return err
	}
	audit("collection.deadline", cycle, "截止日期："+deadline)
	admin := ballots.Actor{Name: "admin", Role: ballots.RoleAdmin}
	special := map[string]ballots.EntryInput{
		"T08-01": {Actual: ptr(4.2), Note: "受主导企业停产影响"}, // 56% of 7.5: below the 60% floor
		"T06-08": {Score: ptr(70), MajorLoss: true, Reason: "发生一起较大生产安全事故，被市政府通报"},
	}
	for _, b := range demoBodies {
		actor := ballots.Actor{Name: "admin", Role: ballots.RoleAdmin}
		if b.Code == "TJJ" {
			actor = ballots.Actor{Name: "tjj", Role: ballots.RoleAssessor, Body: "TJJ"}
		}
		var mine []ballots.Indicator
		for _, ind := range cat {
			if ind.Source == b.Code {
				mine = append(mine, ind)
			}
		}
		for k, ind := range mine {
			if b.Code == "G2" && k == len(mine)-1 {
				break // not entered yet
			}
			e, ok := special[ind.Code]
			if !ok {
				e = demoEntry(ind)
			}
			if _, err := svc.PutEntry(ctx, cycle, ind.Code, actor, e); err != nil {
				return fmt.Errorf("entry %s: %w", ind.Code, err)
			}
		}
		if b.Code == "G2" {
			audit("entry.put", cycle+"/"+b.Code, fmt.Sprintf("第二考核组录入草稿 %d 项", len(mine)-1))
			continue
		}
		changes, err := svc.SubmitBody(ctx, cycle, b.Code, actor)
		if err != nil {
			return fmt.Errorf("submit %s: %w", b.Code, err)
		}
		auditAs(svc, ctx, actor.Name, "entry.submit", cycle+"/"+b.Code, fmt.Sprintf("报送 %d 项指标", len(changes)))
		var approve []string
		for _, ind := range mine {
			switch {
			case ind.Code == "T03-03":
				if _, err := svc.ReviewEntries(ctx, cycle, []string{ind.Code}, "", ballots.Return, "请按统计年报口径核实，并附统计报表", admin.Name); err != nil {
					return err
				}
				audit("entry.return", cycle+"/"+ind.Code, ind.Name+"，退回意见：请按统计年报口径核实，并附统计报表")
			case b.Code == "HBJ" && unitIndex(ind.Unit) < 4:
				// awaiting review
			default:
				approve = append(approve, ind.Code)
			}
		}
		if _, err := svc.ReviewEntries(ctx, cycle, approve, "", ballots.Approve, "", admin.Name); err != nil {
			return fmt.Errorf("approve %s: %w", b.Code, err)
		}
		audit("entry.approve", cycle+"/"+b.Code, fmt.Sprintf("审核通过 %d 项指标", len(approve)))
	}
	return nil
}

// auditAs records an audit entry of the demo's set-up by actor.
func auditAs(svc *ballots.Service, ctx context.Context, actor, action, target, detail string) {
	_ = svc.Audit(ctx, ballots.AuditEntry{Actor: actor, Action: action, Target: target, Detail: detail + "（演示数据）"})
}

// demoAccountPasswords creates the demo accounts on the first start and
// keeps their passwords in the data folder; later it reads them back, or
// sets new ones when the folder has none (a folder from before).
func demoAccountPasswords(ctx context.Context, svc *ballots.Service, dir string) (map[string]string, error) {
	path := filepath.Join(dir, demoAccountsFile)
	kept := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, pw, ok := strings.Cut(strings.TrimSpace(line), " "); ok && len(pw) >= 8 {
				kept[name] = pw
			}
		}
	}
	var lines []string
	for _, u := range demoAccounts {
		pw, ok := kept[u.Name]
		if !ok {
			pw = ballots.GeneratePassword()
			if _, err := svc.User(ctx, u.Name); err == nil {
				if err := svc.SetPassword(ctx, u.Name, pw); err != nil {
					return nil, err
				}
			} else {
				if err := svc.AddUser(ctx, u, pw); err != nil {
					return nil, fmt.Errorf("demo account %s: %w", u.Name, err)
				}
				binding := "（考核主体 " + u.Body + "）"
				role := "考核主体填报"
				if u.Role == ballots.RoleUnit {
					binding, role = "（单位 "+u.Unit+"）", "被考核单位"
				}
				auditAs(svc, ctx, "admin", "user.create", u.Name, "角色："+role+binding+"，姓名："+u.DisplayName)
			}
			kept[u.Name] = pw
		}
		lines = append(lines, u.Name+" "+pw)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return kept, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}
