package server

import (
	"testing"

	"github.com/ceping/ceping/ballots"
)

// TestDetailEN: every way an audit detail is written reads in English,
// demo entries too; an unknown detail has no English rather than a wrong one.
func TestDetailEN(t *testing.T) {
	for zh, en := range map[string]string{
		"通过控制台":                    "through the console",
		"第 2 批：类别 机关干部，60 张":       "batch 2: group 机关干部, 60 slips",
		"第 2 批：类别 机关干部，作废未用选票 5 张": "batch 2: group 机关干部, 5 unused slips voided",
		"第 1 批：类别 机关干部，60 张（演示数据）": "batch 1: group 机关干部, 60 slips (demo data)",
		"共 41 张选票，封存摘要 sha256:abc": "41 ballots, sealed digest sha256:abc",
		"纸质选票（机关干部）：会议已结束":         "paper ballot (机关干部): the meeting has closed",
		"角色由考核组改为管理员，该账号需重新登录":     "role changed from assessment group to admin; the account signs in again",
		"有效 12 小时，不显示结果（链接 ab12）":  "valid 12 h, no results (link ab12)",
		"保存人员名单，共 31 人":            "people list saved: 31 people",
		"某种新的说明":                   "",
	} {
		if got := detailEN(zh); got != en {
			t.Errorf("detailEN(%q) = %q, want %q", zh, got, en)
		}
	}
	// Every detail the audit helpers write has an English reading.
	rec := ballots.MeetingRecord{Meeting: ballots.Meeting{Groups: []ballots.Group{{Code: "c", Name: "机关干部"}}}}
	b := ballots.Batch{Group: "c", Count: 5, Number: 3}
	for _, zh := range []string{paperDetail(rec, ""), paperDetail(rec, "c"), screenDetail("x1", 3, true), importDetail("targets", 4),
		closeDetail(ballots.Sealed{Ballots: 4, Digest: "sha256:00"}), batchIssueDetail(rec, b), batchRevokeDetail(rec, b, 2)} {
		if detailEN(zh) == "" {
			t.Errorf("no English for the detail %q", zh)
		}
	}
}
