package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// xlsxFile builds a workbook whose first sheet holds rows.
func xlsxFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts data as the multipart field "file" and checks the status.
func (a *app) upload(path, filename string, data []byte, auth string, want int) []byte {
	a.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", filename)
	if err != nil {
		a.t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if auth == "" {
		auth = "Bearer " + a.jwt
	}
	req.Header.Set("Authorization", auth)
	resp, err := a.srv.App().Test(req, -1)
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("POST %s (%s): status %d, want %d: %s", path, filename, resp.StatusCode, want, out)
	}
	return out
}

func importYear(t *testing.T) *app {
	a := newApp(t)
	a.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2021", "name": "2021年度目标责任考核"}, 201, nil)
	return a
}

const unitsCSV = "\uFEFF编码,名称,类型,人数\r\nT01,城关镇,镇,80\r\nT02,河口镇,town,45\r\nD01,县财政局,部门,35\r\nD02,县教育局,department,\r\n"

func TestImportUnits(t *testing.T) {
	a := importYear(t)
	// From Excel: headers with notes, kinds in Chinese and English, a blank row.
	a.upload("/api/v1/cycles/2021/import/units", "单位.xlsx", xlsxFile(t, [][]any{
		{"编码", "名称", "类型（镇/部门）", "人数"},
		{"T01", "城关镇", "镇", 80},
		{},
		{"D01", "县财政局", "department", "35"},
	}), "", 200)
	got := string(a.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, nil))
	want := `[{"code":"T01","name":"城关镇","kind":"town","staff":80},{"code":"D01","name":"县财政局","kind":"department","staff":35}]`
	if got != want {
		t.Fatalf("units after the xlsx import:\n%s\nwant\n%s", got, want)
	}
	// A CSV replaces the list.
	a.upload("/api/v1/cycles/2021/import/units", "units.csv", []byte(unitsCSV), "", 200)
	var units []struct {
		Code, Kind string
		Staff      int
	}
	a.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, &units)
	if len(units) != 4 || units[1].Code != "T02" || units[1].Kind != "town" || units[3].Kind != "department" || units[3].Staff != 0 {
		t.Fatalf("units after the CSV import: %+v", units)
	}
}

func TestImportPeople(t *testing.T) {
	a := importYear(t)
	a.upload("/api/v1/cycles/2021/import/units", "units.csv", []byte(unitsCSV), "", 200)
	a.upload("/api/v1/cycles/2021/import/people", "人员.xlsx", xlsxFile(t, [][]any{
		{"编码", "姓名", "单位编码", "职务", "班子成员"},
		{"P01", "张建国", "T01", "党委书记", "是"},
		{"P02", "李卫东", "城关镇", "镇长", true}, // a unit named, not coded
		{"P03", "赵丽", "T01", "党政办主任", "否"},
		{"P11", "孙德明", "D01", "局长", "TRUE"},
	}), "", 200)
	got := string(a.call("GET", "/api/v1/cycles/2021/people", "", nil, 200, nil))
	want := `[{"code":"P01","name":"张建国","unit":"T01","post":"党委书记","leader":true},{"code":"P02","name":"李卫东","unit":"T01","post":"镇长","leader":true},` +
		`{"code":"P03","name":"赵丽","unit":"T01","post":"党政办主任","leader":false},{"code":"P11","name":"孙德明","unit":"D01","post":"局长","leader":true}]`
	if got != want {
		t.Fatalf("people after the xlsx import:\n%s\nwant\n%s", got, want)
	}
	// A CSV as Excel on a Chinese Windows saves it: GB18030, no BOM.
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String("编码,姓名,单位编码,职务,是否班子成员\r\nP21,王秀兰,T02,人大主席,false\r\nP22,刘志强,D02,,\r\n")
	if err != nil {
		t.Fatal(err)
	}
	a.upload("/api/v1/cycles/2021/import/people", "people.csv", []byte(gbk), "", 200)
	got = string(a.call("GET", "/api/v1/cycles/2021/people", "", nil, 200, nil))
	want = `[{"code":"P21","name":"王秀兰","unit":"T02","post":"人大主席","leader":false},{"code":"P22","name":"刘志强","unit":"D02","post":"","leader":false}]`
	if got != want {
		t.Fatalf("people after the CSV import:\n%s\nwant\n%s", got, want)
	}
}

type importedTarget struct {
	Unit       string
	Indicators []struct {
		Category   string
		Name       string
		Points     float64
		Completion *float64
		Score      *float64
		MajorLoss  bool `json:"major_loss"`
	}
	Adjustments []struct {
		Points float64
		Reason string
	}
	Veto bool
}

func TestImportTargets(t *testing.T) {
	a := importYear(t)
	a.upload("/api/v1/cycles/2021/import/units", "units.csv", []byte(unitsCSV), "", 200)
	rows := [][]any{
		{"单位编码", "类别", "指标名称", "分值", "完成率", "得分", "重大损失"},
		{"T01", "经济发展", "地区生产总值", 20, "95%", "", ""},
		{"T01", "经济发展", "固定资产投资", 15, 1.2, "", ""},
		{"T01", "社会发展", "民生实事", 15, "", 90, ""},
		{"T01", "资源环境", "环境保护", 15, "", 85, "否"},
		{"T01", "社会稳定", "信访稳定", 20, "", "", "是"},
		{"T01", "班子和队伍建设", "班子建设", 15, "", 92, ""},
		{"D01", "年度工作任务", "财政收入", 70, "88", "", ""},
		{"D01", "班子和队伍建设", "班子建设", 30, "", 80, ""},
		{"D01", "加减分", "获省级表彰", 1, "", "", ""},
		{"D01", "减分", "通报批评", 0.5, "", "", ""},
		{"县财政局", "一票否决", "", "", "", "", ""},
	}
	a.upload("/api/v1/cycles/2021/import/targets", "目标任务.xlsx", xlsxFile(t, rows), "", 200)
	var ts []importedTarget
	a.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, &ts)
	if len(ts) != 2 || ts[0].Unit != "T01" || len(ts[0].Indicators) != 6 || ts[1].Unit != "D01" || len(ts[1].Indicators) != 2 {
		t.Fatalf("targets: %+v", ts)
	}
	t01, d01 := ts[0], ts[1]
	if c := t01.Indicators[0].Completion; c == nil || *c != 0.95 || t01.Indicators[0].Category != "economic" {
		t.Errorf("95%% read as %+v", t01.Indicators[0])
	}
	if c := t01.Indicators[1].Completion; c == nil || *c != 1.2 {
		t.Errorf("1.2 read as %v", c)
	}
	if !t01.Indicators[4].MajorLoss || t01.Indicators[4].Category != "stability" || t01.Indicators[5].Category != "team" {
		t.Errorf("T01 indicators %+v", t01.Indicators)
	}
	if c := d01.Indicators[0].Completion; c == nil || *c != 0.88 || d01.Indicators[0].Category != "work" {
		t.Errorf("a plain 88 read as %v", c)
	}
	if len(d01.Adjustments) != 2 || d01.Adjustments[0].Points != 1 || d01.Adjustments[0].Reason != "获省级表彰" || d01.Adjustments[1].Points != -0.5 || !d01.Veto {
		t.Errorf("D01 adjustments and veto: %+v", d01)
	}
	// The same as CSV replaces everything.
	csv := "单位编码,类别,指标名称,分值,完成率,得分,重大损失\nD02,年度工作任务,工作,70,100%,,\nD02,班子和队伍建设,班子,30,,75,\n"
	a.upload("/api/v1/cycles/2021/import/targets", "targets.csv", []byte(csv), "", 200)
	ts = nil
	a.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, &ts)
	if len(ts) != 1 || ts[0].Unit != "D02" || *ts[0].Indicators[0].Completion != 1 {
		t.Fatalf("targets after the CSV: %+v", ts)
	}
	// PUT targets still validates and stores the same way.
	a.call("PUT", "/api/v1/cycles/2021/targets", "", []map[string]any{{"unit": "D01", "indicators": []map[string]any{
		{"category": "work", "name": "x", "points": 60, "score": 90}, {"category": "team", "name": "y", "points": 30, "score": 90}}}}, 422, nil)
}

// details returns the error details of an API answer as "field：message" lines.
func details(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Code, Message string
			Details       []struct{ Field, Message string }
		}
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	lines := []string{e.Error.Message}
	for _, d := range e.Error.Details {
		lines = append(lines, d.Field+"："+d.Message)
	}
	return strings.Join(lines, "\n")
}

func TestImportBadRowsStoreNothing(t *testing.T) {
	a := importYear(t)
	a.upload("/api/v1/cycles/2021/import/units", "units.csv", []byte(unitsCSV), "", 200)
	a.upload("/api/v1/cycles/2021/import/targets", "targets.csv",
		[]byte("单位编码,类别,指标名称,分值,完成率,得分\nD02,年度工作任务,工作,70,100%,\nD02,班子和队伍建设,班子,30,,75\n"), "", 200)
	before := string(a.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, nil)) + string(a.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, nil))

	for _, tc := range []struct {
		kind string
		file []byte
		name string
		want []string
	}{
		{"units", xlsxFile(t, [][]any{
			{"编码", "名称", "类型", "人数"},
			{"T01", "城关镇", "镇", 80},
			{"T02", "河口镇", "乡村", 45}, // row 3: a kind that is neither
			{"D01", "县财政局", "部门", 35},
			{"D 02", "县教育局", "部门", "很多"}, // row 5: a bad code and a bad number
		}), "bad.xlsx", []string{"第 3 行 C 列（类型）：应为 镇 或 部门", "第 5 行 D 列（人数）：应为整数", "第 5 行 A 列（编码）"}},
		{"units", []byte("编码,名称,类型,人数\nT01,城关镇,镇,80\nT01,河口镇,镇,45\nD01,,部门,35\n"), "dup.csv",
			[]string{"第 3 行 A 列（编码）：单位编码 T01 重复", "第 4 行 B 列（名称）：不能为空"}},
		{"targets", xlsxFile(t, [][]any{
			{"单位编码", "类别", "指标名称", "分值", "完成率", "得分", "重大损失"},
			{"D01", "年度工作任务", "财政收入", 70, "九成", "", ""}, // row 2: completion not a number
			{"D01", "班子和队伍建设", "班子建设", 30, "", 80, ""},
			{"D02", "年度工作任务", "工作", 60, "", 90, ""}, // row 4: work adds up to 60, not 70
			{"D02", "班子和队伍建设", "班子", 30, "", 75, ""},
		}), "bad-targets.xlsx", []string{"第 2 行 E 列（完成率）：应为百分数", "第 4 行 D 列（分值）：单位 D02：类别 年度工作任务（work）的指标分值合计 60，应为 70"}},
	} {
		body := a.upload("/api/v1/cycles/2021/import/"+tc.kind, tc.name, tc.file, "", 400)
		msg := details(t, body)
		t.Logf("%s → %s", tc.name, msg)
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: the error does not say %q:\n%s", tc.name, w, msg)
			}
		}
		if !strings.Contains(msg, "没有导入任何数据") {
			t.Errorf("%s: the error does not say nothing was imported:\n%s", tc.name, msg)
		}
	}
	after := string(a.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, nil)) + string(a.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, nil))
	if after != before {
		t.Fatalf("a file with bad rows changed what was stored:\n%s\n→\n%s", before, after)
	}

	// Files that are not lists at all say so.
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"old.xls", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 64)...), "另存为"},
		{"wrong.csv", []byte("姓名,年龄\n张三,30\n"), "缺少列：编码、名称、类型"},
		{"empty.csv", nil, "文件是空的"},
		{"broken.xlsx", []byte("PK\x03\x04 not really a zip"), "无法打开"},
	} {
		body := a.upload("/api/v1/cycles/2021/import/units", tc.name, tc.data, "", 400)
		if msg := details(t, body); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q does not say %q", tc.name, msg, tc.want)
		}
	}
	// A dry run checks and stores nothing.
	var dry struct {
		Count  int
		DryRun bool `json:"dry_run"`
	}
	if err := json.Unmarshal(a.upload("/api/v1/cycles/2021/import/units?dry_run=1", "units.xlsx", xlsxFile(t, [][]any{{"编码", "名称", "类型"}, {"X1", "新镇", "镇"}}), "", 200), &dry); err != nil || dry.Count != 1 || !dry.DryRun {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if got := string(a.call("GET", "/api/v1/cycles/2021/units", "", nil, 200, nil)) + string(a.call("GET", "/api/v1/cycles/2021/targets", "", nil, 200, nil)); got != before {
		t.Fatal("a dry run stored the file")
	}
	// Unknown year, unknown list, no file.
	a.upload("/api/v1/cycles/1999/import/units", "units.csv", []byte(unitsCSV), "", 404)
	a.upload("/api/v1/cycles/2021/import/meetings", "units.csv", []byte(unitsCSV), "", 404)
	a.call("POST", "/api/v1/cycles/2021/import/units", "", map[string]string{}, 400, nil)
}

func TestImportTemplates(t *testing.T) {
	a := importYear(t)
	headers := map[string][]string{
		"units":   {"编码", "名称", "类型", "人数"},
		"people":  {"编码", "姓名", "单位编码", "职务", "班子成员"},
		"targets": {"单位编码", "类别", "指标名称", "分值", "完成率", "得分", "重大损失"},
	}
	for _, kind := range []string{"units", "people", "targets"} {
		resp := a.get("/api/v1/templates/" + kind + ".xlsx")
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("template %s: %d %v", kind, resp.StatusCode, resp.Header)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("template %s does not open: %v", kind, err)
		}
		sheets := f.GetSheetList()
		rows, err := f.GetRows(sheets[0])
		if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != strings.Join(headers[kind], ",") {
			t.Errorf("template %s sheet %s: %v %v", kind, sheets[0], rows, err)
		}
		if len(sheets) < 2 || sheets[1] != "说明" {
			t.Errorf("template %s has no 说明 sheet: %v", kind, sheets)
		}
		f.Close()
		// The template's example imports as it is, in order units, people, targets.
		a.upload("/api/v1/cycles/2021/import/"+kind, kind+".xlsx", data, "", 200)

		resp = a.get("/api/v1/templates/" + kind + ".xlsx?format=csv")
		data, _ = io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(string(data), "\uFEFF"+strings.Join(headers[kind], ",")+"\r\n") {
			t.Errorf("CSV template %s: %d %q", kind, resp.StatusCode, data)
		}
		a.upload("/api/v1/cycles/2021/import/"+kind, kind+".csv", data, "", 200)
	}
	if resp := a.get("/api/v1/templates/meetings.xlsx"); resp.StatusCode != 404 {
		t.Errorf("unknown template: %d", resp.StatusCode)
	}
}
