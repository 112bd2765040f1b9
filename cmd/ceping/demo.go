package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/ceping/ceping/ballots"
)

// DemoCycle is the code of the demo year.
const DemoCycle = "2020"

// seedDemo sets up a realistic year unless it exists: towns and departments,
// cadres, the forms of a town's work-report meeting and of the county
// leading-cadres conference, and their meetings.
func seedDemo(ctx context.Context, svc *ballots.Service) error {
	err := svc.CreateCycle(ctx, ballots.Cycle{Code: DemoCycle, Name: "2020年度目标责任考核"})
	if ballots.ErrorCode(err) == ballots.EConflict {
		return nil // seeded by an earlier run
	}
	if err != nil {
		return err
	}
	towns := []string{"城关镇", "河口镇", "青山镇", "石桥镇", "柳林镇", "白沙镇", "龙泉镇", "永安镇"}
	depts := []string{"县财政局", "县教育局", "县卫生健康局", "县交通运输局", "县农业农村局", "县自然资源局",
		"县住房和城乡建设局", "县民政局", "县人力资源和社会保障局", "县市场监督管理局", "县水利局", "县文化和旅游局"}
	var units []ballots.Unit
	for i, n := range towns {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("T%02d", i+1), Name: n, Kind: ballots.KindTown, Staff: 40 + 7*i})
	}
	for i, n := range depts {
		units = append(units, ballots.Unit{Code: fmt.Sprintf("D%02d", i+1), Name: n, Kind: ballots.KindDepartment, Staff: 20 + 5*i})
	}
	if err := svc.PutUnits(ctx, DemoCycle, units); err != nil {
		return err
	}
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
	if err := svc.PutPeople(ctx, DemoCycle, people); err != nil {
		return err
	}
	for _, f := range demoForms() {
		if err := svc.PutForm(ctx, DemoCycle, f); err != nil {
			return fmt.Errorf("form %s: %w", f.Code, err)
		}
	}
	meetings := []ballots.Meeting{
		{Code: "T01-report", Title: "城关镇2020年度目标责任考核工作报告大会", Kind: "work_report", Host: "T01", Date: "2021-01-15",
			Groups: []ballots.Group{
				{Code: "cadres", Name: "机关干部", Form: "town-report"},
				{Code: "village", Name: "村两委及集镇单位负责人", Form: "town-report"},
				{Code: "committee", Name: "镇党委班子成员（评价县级部门）", Form: "town-mutual"},
				{Code: "deputies", Name: "党代表、人大代表、政协委员、群众代表", Form: "town-social"},
			}},
		{Code: "conference", Title: "全县领导干部大会评价", Kind: "conference", Date: "2021-01-28",
			Groups: []ballots.Group{{Code: "leaders", Name: "县级领导及各镇各部门主要负责人", Form: "conference"}}},
	}
	for _, m := range meetings {
		if _, err := svc.PutMeeting(ctx, DemoCycle, m); err != nil {
			return fmt.Errorf("meeting %s: %w", m.Code, err)
		}
	}
	return nil
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
				Subjects: []string{"person:P07", "person:P08", "person:P09"}, Scale: ballots.Scale{Type: ballots.ScaleChoose, Max: num(2)}, Required: &no},
		}},
		{Code: "town-mutual", Title: "单位互评表（镇党委班子成员评价县级部门）", Sections: []ballots.Section{
			{Code: "mutual", Title: "单位互评", Purpose: "mutual", Subjects: []string{"kind:department"}, Scale: ballots.Scale{Type: ballots.ScaleScore, Min: num(60), Max: num(100)}},
		}},
		{Code: "town-social", Title: "社会评价表", Sections: []ballots.Section{
			{Code: "social", Title: "社会评价", Purpose: "social", Subjects: []string{"host"}, Scale: goodScale},
		}},
		{Code: "conference", Title: "全县领导干部大会评价表", Sections: []ballots.Section{
			{Code: "towns", Title: "各镇年度目标任务完成情况评价", Purpose: "conference", Subjects: []string{"kind:town"}, Scale: goodScale},
			{Code: "depts", Title: "县级各部门年度目标任务完成情况评价", Purpose: "conference", Subjects: []string{"kind:department"}, Scale: goodScale},
		}},
	}
}

// runDemo seeds the demo year, opens the town's work-report meeting, issues
// slips and prints how to reach the console and one voting link with its QR
// code.
func runDemo(ctx context.Context, app *App, password string, out io.Writer) error {
	svc := app.Service
	if err := seedDemo(ctx, svc); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	rec, err := svc.Meeting(ctx, DemoCycle, "T01-report")
	if err != nil {
		return err
	}
	if rec.Meeting.Status == ballots.StatusPending {
		if err := svc.Open(ctx, rec); err != nil {
			return err
		}
	}
	if rec.Meeting.Status != ballots.StatusClosed {
		b, err := svc.IssueBatch(ctx, rec, "cadres", 60)
		if err != nil {
			return err
		}
		link := strings.TrimRight(app.Config.BaseURL, "/") + "/b#" + b.Tokens[0].String()
		qr, err := qrcode.New(link, qrcode.Low)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s\n", qr.ToSmallString(false))
		fmt.Fprintf(out, "投票链接 (voting link, slip 1 of %d issued now):\n  %s\n", b.Count, link)
		fmt.Fprintf(out, "票码 (code): %s\n", b.Tokens[0].Grouped())
	}
	fmt.Fprintf(out, "\n管理控制台（用浏览器打开）: %s/console   API: %s/api/v1\n", app.URL(), app.URL())
	fmt.Fprintf(out, "管理员 (admin) 用户名 admin  密码 (password) %s\n", password)
	fmt.Fprintf(out, "演示年度 (demo cycle) %s，会议 (meeting) T01-report 已开始投票 (open)\n\n", DemoCycle)
	return nil
}
