package ballots_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

// TestMeetingCheck: a meeting whose forms would leave someone with no one
// to rate is refused when it is saved, one message per voter group in the
// clerk's words; Open checks again, since people can change after saving,
// and then says who can fix it.
func TestMeetingCheck(t *testing.T) {
	e := fixture(t) // 河口镇 (T02) has no people; F-town rates people:host
	ctx := context.Background()
	meeting := func(host string, forms ...string) ballots.Meeting {
		m := ballots.Meeting{Code: "M3", Title: "河口镇2020年度工作报告大会", Kind: "work_report", Host: host, Date: "2021-01-16"}
		for i, f := range forms {
			m.Groups = append(m.Groups, ballots.Group{Code: []string{"cadres", "village"}[i], Name: []string{"机关干部", "村两委"}[i], Form: f})
		}
		return m
	}
	must(t, e.svc.PutForm(ctx, "2020", spareForm("H"))) // rates the host only

	t.Run("SaveNoPeople", func(t *testing.T) {
		_, err := e.svc.PutMeeting(ctx, "2020", meeting("T02", "H", "F-town"))
		if ballots.ErrorCode(err) != ballots.ENotReady {
			t.Fatalf("save: %v, want %s", err, ballots.ENotReady)
		}
		ds := ballots.ErrorDetails(err)
		if len(ds) != 1 || ds[0].Field != "groups[1].form" {
			t.Fatalf("details %+v, want one at groups[1].form", ds)
		}
		want := "河口镇在人员名单中还没有人员，“科级干部测评”没有人可评。请先在“年度设置 › ② 人员名单”中添加河口镇的人员，或为这个类别选择其他测评表。"
		if !strings.HasPrefix(ds[0].Message, want+" (") {
			t.Errorf("message %q, want %q", ds[0].Message, want)
		}
		if _, err := e.svc.Meeting(ctx, "2020", "M3"); ballots.ErrorCode(err) != ballots.ENotFound {
			t.Errorf("a refused meeting was stored: %v", err)
		}
	})
	t.Run("SaveNoHost", func(t *testing.T) {
		_, err := e.svc.PutMeeting(ctx, "2020", meeting("", "F-town"))
		ds := ballots.ErrorDetails(err)
		if ballots.ErrorCode(err) != ballots.ENotReady || len(ds) != 1 || ds[0].Field != "groups[0].form" {
			t.Fatalf("save without host: %v %+v", err, ds)
		}
		if !strings.HasPrefix(ds[0].Message, "“民主测评”、“科级干部测评”要评本次会议的被考核单位，但会议没有选择被考核单位。请选择本次会议的被考核单位") {
			t.Errorf("message %q", ds[0].Message)
		}
	})
	t.Run("OpenAfterPeopleLeft", func(t *testing.T) {
		people, err := e.svc.People(ctx, "2020")
		must(t, err)
		must(t, e.svc.PutPeople(ctx, "2020", append(people, ballots.Person{Code: "P09", Name: "赵六", Unit: "T02", Post: "镇长"})))
		_, err = e.svc.PutMeeting(ctx, "2020", meeting("T02", "F-town", "F-town"))
		must(t, err)
		must(t, e.svc.PutPeople(ctx, "2020", people))
		rec, err := e.svc.Meeting(ctx, "2020", "M3")
		must(t, err)
		err = e.svc.Open(ctx, rec)
		ds := ballots.ErrorDetails(err)
		if ballots.ErrorCode(err) != ballots.ENotReady || len(ds) != 1 {
			t.Fatalf("open: %v %+v, want one detail for both groups", err, ds)
		}
		for _, want := range []string{"“机关干部”、“村两委”", "河口镇在人员名单中还没有人员", "请管理员在“年度设置 › ② 人员名单”中添加河口镇的人员后再开始测评"} {
			if !strings.Contains(ds[0].Message, want) {
				t.Errorf("open message %q lacks %q", ds[0].Message, want)
			}
		}
		if strings.Contains(ds[0].Message, "sections[") || strings.Contains(ballots.ErrorMessage(err), "sections[") {
			t.Errorf("a field path in %q", ds[0].Message)
		}
		if rec, _ := e.svc.Meeting(ctx, "2020", "M3"); rec.Meeting.Status != ballots.StatusPending {
			t.Errorf("status %s after a refused open", rec.Meeting.Status)
		}
	})
}
