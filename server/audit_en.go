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
}{
	{regexp.MustCompile(`^通过接口$`), "through the API"},
	{regexp.MustCompile(`^通过控制台$`), "through the console"},
	{regexp.MustCompile(`^在所有设备上退出$`), "signed out on every device"},
	{regexp.MustCompile(`^强制在所有设备上退出$`), "signed out on every device by an admin"},
	{regexp.MustCompile(`^第 (\d+) 批：类别 (.+)，作废未用选票 (\d+) 张$`), "batch $1: group $2, $3 unused slips voided"},
	{regexp.MustCompile(`^第 (\d+) 批：类别 (.+)，(\d+) 张$`), "batch $1: group $2, $3 slips"},
	{regexp.MustCompile(`^(\d+) 个单位的目标任务$`), "target scores of $1 units"},
	{regexp.MustCompile(`^新建考核年度：(.+)$`), "new assessment year: $1"},
	{regexp.MustCompile(`^保存单位名单，共 (\d+) 个单位$`), "unit list saved: $1 units"},
	{regexp.MustCompile(`^保存人员名单，共 (\d+) 人$`), "people list saved: $1 people"},
	{regexp.MustCompile(`^导入单位名单，共 (\d+) 个单位$`), "units imported: $1"},
	{regexp.MustCompile(`^导入人员名单，共 (\d+) 人$`), "people imported: $1"},
	{regexp.MustCompile(`^导入目标任务，共 (\d+) 个单位$`), "target scores imported: $1 units"},
	{regexp.MustCompile(`^测评表：(.+)$`), "form: $1"},
	{regexp.MustCompile(`^会议：(.+)$`), "meeting: $1"},
	{regexp.MustCompile(`^共 (\d+) 张选票，封存摘要 (\S+)$`), "$1 ballots, sealed digest $2"},
	{regexp.MustCompile(`^纸质选票（(.+)）：这张选票已经投过，纸质选票不计入$`), "paper ballot ($1): the slip was already used, the paper ballot is not counted"},
	{regexp.MustCompile(`^纸质选票（(.+)）：这张选票已作废$`), "paper ballot ($1): the slip was voided"},
	{regexp.MustCompile(`^纸质选票（(.+)）：会议已结束$`), "paper ballot ($1): the meeting has closed"},
	{regexp.MustCompile(`^纸质选票（(.+)）：未能计入$`), "paper ballot ($1): not counted"},
	{regexp.MustCompile(`^纸质选票（(.+)）$`), "paper ballot ($1)"},
	{regexp.MustCompile(`^纸质选票$`), "paper ballot"},
	{regexp.MustCompile(`^有效 (\d+) 小时，结束后显示结果（链接 (\S+)）$`), "valid $1 h, shows results after close (link $2)"},
	{regexp.MustCompile(`^有效 (\d+) 小时，不显示结果（链接 (\S+)）$`), "valid $1 h, no results (link $2)"},
	{regexp.MustCompile(`^收回 (\S+) 生成的大屏幕链接（链接 (\S+)）$`), "revoked the screen link $1 made (link $2)"},
	{regexp.MustCompile(`^角色由(.+)改为(.+)，该账号需重新登录$`), "role changed from $1 to $2; the account signs in again"},
	{regexp.MustCompile(`^角色：(.+)，姓名：(.+)$`), "role: $1, name: $2"},
	{regexp.MustCompile(`^角色：(.+)$`), "role: $1"},
	{regexp.MustCompile(`^删除姓名$`), "name removed"},
	{regexp.MustCompile(`^姓名改为：(.+)$`), "name changed to: $1"},
	{regexp.MustCompile(`^管理员重置密码$`), "password reset by an admin"},
	{regexp.MustCompile(`^本人修改密码$`), "own password changed"},
}

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
		if p.re.MatchString(body) {
			en := p.re.ReplaceAllString(body, p.en)
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
