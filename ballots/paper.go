package ballots

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Paper ballots are entered by two people. A staff member keys in the
// paper ballot of an attendee without a phone, naming its slip by code; the
// ballot then waits, uncounted and with its slip unspent, until a second,
// different staff member types the slip's code again and confirms. The
// confirmation casts it through Cast, with the slip's token and a key
// derived from the paper ballot, so the form's rules and the single use of
// the slip apply exactly as to a phone's vote; then the waiting copy is
// deleted. The waiting copy holds the slip's hash, never its code.

// PaperBallot is a keyed paper ballot waiting for its second person.
type PaperBallot struct {
	ID        string          `json:"id"`
	MeetingID int64           `json:"-"`
	TokenHash string          `json:"-"`
	Group     string          `json:"group"`
	Answers   json.RawMessage `json:"answers"` // canonical, validated against the form
	CastKey   string          `json:"-"`       // the Idempotency-Key of its cast: random
	KeyedBy   string          `json:"keyed_by"`
	KeyedAt   time.Time       `json:"keyed_at"`
}

// PaperStore keeps the waiting paper ballots. *sqlstore.Store implements it;
// the Service finds it on its Ledger.
type PaperStore interface {
	// PutPaper stores a waiting ballot; EConflict if its slip is already
	// waiting.
	PutPaper(ctx context.Context, p PaperBallot) error
	// PaperBallot returns a waiting ballot; ENotFound if there is none.
	PaperBallot(ctx context.Context, id string) (PaperBallot, error)
	// PaperBallots lists a meeting's waiting ballots, oldest first.
	PaperBallots(ctx context.Context, meetingID int64) ([]PaperBallot, error)
	// DeletePaper removes a waiting ballot and reports whether it was there.
	DeletePaper(ctx context.Context, id string) (bool, error)
	// DeleteMeetingPapers removes all of a meeting's waiting ballots and
	// returns how many there were.
	DeleteMeetingPapers(ctx context.Context, meetingID int64) (int64, error)
}

func (s *Service) paperStore() (PaperStore, error) {
	p, ok := s.ledger.(PaperStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持纸质票 (the ledger keeps no paper ballots)")
	}
	return p, nil
}

// paperSlip checks that a slip belongs to meeting rec and may still vote:
// the errors of Ballot, and ENotFound for a slip of another meeting (which
// tells the caller nothing about other meetings).
func (s *Service) paperSlip(ctx context.Context, rec MeetingRecord, tok Token) (*GroupDef, *MeetingDef, error) {
	info, g, def, err := s.slip(ctx, tok)
	// info is known for every slip the ledger holds, whatever its state.
	if info.MeetingID != 0 && info.MeetingID != rec.ID {
		return nil, nil, Errorf(ENotFound, "这张票不属于本次会议，请核对票上的号码 (the slip belongs to another meeting)")
	}
	return g, def, err
}

// PaperForm returns the ballot a slip opens for keying its paper copy:
// the slip's group and form. It never spends the slip. Errors: those of
// Ballot; EConflict if the slip's paper ballot already waits.
func (s *Service) PaperForm(ctx context.Context, rec MeetingRecord, tok Token) (BallotView, error) {
	ps, err := s.paperStore()
	if err != nil {
		return BallotView{}, err
	}
	g, def, err := s.paperSlip(ctx, rec, tok)
	if err != nil {
		return BallotView{}, err
	}
	if err := s.notWaiting(ctx, ps, rec.ID, tok.Hash()); err != nil {
		return BallotView{}, err
	}
	return BallotView{
		Meeting:  MeetingView{Code: def.Code, Title: def.Title, Date: def.Date, Kind: def.Kind},
		Group:    GroupView{Code: g.Code, Name: g.Name, FormTitle: g.FormTitle},
		Sections: g.Sections,
	}, nil
}

func (s *Service) notWaiting(ctx context.Context, ps PaperStore, meetingID int64, hash string) error {
	waiting, err := ps.PaperBallots(ctx, meetingID)
	if err != nil {
		return err
	}
	for _, p := range waiting {
		if p.TokenHash == hash {
			return errKeyedTwice
		}
	}
	return nil
}

var errKeyedTwice = Errorf(EConflict, "这张票的纸质票已录入，正在等待确认；如需更正，请先删除此录入再重新录入 (this slip's paper ballot is already waiting: delete that entry first to re-key)")

// KeyPaper stores the paper ballot of a slip of meeting rec, keyed in by
// the staff member by. It is validated against the form at once and waits,
// uncounted, for a second person. Errors: those of Ballot (unknown, spent or
// revoked slip; meeting not open), EInvalidBallot with details, EConflict if
// the slip's paper ballot is already waiting (a slip keyed twice is refused,
// never replaced: the first entry is discarded on purpose, not overwritten).
func (s *Service) KeyPaper(ctx context.Context, rec MeetingRecord, by string, tok Token, raw map[string]json.RawMessage) (PaperBallot, error) {
	ps, err := s.paperStore()
	if err != nil {
		return PaperBallot{}, err
	}
	if by == "" {
		return PaperBallot{}, Errorf(EUnauthorized, "需要登录 (sign in first)")
	}
	g, _, err := s.paperSlip(ctx, rec, tok)
	if err != nil {
		return PaperBallot{}, err
	}
	answers, err := g.ValidateAnswers(raw)
	if err != nil {
		return PaperBallot{}, err
	}
	canonical, err := json.Marshal(answers)
	if err != nil {
		return PaperBallot{}, fmt.Errorf("encode paper ballot: %w", err)
	}
	p := PaperBallot{ID: "P" + s.randomHex(8), MeetingID: rec.ID, TokenHash: tok.Hash(), Group: g.Code,
		Answers: canonical, CastKey: s.randomHex(16), KeyedBy: by, KeyedAt: time.Now().UTC().Truncate(time.Second)}
	if err := ps.PutPaper(ctx, p); err != nil {
		if ErrorCode(err) == EConflict {
			return PaperBallot{}, errKeyedTwice
		}
		return PaperBallot{}, err
	}
	return p, nil
}

// PaperBallots lists the paper ballots of meeting rec waiting for their
// second person, oldest first. Once the meeting has closed none can count
// any more: they are deleted and the list is empty.
func (s *Service) PaperBallots(ctx context.Context, rec MeetingRecord) ([]PaperBallot, error) {
	ps, err := s.paperStore()
	if err != nil {
		return nil, err
	}
	if rec.Meeting.Status == StatusClosed {
		if _, err := ps.DeleteMeetingPapers(ctx, rec.ID); err != nil {
			return nil, err
		}
		return []PaperBallot{}, nil
	}
	out, err := ps.PaperBallots(ctx, rec.ID)
	if out == nil && err == nil {
		out = []PaperBallot{}
	}
	return out, err
}

// ConfirmPaper is the second person's step: by, who must not be the one who
// keyed it, types the slip's code again (proving the slip is the one keyed)
// and the waiting ballot is cast through Cast and then deleted.
// Errors: ENotFound (no such waiting ballot in this meeting), EConflict (by
// keyed it), EInvalid (the code is not this ballot's slip), and those of
// Cast. When the slip can never count this ballot — spent meanwhile (say,
// by phone: ETokenUsed), revoked, or the meeting closed — the waiting copy
// is deleted as well and the error returned.
func (s *Service) ConfirmPaper(ctx context.Context, rec MeetingRecord, by, id string, tok Token) error {
	ps, p, err := s.waitingPaper(ctx, rec, id)
	if err != nil {
		return err
	}
	if by == "" || by == p.KeyedBy {
		return Errorf(EConflict, "录入人不能确认自己录入的纸质票，须由另一名工作人员确认 (the person who keyed a paper ballot cannot confirm it)")
	}
	if tok.Hash() != p.TokenHash {
		return Errorf(EInvalid, "票码与这张待确认的纸质票不一致，请核对纸质票上的号码 (the code is not this paper ballot's slip)")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(p.Answers, &raw); err != nil {
		return fmt.Errorf("paper ballot %s: %w", id, err)
	}
	// The waiting ballot's own random key: a confirmation sent twice (a lost
	// answer, two people at once) counts once, and the slip's stored key
	// hash says nothing about which paper ballot, or whether paper, spent it.
	err = s.Cast(ctx, tok, p.CastKey, raw)
	switch ErrorCode(err) {
	case "", ETokenUsed, ETokenRevoked, EClosed, ENotFound:
		if _, derr := ps.DeletePaper(ctx, p.ID); derr != nil {
			if err == nil {
				// Counted; the waiting copy stays until the next confirm
				// (same key: acknowledged again) or discard removes it.
				return fmt.Errorf("delete confirmed paper ballot: %w", derr)
			}
			s.log.Warn("delete void paper ballot", "err", derr)
		}
	}
	return err
}

// DiscardPaper deletes a waiting paper ballot of meeting rec; nothing is
// counted and its slip stays unspent. ENotFound if there is none.
func (s *Service) DiscardPaper(ctx context.Context, rec MeetingRecord, id string) error {
	ps, _, err := s.waitingPaper(ctx, rec, id)
	if err != nil {
		return err
	}
	ok, err := ps.DeletePaper(ctx, id)
	if err == nil && !ok {
		err = Errorf(ENotFound, "待确认的纸质票不存在 (no such waiting paper ballot)")
	}
	return err
}

// waitingPaper returns the paper store and a waiting ballot of meeting rec;
// ENotFound for one of another meeting.
func (s *Service) waitingPaper(ctx context.Context, rec MeetingRecord, id string) (PaperStore, PaperBallot, error) {
	ps, err := s.paperStore()
	if err != nil {
		return nil, PaperBallot{}, err
	}
	p, err := ps.PaperBallot(ctx, id)
	if err != nil {
		return nil, PaperBallot{}, err
	}
	if p.MeetingID != rec.ID {
		return nil, PaperBallot{}, Errorf(ENotFound, "待确认的纸质票不存在 (no such waiting paper ballot)")
	}
	return ps, p, nil
}
