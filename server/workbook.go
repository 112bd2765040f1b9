package server

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/scoring"
)

var componentOrder = []struct{ code, name string }{
	{scoring.Conference, "全县领导干部大会评价"}, {scoring.Mutual, "单位互评"}, {scoring.Group, "考核组评价"},
	{scoring.Democratic, "民主测评"}, {scoring.Social, "社会评价"},
}

// workbookName is the download's file name: 2020年度考核结果汇总表.xlsx for
// the year 2020年度目标责任考核.
func workbookName(cy ballots.Cycle) string {
	return yearPrefix(cy) + "考核结果汇总表.xlsx"
}

// yearPrefix is the year's name without a closing 目标责任考核 or 考核, so
// titles built on it do not repeat the words.
func yearPrefix(cy ballots.Cycle) string {
	name := strings.TrimSpace(cy.Name)
	if name == "" {
		name = cy.Code
	}
	for _, suffix := range []string{"目标责任考核", "考核"} {
		if p := strings.TrimSuffix(name, suffix); p != name && p != "" {
			return p
		}
	}
	return name
}

// scoreWorkbook lays the score table out as a 考核结果汇总表: a sheet for towns,
// one for departments, one of leadership and cadre results, one of the rules
// used. Numbers carry two decimals; headers are Chinese.
func scoreWorkbook(cy ballots.Cycle, rules scoring.Rules, table scoring.Table, cadres []meetingCadres, warnings []string, detail *indicatorDetail) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	caveat := ""
	if reasons := incompleteReasons(rules, table, warnings); len(reasons) > 0 {
		caveat = "结果尚不完整，名次和等次仅供参考：" + strings.Join(reasons, "；")
	}
	first := true
	for _, kind := range []struct{ code, sheet, title string }{
		{scoring.Town, "各镇", "各镇"}, {scoring.Department, "县级各部门", "县级各部门"},
	} {
		name := kind.sheet
		if first {
			f.SetSheetName("Sheet1", name)
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		if err := scoreSheet(f, st, name, fmt.Sprintf("%s·%s考核结果汇总表", cy.Name, kind.title), caveat, rules, table, kind.code); err != nil {
			return nil, err
		}
	}
	if detail != nil {
		if err := detailSheet(f, st, cy, rules, table, *detail); err != nil {
			return nil, err
		}
	}
	if err := cadreSheet(f, st, cy, cadres); err != nil {
		return nil, err
	}
	if err := rulesSheet(f, st, rules, warnings); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return datedZip(buf.Bytes(), time.Now())
}

// datedZip rewrites an .xlsx (a zip) with every entry dated at: excelize
// leaves the dates zero, which zip tools show as the invalid 1980-00-00.
func datedZip(book []byte, at time.Time) ([]byte, error) {
	r, err := zip.NewReader(bytes.NewReader(book), int64(len(book)))
	if err != nil {
		return nil, fmt.Errorf("workbook zip: %w", err)
	}
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	for _, f := range r.File {
		h := zip.FileHeader{Name: f.Name, Method: f.Method, Modified: at}
		dst, err := w.CreateHeader(&h)
		if err != nil {
			return nil, err
		}
		src, err := f.Open()
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type styles struct{ title, header, num, text, pct, caveat int }

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	var err error
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}); err != nil {
		return s, err
	}
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"EEEEEE"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}); err != nil {
		return s, err
	}
	numFmt := "0.00"
	if s.num, err = f.NewStyle(&excelize.Style{Border: border, CustomNumFmt: &numFmt}); err != nil {
		return s, err
	}
	pctFmt := "0.00%"
	if s.pct, err = f.NewStyle(&excelize.Style{Border: border, CustomNumFmt: &pctFmt}); err != nil {
		return s, err
	}
	if s.caveat, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12, Color: "C00000"},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"FDE9E7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}}); err != nil {
		return s, err
	}
	s.text, err = f.NewStyle(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	return s, err
}

func cell(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// writeRow writes values from column 1; floats get the number style.
func writeRow(f *excelize.File, st styles, sheet string, row int, values ...any) {
	for i, v := range values {
		c := cell(i+1, row)
		f.SetCellValue(sheet, c, v)
		style := st.text
		if _, ok := v.(float64); ok {
			style = st.num
		}
		f.SetCellStyle(sheet, c, c, style)
	}
}

func header(f *excelize.File, st styles, sheet string, row int, cols []string, widths []float64) {
	for i, h := range cols {
		c := cell(i+1, row)
		f.SetCellValue(sheet, c, h)
		f.SetCellStyle(sheet, c, c, st.header)
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(sheet, col, col, widths[i])
	}
}

func title(f *excelize.File, st styles, sheet, text string, cols int) {
	titleAt(f, st, sheet, text, cols, 1)
}

func titleAt(f *excelize.File, st styles, sheet, text string, cols, row int) {
	start, end := cell(1, row), cell(cols, row)
	f.MergeCell(sheet, start, end)
	f.SetCellValue(sheet, start, text)
	f.SetCellStyle(sheet, start, end, st.title)
	f.SetRowHeight(sheet, row, 28)
}

// incompleteReasons says why the results are not final yet, from what the
// scores already report: meetings not closed (the warnings), units without
// targets (their notes), and evaluation components without ballots (the
// rows' traces). Empty when the results are complete.
func incompleteReasons(rules scoring.Rules, table scoring.Table, warnings []string) []string {
	var out []string
	if len(warnings) > 0 {
		out = append(out, fmt.Sprintf("%d 个会议未结束", len(warnings)))
	}
	noTargets := 0
	for _, u := range table.Units {
		for _, w := range u.Warnings {
			if strings.HasPrefix(w, "还没有目标任务得分") {
				noTargets++
				break
			}
		}
	}
	if noTargets > 0 {
		out = append(out, fmt.Sprintf("%d 个单位缺目标任务", noTargets))
	}
	if len(table.Units) == 0 {
		return out
	}
	// A component is missing everywhere when no row's trace has it; a unit
	// is short of ballots when its trace lacks a component others have.
	seen := map[string]bool{}
	for _, u := range table.Units {
		for _, tr := range u.Trace {
			seen[tr.Component] = true
		}
	}
	var none []string
	for _, c := range componentOrder {
		if _, ok := rules.Components[c.code]; ok && !seen[c.code] {
			none = append(none, c.name)
		}
	}
	if len(none) > 0 {
		out = append(out, strings.Join(none, "、")+" 还没有选票")
	}
	short := 0
	for _, u := range table.Units {
		have := map[string]bool{}
		for _, tr := range u.Trace {
			have[tr.Component] = true
		}
		for c := range seen {
			if !have[c] {
				short++
				break
			}
		}
	}
	if short > 0 {
		out = append(out, fmt.Sprintf("%d 个单位部分评价项还没有选票", short))
	}
	return out
}

func scoreSheet(f *excelize.File, st styles, sheet, heading, caveat string, rules scoring.Rules, table scoring.Table, kind string) error {
	cols := []string{"单位", "目标任务得分", fmt.Sprintf("折算得分(×%g)", rules.TargetWeight)}
	widths := []float64{20, 12, 12}
	for _, c := range componentOrder {
		cols = append(cols, fmt.Sprintf("%s(%g分)", c.name, rules.Components[c.code]))
		widths = append(widths, 12)
	}
	cols = append(cols, "各方面评价合计", "加减分", "总分", "名次", "等次", "说明")
	widths = append(widths, 12, 9, 10, 7, 8, 40)
	top := 1
	if caveat != "" {
		// A red first row, so that a forwarded copy cannot pass for final.
		end := cell(len(cols), 1)
		f.MergeCell(sheet, "A1", end)
		f.SetCellValue(sheet, "A1", caveat)
		f.SetCellStyle(sheet, "A1", end, st.caveat)
		f.SetRowHeight(sheet, 1, 36)
		top = 2
	}
	titleAt(f, st, sheet, heading, len(cols), top)
	header(f, st, sheet, top+1, cols, widths)
	f.SetRowHeight(sheet, top+1, 42)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: top + 1, XSplit: 1, TopLeftCell: cell(2, top+2), ActivePane: "bottomRight"})
	row := top + 2
	for _, u := range table.Units {
		if u.Kind != kind {
			continue
		}
		values := []any{u.Name, scoring.Round2(u.Target.Score), scoring.Round2(u.Target.Weighted)}
		for _, c := range componentOrder {
			if v, ok := u.Evaluation.Components[c.code]; ok {
				values = append(values, scoring.Round2(v))
			} else {
				values = append(values, "—")
			}
		}
		values = append(values, scoring.Round2(u.Evaluation.Total), scoring.Round2(u.Adjustments), scoring.Round2(u.Total),
			u.Rank, u.Grade, chineseNotes(u.Warnings))
		writeRow(f, st, sheet, row, values...)
		row++
	}
	return nil
}

func cadreSheet(f *excelize.File, st styles, cy ballots.Cycle, cadres []meetingCadres) error {
	const sheet = "领导班子和干部测评"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	cols := []string{"会议", "测评项目", "对象", "维度", "有效票", "各等次票数", "优秀率", "称职及以上率", "不称职超比例"}
	// 测评项目 is the section's title, as on the ballot; old seals without
	// one fall back to its purpose.
	sectionName := func(s scoring.SectionSummary) string {
		if s.Title != "" {
			return s.Title
		}
		if p := purposeLabels[s.Purpose]; p != "" {
			return p
		}
		return s.Section
	}
	title(f, st, sheet, cy.Name+"领导班子、科级干部、党风廉政及无任用推荐测评结果", len(cols))
	header(f, st, sheet, 2, cols, []float64{28, 22, 14, 6, 8, 40, 10, 12, 12})
	row := 3
	for _, m := range cadres {
		for _, s := range m.Sections {
			for _, subj := range s.Subjects {
				var parts []string
				for _, o := range subj.Options {
					parts = append(parts, fmt.Sprintf("%s %d", o.Label, o.Count))
				}
				flag := ""
				if subj.Flagged {
					flag = "是"
				}
				writeRow(f, st, sheet, row, m.Title, sectionName(s), subj.Name, subj.Dimension, subj.Answered, strings.Join(parts, "，"))
				for i, v := range []float64{subj.ExcellentRate, subj.CompetentRate} {
					c := cell(7+i, row)
					f.SetCellValue(sheet, c, v)
					f.SetCellStyle(sheet, c, c, st.pct)
				}
				writeRow2(f, st, sheet, row, 9, flag)
				row++
			}
			for _, cand := range s.Candidates {
				writeRow(f, st, sheet, row, m.Title, sectionName(s), cand.Name, "", cand.Votes, fmt.Sprintf("第 %d 名", cand.Rank))
				c := cell(7, row)
				f.SetCellValue(sheet, c, cand.Share)
				f.SetCellStyle(sheet, c, c, st.pct)
				row++
			}
		}
	}
	return nil
}

func writeRow2(f *excelize.File, st styles, sheet string, row, col int, v any) {
	c := cell(col, row)
	f.SetCellValue(sheet, c, v)
	f.SetCellStyle(sheet, c, c, st.text)
}

func rulesSheet(f *excelize.File, st styles, rules scoring.Rules, warnings []string) error {
	const sheet = "计分规则"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	title(f, st, sheet, "本表使用的计分规则", 3)
	header(f, st, sheet, 2, []string{"项目", "数值", "说明"}, []float64{22, 60, 50})
	row := 3
	for _, r := range rulesRows(rules) {
		writeRow(f, st, sheet, row, r[0], r[1], r[2])
		row++
	}
	for _, w := range warnings {
		zh, _ := splitMessage(w)
		writeRow(f, st, sheet, row, "提示", zh, "")
		row++
	}
	return nil
}

var categoryLabels = map[string]string{"economic": "经济发展", "social": "社会发展", "environment": "资源环境",
	"stability": "社会稳定", "team": "班子和队伍建设", "work": "年度工作任务"}

var categoryOrder = []string{"economic", "social", "environment", "stability", "work", "team"}

// num writes a rule's number as the rules text does: 6, 2.5.
func ruleNum(x float64) string { return fmt.Sprintf("%g", scoring.Round2(x)) }

// rulesRows are the 计分规则 sheet's rows: 项目, 数值, 说明, all in words.
func rulesRows(r scoring.Rules) [][3]string {
	var rows [][3]string
	evalPoints := 0.0
	for _, v := range r.Components {
		evalPoints += v
	}
	rows = append(rows, [3]string{"目标任务得分权重", ruleNum(r.TargetWeight*100) + "%",
		fmt.Sprintf("总分 = 目标任务得分 × %s%% + 各方面评价合计（%s 分）+ 加减分", ruleNum(r.TargetWeight*100), ruleNum(evalPoints))})
	var comps []string
	for _, c := range componentOrder {
		if v, ok := r.Components[c.code]; ok {
			comps = append(comps, fmt.Sprintf("%s %s 分", c.name, ruleNum(v)))
		}
	}
	rows = append(rows, [3]string{"各方面评价分值", strings.Join(comps, "；"), "缺少选票的评价项按已有评价项折算"})
	for _, kind := range []struct{ code, name string }{{scoring.Town, "各镇"}, {scoring.Department, "县级部门"}} {
		cats := r.Categories[kind.code]
		if len(cats) == 0 {
			continue
		}
		var parts []string
		done := map[string]bool{}
		for _, c := range categoryOrder {
			if v, ok := cats[c]; ok {
				parts = append(parts, fmt.Sprintf("%s %s 分", categoryLabels[c], ruleNum(v)))
				done[c] = true
			}
		}
		var rest []string
		for c := range cats {
			if !done[c] {
				rest = append(rest, c)
			}
		}
		sort.Strings(rest)
		for _, c := range rest {
			parts = append(parts, fmt.Sprintf("%s %s 分", c, ruleNum(cats[c])))
		}
		rows = append(rows, [3]string{"目标任务类别分值（" + kind.name + "）", strings.Join(parts, "；"), "各类别合计 100 分"})
	}
	rows = append(rows, [3]string{"完成率下限", ruleNum(r.CompletionFloor*100) + "%", "完成率不高于此值的指标记 0 分"})
	trim := "不去掉"
	if r.Trim > 0 {
		trim = fmt.Sprintf("各去掉 %d 个", r.Trim)
	}
	rows = append(rows, [3]string{"去掉最高分、最低分", trim, "评分题至少有 2×去掉个数+3 个分数时才去掉"})
	var weights []string
	for _, c := range componentOrder {
		gw := r.GroupWeights[c.code]
		if len(gw) == 0 {
			continue
		}
		keys := make([]string, 0, len(gw))
		for g := range gw {
			keys = append(keys, g)
		}
		sort.Strings(keys)
		var parts []string
		for _, g := range keys {
			parts = append(parts, fmt.Sprintf("%s %s", g, ruleNum(gw[g])))
		}
		weights = append(weights, c.name+"："+strings.Join(parts, "，"))
	}
	if len(weights) == 0 {
		rows = append(rows, [3]string{"参评类别权重", "未设置", "各参评类别的选票合并计算"})
	} else {
		rows = append(rows, [3]string{"参评类别权重", strings.Join(weights, "；"), "未列出的评价项各类别合并计算"})
	}
	bonus := "不限"
	if r.BonusCap != nil {
		bonus = ruleNum(*r.BonusCap) + " 分"
	}
	rows = append(rows, [3]string{"加分上限", bonus, "加分合计超过上限时按上限计"})
	var grades []string
	for _, g := range r.Grades {
		var cond []string
		if g.Min != nil {
			cond = append(cond, ruleNum(*g.Min)+" 分以上")
		}
		if g.MaxShare != nil {
			cond = append(cond, "不超过 "+ruleNum(*g.MaxShare*100)+"%")
		}
		if len(cond) == 0 {
			cond = append(cond, "其余")
		}
		grades = append(grades, g.Name+"："+strings.Join(cond, "，"))
	}
	rows = append(rows, [3]string{"等次与名额", strings.Join(grades, "；"), "一票否决的单位定为最低等次"})
	rows = append(rows, [3]string{"参评类别最少票数", fmt.Sprintf("%d 票", r.MinGroupBallots), "某类别票数少于此数时，各类别合并计算"})
	rows = append(rows, [3]string{"不称职比例提示线", ruleNum(r.FlagShare*100) + "%", "测评对象的不称职票超过此比例时标出"})
	return rows
}

// chineseNotes joins a row's warnings for the 说明 column, in Chinese only.
func chineseNotes(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i], _ = splitMessage(w)
	}
	return strings.Join(out, "；")
}

// ---- 指标明细: the catalogue's indicators behind the target-task scores ----

// indicatorDetail is what the 指标明细 sheet shows: a year's catalogue, its
// entries and bodies.
type indicatorDetail struct {
	Catalogue []ballots.Indicator
	Entries   []ballots.Entry
	Bodies    []ballots.Body
}

// indicatorDetail returns the year's catalogue with its entries, nil when
// the year has none (its target scores were typed or imported whole).
func (s *Server) indicatorDetail(ctx context.Context, cycle string) (*indicatorDetail, error) {
	cat, err := s.svc.Indicators(ctx, cycle)
	if err != nil || len(cat) == 0 {
		return nil, err
	}
	entries, err := s.svc.Entries(ctx, cycle)
	if err != nil {
		return nil, err
	}
	bodies, err := s.svc.Bodies(ctx, cycle)
	if err != nil {
		return nil, err
	}
	return &indicatorDetail{Catalogue: cat, Entries: entries, Bodies: bodies}, nil
}

// ruleNotes are the 说明 of an indicator's factor.
var ruleNotes = map[string]string{scoring.RuleMajorLoss: "重大失分，不得分", scoring.RuleFloor: "完成率 60% 及以下，不得分", scoring.RuleCapped: "完成率 100% 以上，得满分"}

// detailSheet writes one row per indicator, unit by unit (towns, then
// departments, as the score sheets), each unit closed by a 小计 row equal to
// its 目标任务得分 in the score sheet. Only approved entries show a value and
// points; the others show their status and count 0, as in the scores.
func detailSheet(f *excelize.File, st styles, cy ballots.Cycle, rules scoring.Rules, table scoring.Table, d indicatorDetail) error {
	const sheet = "指标明细"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	cols := []string{"单位", "类别", "指标编码", "指标名称", "分值", "目标值", "计量单位", "实际完成值", "评分", "完成率", "系数", "得分", "考核主体", "状态", "说明"}
	title(f, st, sheet, cy.Name+"·目标任务指标明细", len(cols))
	header(f, st, sheet, 2, cols, []float64{16, 14, 12, 24, 7, 9, 9, 10, 7, 9, 7, 8, 16, 9, 30})
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, XSplit: 1, TopLeftCell: "B3", ActivePane: "bottomRight"})
	entries := make(map[string]ballots.Entry, len(d.Entries))
	for _, e := range d.Entries {
		entries[e.Indicator] = e
	}
	bodies := map[string]string{}
	for _, b := range d.Bodies {
		bodies[b.Code] = b.Name
	}
	byUnit := map[string][]ballots.Indicator{}
	for _, ind := range d.Catalogue {
		byUnit[ind.Unit] = append(byUnit[ind.Unit], ind)
	}
	blank := func(p *float64) any {
		if p == nil {
			return ""
		}
		return *p
	}
	row := 3
	for _, kind := range []string{scoring.Town, scoring.Department} {
		for _, u := range table.Units {
			inds := byUnit[u.Unit]
			if u.Kind != kind || len(inds) == 0 {
				continue
			}
			for _, ind := range inds {
				e, ok := entries[ind.Code]
				status := statusLabels[e.Status]
				values := []any{u.Name, categoryLabel(ind.Category), ind.Code, ind.Name, ind.Points, blank(ind.Target), ind.Measure}
				var fig *scoring.Figures
				if ok && e.Status == ballots.EntryApproved {
					fig = scoring.EntryFigures(ind, e, rules.CompletionFloor)
				}
				if fig == nil {
					values = append(values, "", "", "", "", 0.0)
				} else {
					values = append(values, blank(e.Actual), blank(e.Score), "", fig.Factor, scoring.Round2(fig.Points))
				}
				note := ""
				if fig != nil {
					note = ruleNotes[fig.Rule]
					if fig.Rule == scoring.RuleMajorLoss && e.Reason != "" {
						note += "：" + e.Reason
					}
				} else {
					note = "尚未审核通过，暂记 0 分"
				}
				values = append(values, bodies[ind.Source], status, note)
				writeRow(f, st, sheet, row, values...)
				// Targets and values as entered (0.625 stays 0.625), not to 2 decimals.
				for _, j := range []int{6, 8, 9} {
					f.SetCellStyle(sheet, cell(j, row), cell(j, row), st.text)
				}
				if fig != nil && fig.Completion != nil {
					c := cell(10, row)
					f.SetCellValue(sheet, c, *fig.Completion)
					f.SetCellStyle(sheet, c, c, st.pct)
				}
				row++
			}
			writeRow(f, st, sheet, row, u.Name, "小计", "", "", sumPoints(inds), "", "", "", "", "", "", scoring.Round2(u.Target.Score), "", "", "")
			f.SetCellStyle(sheet, cell(1, row), cell(len(cols), row), st.header)
			row++
		}
	}
	return nil
}

func sumPoints(inds []ballots.Indicator) float64 {
	t := 0.0
	for _, ind := range inds {
		t += ind.Points
	}
	return scoring.Round2(t)
}
