package ballots

import (
	"context"
	"fmt"
)

// ENotReady is the error code of a form that cannot be made into a ballot
// yet: the server answers it 422, in the clerk's terms.
const ENotReady = "form_not_ready"

// PreviewForm returns the ballot a slip of a voter group using form code
// would open in a meeting whose 被考核单位 is host: the form expanded
// against the year's units and people as they are now, exactly as opening
// a meeting today would snapshot it. Nothing is stored and no slip is
// involved. host may be empty for a form that does not rate the host.
// Errors: ENotFound for an unknown year or form; ENotReady when the form
// cannot be expanded, with one detail per gap saying why and what to do,
// in the clerk's words (those of opening the meeting).
func (s *Service) PreviewForm(ctx context.Context, cycle, code, host string) (BallotView, error) {
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return BallotView{}, err
	}
	f, err := s.ledger.Form(ctx, cycle, code)
	if err != nil {
		return BallotView{}, err
	}
	units, err := s.ledger.Units(ctx, cycle)
	if err != nil {
		return BallotView{}, err
	}
	people, err := s.ledger.People(ctx, cycle)
	if err != nil {
		return BallotView{}, err
	}
	hostName := ""
	for _, u := range units {
		if u.Code == host {
			hostName = u.Name
		}
	}
	if host != "" && hostName == "" {
		return BallotView{}, Errorf(ENotReady, "单位 %s 不在本年度的单位名单中，请重新选择本次会议的被考核单位 (unknown unit)", host)
	}
	if host == "" && ratesHost(f) {
		return BallotView{}, Errorf(ENotReady, "这张测评表评的是本次会议的被考核单位：请先选择被考核单位 (choose the unit being assessed)")
	}
	secs, err := expandForm(f, host, units, people)
	if err != nil {
		return BallotView{}, notReady(err)
	}
	title := "选票预览"
	if hostName != "" {
		title += "：" + hostName
	}
	return BallotView{
		Meeting:  MeetingView{Title: title},
		Group:    GroupView{FormTitle: f.Title},
		Sections: secs,
	}, nil
}

// ratesHost reports whether a section of f rates the host or its people.
func ratesHost(f Form) bool {
	for _, sec := range f.Sections {
		for _, sel := range sec.Subjects {
			if sel == "host" || sel == "people:host" {
				return true
			}
		}
	}
	return false
}

// notReady is the expansion's error as the preview gives it: the clerk's
// sentences of expandForm, without field paths, under one headline.
func notReady(err error) error {
	var details []Detail
	for _, d := range ErrorDetails(err) {
		details = append(details, Detail{Section: d.Section, Message: d.Message})
	}
	switch len(details) {
	case 0:
		return err
	case 1:
		return &Error{Code: ENotReady, Message: details[0].Message, Details: details}
	}
	return &Error{Code: ENotReady, Message: fmt.Sprintf("这张测评表现在还生成不了选票，有 %d 处需要先处理 (the form cannot be made into a ballot yet: %d problems)", len(details), len(details)), Details: details}
}
