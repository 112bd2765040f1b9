package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// upload posts data as the multipart field "file" as user.
func (ts *testServer) upload(t *testing.T, url, as, name string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	r := httptest.NewRequest("POST", url, &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	r.Header.Set("Authorization", ts.bearer(as))
	res, err := ts.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// get returns a download's bytes, failing on another status.
func (ts *testServer) get(t *testing.T, url, as string) []byte {
	t.Helper()
	status, body := ts.do(t, req{method: "GET", url: url, as: as})
	if status != 200 {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return body
}

// sheetRows reads a workbook's sheet back as strings.
func sheetRows(t *testing.T, book []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v (sheets %v)", sheet, err, f.GetSheetList())
	}
	return rows
}

// rowsBook writes rows into the first sheet, named sheet.
func rowsBook(t *testing.T, sheet string, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", sheet)
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		f.SetSheetRow(sheet, cell(1, i+1), &vals)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func errorText(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Code, Message string
			Details       []struct{ Subject, Field, Message string }
		}
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	lines := []string{e.Error.Code + " " + e.Error.Message}
	for _, d := range e.Error.Details {
		lines = append(lines, d.Field+"："+d.Message)
	}
	return strings.Join(lines, "\n")
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

const y20 = "/api/v1/cycles/2020"

// TestCatalogueSheetRoundTrip: the exported catalogue (xlsx and csv) has
// the office's headers and a 说明 sheet, and imports back to the same
// catalogue; a dry run stores nothing.
func TestCatalogueSheetRoundTrip(t *testing.T) {
	ts := collectYear(t)
	before := string(ts.get(t, y20+"/indicators", adminUser))
	book := ts.get(t, y20+"/indicators?format=xlsx", adminUser)
	rows := sheetRows(t, book, "目标任务分解表")
	want := []string{"指标编码", "单位编码", "单位名称", "类别", "指标名称", "分值", "计分方式", "目标值", "计量单位", "方向", "考核主体"}
	if strings.Join(rows[0], "|") != strings.Join(want, "|") {
		t.Errorf("headers %v, want %v", rows[0], want)
	}
	if len(rows) != 9 {
		t.Fatalf("%d rows, want a header and 8 indicators: %v", len(rows), rows)
	}
	// T01-02: a lower-is-better completion indicator of the statistics bureau, in words.
	mustContain(t, "the row of T01-02", strings.Join(rows[2], "|"), "T01-02|T01|城关镇|经济发展|万元GDP能耗|15|完成率|0.5|吨标煤|越低越好|县统计局")
	help := sheetRows(t, book, "说明")
	var all []string
	for _, r := range help {
		all = append(all, strings.Join(r, " "))
	}
	mustContain(t, "the 说明 sheet", strings.Join(all, "\n"), "计分方式", "越低越好", "考核主体", "TJJ 县统计局", "?reset=1")

	// A dry run answers the count and stores nothing (the catalogue is first emptied by hand to tell).
	status, body := ts.upload(t, y20+"/import/indicators?dry_run=1", adminUser, "cat.xlsx", book)
	if status != 200 || !strings.Contains(string(body), `"count":8`) || !strings.Contains(string(body), `"dry_run":true`) {
		t.Fatalf("dry run: %d %s", status, body)
	}
	for _, f := range []struct{ name, format string }{{"cat.xlsx", "xlsx"}, {"cat.csv", "csv"}} {
		file := ts.get(t, y20+"/indicators?format="+f.format, adminUser)
		status, body := ts.upload(t, y20+"/import/indicators", adminUser, f.name, file)
		if status != 200 {
			t.Fatalf("import %s: %d %s", f.name, status, body)
		}
		if after := string(ts.get(t, y20+"/indicators", adminUser)); after != before {
			t.Errorf("%s did not round-trip:\n%s\n→\n%s", f.name, before, after)
		}
	}
	// The empty template has the headers and no rows; a viewer reads it too.
	tmpl := sheetRows(t, ts.get(t, "/api/v1/templates/indicators.xlsx", viewerUser), "目标任务分解表")
	if len(tmpl) != 1 || tmpl[0][0] != "指标编码" {
		t.Errorf("template rows: %v", tmpl)
	}
	csvT := string(ts.get(t, "/api/v1/templates/indicators.csv", adminUser))
	if !strings.HasPrefix(csvT, "\uFEFF指标编码,单位编码") || strings.Count(csvT, "\n") != 1 {
		t.Errorf("csv template: %q", csvT)
	}
	// The JSON stays as it was without format.
	if !strings.HasPrefix(before, `[{"code":"T01-01"`) {
		t.Errorf("GET indicators without format: %s", before)
	}
}

// TestCatalogueSheetBadCells: bad cells are named by row and column,
// labels and names are accepted, the coverage rule names the rows (422),
// and nothing is stored.
func TestCatalogueSheetBadCells(t *testing.T) {
	ts := collectYear(t)
	before := string(ts.get(t, y20+"/indicators", adminUser))
	head := []string{"指标编码", "单位编码", "单位名称", "类别", "指标名称", "分值", "计分方式", "目标值", "计量单位", "方向", "考核主体"}
	good := [][]string{
		{"D01-01", "", "县财政局", "年度工作任务", "财政收入", "70", "completion", "12", "亿元", "", "TJJ"},
		{"D01-02", "D01", "", "team", "班子建设", "30", "", "", "", "", "第一考核组"},
	}
	bad := append([][]string{head}, good...)
	bad = append(bad,
		[]string{"T02-01", "T09", "", "经济发展", "增速", "35", "完成率", "8", "%", "", "TJJ"},       // row 4: unknown unit
		[]string{"T02-02", "T02", "城关镇", "社会发展", "社会事业", "15", "评分", "", "", "", "G1"},      // row 5: name of another unit
		[]string{"T02-03", "T02", "", "资源环境", "生态", "十五", "评分", "", "", "", "G1"},           // row 6: points not a number
		[]string{"T02-04", "T02", "", "社会稳定", "安全", "20", "打卡", "", "", "", "AJJ"},          // row 7: unknown method
		[]string{"T02-05", "T02", "", "班子和队伍建设", "班子", "15", "完成率", "", "", "越大越好", "县民政局"}, // row 8: no target, bad direction, unknown body
		[]string{"T02-06", "T02", "", "", "空", "5", "评分", "", "", "", "G1"},                 // row 9: no category
	)
	status, body := ts.upload(t, y20+"/import/indicators", adminUser, "bad.xlsx", rowsBook(t, "目标任务分解表", bad))
	msg := errorText(t, body)
	if status != 400 {
		t.Fatalf("bad cells: %d\n%s", status, msg)
	}
	mustContain(t, "the error", msg, "没有导入任何数据",
		"第 4 行 B 列（单位编码）：单位“T09”不在本年度的单位名单中",
		"第 5 行 C 列（单位名称）：单位编码 T02 是“河口镇”",
		"第 6 行 F 列（分值）：应为数字",
		"第 7 行 G 列（计分方式）：应为 完成率 或 评分",
		"第 8 行 H 列（目标值）", "第 8 行 J 列（方向）", "第 8 行 K 列（考核主体）：考核主体“县民政局”不存在",
		"第 9 行 D 列（类别）")

	// Cells fine, but the points do not add up: 422, by row.
	sum := [][]string{head, good[0], {"D01-02", "D01", "", "班子和队伍建设", "班子建设", "20", "评分", "", "", "", "G1"}}
	status, body = ts.upload(t, y20+"/import/indicators?dry_run=1", adminUser, "sum.xlsx", rowsBook(t, "目标任务分解表", sum))
	msg = errorText(t, body)
	if status != 422 {
		t.Fatalf("points off: %d\n%s", status, msg)
	}
	mustContain(t, "the coverage error", msg, "invalid_scoring", "单位 D01", "班子和队伍建设", "第 ")

	// A missing column and a file that is not a sheet.
	status, body = ts.upload(t, y20+"/import/indicators", adminUser, "cols.csv", []byte("指标编码,单位编码,指标名称\nX,T01,x\n"))
	if status != 400 || !strings.Contains(errorText(t, body), "缺少列：类别、分值、考核主体") {
		t.Errorf("missing columns: %d %s", status, body)
	}
	if after := string(ts.get(t, y20+"/indicators", adminUser)); after != before {
		t.Errorf("a bad file changed the catalogue:\n%s\n→\n%s", before, after)
	}

	// Labels, names and codes mixed: a clean file with just D01 and T01 as they were.
	clean := [][]string{head}
	for _, r := range sheetRows(t, ts.get(t, y20+"/indicators?format=xlsx", adminUser), "目标任务分解表")[1:] {
		if strings.HasPrefix(r[0], "T01") {
			clean = append(clean, r)
		}
	}
	clean = append(clean, good...)
	status, body = ts.upload(t, y20+"/import/indicators", adminUser, "mixed.xlsx", rowsBook(t, "目标任务分解表", clean))
	if status != 200 {
		t.Fatalf("mixed labels: %d %s", status, errorText(t, body))
	}
	if after := string(ts.get(t, y20+"/indicators", adminUser)); after != before {
		t.Errorf("labels and names did not import to the same catalogue:\n%s\n→\n%s", before, after)
	}
}

// TestCatalogueSheetReset: an import that would void an entered value is
// refused (409 naming the row), in a dry run too; with reset=1 it goes
// through and the value is gone.
func TestCatalogueSheetReset(t *testing.T) {
	ts := collectYear(t)
	ts.call(t, "PUT", y20+"/indicators/T01-01/entry", tjjUser, `{"actual":8}`, 200, nil)
	rows := sheetRows(t, ts.get(t, y20+"/indicators?format=xlsx", adminUser), "目标任务分解表")
	rows[1][7] = "9" // T01-01's target: 8.5 → 9
	file := rowsBook(t, "目标任务分解表", rows)
	for _, url := range []string{"/import/indicators?dry_run=1", "/import/indicators"} {
		status, body := ts.upload(t, y20+url, adminUser, "cat.xlsx", file)
		msg := errorText(t, body)
		if status != 409 {
			t.Fatalf("%s: %d %s", url, status, msg)
		}
		mustContain(t, url, msg, "conflict", "第 2 行 A 列（指标编码）", "T01-01", "reset=1", "没有导入任何数据")
	}
	if !strings.Contains(string(ts.get(t, y20+"/entries?body=TJJ", adminUser)), `"actual":8`) {
		t.Fatal("a refused import lost the entered value")
	}
	status, body := ts.upload(t, y20+"/import/indicators?dry_run=1&reset=1", adminUser, "cat.xlsx", file)
	if status != 200 || !strings.Contains(string(body), `"reset":["T01-01"]`) {
		t.Fatalf("dry run with reset: %d %s", status, body)
	}
	if !strings.Contains(string(ts.get(t, y20+"/entries?body=TJJ", adminUser)), `"actual":8`) {
		t.Fatal("a dry run with reset voided the value")
	}
	status, body = ts.upload(t, y20+"/import/indicators?reset=1", adminUser, "cat.xlsx", file)
	if status != 200 || !strings.Contains(string(body), `"reset":["T01-01"]`) {
		t.Fatalf("reset: %d %s", status, body)
	}
	entries := string(ts.get(t, y20+"/entries?body=TJJ", adminUser))
	if strings.Contains(entries, `"actual":8`) || !strings.Contains(entries, `"target":9`) {
		t.Errorf("after reset: %s", entries)
	}
	var log struct {
		Entries []struct{ Action, Detail string }
	}
	ts.call(t, "GET", "/api/v1/audit?limit=50", adminUser, nil, 200, &log)
	found := false
	for _, e := range log.Entries {
		found = found || (e.Action == auditIndicatorsPut && strings.Contains(e.Detail, "导入目标任务分解表，共 8 项指标；作废已填报的数值 1 项：T01-01"))
	}
	if !found {
		t.Errorf("the audit log lacks the import: %+v", log.Entries)
	}
}

// TestCatalogueSheetRoles: who may export, import, download and upload.
func TestCatalogueSheetRoles(t *testing.T) {
	ts := collectYear(t)
	ts.run(t, []scenario{
		{name: "a group user exports nothing", method: "GET", url: y20 + "/indicators?format=xlsx", as: groupUser, status: 403},
		{name: "a unit exports nothing", method: "GET", url: y20 + "/indicators?format=csv", as: unitUser, status: 403},
		{name: "an assessor exports nothing", method: "GET", url: y20 + "/indicators?format=xlsx", as: tjjUser, status: 403},
		{name: "an unknown format", method: "GET", url: y20 + "/indicators?format=pdf", as: adminUser, status: 400},
		{name: "the assessor's JSON is unchanged", method: "GET", url: y20 + "/indicators", as: tjjUser, status: 200,
			contains: []string{"T01-01"}, absent: []string{"T01-05"}},
		{name: "a group user reads no template", method: "GET", url: "/api/v1/templates/indicators.xlsx", as: groupUser, status: 403},
		{name: "a viewer cannot import", method: "POST", url: y20 + "/import/indicators", as: viewerUser, status: 403},
		{name: "an assessor cannot import", method: "POST", url: y20 + "/import/indicators", as: tjjUser, status: 403},
		{name: "a unit cannot import", method: "POST", url: y20 + "/import/indicators", as: unitUser, status: 403},
		{name: "a group user cannot import", method: "POST", url: y20 + "/import/indicators", as: groupUser, status: 403},
		{name: "a viewer gets no fill-in sheet", method: "GET", url: y20 + "/bodies/TJJ/sheet.xlsx", as: viewerUser, status: 403},
		{name: "a group user gets no fill-in sheet", method: "GET", url: y20 + "/bodies/TJJ/sheet.xlsx", as: groupUser, status: 403},
		{name: "a unit gets no fill-in sheet", method: "GET", url: y20 + "/bodies/TJJ/sheet.xlsx", as: unitUser, status: 403},
		{name: "another body's assessor gets no fill-in sheet", method: "GET", url: y20 + "/bodies/TJJ/sheet.xlsx", as: ajjUser, status: 403},
		{name: "another body's assessor cannot upload", method: "POST", url: y20 + "/bodies/TJJ/sheet", as: ajjUser, status: 403},
		{name: "a unit cannot upload", method: "POST", url: y20 + "/bodies/TJJ/sheet", as: unitUser, status: 403},
		{name: "a viewer cannot upload", method: "POST", url: y20 + "/bodies/TJJ/sheet", as: viewerUser, status: 403},
		{name: "no such body", method: "GET", url: y20 + "/bodies/XX/sheet.xlsx", as: adminUser, status: 404},
		{name: "anonymous gets nothing", method: "GET", url: y20 + "/bodies/TJJ/sheet.xlsx", status: 401},
	})
	for _, u := range []string{tjjUser, adminUser} {
		if b := ts.get(t, y20+"/bodies/TJJ/sheet.xlsx", u); !bytes.HasPrefix(b, []byte("PK")) {
			t.Errorf("%s: the sheet is not a workbook", u)
		}
	}
}

// TestBodySheetUpload: the fill-in sheet carries the body's indicators
// with drafts and locks; an upload that changes a locked row stores
// nothing; a dry run stores nothing; a clean one writes every row as
// drafts, in the audit log.
func TestBodySheetUpload(t *testing.T) {
	ts := collectYear(t)
	const sheetURL = y20 + "/bodies/TJJ/sheet"
	// T01-02 approved (locked), T01-01 a draft.
	for _, e := range []struct{ code, body string }{{"T01-02", `{"actual":0.6}`}, {"D01-01", `{"actual":11}`}} {
		ts.call(t, "PUT", y20+"/indicators/"+e.code+"/entry", tjjUser, e.body, 200, nil)
	}
	ts.call(t, "POST", y20+"/bodies/TJJ/submit", tjjUser, nil, 422, nil) // T01-01 has no value yet
	ts.call(t, "PUT", y20+"/indicators/T01-01/entry", tjjUser, `{"actual":7.5,"note":"初步数"}`, 200, nil)
	ts.call(t, "POST", y20+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	ts.call(t, "POST", y20+"/indicators/T01-02/approve", adminUser, nil, 200, nil)
	ts.call(t, "POST", y20+"/indicators/T01-01/return", adminUser, `{"comment":"请核对统计口径"}`, 200, nil)
	ts.call(t, "POST", y20+"/indicators/D01-01/return", adminUser, `{"comment":"补充说明"}`, 200, nil)

	rows := sheetRows(t, ts.get(t, sheetURL+".xlsx", tjjUser), "填报")
	if len(rows) != 4 {
		t.Fatalf("the TJJ sheet has %d rows, want a header and 3: %v", len(rows), rows)
	}
	col := map[string]int{}
	for j, h := range rows[0] {
		col[h] = j
	}
	for _, h := range []string{"实际完成值", "评分", "重大失分", "原因", "说明", "状态", "退回意见"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("no column %s: %v", h, rows[0])
		}
	}
	byCode := map[string][]string{}
	for _, r := range rows[1:] {
		for len(r) < len(rows[0]) {
			r = append(r, "")
		}
		byCode[r[0]] = r
	}
	if r := byCode["T01-01"]; r[col["实际完成值"]] != "7.5" || r[col["说明"]] != "初步数" || r[col["状态"]] != "已退回" || r[col["退回意见"]] != "请核对统计口径" {
		t.Errorf("T01-01's row: %v", r)
	}
	if r := byCode["T01-02"]; r[col["状态"]] != "已通过（不能修改）" || r[col["实际完成值"]] != "0.6" {
		t.Errorf("T01-02's row: %v", r)
	}
	if _, ok := byCode["T01-05"]; ok {
		t.Error("the TJJ sheet has AJJ's indicator")
	}
	build := func(edit func(map[string][]string)) []byte {
		out := [][]string{rows[0]}
		copyRows := map[string][]string{}
		for k, r := range byCode {
			copyRows[k] = append([]string{}, r...)
		}
		edit(copyRows)
		for _, r := range rows[1:] {
			out = append(out, copyRows[r[0]])
		}
		return rowsBook(t, "填报", out)
	}
	entries := func() string { return string(ts.get(t, y20+"/entries?body=TJJ", adminUser)) }
	before := entries()

	// One good row, one changed locked row: nothing is written.
	status, body := ts.upload(t, sheetURL, tjjUser, "s.xlsx", build(func(m map[string][]string) {
		m["T01-01"][col["实际完成值"]] = "8.1"
		m["T01-02"][col["实际完成值"]] = "0.55"
	}))
	msg := errorText(t, body)
	if status != 409 {
		t.Fatalf("a locked row changed: %d %s", status, msg)
	}
	mustContain(t, "the lock error", msg, "entry_locked", "第 3 行 O 列（状态）：指标 T01-02 的数值已审核通过")
	if entries() != before {
		t.Fatal("an upload with a locked row changed an entry")
	}
	// Bad values of every kind, by row and column (400).
	status, body = ts.upload(t, sheetURL, tjjUser, "s.xlsx", build(func(m map[string][]string) {
		m["T01-01"][col["实际完成值"]] = "-3"
		m["T01-01"][col["评分"]] = "90"
		m["D01-01"][col["重大失分"]] = "是"
	}))
	msg = errorText(t, body)
	if status != 400 {
		t.Fatalf("bad values: %d %s", status, msg)
	}
	mustContain(t, "the value errors", msg, "第 2 行 J 列（实际完成值）：实际完成值不能为负数", "第 2 行 K 列（评分）：此指标按完成率计分",
		"第 4 行 M 列（原因）：认定重大失分须写明原因")

	good := build(func(m map[string][]string) {
		m["T01-01"][col["实际完成值"]] = "8.1"
		m["T01-01"][col["说明"]] = "按新口径"
		m["D01-01"][col["实际完成值"]] = "12.4"
	})
	status, body = ts.upload(t, sheetURL+"?dry_run=1", tjjUser, "s.xlsx", good)
	if status != 200 || !strings.Contains(string(body), `"changed":2`) || !strings.Contains(string(body), `"unchanged":1`) {
		t.Fatalf("dry run: %d %s", status, body)
	}
	if entries() != before {
		t.Fatal("a dry run changed an entry")
	}
	status, body = ts.upload(t, sheetURL, tjjUser, "s.xlsx", good)
	if status != 200 {
		t.Fatalf("upload: %d %s", status, body)
	}
	after := entries()
	mustContain(t, "the entries", after, `"actual":8.1`, `"note":"按新口径"`, `"actual":12.4`, `"comment":"请核对统计口径"`)
	var log struct {
		Entries []struct{ Actor, Action, Detail string }
	}
	ts.call(t, "GET", "/api/v1/audit?limit=50", adminUser, nil, 200, &log)
	var lines []string
	for _, e := range log.Entries {
		lines = append(lines, e.Actor+" "+e.Action+" "+e.Detail)
	}
	mustContain(t, "the audit log", strings.Join(lines, "\n"), "tjj entry.put 地区生产总值增速：7.5 → 8.1", "tjj entry.put 财政收入：11 → 12.4")
}
