package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

// Importing a year's units, people and target-task data from the
// spreadsheets the assessment office keeps, and the templates to fill in.
//
// A file is read whole and checked whole: any bad cell is reported by row,
// column and header ("第 5 行 C 列（类型）：…") and nothing is stored until the
// file is clean. A clean file replaces the list through the same service
// calls as PUT units / people / targets.
func registerImportRoutes(s *Server, r fiber.Router) {
	r.Get("/templates/:file", s.importTemplate)          // units.xlsx | people.xlsx | targets.xlsx, ?format=csv
	r.Post("/cycles/:cycle/import/:kind", s.importSheet) // multipart "file"; ?dry_run=1 checks without storing
}

// column is one column of an import sheet.
type column struct {
	key     string   // what it fills
	title   string   // the template's header
	aliases []string // other headers accepted (compared after normalizeHeader)
	must    bool     // the column must be present
	note    string   // what to put in it, for the template's 说明 sheet
	text    bool     // formatted as text in the template, so 001 stays 001
	choices []string // a drop-down in the template
}

// sheetSpec describes one importable list.
type sheetSpec struct {
	kind    string // units | people | targets
	sheet   string // the template's sheet name
	title   string // 单位名单 …
	cols    []column
	example [][]string
	notes   []string
}

var importSpecs = map[string]*sheetSpec{
	"units": {kind: "units", sheet: "单位", title: "单位名单",
		cols: []column{
			{key: "code", title: "编码", aliases: []string{"单位编码", "代码", "单位代码", "code"}, must: true, text: true,
				note: "必填。字母、数字、_ . -，不超过 64 位，如 T01、D01；年内唯一，人员和目标任务用它指明单位"},
			{key: "name", title: "名称", aliases: []string{"单位名称", "单位", "name"}, must: true, note: "必填。如 城关镇、县财政局"},
			{key: "kind", title: "类型", aliases: []string{"单位类型", "类别", "kind"}, must: true, choices: []string{"镇", "部门"},
				note: "必填。镇 或 部门（也可写 town / department）"},
			{key: "staff", title: "人数", aliases: []string{"干部职工人数", "干部人数", "在编人数", "staff"}, note: "选填。干部职工人数，整数，不填为 0；用于提醒 50 人以上的单位参会不少于 50 人"},
		},
		example: [][]string{{"T01", "城关镇", "镇", "80"}, {"D01", "县财政局", "部门", "35"}},
		notes:   []string{"一行一个单位。导入后替换本年度原有的单位名单。", "仍有人员或会议引用的单位不能删除：请先修改人员名单或会议。"}},
	"people": {kind: "people", sheet: "人员", title: "人员名单",
		cols: []column{
			{key: "code", title: "编码", aliases: []string{"人员编码", "代码", "code"}, must: true, text: true,
				note: "必填。字母、数字、_ . -，如 P01；年内唯一"},
			{key: "name", title: "姓名", aliases: []string{"名字", "name"}, must: true, note: "必填"},
			{key: "unit", title: "单位编码", aliases: []string{"所属单位", "单位", "单位名称", "所在单位", "unit"}, must: true, text: true,
				note: "必填。单位名单中的编码（如 T01），也可写单位名称（如 城关镇）"},
			{key: "post", title: "职务", aliases: []string{"职位", "post"}, note: "选填。如 党委书记"},
			{key: "leader", title: "班子成员", aliases: []string{"是否班子成员", "领导班子成员", "leader"}, choices: []string{"是", "否"},
				note: "选填。是 或 否（也可写 true / false、1 / 0），不填为 否"},
		},
		example: [][]string{{"P01", "张建国", "T01", "党委书记", "是"}},
		notes:   []string{"一行一个人。导入后替换本年度原有的人员名单。", "请先导入单位名单：单位编码须是已有的单位。"}},
	"targets": {kind: "targets", sheet: "目标任务", title: "目标任务",
		cols: []column{
			{key: "unit", title: "单位编码", aliases: []string{"单位", "单位名称", "被考核单位", "unit"}, must: true, text: true,
				note: "必填。单位名单中的编码（如 T01），也可写单位名称"},
			{key: "category", title: "类别", aliases: []string{"指标类别", "category"}, must: true,
				choices: []string{"经济发展", "社会发展", "资源环境", "社会稳定", "班子和队伍建设", "年度工作任务", "加减分", "一票否决"},
				note: "必填。镇：经济发展 35、社会发展 15、资源环境 15、社会稳定 20、班子和队伍建设 15；部门：年度工作任务 70、班子和队伍建设 30。" +
					"另有两种特殊行：加减分（分值填加分或减分，如 1 或 -0.5，指标名称填事由）、一票否决（该单位被一票否决，其余各列不填）"},
			{key: "name", title: "指标名称", aliases: []string{"指标", "名称", "事由", "name"}, note: "指标的名称；加减分行填事由"},
			{key: "points", title: "分值", aliases: []string{"指标分值", "points"}, note: "指标的分值；同一单位同一类别的分值合计须等于该类别的分值"},
			{key: "completion", title: "完成率", aliases: []string{"完成比例", "完成情况", "completion"},
				note: "统计指标填完成率：95% 或 0.95 均可（不带 % 的数大于 2 时按百分数理解，如 95 即 95%）；完成率在 60% 及以下不得分"},
			{key: "score", title: "得分", aliases: []string{"考核得分", "打分", "score"}, note: "非统计指标填考核打分（0–100）；完成率和得分只填一个"},
			{key: "major_loss", title: "重大损失", aliases: []string{"是否重大损失", "major_loss"}, choices: []string{"是", "否"},
				note: "因工作原因造成重大损失的填 是（该指标不得分），否则不填"},
		},
		example: [][]string{
			{"D01", "年度工作任务", "财政收入", "40", "95%", "", ""},
			{"D01", "年度工作任务", "预算执行", "30", "", "92", ""},
			{"D01", "班子和队伍建设", "班子建设", "30", "", "88", ""},
			{"D01", "加减分", "获省级表彰", "1", "", "", ""},
		},
		notes: []string{"一行一个指标；一个单位的各个指标写在多行，单位编码相同。导入后替换本年度原有的全部目标任务数据。",
			"没有任何目标任务的单位，目标任务得分按 0 计，并在考核结果中提示。"}},
}

// Target-task categories by their Chinese names (the rules text's words
// and common variants); the English codes are accepted as they are.
var categoryNames = map[string]string{
	"经济发展": "economic", "经济": "economic",
	"社会发展": "social", "社会事业": "social", "社会事业发展": "social",
	"资源环境": "environment", "生态环境": "environment", "环境": "environment",
	"社会稳定": "stability", "安全稳定": "stability", "稳定": "stability",
	"班子和队伍建设": "team", "班子队伍建设": "team", "班子建设": "team", "队伍建设": "team",
	"年度工作任务": "work", "工作任务": "work", "职能工作": "work", "业务工作": "work",
}

const (
	rowAdjustment = "加减分"
	rowVeto       = "一票否决"
)

// ---- Templates ----

func (s *Server) importTemplate(c *fiber.Ctx) error {
	if _, err := s.reader(c); err != nil {
		return err
	}
	file := c.Params("file")
	kind, ext, _ := strings.Cut(file, ".")
	spec, ok := importSpecs[kind]
	if !ok || (ext != "xlsx" && ext != "csv") {
		return ballots.Errorf(ballots.ENotFound, "没有模板 %q：可用 units.xlsx、people.xlsx、targets.xlsx (no such template)", file)
	}
	if ext == "csv" || c.Query("format") == "csv" {
		body, err := spec.csvTemplate()
		if err != nil {
			return err
		}
		setAttachment(c, "text/csv; charset=utf-8", spec.title+"模板.csv", kind+".csv")
		return c.Send(body)
	}
	body, err := spec.xlsxTemplate()
	if err != nil {
		return err
	}
	setAttachment(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", spec.title+"模板.xlsx", kind+".xlsx")
	return c.Send(body)
}

func setAttachment(c *fiber.Ctx, contentType, name, ascii string) {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
}

func (sp *sheetSpec) headers() []string {
	out := make([]string, len(sp.cols))
	for i, col := range sp.cols {
		out[i] = col.title
	}
	return out
}

// csvTemplate is the header and example rows as UTF-8 CSV with a byte
// order mark, which is what makes Excel read it as UTF-8.
func (sp *sheetSpec) csvTemplate() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(sp.headers()); err != nil {
		return nil, err
	}
	if err := w.WriteAll(sp.example); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// xlsxTemplate is a workbook with the list's sheet (bold headers, example
// rows, drop-downs, code columns as text) and a 说明 sheet.
func (sp *sheetSpec) xlsxTemplate() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sp.sheet); err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}},
		Border: []excelize.Border{{Type: "bottom", Color: "666666", Style: 1}}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return nil, err
	}
	for j, col := range sp.cols {
		name, _ := excelize.ColumnNumberToName(j + 1)
		cell := name + "1"
		if err := f.SetCellStr(sp.sheet, cell, col.title); err != nil {
			return nil, err
		}
		width := 12.0
		if col.key == "name" || col.key == "category" || col.key == "post" {
			width = 20
		}
		if err := f.SetColWidth(sp.sheet, name, name, width); err != nil {
			return nil, err
		}
		if col.text {
			if err := f.SetColStyle(sp.sheet, name, text); err != nil {
				return nil, err
			}
		}
		if len(col.choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s2000", name, name)
			if err := dv.SetDropList(col.choices); err != nil {
				return nil, err
			}
			dv.SetError(excelize.DataValidationErrorStyleWarning, "请从列表中选择", "可选："+strings.Join(col.choices, "、"))
			if err := f.AddDataValidation(sp.sheet, dv); err != nil {
				return nil, err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(sp.cols))
	if err := f.SetCellStyle(sp.sheet, "A1", last+"1", head); err != nil {
		return nil, err
	}
	for i, row := range sp.example {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			var err error
			if n, perr := strconv.ParseFloat(v, 64); perr == nil && !sp.cols[j].text {
				err = f.SetCellFloat(sp.sheet, cell, n, -1, 64)
			} else {
				err = f.SetCellStr(sp.sheet, cell, v)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if err := f.SetPanes(sp.sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	// The instructions.
	const help = "说明"
	if _, err := f.NewSheet(help); err != nil {
		return nil, err
	}
	lines := [][]string{{sp.title + "导入说明"}, {"第一行是列名，请勿修改；示例行请替换为实际数据。文件不超过 1 MB，可保存为 .xlsx 或 .csv。"}}
	for _, n := range sp.notes {
		lines = append(lines, []string{n})
	}
	lines = append(lines, []string{}, []string{"列名", "填写说明"})
	for _, col := range sp.cols {
		lines = append(lines, []string{col.title, col.note})
	}
	for i, l := range lines {
		for j, v := range l {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr(help, cell, v); err != nil {
				return nil, err
			}
		}
	}
	if err := f.SetColWidth(help, "A", "A", 16); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(help, "B", "B", 100); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---- Reading a file ----

// table is a sheet's non-empty rows with their row numbers (1-based, as
// Excel shows them).
type table struct {
	nums  []int
	cells [][]string
}

// readTable reads the first matching sheet of an .xlsx or a CSV file,
// telling them apart by content. CSV may be UTF-8 (with or without BOM) or
// GB18030, which is what Excel on a Chinese Windows saves.
func readTable(data []byte, sheet string) (table, error) {
	switch {
	case len(data) == 0:
		return table{}, ballots.Errorf(ballots.EInvalid, "文件是空的 (the file is empty)")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data, sheet)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return table{}, ballots.Errorf(ballots.EInvalid, "这是旧版 Excel（.xls）或加密的文件，请在 Excel 中“另存为” .xlsx 格式后再上传 (old .xls or encrypted file: save as .xlsx)")
	case bytes.IndexByte(data, 0) >= 0:
		return table{}, ballots.Errorf(ballots.EInvalid, "无法识别的文件：请上传 .xlsx 或 .csv 文件 (not an .xlsx or .csv file)")
	}
	return readCSV(data)
}

func readXLSX(data []byte, sheet string) (table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 32 << 20})
	if err != nil {
		return table{}, ballots.Errorf(ballots.EInvalid, "无法打开这个 Excel 文件（%v），请确认它是 .xlsx 格式且未加密 (cannot open the workbook)", err)
	}
	defer f.Close()
	name := ""
	for _, n := range f.GetSheetList() {
		if n == sheet {
			name = n
			break
		}
		if name == "" && n != "说明" {
			if vis, _ := f.GetSheetVisible(n); vis {
				name = n
			}
		}
	}
	if name == "" {
		return table{}, ballots.Errorf(ballots.EInvalid, "工作簿中没有可导入的工作表 (no sheet to import)")
	}
	rows, err := f.GetRows(name)
	if err != nil {
		return table{}, ballots.Errorf(ballots.EInvalid, "无法读取工作表“%s”：%v (cannot read the sheet)", name, err)
	}
	var t table
	for i, r := range rows {
		t.add(i+1, r)
	}
	return t, nil
}

func readCSV(data []byte) (table, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return table{}, ballots.Errorf(ballots.EInvalid, "无法识别 CSV 文件的编码：请保存为 UTF-8 或 .xlsx (unknown CSV encoding)")
		}
		data = dec
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	// Excel in some locales saves ";"-separated CSV; copied cells are tab-separated.
	if n := bytes.Count(first, []byte(",")); bytes.Count(first, []byte("\t")) > n {
		r.Comma = '\t'
	} else if bytes.Count(first, []byte(";")) > n {
		r.Comma = ';'
	}
	var t table
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return table{}, ballots.Errorf(ballots.EInvalid, "CSV 文件格式错误：%v (malformed CSV)", err)
		}
		line, _ := r.FieldPos(0)
		t.add(line, rec)
	}
	return t, nil
}

func (t *table) add(num int, cells []string) {
	empty := true
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
		empty = empty && cells[i] == ""
	}
	if !empty {
		t.nums = append(t.nums, num)
		t.cells = append(t.cells, cells)
	}
}

// normalizeHeader makes "类型（镇/部门）*" and "类 型" both "类型".
func normalizeHeader(h string) string {
	if i := strings.IndexAny(h, "（(【["); i > 0 {
		h = h[:i]
	}
	h = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u3000', '*', '＊', ':', '：', '\t':
			return -1
		}
		return r
	}, h)
	return strings.ToLower(h)
}

// sheet is a read table whose header row has been matched to a spec.
type sheet struct {
	spec *sheetSpec
	col  map[string]int // column key → index
	rows []int          // row numbers of the data rows
	data [][]string
	errs *cellErrors
}

func parseSheet(spec *sheetSpec, t table) (*sheet, error) {
	if len(t.cells) == 0 {
		return nil, ballots.Errorf(ballots.EInvalid, "文件中没有数据：第一行应为列名 %s (no rows)", strings.Join(spec.headers(), "、"))
	}
	sh := &sheet{spec: spec, col: map[string]int{}, rows: t.nums[1:], data: t.cells[1:], errs: &cellErrors{}}
	for j, h := range t.cells[0] {
		n := normalizeHeader(h)
		for _, col := range spec.cols {
			if _, taken := sh.col[col.key]; taken {
				continue
			}
			match := n == normalizeHeader(col.title)
			for _, a := range col.aliases {
				match = match || n == normalizeHeader(a)
			}
			if match {
				sh.col[col.key] = j
				break
			}
		}
	}
	var missing []string
	for _, col := range spec.cols {
		if _, ok := sh.col[col.key]; col.must && !ok {
			missing = append(missing, col.title)
		}
	}
	if len(missing) > 0 {
		return nil, &ballots.Error{Code: ballots.EInvalid,
			Message: fmt.Sprintf("第 %d 行应为列名，缺少列：%s。请使用模板的列名：%s (missing columns)", t.nums[0], strings.Join(missing, "、"), strings.Join(spec.headers(), "、")),
			Details: []ballots.Detail{{Field: fmt.Sprintf("第 %d 行", t.nums[0]), Message: "缺少列：" + strings.Join(missing, "、")}}}
	}
	if len(sh.data) == 0 {
		return nil, ballots.Errorf(ballots.EInvalid, "文件只有列名，没有数据行 (no data rows)")
	}
	return sh, nil
}

// get returns the cell of data row i in column key, "" if absent.
func (sh *sheet) get(i int, key string) string {
	j, ok := sh.col[key]
	if !ok || j >= len(sh.data[i]) {
		return ""
	}
	return sh.data[i][j]
}

// where names a cell: "第 5 行 C 列（类型）", or just the row for a
// column the file does not have.
func (sh *sheet) where(i int, key string) string {
	row := sh.rows[i]
	for _, col := range sh.spec.cols {
		if col.key != key {
			continue
		}
		if j, ok := sh.col[key]; ok {
			letter, _ := excelize.ColumnNumberToName(j + 1)
			return fmt.Sprintf("第 %d 行 %s 列（%s）", row, letter, col.title)
		}
		return fmt.Sprintf("第 %d 行（%s）", row, col.title)
	}
	return fmt.Sprintf("第 %d 行", row)
}

func (sh *sheet) bad(i int, key, format string, args ...any) {
	sh.errs.add(sh.where(i, key), fmt.Sprintf(format, args...))
}

// cellErrors collects one message per cell.
type cellErrors struct {
	details []ballots.Detail
	seen    map[string]bool
}

func (e *cellErrors) add(where, msg string) {
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	if e.seen[where] {
		return
	}
	e.seen[where] = true
	e.details = append(e.details, ballots.Detail{Field: where, Message: msg})
}

const maxDetails = 200

func (e *cellErrors) err(spec *sheetSpec) error {
	n := len(e.details)
	if n == 0 {
		return nil
	}
	details := e.details
	more := ""
	if n > maxDetails {
		details = details[:maxDetails]
		more = fmt.Sprintf("（只列出前 %d 处）", maxDetails)
	}
	return &ballots.Error{Code: ballots.EInvalid, Details: details,
		Message: fmt.Sprintf("%s文件有 %d 处错误%s，没有导入任何数据。请在表格中改正后重新上传 (%s: nothing was imported)", spec.title, n, more, problemsEN(n))}
}

// problemsEN is "1 problem", "3 problems".
func problemsEN(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

// importDetail is an import's line in the audit log.
func importDetail(kind string, n int) string {
	switch kind {
	case "units":
		return fmt.Sprintf("导入单位名单，共 %d 个单位", n)
	case "people":
		return fmt.Sprintf("导入人员名单，共 %d 人", n)
	case "targets":
		return fmt.Sprintf("导入目标任务，共 %d 个单位", n)
	}
	return fmt.Sprintf("导入 %s，共 %d 条", kind, n)
}

var fieldIndex = regexp.MustCompile(`^\[(\d+)\]\.(\w+)`)

// fromValidation turns a ballots validation error with fields like
// "[3].kind" into cell errors; other errors are returned as they are.
func (sh *sheet) fromValidation(err error) error {
	var be *ballots.Error
	if !errors.As(err, &be) || be.Code != ballots.EInvalid || len(be.Details) == 0 {
		return err
	}
	for _, d := range be.Details {
		m := fieldIndex.FindStringSubmatch(d.Field)
		i, _ := strconv.Atoi(m0(m, 1))
		if m == nil || i >= len(sh.rows) {
			sh.errs.add("整个文件", d.Message)
			continue
		}
		sh.bad(i, m[2], "%s", d.Message)
	}
	return sh.errs.err(sh.spec)
}

func m0(m []string, i int) string {
	if len(m) > i {
		return m[i]
	}
	return ""
}

// ---- Cell values ----

var wide = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "％", "%", "－", "-", "＋", "+", "，", "", ",", "", " ", "")

// parseNumber reads 80, 80.0, "1,200", full-width digits.
func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(wide.Replace(s), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// parseCompletion reads 95%, 0.95 or 95 (a plain number above 2 is taken
// as a percentage: nobody means a completion of 9500%).
func parseCompletion(s string) (float64, bool) {
	s = wide.Replace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, ok := parseNumber(p)
		return v / 100, ok
	}
	v, ok := parseNumber(s)
	if ok && v > 2 {
		v /= 100
	}
	return v, ok
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(wide.Replace(s)) {
	case "", "否", "不是", "false", "no", "n", "0", "×", "x", "f":
		return false, true
	case "是", "true", "yes", "y", "1", "√", "✓", "✔", "t":
		return true, true
	}
	return false, false
}

func parseKind(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "镇", "乡镇", "乡", "town":
		return ballots.KindTown, true
	case "部门", "县级部门", "县直部门", "单位", "department", "dept":
		return ballots.KindDepartment, true
	}
	return s, false
}

// ---- Import ----

func (s *Server) importSheet(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	kind := c.Params("kind")
	spec, ok := importSpecs[kind]
	if !ok {
		return ballots.Errorf(ballots.ENotFound, "不能导入 %q：可导入 units（单位）、people（人员）、targets（目标任务） (unknown list)", kind)
	}
	ctx, cycle := c.UserContext(), strings.Clone(c.Params("cycle"))
	units, err := s.svc.Units(ctx, cycle) // also: the year exists
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return ballots.Errorf(ballots.EInvalid, "请选择要上传的文件（.xlsx 或 .csv，不超过 1 MB） (send the file as multipart field \"file\")")
	}
	if fh.Size > BodyLimit {
		return ballots.Errorf(ballots.ETooLarge, "文件超过 1 MB，请删去多余的工作表或拆分后分批导入 (file over 1 MiB)")
	}
	fd, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(fd, BodyLimit+1))
	fd.Close()
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	t, err := readTable(data, spec.sheet)
	if err != nil {
		return err
	}
	sh, err := parseSheet(spec, t)
	if err != nil {
		return err
	}
	dry := c.QueryBool("dry_run")
	var items any
	var n int
	switch kind {
	case "units":
		var list []ballots.Unit
		if list, err = sh.units(); err == nil && !dry {
			err = sh.fromValidation(s.svc.PutUnits(ctx, cycle, list))
		}
		items, n = list, len(list)
	case "people":
		var list []ballots.Person
		if list, err = sh.people(units); err == nil && !dry {
			err = sh.fromValidation(s.svc.PutPeople(ctx, cycle, list))
		}
		items, n = list, len(list)
	case "targets":
		var list []scoring.Target
		if list, err = s.targetRows(ctx, cycle, sh, units); err == nil && !dry {
			err = s.saveTargets(ctx, cycle, list)
		}
		items, n = list, len(list)
	}
	if err != nil {
		return err
	}
	if !dry {
		s.audit(c, s.actor(c), auditImport, cycle, importDetail(kind, n))
	}
	return c.JSON(fiber.Map{"kind": kind, "count": n, "rows": len(sh.rows), "dry_run": dry, "items": items})
}

// units reads and checks the units sheet.
func (sh *sheet) units() ([]ballots.Unit, error) {
	out := make([]ballots.Unit, len(sh.data))
	for i := range sh.data {
		u := ballots.Unit{Code: sh.get(i, "code"), Name: sh.get(i, "name")}
		var ok bool
		if u.Kind, ok = parseKind(sh.get(i, "kind")); !ok {
			if u.Kind == "" {
				sh.bad(i, "kind", "不能为空：应为 镇 或 部门")
			} else {
				sh.bad(i, "kind", "应为 镇 或 部门，而不是“%s”", u.Kind)
			}
		}
		if v := sh.get(i, "staff"); v != "" {
			n, ok := parseNumber(strings.TrimSuffix(v, "人"))
			if !ok || n != math.Trunc(n) {
				sh.bad(i, "staff", "应为整数，而不是“%s”", v)
			}
			u.Staff = int(math.Max(math.Min(n, math.MaxInt32), math.MinInt32))
		}
		out[i] = u
	}
	return out, sh.checked(ballots.ValidateUnits(out))
}

// checked merges a static validation's field errors with the parse errors.
func (sh *sheet) checked(err error) error {
	if err != nil {
		if e := sh.fromValidation(err); ballots.ErrorCode(e) != ballots.EInvalid {
			return e
		}
	}
	return sh.errs.err(sh.spec)
}

// unitCode resolves a cell that names a unit by code or by name.
func unitCode(v string, units []ballots.Unit) (string, bool) {
	for _, u := range units {
		if u.Code == v {
			return v, true
		}
	}
	code, n := v, 0
	for _, u := range units {
		if u.Name == v {
			code, n = u.Code, n+1
		}
	}
	return code, n == 1
}

func (sh *sheet) people(units []ballots.Unit) ([]ballots.Person, error) {
	byCode := map[string]ballots.Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	out := make([]ballots.Person, len(sh.data))
	for i := range sh.data {
		p := ballots.Person{Code: sh.get(i, "code"), Name: sh.get(i, "name"), Post: sh.get(i, "post")}
		var ok bool
		if v := sh.get(i, "unit"); v == "" {
			sh.bad(i, "unit", "不能为空：填单位编码，如 T01")
		} else if p.Unit, ok = unitCode(v, units); !ok {
			sh.bad(i, "unit", "单位“%s”不在本年度的单位名单中：请填单位编码，或先导入单位", v)
		}
		if p.Leader, ok = parseBool(sh.get(i, "leader")); !ok {
			sh.bad(i, "leader", "应为 是 或 否，而不是“%s”", sh.get(i, "leader"))
		}
		out[i] = p
	}
	if len(units) == 0 {
		sh.errs.add("整个文件", "本年度还没有单位：请先导入单位名单，再导入人员")
	}
	return out, sh.checked(ballots.ValidatePeople(out, byCode))
}

// targetRows reads the target-task sheet: one row per indicator, plus
// 加减分 and 一票否决 rows, grouped by unit in the order units first appear.
func (s *Server) targetRows(ctx context.Context, cycle string, sh *sheet, units []ballots.Unit) ([]scoring.Target, error) {
	base, err := s.scoreBase(ctx, cycle)
	if err != nil {
		return nil, err
	}
	type origin struct {
		first       int   // data index of the unit's first row
		indicators  []int // data index of each indicator
		adjustments []int
	}
	var out []scoring.Target
	var from []origin
	index := map[string]int{}
	for i := range sh.data {
		v := sh.get(i, "unit")
		code, ok := unitCode(v, units)
		switch {
		case v == "":
			sh.bad(i, "unit", "不能为空：填单位编码，如 T01")
			continue
		case !ok:
			sh.bad(i, "unit", "单位“%s”不在本年度的单位名单中：请填单位编码，或先导入单位", v)
			continue
		}
		k, seen := index[code]
		if !seen {
			k = len(out)
			index[code] = k
			out = append(out, scoring.Target{Unit: code, Indicators: []scoring.Indicator{}})
			from = append(from, origin{first: i})
		}
		t, o := &out[k], &from[k]
		cat := sh.get(i, "category")
		name := sh.get(i, "name")
		points, hasPoints := 0.0, false
		if v := sh.get(i, "points"); v != "" {
			if points, hasPoints = parseNumber(v); !hasPoints {
				sh.bad(i, "points", "应为数字，而不是“%s”", v)
			}
		}
		switch normalizeHeader(cat) {
		case "一票否决", "否决", "veto":
			t.Veto = true
			continue
		case "加减分", "加分", "减分", "adjustment":
			if !hasPoints {
				sh.bad(i, "points", "加减分行须填分值：加分填正数，减分填负数")
				continue
			}
			if normalizeHeader(cat) == "减分" && points > 0 {
				points = -points
			}
			t.Adjustments = append(t.Adjustments, scoring.Adjustment{Points: points, Reason: name})
			o.adjustments = append(o.adjustments, i)
			continue
		case "":
			sh.bad(i, "category", "不能为空：如 经济发展、年度工作任务，或 加减分、一票否决")
			continue
		}
		ind := scoring.Indicator{Category: cat, Name: name, Points: points}
		if c, ok := categoryNames[normalizeHeader(cat)]; ok {
			ind.Category = c
		}
		if sh.get(i, "points") == "" {
			sh.bad(i, "points", "不能为空：填该指标的分值")
		}
		if v := sh.get(i, "completion"); v != "" {
			c, ok := parseCompletion(v)
			if !ok {
				sh.bad(i, "completion", "应为百分数（如 95%%）或小数（如 0.95），而不是“%s”", v)
			}
			ind.Completion = &c
		}
		if v := sh.get(i, "score"); v != "" {
			x, ok := parseNumber(v)
			if !ok {
				sh.bad(i, "score", "应为 0 到 100 的数，而不是“%s”", v)
			}
			ind.Score = &x
		}
		var ok2 bool
		if ind.MajorLoss, ok2 = parseBool(sh.get(i, "major_loss")); !ok2 {
			sh.bad(i, "major_loss", "应为 是 或 否，而不是“%s”", sh.get(i, "major_loss"))
		}
		t.Indicators = append(t.Indicators, ind)
		o.indicators = append(o.indicators, i)
	}
	// Each unit is checked on its own, so that every bad unit is named at
	// once (the scoring check stops at its first problem).
	for k, t := range out {
		in := base
		in.Targets = []scoring.Target{t}
		err := in.Validate()
		var ie *scoring.InputError
		if !errors.As(err, &ie) {
			if err != nil {
				return nil, scoringError(err)
			}
			continue
		}
		o := from[k]
		row, key := o.first, ""
		if m := targetField.FindStringSubmatch(ie.Field); m != nil {
			switch {
			case m[1] == "indicators" && m[2] != "":
				j, _ := strconv.Atoi(m[2])
				row, key = o.indicators[min(j, len(o.indicators)-1)], map[string]string{"category": "category", "points": "points",
					"completion": "completion", "score": "score"}[m[3]]
			case m[1] == "indicators":
				key = "points" // a category's points do not add up
			case m[1] == "adjustments":
				j, _ := strconv.Atoi(m[2])
				row, key = o.adjustments[min(j, len(o.adjustments)-1)], "points"
			case m[1] == "unit":
				key = "unit"
			}
		}
		sh.bad(row, key, "单位 %s：%s", t.Unit, translateCategories(ie.Message))
	}
	if err := sh.errs.err(sh.spec); err != nil {
		return nil, err
	}
	return out, nil
}

var targetField = regexp.MustCompile(`^targets\[\d+\](?:\.(indicators|adjustments|unit)(?:\[(\d+)\](?:\.(\w+))?)?)?`)

// translateCategories adds the Chinese name to category codes in a
// scoring message, for a reader who filled in 经济发展, not economic.
func translateCategories(msg string) string {
	for _, c := range []struct{ code, zh string }{{"economic", "经济发展"}, {"social", "社会发展"}, {"environment", "资源环境"},
		{"stability", "社会稳定"}, {"team", "班子和队伍建设"}, {"work", "年度工作任务"}} {
		msg = strings.ReplaceAll(msg, "类别 "+c.code+" ", "类别 "+c.zh+"（"+c.code+"）")
	}
	return msg
}

// saveTargets validates a year's target-task data against its units and
// rules, as PUT targets does, and stores it.
func (s *Server) saveTargets(ctx context.Context, cycle string, ts []scoring.Target) error {
	if cat, err := s.svc.Indicators(ctx, cycle); err != nil {
		return err
	} else if len(cat) > 0 {
		return ballots.Errorf(ballots.ECatalogueInUse, "本年度已有目标任务分解表，目标任务得分来自各考核主体填报并经审核的数值，不能再直接录入 (this year has a catalogue: target scores come from approved entries)")
	}
	in, err := s.scoreBase(ctx, cycle)
	if err != nil {
		return err
	}
	in.Targets = ts
	if err := in.Validate(); err != nil {
		return scoringError(err)
	}
	stored := make([]ballots.UnitTargets, len(ts))
	for i, t := range ts {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		stored[i] = ballots.UnitTargets{Unit: t.Unit, JSON: b}
	}
	return s.svc.PutTargets(ctx, cycle, stored)
}
