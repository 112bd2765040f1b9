package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/xuri/excelize/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

// The catalogue (目标任务分解表) and the assessors' values as spreadsheets:
// the office's layout in and out, and each body's fill-in sheet. The files
// are read with import.go's machinery (readTable, parseSheet, cell errors
// by row and column) and stored through the same calls as the JSON API
// (saveCatalogue, Service.PutEntry), so the same rules hold.
func registerCatalogueSheetRoutes(s *Server, r fiber.Router) {
	// Registered before the collection's and the import's routes: these
	// paths would otherwise reach their generic handlers.
	r.Get("/templates/indicators.xlsx", s.indicatorTemplate("xlsx"))
	r.Get("/templates/indicators.csv", s.indicatorTemplate("csv"))
	r.Get("/cycles/:cycle/indicators", s.exportIndicators) // ?format=xlsx|csv; JSON (collect.go) without
	r.Post("/cycles/:cycle/import/indicators", s.importIndicators)
	r.Get("/cycles/:cycle/bodies/:body/sheet.xlsx", s.bodySheet)
	r.Post("/cycles/:cycle/bodies/:body/sheet", s.uploadBodySheet)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Chinese labels of the catalogue's codes, as the office writes them
// (categoryLabels is workbook.go's).
var (
	methodLabels = map[string]string{ballots.MethodCompletion: "完成率", ballots.MethodScore: "评分"}
	betterLabels = map[string]string{ballots.BetterHigher: "越高越好", ballots.BetterLower: "越低越好"}
	statusLabels = map[string]string{ballots.EntryDraft: "填报中", ballots.EntrySubmitted: "待审核",
		ballots.EntryApproved: "已通过", ballots.EntryReturned: "已退回", "": "未填报"}
)

func categoryLabel(c string) string {
	if l, ok := categoryLabels[c]; ok {
		return l
	}
	return c
}

// indicatorSpec is the catalogue's layout: one row per indicator.
var indicatorSpec = &sheetSpec{kind: "indicators", sheet: "目标任务分解表", title: "目标任务分解表",
	cols: []column{
		{key: "code", title: "指标编码", aliases: []string{"编码", "指标代码", "code"}, must: true, text: true,
			note: "必填。字母、数字、_ . -，不超过 64 位，如 T01-01；年内唯一。各考核主体填报、考核办审核都以它为准，改动编码等于删去原指标"},
		{key: "unit", title: "单位编码", aliases: []string{"单位", "被考核单位", "unit"}, text: true,
			note: "单位名单中的编码（如 T01）；也可只填“单位名称”。两列都填时须一致"},
		{key: "unit_name", title: "单位名称", aliases: []string{"unit_name"}, note: "单位名单中的名称（如 城关镇）；只作核对，填了编码时可不填"},
		{key: "category", title: "类别", aliases: []string{"指标类别", "category"}, must: true,
			choices: []string{"经济发展", "社会发展", "资源环境", "社会稳定", "班子和队伍建设", "年度工作任务"},
			note: "必填。镇：经济发展 35、社会发展 15、资源环境 15、社会稳定 20、班子和队伍建设 15；部门：年度工作任务 70、班子和队伍建设 30。" +
				"同一单位同一类别的分值合计须等于该类别的分值（按本年度考核办法）。也可写 economic、social、environment、stability、team、work"},
		{key: "name", title: "指标名称", aliases: []string{"指标", "名称", "name"}, must: true, note: "必填。如 地区生产总值增速，不超过 100 字"},
		{key: "points", title: "分值", aliases: []string{"指标分值", "points"}, must: true, note: "必填。大于 0、不超过 100 的数"},
		{key: "method", title: "计分方式", aliases: []string{"方式", "method"}, choices: []string{"完成率", "评分"},
			note: "完成率：考核主体填实际完成值，按 实际÷目标（越低越好时 目标÷实际）计分，100% 以上得满分，60% 及以下不得分；" +
				"评分：考核主体打 0–100 分，按分数比例计分。也可写 completion / score。不填时，有目标值的按完成率，否则按评分"},
		{key: "target", title: "目标值", aliases: []string{"目标", "target"}, note: "按完成率计分的指标必填，大于 0 的数，如 8.5；按评分的不填"},
		{key: "measure", title: "计量单位", aliases: []string{"单位（计量）", "measure"}, note: "选填。目标值和实际值的单位，如 %、亿元、吨标煤，不超过 16 字"},
		{key: "better", title: "方向", aliases: []string{"越高越好/越低越好", "越高或越低", "优劣方向", "better"}, choices: []string{"越高越好", "越低越好"},
			note: "按完成率计分的指标：越高越好 或 越低越好（如 万元GDP能耗），不填为 越高越好；按评分的不填。也可写 higher / lower"},
		{key: "source", title: "考核主体", aliases: []string{"填报单位", "考核单位", "source"}, must: true,
			note: "必填。填报此指标的考核主体（统计局、职能部门或考核组），填编码或名称均可；须先在“考核主体”中添加"},
	},
	notes: []string{"一行一个指标；一个单位的各个指标写在多行。导入后替换本年度原有的全部目标任务分解表。",
		"已有填报数值的指标，删去它或改动其计分方式、目标值、方向、考核主体会使数值作废：这时导入会被拒绝并列出这些指标；确需如此，请勾选“作废已填报的数值”（?reset=1）后重新导入。",
		"示例：T01-01 | T01 | 城关镇 | 经济发展 | 地区生产总值增速 | 20 | 完成率 | 8.5 | % | 越高越好 | 县统计局"},
}

// specWith is the catalogue's spec with rows and notes of a year.
func specWith(rows [][]string, notes ...string) *sheetSpec {
	sp := *indicatorSpec
	sp.example = rows
	sp.notes = append(append([]string{}, indicatorSpec.notes...), notes...)
	return &sp
}

func (s *Server) indicatorTemplate(ext string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer); err != nil {
			return err
		}
		return sendSpec(c, specWith(nil), ext, "目标任务分解表模板", "indicators")
	}
}

func sendSpec(c *fiber.Ctx, sp *sheetSpec, ext, name, ascii string) error {
	if ext == "csv" {
		body, err := sp.csvTemplate()
		if err != nil {
			return err
		}
		setAttachment(c, "text/csv; charset=utf-8", name+".csv", ascii+".csv")
		return c.Send(body)
	}
	body, err := sp.xlsxTemplate()
	if err != nil {
		return err
	}
	setAttachment(c, xlsxType, name+".xlsx", ascii+".xlsx")
	return c.Send(body)
}

// bodyLabels names each body by its name when no other body has that name,
// else by its code: what the export writes in 考核主体.
func bodyLabels(bodies []ballots.Body) map[string]string {
	n := map[string]int{}
	for _, b := range bodies {
		n[b.Name]++
	}
	out := map[string]string{}
	for _, b := range bodies {
		out[b.Code] = b.Code
		if n[b.Name] == 1 && b.Name != "" {
			out[b.Code] = b.Name
		}
	}
	return out
}

func numText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// exportIndicators answers GET /cycles/{cycle}/indicators?format=xlsx|csv
// (admin, viewer): the catalogue in the office's layout, which imports
// back to the same catalogue. Without format, the JSON of collect.go.
func (s *Server) exportIndicators(c *fiber.Ctx) error {
	format := c.Query("format")
	if format == "" || format == "json" {
		return c.Next()
	}
	if _, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer); err != nil {
		return err
	}
	if format != "xlsx" && format != "csv" {
		return ballots.Errorf(ballots.EInvalid, "format 可为 xlsx 或 csv，而不是 %q (format: xlsx or csv)", format)
	}
	ctx, cycle := c.UserContext(), c.Params("cycle")
	cy, err := s.svc.Cycle(ctx, cycle)
	if err != nil {
		return err
	}
	inds, err := s.svc.Indicators(ctx, cycle)
	if err != nil {
		return err
	}
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return err
	}
	bodies, err := s.svc.Bodies(ctx, cycle)
	if err != nil {
		return err
	}
	unitNames := map[string]string{}
	for _, u := range units {
		unitNames[u.Code] = u.Name
	}
	labels := bodyLabels(bodies)
	rows := make([][]string, len(inds))
	for i, ind := range inds {
		rows[i] = []string{ind.Code, ind.Unit, unitNames[ind.Unit], categoryLabel(ind.Category), ind.Name, numText(&ind.Points),
			methodLabels[ind.Method], numText(ind.Target), ind.Measure, betterLabels[ind.Better], labels[ind.Source]}
	}
	var list []string
	for _, b := range bodies {
		list = append(list, b.Code+" "+b.Name)
	}
	note := "本年度考核主体：" + strings.Join(list, "、")
	if len(list) == 0 {
		note = "本年度还没有考核主体：请先在“考核主体”中添加"
	}
	return sendSpec(c, specWith(rows, note), format, yearPrefix(cy)+"目标任务分解表", "indicators-"+cycle)
}

// ---- Import ----

// uploaded reads the multipart field "file" (at most BodyLimit bytes).
func uploaded(c *fiber.Ctx) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, ballots.Errorf(ballots.EInvalid, "请选择要上传的文件（.xlsx 或 .csv，不超过 1 MB） (send the file as multipart field \"file\")")
	}
	if fh.Size > BodyLimit {
		return nil, ballots.Errorf(ballots.ETooLarge, "文件超过 1 MB，请删去多余的工作表后再上传 (file over 1 MiB)")
	}
	fd, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer fd.Close()
	data, err := io.ReadAll(io.LimitReader(fd, BodyLimit+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return data, nil
}

func parseMethod(s string) (string, bool) {
	switch strings.ToLower(normalizeHeader(s)) {
	case "完成率", "按完成率", "完成值", "按完成率计分", "completion":
		return ballots.MethodCompletion, true
	case "评分", "打分", "得分", "按评分", "0-100评分", "0–100评分", "score":
		return ballots.MethodScore, true
	}
	return s, false
}

func parseBetter(s string) (string, bool) {
	switch strings.ToLower(normalizeHeader(s)) {
	case "":
		return "", true
	case "越高越好", "越高", "高", "正向", "higher":
		return ballots.BetterHigher, true
	case "越低越好", "越低", "低", "逆向", "反向", "lower":
		return ballots.BetterLower, true
	}
	return s, false
}

// bodyCode resolves a cell that names a body by code or by (unique) name.
func bodyCode(v string, bodies []ballots.Body) (string, bool) {
	for _, b := range bodies {
		if b.Code == v {
			return v, true
		}
	}
	code, n := v, 0
	for _, b := range bodies {
		if b.Name == v {
			code, n = b.Code, n+1
		}
	}
	return code, n == 1
}

// parseValue reads a number cell; a trailing % is dropped (a cell
// formatted as a percentage of a measure in %).
func parseValue(v string) (float64, bool) {
	return parseNumber(strings.TrimSuffix(wide.Replace(v), "%"))
}

// indicatorRows reads the catalogue sheet into indicators and checks each
// cell and each indicator's fields (400 naming the cells).
func indicatorRows(sh *sheet, units []ballots.Unit, bodies []ballots.Body) ([]ballots.Indicator, error) {
	unitMap := map[string]ballots.Unit{}
	for _, u := range units {
		unitMap[u.Code] = u
	}
	bodyMap := map[string]ballots.Body{}
	var names []string
	for _, b := range bodies {
		bodyMap[b.Code] = b
		names = append(names, b.Name)
	}
	out := make([]ballots.Indicator, len(sh.data))
	for i := range sh.data {
		ind := ballots.Indicator{Code: sh.get(i, "code"), Name: sh.get(i, "name"), Measure: sh.get(i, "measure")}
		code, name := sh.get(i, "unit"), sh.get(i, "unit_name")
		switch {
		case code == "" && name == "":
			sh.bad(i, "unit", "不能为空：填单位编码（如 T01）或单位名称")
		case code != "":
			var ok bool
			if ind.Unit, ok = unitCode(code, units); !ok {
				sh.bad(i, "unit", "单位“%s”不在本年度的单位名单中：请填单位编码，或先导入单位", code)
			} else if name != "" && name != unitMap[ind.Unit].Name {
				sh.bad(i, "unit_name", "单位编码 %s 是“%s”，与这里写的“%s”不符：请核对是哪个单位", ind.Unit, unitMap[ind.Unit].Name, name)
			}
		default:
			var ok bool
			if ind.Unit, ok = unitCode(name, units); !ok {
				sh.bad(i, "unit_name", "单位“%s”不在本年度的单位名单中（或有重名）：请填单位编码", name)
			}
		}
		ind.Category = sh.get(i, "category")
		if c, ok := categoryNames[normalizeHeader(ind.Category)]; ok {
			ind.Category = c
		}
		if v := sh.get(i, "points"); v != "" {
			var ok bool
			if ind.Points, ok = parseNumber(v); !ok {
				sh.bad(i, "points", "应为数字，而不是“%s”", v)
			}
		} else {
			sh.bad(i, "points", "不能为空：填该指标的分值")
		}
		if v := sh.get(i, "target"); v != "" {
			x, ok := parseValue(v)
			if !ok {
				sh.bad(i, "target", "应为数字，而不是“%s”", v)
			}
			ind.Target = &x
			if strings.HasSuffix(wide.Replace(v), "%") && ind.Measure == "" {
				ind.Measure = "%"
			}
		}
		if v := sh.get(i, "method"); v != "" {
			var ok bool
			if ind.Method, ok = parseMethod(v); !ok {
				sh.bad(i, "method", "应为 完成率 或 评分，而不是“%s”", v)
			}
		} else if ind.Target != nil {
			ind.Method = ballots.MethodCompletion
		} else {
			ind.Method = ballots.MethodScore
		}
		var ok bool
		if ind.Better, ok = parseBetter(sh.get(i, "better")); !ok {
			sh.bad(i, "better", "应为 越高越好 或 越低越好，而不是“%s”", ind.Better)
		}
		if ind.Method == ballots.MethodCompletion && ind.Better == "" {
			ind.Better = ballots.BetterHigher
		}
		if v := sh.get(i, "source"); v == "" {
			sh.bad(i, "source", "不能为空：填考核主体的编码或名称")
		} else if ind.Source, ok = bodyCode(v, bodies); !ok {
			if len(bodies) == 0 {
				sh.bad(i, "source", "考核主体“%s”不存在：本年度还没有考核主体，请先添加", v)
			} else {
				sh.bad(i, "source", "考核主体“%s”不存在（或有重名）：可填 %s", v, strings.Join(names, "、"))
			}
		}
		out[i] = ind
	}
	return out, sh.checked(ballots.ValidateCatalogue(out, unitMap, bodyMap))
}

// coverage checks each unit's indicators against the rules' categories and
// points, one unit at a time so that every unit that is off is named: 422
// naming the rows.
func coverage(sh *sheet, base scoring.Input, inds []ballots.Indicator) error {
	var order []string
	byUnit := map[string][]int{}
	for i, ind := range inds {
		if _, ok := byUnit[ind.Unit]; !ok {
			order = append(order, ind.Unit)
		}
		byUnit[ind.Unit] = append(byUnit[ind.Unit], i)
	}
	for _, u := range order {
		rows := byUnit[u]
		mine := make([]ballots.Indicator, len(rows))
		for k, i := range rows {
			mine[k] = inds[i]
		}
		in := base
		in.Targets = scoring.CatalogueTargets(mine)
		err := in.Validate()
		var ie *scoring.InputError
		if !errors.As(err, &ie) {
			if err != nil {
				return scoringError(err)
			}
			continue
		}
		row, key := rows[0], "points"
		if m := targetField.FindStringSubmatch(ie.Field); m != nil && m[1] == "indicators" && m[2] != "" {
			j, _ := strconv.Atoi(m[2])
			row = rows[min(j, len(rows)-1)]
			if m[3] == "category" {
				key = "category"
			}
		}
		sh.bad(row, key, "单位 %s：%s", u, translateCategories(ie.Message))
	}
	if err := sh.errs.err(sh.spec); err != nil {
		var be *ballots.Error
		if errors.As(err, &be) {
			be.Code = EInvalidScoring
		}
		return err
	}
	return nil
}

// wouldDrop is PutCatalogue's rule, for a dry run: the codes whose entered
// values the new catalogue would void (dropped, or its method, target,
// direction or source changed).
func wouldDrop(old, next []ballots.Indicator, entries []ballots.Entry) []string {
	entered := map[string]bool{}
	for _, e := range entries {
		entered[e.Indicator] = true
	}
	byCode := map[string]ballots.Indicator{}
	for _, ind := range next {
		byCode[ind.Code] = ind
	}
	var hit []string
	for _, o := range old {
		if !entered[o.Code] {
			continue
		}
		n, ok := byCode[o.Code]
		if !ok || o.Method != n.Method || o.Source != n.Source || o.Better != n.Better ||
			(o.Target == nil) != (n.Target == nil) || (o.Target != nil && *o.Target != *n.Target) {
			hit = append(hit, o.Code)
		}
	}
	return hit
}

// conflictRows names the rows of a 409 for entered values: a code still in
// the file by its row, a dropped one by its code.
func conflictRows(sh *sheet, inds []ballots.Indicator, hit []string) error {
	row := map[string]int{}
	for i, ind := range inds {
		row[ind.Code] = i
	}
	var details []ballots.Detail
	for _, code := range hit {
		if i, ok := row[code]; ok {
			details = append(details, ballots.Detail{Subject: code, Field: sh.where(i, "code"),
				Message: "指标 " + code + " 已有填报的数值，改动其计分方式、目标值、方向或考核主体会使数值作废"})
		} else {
			details = append(details, ballots.Detail{Subject: code, Field: "整个文件",
				Message: "指标 " + code + " 已有填报的数值，文件中没有它，导入会删去它和它的数值"})
		}
	}
	return &ballots.Error{Code: ballots.EConflict, Details: details,
		Message: fmt.Sprintf("%d 项指标已有填报的数值，导入会使这些数值作废：%s。没有导入任何数据；确需如此，请选择“作废已填报的数值”（?reset=1）后重新导入 (%d indicators have entered values: nothing was imported; add ?reset=1 to void them)",
			len(hit), strings.Join(hit, "、"), len(hit))}
}

// importIndicators answers POST /cycles/{cycle}/import/indicators (admin,
// multipart "file"; ?dry_run=1 checks without storing; ?reset=1 voids the
// entered values the new catalogue changes).
func (s *Server) importIndicators(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), strings.Clone(c.Params("cycle"))
	units, err := s.svc.Units(ctx, cycle) // also: the year exists
	if err != nil {
		return err
	}
	bodies, err := s.svc.Bodies(ctx, cycle)
	if err != nil {
		return err
	}
	data, err := uploaded(c)
	if err != nil {
		return err
	}
	t, err := readTable(data, indicatorSpec.sheet)
	if err != nil {
		return err
	}
	sh, err := parseSheet(indicatorSpec, t)
	if err != nil {
		return err
	}
	inds, err := indicatorRows(sh, units, bodies)
	if err != nil {
		return err
	}
	base, err := s.scoreBase(ctx, cycle)
	if err != nil {
		return err
	}
	if err := coverage(sh, base, inds); err != nil {
		return err
	}
	dry, reset := c.QueryBool("dry_run"), c.Query("reset") == "1"
	var dropped []string
	if dry {
		old, err := s.svc.Indicators(ctx, cycle)
		if err != nil {
			return err
		}
		entries, err := s.svc.Entries(ctx, cycle)
		if err != nil {
			return err
		}
		if dropped = wouldDrop(old, inds, entries); len(dropped) > 0 && !reset {
			return conflictRows(sh, inds, dropped)
		}
	} else {
		dropped, err = s.saveCatalogue(ctx, cycle, inds, reset)
		var be *ballots.Error
		if errors.As(err, &be) && be.Code == ballots.EConflict {
			hit := make([]string, 0, len(be.Details))
			for _, d := range be.Details {
				hit = append(hit, d.Subject)
			}
			return conflictRows(sh, inds, hit)
		}
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("导入目标任务分解表，共 %d 项指标", len(inds))
		if len(dropped) > 0 {
			detail += fmt.Sprintf("；作废已填报的数值 %d 项：%s", len(dropped), strings.Join(dropped, "、"))
		}
		s.audit(c, s.actor(c), auditIndicatorsPut, cycle, detail)
	}
	return c.JSON(fiber.Map{"kind": "indicators", "count": len(inds), "rows": len(sh.rows), "dry_run": dry,
		"reset": nonNil(dropped), "items": inds})
}

// ---- The assessor's fill-in sheet ----

// fillSpec is a body's fill-in sheet: its indicators with the value
// columns to fill (实际完成值 or 评分, 重大失分, 原因, 说明).
var fillSpec = &sheetSpec{kind: "entries", sheet: "填报", title: "数据填报表",
	cols: []column{
		{key: "code", title: "指标编码", aliases: []string{"编码", "code"}, must: true, text: true, note: "请勿修改：据此找到指标"},
		{key: "unit", title: "单位", note: "被考核单位，只供查看"},
		{key: "category", title: "类别", note: "只供查看"},
		{key: "name", title: "指标名称", note: "只供查看"},
		{key: "points", title: "分值", note: "只供查看"},
		{key: "method", title: "计分方式", note: "完成率：填“实际完成值”；评分：填“评分”（0–100）"},
		{key: "target", title: "目标值", note: "只供查看"},
		{key: "measure", title: "计量单位", note: "实际完成值与目标值同一单位"},
		{key: "better", title: "方向", note: "越高越好 或 越低越好"},
		{key: "actual", title: "实际完成值", aliases: []string{"实际值", "完成值", "actual"},
			note: "按完成率计分的指标填：不小于 0 的数，与目标值同一计量单位；按评分的留空"},
		{key: "score", title: "评分", aliases: []string{"得分", "打分", "score"}, note: "按评分的指标填：0 到 100 的数；按完成率的留空"},
		{key: "major_loss", title: "重大失分", aliases: []string{"是否重大失分", "major_loss"}, choices: []string{"是", "否"},
			note: "因工作原因造成重大失分的填 是（该指标不得分，须写原因），否则填 否 或不填"},
		{key: "reason", title: "原因", aliases: []string{"失分原因", "reason"}, note: "重大失分的原因，不超过 500 字"},
		{key: "note", title: "说明", aliases: []string{"备注", "note"}, note: "选填。数值的说明或出处，不超过 500 字"},
		{key: "status", title: "状态", note: "填报中、已退回的可以修改；待审核、已通过的不能修改（如需更正请联系考核办退回）"},
		{key: "comment", title: "退回意见", note: "考核办退回时写的意见"},
	},
	notes: []string{"一行一个指标，只填“实际完成值”或“评分”、“重大失分”“原因”“说明”几列，其余各列只供查看，请勿改动。",
		"上传后先检查全部各行，有任何一处错误都不保存；全部无误后一并保存为草稿，之后仍须在填报页面点“报送”。",
		"留空的行不做改动（已有的草稿保留）。"},
}

// sheetBody checks that the caller may fill in body's sheet: an admin, or
// the body's own assessor.
func (s *Server) sheetBody(c *fiber.Ctx) (ballots.User, ballots.Body, error) {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleAssessor)
	if err != nil {
		return u, ballots.Body{}, err
	}
	code := c.Params("body")
	if u.Role == ballots.RoleAssessor && u.Body != code {
		return u, ballots.Body{}, ballots.Errorf(ballots.EForbidden, "只能下载和上传本考核主体的填报表 (only your own body's sheet)")
	}
	bodies, err := s.svc.Bodies(c.UserContext(), c.Params("cycle"))
	if err != nil {
		return u, ballots.Body{}, err
	}
	for _, b := range bodies {
		if b.Code == code {
			return u, b, nil
		}
	}
	return u, ballots.Body{}, ballots.Errorf(ballots.ENotFound, "考核主体 %s 不存在 (no such body)", code)
}

// bodyIndicators is body's part of the catalogue with the current entries.
func (s *Server) bodyIndicators(ctx context.Context, cycle, body string) ([]ballots.Indicator, map[string]ballots.Entry, error) {
	all, err := s.svc.Indicators(ctx, cycle)
	if err != nil {
		return nil, nil, err
	}
	var inds []ballots.Indicator
	for _, ind := range all {
		if ind.Source == body {
			inds = append(inds, ind)
		}
	}
	entries, err := s.svc.Entries(ctx, cycle)
	if err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]ballots.Entry, len(entries))
	for _, e := range entries {
		byCode[e.Indicator] = e
	}
	return inds, byCode, nil
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// bodySheet answers GET /cycles/{cycle}/bodies/{body}/sheet.xlsx (the
// body's assessor, admin): its indicators with the drafts filled in;
// submitted and approved ones greyed, locked and marked.
func (s *Server) bodySheet(c *fiber.Ctx) error {
	_, body, err := s.sheetBody(c)
	if err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), c.Params("cycle")
	cy, err := s.svc.Cycle(ctx, cycle)
	if err != nil {
		return err
	}
	inds, entries, err := s.bodyIndicators(ctx, cycle, body.Code)
	if err != nil {
		return err
	}
	units, err := s.svc.Units(ctx, cycle)
	if err != nil {
		return err
	}
	unitNames := map[string]string{}
	for _, u := range units {
		unitNames[u.Code] = u.Name
	}
	rows := make([][]string, len(inds))
	locked := make([]bool, len(inds))
	for i, ind := range inds {
		e, ok := entries[ind.Code]
		status := statusLabels[e.Status]
		if ok && !e.Editable() {
			status += "（不能修改）"
			locked[i] = true
		}
		row := []string{ind.Code, unitNames[ind.Unit], categoryLabel(ind.Category), ind.Name, numText(&ind.Points),
			methodLabels[ind.Method], numText(ind.Target), ind.Measure, betterLabels[ind.Better], "", "", "", "", "", status, e.Comment}
		if ok {
			row[9], row[10], row[12], row[13] = numText(e.Actual), numText(e.Score), e.Reason, e.Note
			if e.MajorLoss {
				row[11] = yesNo(true)
			}
		}
		rows[i] = row
	}
	sp := *fillSpec
	sp.example = rows
	sp.title = body.Name + "数据填报表"
	book, err := fillWorkbook(&sp, locked)
	if err != nil {
		return err
	}
	setAttachment(c, xlsxType, yearPrefix(cy)+body.Name+"数据填报表.xlsx", "sheet-"+cycle+"-"+body.Code+".xlsx")
	return c.Send(book)
}

// entryRow is one row of an uploaded fill-in sheet, checked.
type entryRow struct {
	row    int // data index
	ind    ballots.Indicator
	in     ballots.EntryInput
	before *ballots.Entry
}

// sameEntry reports whether in leaves e as it is.
func sameEntry(e ballots.Entry, in ballots.EntryInput) bool {
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	reason := strings.TrimSpace(in.Reason)
	if !in.MajorLoss {
		reason = ""
	}
	return eq(e.Actual, in.Actual) && eq(e.Score, in.Score) && e.MajorLoss == in.MajorLoss &&
		e.Reason == reason && e.Note == strings.TrimSpace(in.Note)
}

// fillRows reads a fill-in sheet against the body's indicators and
// entries: the rows that change an entry, or the cell errors (bad values,
// another body's indicator, a locked entry changed).
func fillRows(sh *sheet, inds []ballots.Indicator, entries map[string]ballots.Entry, body string) ([]entryRow, int, error) {
	byCode := map[string]ballots.Indicator{}
	for _, ind := range inds {
		byCode[ind.Code] = ind
	}
	seen := map[string]int{}
	var out []entryRow
	unchanged, locks := 0, 0
	for i := range sh.data {
		code := sh.get(i, "code")
		ind, ok := byCode[code]
		switch {
		case code == "":
			sh.bad(i, "code", "不能为空：请勿删改指标编码")
			continue
		case !ok:
			sh.bad(i, "code", "指标 %s 不是 %s 填报的指标：请使用本考核主体下载的填报表，勿改指标编码", code, body)
			continue
		}
		if j, dup := seen[code]; dup {
			sh.bad(i, "code", "指标 %s 与第 %d 行重复", code, sh.rows[j])
			continue
		}
		seen[code] = i
		var in ballots.EntryInput
		actual, score := sh.get(i, "actual"), sh.get(i, "score")
		if actual != "" {
			x, ok := parseValue(actual)
			switch {
			case !ok:
				sh.bad(i, "actual", "应为数字，而不是“%s”", actual)
			case ind.Method != ballots.MethodCompletion:
				sh.bad(i, "actual", "此指标按评分计分：请把分数填在“评分”列，这一列留空")
			case x < 0 || x > 1e12:
				sh.bad(i, "actual", "实际完成值不能为负数")
			}
			in.Actual = &x
		}
		if score != "" {
			x, ok := parseNumber(score)
			switch {
			case !ok:
				sh.bad(i, "score", "应为 0 到 100 的数，而不是“%s”", score)
			case ind.Method != ballots.MethodScore:
				sh.bad(i, "score", "此指标按完成率计分：请把实际完成值填在“实际完成值”列，这一列留空")
			case x < 0 || x > 100:
				sh.bad(i, "score", "评分须在 0 到 100 之间，而不是 %s", score)
			}
			in.Score = &x
		}
		var okb bool
		if in.MajorLoss, okb = parseBool(sh.get(i, "major_loss")); !okb {
			sh.bad(i, "major_loss", "应为 是 或 否，而不是“%s”", sh.get(i, "major_loss"))
		}
		in.Reason, in.Note = sh.get(i, "reason"), sh.get(i, "note")
		if in.MajorLoss && in.Reason == "" {
			sh.bad(i, "reason", "认定重大失分须写明原因")
		}
		if utf8Len(in.Reason) > 500 {
			sh.bad(i, "reason", "不能超过 500 字")
		}
		if utf8Len(in.Note) > 500 {
			sh.bad(i, "note", "不能超过 500 字")
		}
		e, entered := entries[code]
		empty := in.Actual == nil && in.Score == nil && !in.MajorLoss
		switch {
		case entered && sameEntry(e, in):
			unchanged++
			continue
		case empty && in.Note == "" && in.Reason == "":
			unchanged++ // a blank row changes nothing: drafts are kept
			continue
		case entered && !e.Editable():
			sh.bad(i, "status", "指标 %s 的数值%s，不能再改：请把这一行恢复原样，或请考核办退回后再改", code, map[string]string{
				ballots.EntrySubmitted: "已报送、等待审核", ballots.EntryApproved: "已审核通过"}[e.Status])
			locks++
			continue
		case empty:
			key := "actual"
			if ind.Method == ballots.MethodScore {
				key = "score"
			}
			sh.bad(i, key, "只写了说明，没有填数值：请填%s", map[string]string{"actual": "实际完成值", "score": "0 到 100 的评分"}[key])
			continue
		}
		r := entryRow{row: i, ind: ind, in: in}
		if entered {
			r.before = &e
		}
		out = append(out, r)
	}
	err := sh.errs.err(sh.spec)
	var be *ballots.Error
	if errors.As(err, &be) && locks == len(be.Details) {
		be.Code = ballots.EEntryLocked // only locked rows changed: 409, as PutEntry would say
	}
	return out, unchanged, err
}

func utf8Len(s string) int { return len([]rune(s)) }

// sheetChange is one row of the upload's answer.
type sheetChange struct {
	Row       int    `json:"row"`
	Indicator string `json:"indicator"`
	Name      string `json:"name"`
	Before    string `json:"before"`
	After     string `json:"after"`
}

// uploadBodySheet answers POST /cycles/{cycle}/bodies/{body}/sheet (the
// body's assessor, admin; multipart "file"; ?dry_run=1): every row is
// checked first, and only a clean file is written, row by row through
// PutEntry as drafts, each change in the audit log.
func (s *Server) uploadBodySheet(c *fiber.Ctx) error {
	u, body, err := s.sheetBody(c)
	if err != nil {
		return err
	}
	ctx, cycle := c.UserContext(), strings.Clone(c.Params("cycle"))
	data, err := uploaded(c)
	if err != nil {
		return err
	}
	t, err := readTable(data, fillSpec.sheet)
	if err != nil {
		return err
	}
	spec := *fillSpec
	spec.title = body.Name + "数据填报表"
	sh, err := parseSheet(&spec, t)
	if err != nil {
		return err
	}
	inds, entries, err := s.bodyIndicators(ctx, cycle, body.Code)
	if err != nil {
		return err
	}
	rows, unchanged, err := fillRows(sh, inds, entries, body.Code)
	if err != nil {
		return err
	}
	dry := c.QueryBool("dry_run")
	changes := make([]sheetChange, 0, len(rows))
	updates := make([]ballots.EntryUpdate, 0, len(rows))
	rowOf := make(map[string]int, len(rows))
	for _, r := range rows {
		after := ballots.Entry{Actual: r.in.Actual, Score: r.in.Score, MajorLoss: r.in.MajorLoss, Reason: r.in.Reason}
		changes = append(changes, sheetChange{Row: sh.rows[r.row], Indicator: r.ind.Code, Name: r.ind.Name, Before: entryValue(r.before), After: entryValue(&after)})
		updates = append(updates, ballots.EntryUpdate{Indicator: r.ind.Code, Input: r.in})
		rowOf[r.ind.Code] = r.row
	}
	if !dry && len(updates) > 0 {
		// One transaction: the rows were checked above, so only a change by
		// someone else since (the office returned or approved an entry
		// meanwhile) fails here, and then nothing is stored.
		done, err := s.svc.PutEntries(ctx, cycle, collectActor(u), updates)
		if err != nil {
			var be *ballots.Error
			if errors.As(err, &be) && len(be.Details) == 0 {
				for code, row := range rowOf {
					if strings.Contains(be.Message, "指标 "+code+" ") {
						return &ballots.Error{Code: be.Code, Message: fmt.Sprintf("%s：%s。整个文件都没有保存，请重新下载填报表核对 (nothing was saved)", sh.where(row, "code"), be.Message)}
					}
				}
			}
			return err
		}
		for _, ch := range done {
			if detail := entryChange(ch); detail != "" {
				s.audit(c, u, auditEntryPut, cycle+"/"+ch.Indicator.Code, detail)
			}
		}
	}
	return c.JSON(fiber.Map{"rows": len(sh.rows), "changed": len(changes), "unchanged": unchanged, "dry_run": dry, "changes": changes})
}

// fillWorkbook is the fill-in sheet as the template machinery lays it out,
// then protected (no password: a guard against slips, the server checks
// anyway) with the value cells of editable rows open and tinted, and the
// rows of submitted or approved entries greyed.
func fillWorkbook(sp *sheetSpec, locked []bool) ([]byte, error) {
	raw, err := sp.xlsxTemplate()
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	open, err := f.NewStyle(&excelize.Style{Protection: &excelize.Protection{Locked: false},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF7D6"}}})
	if err != nil {
		return nil, err
	}
	grey, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "777777"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E7E7E7"}}})
	if err != nil {
		return nil, err
	}
	first, last := 0, 0
	for j, col := range sp.cols {
		switch col.key {
		case "actual":
			first = j + 1
		case "note":
			last = j + 1
		}
	}
	end, _ := excelize.ColumnNumberToName(len(sp.cols))
	for i, lock := range locked {
		row := i + 2
		if lock {
			if err := f.SetCellStyle(sp.sheet, cell(1, row), end+strconv.Itoa(row), grey); err != nil {
				return nil, err
			}
			continue
		}
		if err := f.SetCellStyle(sp.sheet, cell(first, row), cell(last, row), open); err != nil {
			return nil, err
		}
	}
	for _, w := range []struct {
		col   string
		width float64
	}{{"A", 12}, {"B", 12}, {"D", 24}, {"M", 24}, {"N", 24}, {"O", 18}, {"P", 24}} {
		if err := f.SetColWidth(sp.sheet, w.col, w.col, w.width); err != nil {
			return nil, err
		}
	}
	if err := f.ProtectSheet(sp.sheet, &excelize.SheetProtectionOptions{FormatColumns: true, FormatRows: true,
		SelectLockedCells: true, SelectUnlockedCells: true, AutoFilter: true, Sort: true}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
