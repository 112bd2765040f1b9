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

// TestDetailENCollection: the collection's details (collect.go) read in
// English; an indicator's name is kept as written, even one holding 空 or
// a colon; values, scores and major losses are said in English.
func TestDetailENCollection(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	ind := ballots.Indicator{Code: "T01-01", Name: "空气质量优良天数比例"}
	for zh, en := range map[string]string{
		"保存考核主体名单，共 6 个":                                "assessment bodies saved: 6",
		"保存目标任务分解表，共 40 项指标":                            "indicator catalogue saved: 40 indicators",
		"保存目标任务分解表，共 40 项指标；作废已填报的数值 2 项：T01-01、T01-02": "indicator catalogue saved: 40 indicators; 2 entered values discarded: T01-01, T01-02",
		"取消截止日期":                                                                          "deadline cleared",
		"截止日期：2021-01-10":                                                                 "deadline: 2021-01-10",
		"报送 3 项指标：T01-01、T01-02、D01-01":                                                   "submitted 3 indicators: T01-01, T01-02, D01-01",
		"审核通过 2 项指标：T01-01、T01-02":                                                        "approved 2 indicators: T01-01, T01-02",
		"财政收入，退回意见：请按统计年鉴终审数填写":                                                           "财政收入, returned: 请按统计年鉴终审数填写",
		"财政收入，重新打开：财政局提供了更正数":                                                             "财政收入, reopened: 财政局提供了更正数",
		"安全生产：88 分":                                                                       "安全生产: score 88",
		"安全生产：88 分（演示数据）":                                                                 "安全生产: score 88 (demo data)",
		entryChange(ballots.Change{Indicator: ind, After: ballots.Entry{Actual: v(7.9)}}): "空气质量优良天数比例: empty → 7.9",
		entryChange(ballots.Change{Indicator: ind, Before: &ballots.Entry{Actual: v(7.9)}, After: ballots.Entry{Actual: v(8.1), MajorLoss: true, Reason: "数据造假（已通报）"}}): "空气质量优良天数比例: 7.9 → 8.1, major loss (数据造假（已通报）)",
		entryChange(ballots.Change{Indicator: ind, Before: &ballots.Entry{Score: v(90)}, After: ballots.Entry{Score: v(90), Note: "补充说明"}}):                             "空气质量优良天数比例: note changed",
		"会议：城关镇大会": "meeting: 城关镇大会", // still the meeting's pattern, not an entry's
	} {
		if got := detailEN(zh); got != en {
			t.Errorf("detailEN(%q) = %q, want %q", zh, got, en)
		}
	}
}

func TestDetailENAdjustments(t *testing.T) {
	for zh, en := range map[string]string{
		"上传佐证材料：统计年鉴.pdf（1.2 MB）":                         "evidence uploaded: 统计年鉴.pdf (1.2 MB)",
		"上传自查报告：自查.docx（35 KB），替换 旧.docx":                 "self-check report uploaded: 自查.docx (35 KB), replacing 旧.docx",
		"删除领导班子及科级干部述职述廉述效报告：述职.pdf（2.0 MB）":              "duty report deleted: 述职.pdf (2.0 MB)",
		"批量新建账号 12 个":                                     "12 accounts created in bulk",
		"保存加减分类别，共 8 类":                                   "adjustment categories saved: 8",
		"申请（第 3 项，城关镇，获省级表彰）：加 1 分，理由：获评省级文明村镇":           "applied for adjustment 3 (城关镇, 获省级表彰): +1 points, reason: 获评省级文明村镇",
		"审核通过（第 3 项，城关镇，获省级表彰）：加 0.5 分（申请 加 1 分），意见：按市级计": "approved adjustment 3 (城关镇, 获省级表彰): +0.5 points (applied: +1), comment: 按市级计",
		"记录（第 4 项，县财政局，被上级通报批评）：减 1 分，理由：通报":              "recorded adjustment 4 (县财政局, 被上级通报批评): −1 points, reason: 通报",
		"撤销已通过（第 3 项，城关镇，获省级表彰）：加 0.5 分，原因：表彰撤回":          "revoked the approved adjustment 3 (城关镇, 获省级表彰): +0.5 points, why: 表彰撤回",
	} {
		if got := detailEN(zh); got != en {
			t.Errorf("detailEN(%q) = %q, want %q", zh, got, en)
		}
	}
}
