package server

import (
	"regexp"
	"strings"
)

// The audit log keeps each detail in Chinese, as written. The English
// console reads it through detailEN: one pattern per way a detail is
// written (audit.go, setup.go, users.go, import.go, the demo), so old
// entries read in English too. A detail no pattern knows stays Chinese.
var detailPatterns = []struct {
	re *regexp.Regexp
	en string
	fn func(m []string) string // when set, writes the English from the submatches instead of en
}{
	{regexp.MustCompile(`^通过接口$`), "through the API", nil},
	{regexp.MustCompile(`^通过控制台$`), "through the console", nil},
	{regexp.MustCompile(`^在所有设备上退出$`), "signed out on every device", nil},
	{regexp.MustCompile(`^强制在所有设备上退出$`), "signed out on every device by an admin", nil},
	{regexp.MustCompile(`^第 (\d+) 批：类别 (.+)，作废未用选票 (\d+) 张$`), "batch $1: group $2, $3 unused slips voided", nil},
	{regexp.MustCompile(`^第 (\d+) 批：类别 (.+)，(\d+) 张$`), "batch $1: group $2, $3 slips", nil},
	{regexp.MustCompile(`^(\d+) 个单位的目标任务$`), "target scores of $1 units", nil},
	{regexp.MustCompile(`^新建考核年度：(.+)$`), "new assessment year: $1", nil},
	{regexp.MustCompile(`^保存单位名单，共 (\d+) 个单位$`), "unit list saved: $1 units", nil},
	{regexp.MustCompile(`^保存人员名单，共 (\d+) 人$`), "people list saved: $1 people", nil},
	{regexp.MustCompile(`^导入单位名单，共 (\d+) 个单位$`), "units imported: $1", nil},
	{regexp.MustCompile(`^导入人员名单，共 (\d+) 人$`), "people imported: $1", nil},
	{regexp.MustCompile(`^导入目标任务，共 (\d+) 个单位$`), "target scores imported: $1 units", nil},
	{regexp.MustCompile(`^测评表：(.+)$`), "form: $1", nil},
	{regexp.MustCompile(`^会议：(.+)$`), "meeting: $1", nil},
	{regexp.MustCompile(`^共 (\d+) 张选票，封存摘要 (\S+)$`), "$1 ballots, sealed digest $2", nil},
	{regexp.MustCompile(`^纸质选票（(.+)）：这张选票已经投过，纸质选票不计入$`), "paper ballot ($1): the slip was already used, the paper ballot is not counted", nil},
	{regexp.MustCompile(`^纸质选票（(.+)）：这张选票已作废$`), "paper ballot ($1): the slip was voided", nil},
	{regexp.MustCompile(`^纸质选票（(.+)）：会议已结束$`), "paper ballot ($1): the meeting has closed", nil},
	{regexp.MustCompile(`^纸质选票（(.+)）：未能计入$`), "paper ballot ($1): not counted", nil},
	{regexp.MustCompile(`^纸质选票（(.+)）$`), "paper ballot ($1)", nil},
	{regexp.MustCompile(`^纸质选票$`), "paper ballot", nil},
	{regexp.MustCompile(`^有效 (\d+) 小时，结束后显示结果（链接 (\S+)）$`), "valid $1 h, shows results after close (link $2)", nil},
	{regexp.MustCompile(`^有效 (\d+) 小时，不显示结果（链接 (\S+)）$`), "valid $1 h, no results (link $2)", nil},
	{regexp.MustCompile(`^收回 (\S+) 生成的大屏幕链接（链接 (\S+)）$`), "revoked the screen link $1 made (link $2)", nil},
	{regexp.MustCompile(`^角色由(.+)改为(.+)，该账号需重新登录$`), "role changed from $1 to $2; the account signs in again", nil},
	{regexp.MustCompile(`^角色：(.+)，姓名：(.+)$`), "role: $1, name: $2", nil},
	{regexp.MustCompile(`^角色：(.+)$`), "role: $1", nil},
	{regexp.MustCompile(`^删除姓名$`), "name removed", nil},
	{regexp.MustCompile(`^姓名改为：(.+)$`), "name changed to: $1", nil},
	{regexp.MustCompile(`^管理员重置密码$`), "password reset by an admin", nil},
	{regexp.MustCompile(`^本人修改密码$`), "own password changed", nil},
	// Files (files.go): evidence and the units' reports.
	{regexp.MustCompile(`^上传佐证材料：(.+)（([0-9.]+ [KM]?B)）$`), "evidence uploaded: $1 ($2)", nil},
	{regexp.MustCompile(`^上传自查报告：(.+)（([0-9.]+ [KM]?B)），替换 (.+)$`), "self-check report uploaded: $1 ($2), replacing $3", nil},
	{regexp.MustCompile(`^上传自查报告：(.+)（([0-9.]+ [KM]?B)）$`), "self-check report uploaded: $1 ($2)", nil},
	{regexp.MustCompile(`^上传(领导班子及科级干部述职述廉述效报告)：(.+)（([0-9.]+ [KM]?B)），替换 (.+)$`), "duty report uploaded: $2 ($3), replacing $4", nil},
	{regexp.MustCompile(`^上传(领导班子及科级干部述职述廉述效报告)：(.+)（([0-9.]+ [KM]?B)）$`), "duty report uploaded: $2 ($3)", nil},
	{regexp.MustCompile(`^删除佐证材料：(.+)（([0-9.]+ [KM]?B)）$`), "evidence deleted: $1 ($2)", nil},
	{regexp.MustCompile(`^删除自查报告：(.+)（([0-9.]+ [KM]?B)）$`), "self-check report deleted: $1 ($2)", nil},
	{regexp.MustCompile(`^删除领导班子及科级干部述职述廉述效报告：(.+)（([0-9.]+ [KM]?B)）$`), "duty report deleted: $1 ($2)", nil},
	// Bulk accounts (users_import.go) and adjustments (adjust.go).
	{regexp.MustCompile(`^批量新建账号 (\d+) 个$`), "$1 accounts created in bulk", nil},
	{regexp.MustCompile(`^保存加减分类别，共 (\d+) 类$`), "adjustment categories saved: $1", nil},
	{regexp.MustCompile(`^(记录|申请|审核通过|不予通过|撤回申请|撤销已通过|撤销已记录)（第 (\d+) 项，([^，]+)，(.+?)）：([加减]) (\S+) 分(.*)$`), "", adjustEN},
	// The indicator collection (collect.go). The generic "indicator：value"
	// of a single approval comes last: it would read other details too.
	{regexp.MustCompile(`^保存考核主体名单，共 (\d+) 个$`), "assessment bodies saved: $1", nil},
	{regexp.MustCompile(`^保存目标任务分解表，共 (\d+) 项指标$`), "indicator catalogue saved: $1 indicators", nil},
	{regexp.MustCompile(`^保存目标任务分解表，共 (\d+) 项指标；作废已填报的数值 (\d+) 项：(.+)$`), "", func(m []string) string {
		return "indicator catalogue saved: " + m[1] + " indicators; " + m[2] + " entered values discarded: " + codesEN(m[3])
	}},
	{regexp.MustCompile(`^取消截止日期$`), "deadline cleared", nil},
	{regexp.MustCompile(`^截止日期：(\d{4}-\d{2}-\d{2})$`), "deadline: $1", nil},
	{regexp.MustCompile(`^报送 (\d+) 项指标：(.+)$`), "", func(m []string) string { return "submitted " + m[1] + " indicators: " + codesEN(m[2]) }},
	{regexp.MustCompile(`^审核通过 (\d+) 项指标：(.+)$`), "", func(m []string) string { return "approved " + m[1] + " indicators: " + codesEN(m[2]) }},
	{regexp.MustCompile(`^(.+)，退回意见：(.*)$`), "$1, returned: $2", nil},
	{regexp.MustCompile(`^(.+)，重新打开：(.*)$`), "$1, reopened: $2", nil},
	{regexp.MustCompile(`^(.+)：修改说明$`), "$1: note changed", nil},
	{regexp.MustCompile(`^(.+)：(` + entryValueRE + `) → (` + entryValueRE + `)$`), "", func(m []string) string {
		return m[1] + ": " + valueEN(m[2]) + " → " + valueEN(m[3])
	}},
	{regexp.MustCompile(`^(.+)：(` + entryValueRE + `)$`), "", func(m []string) string { return m[1] + ": " + valueEN(m[2]) }},
}

// entryValueRE matches an entry's value as entryValue writes it: 空, or an
// actual, a score (88 分) and a major loss (重大失分（原因）), comma-joined.
const entryValueRE = `空|(?:[-+0-9.e]+(?: 分)?)(?:，[-+0-9.e]+(?: 分)?)*(?:，重大失分（.*）)?|重大失分（.*）`

var entryValueParts = regexp.MustCompile(`^([-+0-9.e]+) 分$`)

// valueEN is an entry value (entryValueRE) in English.
func valueEN(v string) string {
	if v == "空" {
		return "empty"
	}
	var parts []string
	rest, loss, hasLoss := strings.Cut(v, "重大失分（")
	rest = strings.TrimSuffix(rest, "，")
	if rest != "" {
		for _, p := range strings.Split(rest, "，") {
			parts = append(parts, entryValueParts.ReplaceAllString(p, "score $1"))
		}
	}
	if hasLoss {
		parts = append(parts, "major loss ("+strings.TrimSuffix(loss, "）")+")")
	}
	return strings.Join(parts, ", ")
}

// codesEN is a list of codes joined with 、 as English lists them.
func codesEN(list string) string { return strings.ReplaceAll(list, "、", ", ") }

// roleNamesEN says the Chinese role names of details in English.
var roleNamesEN = strings.NewReplacer("管理员", "admin", "考核组", "assessment group", "只读", "read-only")

const demoSuffix = "（演示数据）"

// detailEN returns an audit detail in English, or "" when none is known.
func detailEN(zh string) string {
	if zh == "" {
		return ""
	}
	body, demo := strings.CutSuffix(zh, demoSuffix)
	for _, p := range detailPatterns {
		if m := p.re.FindStringSubmatch(body); m != nil {
			en := p.re.ReplaceAllString(body, p.en)
			if p.fn != nil {
				en = p.fn(m)
			}
			if strings.HasPrefix(p.en, "role") {
				en = roleNamesEN.Replace(en)
			}
			if demo {
				en += " (demo data)"
			}
			return en
		}
	}
	return ""
}

// adjustEN is an adjustment's audit detail (adjust.go) in English.
func adjustEN(m []string) string {
	verb := map[string]string{"记录": "recorded", "申请": "applied for", "审核通过": "approved", "不予通过": "rejected",
		"撤回申请": "withdrew", "撤销已通过": "revoked the approved", "撤销已记录": "revoked the recorded"}[m[1]]
	sign := "+"
	if m[5] == "减" {
		sign = "−"
	}
	out := verb + " adjustment " + m[2] + " (" + m[3] + ", " + m[4] + "): " + sign + m[6] + " points"
	rest := m[7]
	for _, r := range []struct{ zh, en string }{{"（申请 加 ", " (applied: +"}, {"（申请 减 ", " (applied: −"}, {" 分）", ")"},
		{"，理由：", ", reason: "}, {"，意见：", ", comment: "}, {"，原因：", ", why: "}} {
		rest = strings.ReplaceAll(rest, r.zh, r.en)
	}
	return out + rest
}
