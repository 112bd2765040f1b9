package ballots_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ceping/ceping/ballots"
)

func spareForm(code string) ballots.Form {
	return ballots.Form{Code: code, Title: "备用测评表 " + code, Sections: []ballots.Section{
		{Code: "dem", Title: "民主测评", Purpose: "democratic", Subjects: []string{"host"},
			Scale: ballots.Scale{Type: "grade", Options: []ballots.Option{{"好", 1}, {"差", 0}}}}}}
}

func TestDeleteForm(t *testing.T) {
	e := fixture(t) // F-town is used by M1, which is open
	ctx := context.Background()
	must(t, e.svc.PutForm(ctx, "2020", spareForm("G")))
	must(t, e.svc.PutForm(ctx, "2020", spareForm("H")))
	_, err := e.svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M2", Title: "河口镇2020年度工作报告大会", Kind: "work_report",
		Host: "T02", Date: "2021-01-16", Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: "H"}}})
	must(t, err)

	t.Run("OK", func(t *testing.T) {
		f, err := e.svc.DeleteForm(ctx, "2020", "G")
		must(t, err)
		if f.Code != "G" || f.Title != "备用测评表 G" {
			t.Errorf("deleted form %+v", f)
		}
		if _, err := e.svc.Form(ctx, "2020", "G"); ballots.ErrorCode(err) != ballots.ENotFound {
			t.Errorf("form G after delete: %v, want not_found", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, c := range [][2]string{{"2020", "G"}, {"2020", "nope"}, {"1999", "H"}} {
			if _, err := e.svc.DeleteForm(ctx, c[0], c[1]); ballots.ErrorCode(err) != ballots.ENotFound {
				t.Errorf("delete %s/%s: %v, want not_found", c[0], c[1], err)
			}
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		for _, c := range []struct{ form, meeting, status string }{{"F-town", "M1", "进行中"}, {"H", "M2", "未开始"}} {
			_, err := e.svc.DeleteForm(ctx, "2020", c.form)
			if ballots.ErrorCode(err) != ballots.EConflict {
				t.Fatalf("delete %s, used by %s: %v, want conflict", c.form, c.meeting, err)
			}
			if msg := ballots.ErrorMessage(err); !strings.Contains(msg, c.meeting) || !strings.Contains(msg, c.status) {
				t.Errorf("delete %s: message %q does not name meeting %s (%s)", c.form, msg, c.meeting, c.status)
			}
			if _, err := e.svc.Form(ctx, "2020", c.form); err != nil {
				t.Errorf("form %s after a refused delete: %v", c.form, err)
			}
		}
	})
	t.Run("ClosedMeetingKeepsItsForm", func(t *testing.T) {
		_, err := e.svc.Close(ctx, e.rec)
		must(t, err)
		if _, err := e.svc.DeleteForm(ctx, "2020", "F-town"); ballots.ErrorCode(err) != ballots.EConflict || !strings.Contains(ballots.ErrorMessage(err), "已结束") {
			t.Fatalf("delete the form of a closed meeting: %v, want conflict", err)
		}
	})
	t.Run("FreedOnceNoMeetingUsesIt", func(t *testing.T) {
		_, err := e.svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M2", Title: "河口镇2020年度工作报告大会", Kind: "work_report",
			Host: "T01", Date: "2021-01-16", Groups: []ballots.Group{{Code: "cadres", Name: "机关干部", Form: "F-town"}}})
		must(t, err)
		_, err = e.svc.DeleteForm(ctx, "2020", "H")
		must(t, err)
	})
}

// TestDeleteFormRacesMeeting saves a meeting naming a form while the form
// is deleted: whichever wins, no meeting ends up naming a missing form.
func TestDeleteFormRacesMeeting(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	const n = 20
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("R%02d", i)
		must(t, e.svc.PutForm(ctx, "2020", spareForm(code)))
		var wg sync.WaitGroup
		var putErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, putErr = e.svc.PutMeeting(ctx, "2020", ballots.Meeting{Code: "M" + code, Title: "测评会议 " + code, Kind: "other",
				Date: "2021-01-16", Groups: []ballots.Group{{Code: "all", Name: "全体", Form: code}}})
		}()
		go func() {
			defer wg.Done()
			_, delErr = e.svc.DeleteForm(ctx, "2020", code)
		}()
		wg.Wait()
		_, meetingErr := e.svc.Meeting(ctx, "2020", "M"+code)
		_, formErr := e.svc.Form(ctx, "2020", code)
		switch {
		case meetingErr == nil && formErr != nil:
			t.Fatalf("meeting M%s was saved and its form %s deleted (put: %v, delete: %v)", code, code, putErr, delErr)
		case putErr == nil && delErr == nil:
			t.Fatalf("both the meeting and the delete of %s succeeded", code)
		case putErr != nil && ballots.ErrorCode(putErr) == ballots.EInternal, delErr != nil && ballots.ErrorCode(delErr) == ballots.EInternal:
			t.Fatalf("internal error in the race: put %v, delete %v", putErr, delErr)
		}
	}
}
