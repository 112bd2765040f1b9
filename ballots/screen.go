package ballots

import (
	"context"
	"fmt"
	"time"
)

// The hall's big screen opens through a link that needs no account. Each
// link the staff make is stored, so that they can see which links are out
// and revoke one (a link left on a projector PC, or sent to the wrong
// person) before it expires. The server signs a link's id, meeting, expiry
// and whether it shows results; a link whose id the store does not hold, or
// holds as revoked or expired, opens nothing.

// ScreenLink is one big-screen link as issued. It holds no secret: the link
// is only valid with the server's signature over it.
type ScreenLink struct {
	ID          string     `json:"id"`
	MeetingID   int64      `json:"-"`
	ExpiresAt   time.Time  `json:"expires_at"`
	ShowResults bool       `json:"show_results"`
	IssuedBy    string     `json:"issued_by"`
	IssuedAt    time.Time  `json:"issued_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	RevokedBy   string     `json:"revoked_by,omitempty"`
}

// Screen link states, as listed.
const (
	ScreenValid   = "valid"
	ScreenExpired = "expired"
	ScreenRevoked = "revoked"
)

// State is the link's state at now: revoked, expired or valid.
func (l ScreenLink) State(now time.Time) string {
	switch {
	case l.RevokedAt != nil:
		return ScreenRevoked
	case !now.Before(l.ExpiresAt):
		return ScreenExpired
	}
	return ScreenValid
}

// Screen links last from MinScreenLink to MaxScreenLink; a request that
// names no duration gets DefaultScreenLink, a meeting day.
const (
	MinScreenLink     = time.Hour
	DefaultScreenLink = 12 * time.Hour
	MaxScreenLink     = 48 * time.Hour
)

// ScreenLinkStore keeps the issued big-screen links. *sqlstore.Store
// implements it; the Service finds it on its Ledger.
type ScreenLinkStore interface {
	// CreateScreenLink stores a new link.
	CreateScreenLink(ctx context.Context, l ScreenLink) error
	// ScreenLink returns a link; ENotFound if there is none.
	ScreenLink(ctx context.Context, id string) (ScreenLink, error)
	// ScreenLinks lists a meeting's links, newest first.
	ScreenLinks(ctx context.Context, meetingID int64) ([]ScreenLink, error)
	// RevokeScreenLink marks a link revoked by by at at, unless it already
	// is, and returns it as stored; ENotFound if there is none.
	RevokeScreenLink(ctx context.Context, id, by string, at time.Time) (ScreenLink, error)
}

func (s *Service) screenStore() (ScreenLinkStore, error) {
	st, ok := s.ledger.(ScreenLinkStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持大屏幕链接 (the ledger keeps no screen links)")
	}
	return st, nil
}

// IssueScreenLink stores a new big-screen link for meeting rec, made by by,
// valid for d (0: DefaultScreenLink). EInvalid when d is outside
// MinScreenLink to MaxScreenLink or not whole hours.
func (s *Service) IssueScreenLink(ctx context.Context, rec MeetingRecord, by string, d time.Duration, showResults bool) (ScreenLink, error) {
	st, err := s.screenStore()
	if err != nil {
		return ScreenLink{}, err
	}
	if d == 0 {
		d = DefaultScreenLink
	}
	if d < MinScreenLink || d > MaxScreenLink || d%time.Hour != 0 {
		lo, hi := int(MinScreenLink/time.Hour), int(MaxScreenLink/time.Hour)
		return ScreenLink{}, &Error{Code: EInvalid, Message: fmt.Sprintf("有效时长须为 %d 到 %d 小时 (hours from %d to %d)", lo, hi, lo, hi),
			Details: []Detail{{Field: "hours", Message: fmt.Sprintf("%d–%d", lo, hi)}}}
	}
	now := time.Now().UTC().Truncate(time.Second)
	l := ScreenLink{ID: s.randomHex(8), MeetingID: rec.ID, ExpiresAt: now.Add(d), ShowResults: showResults, IssuedBy: by, IssuedAt: now}
	if err := st.CreateScreenLink(ctx, l); err != nil {
		return ScreenLink{}, fmt.Errorf("issue screen link: %w", err)
	}
	return l, nil
}

// ScreenLinks lists meeting rec's big-screen links, newest first.
func (s *Service) ScreenLinks(ctx context.Context, rec MeetingRecord) ([]ScreenLink, error) {
	st, err := s.screenStore()
	if err != nil {
		return nil, err
	}
	return st.ScreenLinks(ctx, rec.ID)
}

// RevokeScreenLink revokes link id of meeting rec for by. It reports
// whether this call revoked it (false: it already was). ENotFound for a
// link of another meeting. A screen showing the link loses its stream at
// the stream's next check of its link (see ScreenLinkValid).
func (s *Service) RevokeScreenLink(ctx context.Context, rec MeetingRecord, id, by string) (ScreenLink, bool, error) {
	st, err := s.screenStore()
	if err != nil {
		return ScreenLink{}, false, err
	}
	l, err := st.ScreenLink(ctx, id)
	if err == nil && l.MeetingID != rec.ID {
		err = Errorf(ENotFound, "本会议没有这个大屏幕链接 (no such screen link for this meeting)")
	}
	if err != nil {
		return ScreenLink{}, false, err
	}
	if l.RevokedAt != nil {
		return l, false, nil
	}
	l, err = st.RevokeScreenLink(ctx, id, by, time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return ScreenLink{}, false, fmt.Errorf("revoke screen link: %w", err)
	}
	return l, true, nil
}

// ScreenLinkValid returns link id if it belongs to meeting meetingID, is
// not revoked and has not expired; EForbidden otherwise (an unknown id
// included, so a link cannot probe for others).
func (s *Service) ScreenLinkValid(ctx context.Context, meetingID int64, id string) (ScreenLink, error) {
	st, err := s.screenStore()
	if err != nil {
		return ScreenLink{}, err
	}
	l, err := st.ScreenLink(ctx, id)
	if IsNotFound(err) {
		return ScreenLink{}, Errorf(EForbidden, "大屏幕链接不存在 (no such screen link)")
	}
	if err != nil {
		return ScreenLink{}, err
	}
	if l.MeetingID != meetingID || l.State(time.Now()) != ScreenValid {
		return ScreenLink{}, Errorf(EForbidden, "大屏幕链接已收回或已过期 (the screen link was revoked or has expired)")
	}
	return l, nil
}
