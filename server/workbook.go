package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

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
func scoreWorkbook(cy ballots.Cycle, rules scoring.Rules, table scoring.Table, cadres []meetingCadres, warnings []string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
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
		if err := scoreSheet(f, st, name, fmt.Sprintf("%s·%s考核结果汇总表", cy.Name, kind.title), rules, table, kind.code); err != nil {
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
	return buf.Bytes(), nil
}

type styles struct{ title, header, num, text, pct int }

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
	end := cell(cols, 1)
	f.MergeCell(sheet, "A1", end)
	f.SetCellValue(sheet, "A1", text)
	f.SetCellStyle(sheet, "A1", end, st.title)
	f.SetRowHeight(sheet, 1, 28)
}

func scoreSheet(f *excelize.File, st styles, sheet, heading string, rules scoring.Rules, table scoring.Table, kind string) error {
	cols := []string{"单位", "目标任务得分", fmt.Sprintf("折算得分(%g%%)", rules.TargetWeight*100)}
	widths := []float64{20, 12, 12}
	for _, c := range componentOrder {
		cols = append(cols, fmt.Sprintf("%s(%g分)", c.name, rules.Components[c.code]))
		widths = append(widths, 12)
	}
	cols = append(cols, "各方面评价合计", "加减分", "总分", "名次", "等次", "说明")
	widths = append(widths, 12, 9, 10, 7, 8, 40)
	title(f, st, sheet, heading, len(cols))
	header(f, st, sheet, 2, cols, widths)
	f.SetRowHeight(sheet, 2, 42)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, XSplit: 1, TopLeftCell: "B3", ActivePane: "bottomRight"})
	row := 3
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
	header(f, st, sheet, 2, []string{"规则", "取值", "字段"}, []float64{24, 90, 18})
	raw, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	row := 3
	for _, k := range []struct{ key, name string }{
		{"target_weight", "目标任务得分权重"}, {"components", "各方面评价分值"}, {"categories", "目标任务类别分值"},
		{"completion_floor", "完成率下限"}, {"trim", "去掉最高、最低分各几个"}, {"group_weights", "参评类别权重"},
		{"bonus_cap", "加分上限"}, {"grades", "等次与名额"}, {"min_group_ballots", "参评类别最少票数"}, {"flag_share", "不称职比例提示线"},
	} {
		writeRow(f, st, sheet, row, k.name, string(fields[k.key]), k.key)
		row++
	}
	for _, w := range warnings {
		zh, _ := splitMessage(w)
		writeRow(f, st, sheet, row, "提示", zh)
		row++
	}
	return nil
}

// chineseNotes joins a row's warnings for the 说明 column, in Chinese only.
func chineseNotes(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i], _ = splitMessage(w)
	}
	return strings.Join(out, "；")
}
