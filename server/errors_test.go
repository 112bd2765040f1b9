package server

import "testing"

func TestSplitMessage(t *testing.T) {
	for _, c := range []struct{ in, zh, en string }{
		{"不能为空 (required)", "不能为空", "required"},
		{"请求体超过 1 MiB，请拆分后分批提交 (request body over 1 MiB)", "请求体超过 1 MiB，请拆分后分批提交", "request body over 1 MiB"},
		{"单位 城关镇 (T01)", "单位 城关镇 (T01)", ""}, // a code, not English
		{"会议（未开始）", "会议（未开始）", ""},           // Chinese parentheses
		{"测评表“民主测评 (A)”未填写 (section dem is required)", "测评表“民主测评 (A)”未填写", "section dem is required"},
		{"只有中文", "只有中文", ""},
		{"(only english)", "(only english)", ""},
	} {
		zh, en := splitMessage(c.in)
		if zh != c.zh || en != c.en {
			t.Errorf("splitMessage(%q) = %q, %q; want %q, %q", c.in, zh, en, c.zh, c.en)
		}
	}
}
