package ballots

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options tune a Service. Zero values take the defaults.
type Options struct {
	Rand      io.Reader     // crypto/rand.Reader
	Logger    *slog.Logger  // slog.Default()
	MinGroup  int64         // k of invariant 8: 3
	MaxBatch  int           // most casts in one ledger transaction: 256
	Reconcile time.Duration // how often live state is checked against the ledger: 2s
}

// Service enforces the rules of DESIGN.md over a Ledger and a Live store.
type Service struct {
	ledger Ledger
	live   Live
	opt    Options
	log    *slog.Logger

	defs sync.Map // meeting id → *MeetingDef (immutable once open)

	queue   chan *pendingCast
	applies chan Commit
	stop    chan struct{}
	wg      sync.WaitGroup

	liveDown sync.Mutex // guards liveErr
	liveErr  bool

	tally liveTally // tally increments waiting for k ballots (livetally.go)

	turnoutCache sync.Map // meeting id → cachedTurnout
	hub          *hub
}

// NewService returns a Service; call Start before casting and Stop at the end.
func NewService(ledger Ledger, live Live, opt Options) *Service {
	if opt.Rand == nil {
		opt.Rand = rand.Reader
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MinGroup <= 0 {
		opt.MinGroup = 3
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.Reconcile <= 0 {
		opt.Reconcile = 2 * time.Second
	}
	s := &Service{ledger: ledger, live: live, opt: opt, log: opt.Logger,
		queue: make(chan *pendingCast, 4096), applies: make(chan Commit, 4096), stop: make(chan struct{})}
	s.hub = newHub(s)
	return s
}

// Start runs the committer, the live-state applier, the reconciler and the
// event hub until Stop. It first rebuilds the live state of open meetings.
func (s *Service) Start(ctx context.Context) {
	s.reconcile(ctx, nil)
	s.wg.Add(4)
	go func() { defer s.wg.Done(); s.commitLoop() }()
	go func() { defer s.wg.Done(); s.applyLoop() }()
	go func() { defer s.wg.Done(); s.reconcileLoop() }()
	go func() { defer s.wg.Done(); s.hub.run(s.stop) }()
}

// Stop drains the casts already queued, then stops the background work.
func (s *Service) Stop() {
	close(s.stop)
	s.wg.Wait()
}

// Transient reports whether err, an error no adapter classified, is still a
// storage failure that passes by itself (a lost connection, a restart), as
// the ledger or the live store judges it: the error handler then answers
// 503 unavailable, never 500. Adapters report such failures as
// Unavailable where they can; this is the net for the rest.
func (s *Service) Transient(err error) bool {
	for _, a := range []any{s.ledger, s.live} {
		if c, ok := a.(interface{ Transient(error) bool }); ok && c.Transient(err) {
			return true
		}
	}
	return false
}

// Live returns the live store (for rate limits).
func (s *Service) Live() Live { return s.live }

// MinGroup returns k, the smallest group whose results are shown.
func (s *Service) MinGroup() int64 { return s.opt.MinGroup }

func (s *Service) randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.opt.Rand, b); err != nil {
		panic(fmt.Sprintf("read random: %v", err)) // crypto/rand does not fail
	}
	return hex.EncodeToString(b)
}

// def returns the snapshot of an opened meeting.
func (s *Service) def(ctx context.Context, id int64) (*MeetingDef, error) {
	if d, ok := s.defs.Load(id); ok {
		return d.(*MeetingDef), nil
	}
	rec, err := s.ledger.MeetingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Def == nil {
		return nil, Errorf(ENotOpen, "测评尚未开始 (voting has not started)")
	}
	s.defs.Store(id, rec.Def)
	return rec.Def, nil
}

// ---- Voting ----

// BallotView is what a slip's holder sees: the meeting, their group and the
// form's sections with their subjects.
type BallotView struct {
	Meeting  MeetingView  `json:"meeting"`
	Group    GroupView    `json:"group"`
	Sections []SectionDef `json:"sections"`
}

// MeetingView is the public face of a meeting.
type MeetingView struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Date  string `json:"date"`
	Kind  string `json:"kind"`
}

// GroupView names a voter group and its form.
type GroupView struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	FormTitle string `json:"form_title"`
}

// slip returns the slip's ledger entry and its meeting's snapshot, or the
// error a voter should see: ENotFound, ETokenUsed, ETokenRevoked, ENotOpen,
// EClosed.
func (s *Service) slip(ctx context.Context, tok Token) (TokenInfo, *GroupDef, *MeetingDef, error) {
	info, err := s.ledger.Token(ctx, tok.Hash())
	if err != nil {
		if ErrorCode(err) == ENotFound {
			err = Errorf(ENotFound, "没有这张票，请核对票上的号码 (no slip has this code)")
		}
		return info, nil, nil, err
	}
	switch info.State {
	case TokenSpent:
		return info, nil, nil, Errorf(ETokenUsed, "这张票已经投过了，每张票只能使用一次 (this slip has been used)")
	case TokenRevoked:
		return info, nil, nil, Errorf(ETokenRevoked, "这张票已作废，请向工作人员领取新票 (this slip was revoked)")
	}
	switch info.MeetingStatus {
	case StatusPending:
		return info, nil, nil, Errorf(ENotOpen, "测评尚未开始，请稍候 (voting has not started yet)")
	case StatusClosed:
		return info, nil, nil, Errorf(EClosed, "测评已经结束 (voting has ended)")
	}
	def, err := s.def(ctx, info.MeetingID)
	if err != nil {
		return info, nil, nil, err
	}
	g, ok := def.Group(info.Group)
	if !ok {
		return info, nil, nil, fmt.Errorf("slip of meeting %d names unknown group %q", info.MeetingID, info.Group)
	}
	return info, g, def, nil
}

// Ballot returns the ballot a slip opens. It never spends the slip.
func (s *Service) Ballot(ctx context.Context, tok Token) (BallotView, error) {
	_, g, def, err := s.slip(ctx, tok)
	if err != nil {
		return BallotView{}, err
	}
	return BallotView{
		Meeting:  MeetingView{Code: def.Code, Title: def.Title, Date: def.Date, Kind: def.Kind},
		Group:    GroupView{Code: g.Code, Name: g.Name, FormTitle: g.FormTitle},
		Sections: g.Sections,
	}, nil
}

// keyHash scopes an Idempotency-Key to its token.
func keyHash(tokenHash, key string) string {
	h := sha256.Sum256([]byte(tokenHash + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// Cast validates a ballot against the slip's form and commits it. It returns
// nil once the ballot is in the ledger — or was already, under the same
// Idempotency-Key. Errors: those of Ballot, EInvalidBallot, ETokenUsed.
func (s *Service) Cast(ctx context.Context, tok Token, key string, raw map[string]json.RawMessage) error {
	if key == "" || len(key) > 200 {
		return Errorf(EInvalid, "缺少 Idempotency-Key 请求头（1–200 个字符，同一张票重发时保持不变） (Idempotency-Key header required)")
	}
	hash := tok.Hash()
	kh := keyHash(hash, key)
	info, g, _, err := s.slip(ctx, tok)
	if err != nil {
		if ErrorCode(err) == ETokenUsed && info.KeyHash == kh {
			return nil // a resend of a counted ballot
		}
		return err
	}
	answers, err := g.ValidateAnswers(raw)
	if err != nil {
		return err
	}
	// Encode here, on the voter's goroutine, not in the one committer.
	canonical, err := json.Marshal(answers)
	if err != nil {
		return fmt.Errorf("encode ballot: %w", err)
	}
	p := &pendingCast{cast: Cast{TokenHash: hash, KeyHash: kh, MeetingID: info.MeetingID,
		Ballot: Ballot{ID: s.randomHex(16), Group: g.Code, Answers: answers}, JSON: canonical}, done: make(chan castResult, 1)}
	select {
	case s.queue <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	var r castResult
	select {
	case r = <-p.done:
	case <-ctx.Done():
		// The cast may still commit; a resend with the same key is acknowledged.
		return ctx.Err()
	}
	if r.err != nil {
		// The ledger has already retried on fresh connections; the
		// committer logged the failure once for the whole group. Whether
		// or not the ballot landed, a resend with the same key is safe: it
		// is acknowledged if it did, counted if it did not.
		return &Error{Code: EUnavailable, Err: r.err,
			Message: "服务器暂时繁忙，选票尚未确认保存，请稍后再提交一次（同一张票再次提交不会重复计票） (the ballot is not confirmed yet: submit it again in a moment; it will not count twice)"}
	}
	switch r.outcome {
	case CastCounted, CastResent:
		return nil
	case CastUsed:
		return Errorf(ETokenUsed, "这张票已经投过了，每张票只能使用一次 (this slip has been used)")
	case CastRevoked:
		return Errorf(ETokenRevoked, "这张票已作废，请向工作人员领取新票 (this slip was revoked)")
	case CastNotOpen:
		return Errorf(EClosed, "测评已经结束，选票未计入 (voting has ended: the ballot was not counted)")
	default:
		return Errorf(ENotFound, "没有这张票，请核对票上的号码 (no slip has this code)")
	}
}

type pendingCast struct {
	cast Cast
	done chan castResult
}

type castResult struct {
	outcome int
	err     error
}

// commitLoop is the group committer: it takes every cast waiting in the
// queue, up to MaxBatch, into one ledger transaction, so concurrent voters
// share one disk sync. Duplicate tokens within a batch go in once; the
// others are answered as resends (same key) or as spent (another key).
func (s *Service) commitLoop() {
	batch := make([]*pendingCast, 0, s.opt.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-s.queue:
			batch = append(batch, p)
		case <-s.stop:
			// Drain what is queued so no acknowledged wait is dropped.
			for {
				select {
				case p := <-s.queue:
					s.commitBatch([]*pendingCast{p})
				default:
					return
				}
			}
		}
		batch = s.fill(batch)
		if n := len(batch); n > 1 && n < 16 {
			// Voters are arriving together: a millisecond lets more of them
			// join this group, and one disk sync serves them all. A lone
			// voter is never kept waiting.
			time.Sleep(time.Millisecond)
			batch = s.fill(batch)
		}
		s.commitBatch(batch)
	}
}

// fill adds the casts waiting in the queue to batch, up to MaxBatch.
func (s *Service) fill(batch []*pendingCast) []*pendingCast {
	for len(batch) < s.opt.MaxBatch {
		select {
		case p := <-s.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (s *Service) commitBatch(batch []*pendingCast) {
	first := map[string]int{} // token hash → index in casts
	casts := make([]Cast, 0, len(batch))
	idx := make([]int, len(batch))
	for i, p := range batch {
		if j, ok := first[p.cast.TokenHash]; ok {
			idx[i] = -1 - j
			continue
		}
		first[p.cast.TokenHash] = len(casts)
		idx[i] = len(casts)
		casts = append(casts, p.cast)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	outcomes, commits, err := s.ledger.CommitCasts(ctx, casts)
	cancel()
	if err != nil {
		// Logged once for the group, not once per voter. A transient
		// failure (the database away for longer than the ledger's retries)
		// is a warning; anything else is a fault of ours.
		if ErrorCode(err) == EUnavailable {
			s.log.Warn("commit casts: database unavailable, voters are asked to resend", "casts", len(batch), "err", err)
		} else {
			s.log.Error("commit casts", "casts", len(batch), "err", err)
		}
	}
	for i, p := range batch {
		if err != nil {
			p.done <- castResult{err: err}
			continue
		}
		if idx[i] >= 0 {
			p.done <- castResult{outcome: outcomes[idx[i]]}
			continue
		}
		j := -1 - idx[i]
		o := outcomes[j]
		if o == CastCounted || o == CastResent || o == CastUsed {
			if p.cast.KeyHash == casts[j].KeyHash && o != CastUsed {
				o = CastResent
			} else {
				o = CastUsed
			}
		}
		p.done <- castResult{outcome: o}
	}
	for _, c := range commits {
		s.turnoutCache.Delete(c.MeetingID)
		select {
		case s.applies <- c:
		default:
			// The applier is far behind (Redis slow or down): the reconciler
			// will notice the gap and rebuild from the ledger.
		}
	}
}

// applyLoop feeds committed ballots to the live state in commit order:
// turnout at once, the tally in batches of at least k (livetally.go).
func (s *Service) applyLoop() {
	for {
		select {
		case c := <-s.applies:
			s.apply(c)
		case <-s.stop:
			return
		}
	}
}

func (s *Service) apply(c Commit) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	def, err := s.def(ctx, c.MeetingID)
	if err != nil {
		s.liveFailed(err)
		return
	}
	// Buffered before the turnout moves, so that a close which sees the
	// turnout complete finds the answers here or in Redis.
	s.bufferTally(c, def)
	cast := map[string]int64{}
	for _, b := range c.Ballots {
		cast[b.Group]++
	}
	err = s.live.Apply(ctx, c.MeetingID, c.Start, c.End, cast)
	if err == nil {
		err = s.flushTally(ctx, c.MeetingID)
	}
	s.liveFailed(err)
}

// liveFailed logs the first of a streak of live-state failures and the
// recovery, not every one.
func (s *Service) liveFailed(err error) {
	s.liveDown.Lock()
	defer s.liveDown.Unlock()
	switch {
	case err != nil && !s.liveErr:
		s.liveErr = true
		s.log.Warn("live state unavailable: voting goes on, turnout is read from the ledger", "err", err)
	case err == nil && s.liveErr:
		s.liveErr = false
		s.log.Info("live state available again")
	}
}

func (s *Service) liveOK() bool {
	s.liveDown.Lock()
	defer s.liveDown.Unlock()
	return !s.liveErr
}

func (s *Service) reconcileLoop() {
	t := time.NewTicker(s.opt.Reconcile)
	defer t.Stop()
	last := map[int64]int64{}
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), s.opt.Reconcile*5)
			s.reconcile(ctx, last)
			cancel()
		case <-s.stop:
			return
		}
	}
}

// reconcile rebuilds the live state of each open meeting that lags behind
// the ledger and made no progress since the last look (last == nil: at
// start, rebuild every lagging meeting at once, and claim the tally of
// every meeting whose histogram lacks ballots: a buffer of this server's
// may have died with its last run). This is how live state comes back after
// Redis restarts, and how a batch lost between commit and Redis (a crash, a
// dropped connection) is made good. It also resends tally batches that wait
// for Redis and retries claims that could not be made.
func (s *Service) reconcile(ctx context.Context, last map[int64]int64) {
	open, err := s.ledger.OpenMeetings(ctx)
	if err != nil {
		s.log.Warn("reconcile: list open meetings", "err", err)
		return
	}
	for _, m := range open {
		pos, err := s.live.Position(ctx, m.ID)
		s.liveFailed(err)
		if err != nil {
			return
		}
		if pos >= m.Cast {
			delete(last, m.ID)
			if last == nil && m.Cast > 0 && !s.histogramComplete(ctx, m.ID, m.Cast) {
				if err := s.rebuild(ctx, m.ID, true); err != nil {
					s.log.Warn("reconcile: claim live tally", "meeting", m.ID, "err", err)
				}
			}
			continue
		}
		if last != nil {
			if prev, seen := last[m.ID]; !seen || prev != pos {
				last[m.ID] = pos
				continue
			}
		}
		if err := s.rebuild(ctx, m.ID, true); err != nil {
			s.log.Warn("reconcile: rebuild live state", "meeting", m.ID, "err", err)
		}
	}
	isOpen := map[int64]bool{}
	for _, m := range open {
		isOpen[m.ID] = true
	}
	for _, id := range s.claimsDue() {
		if !isOpen[id] {
			continue // closed: its close compares, and its live state is dropped
		}
		if err := s.rebuild(ctx, id, true); err != nil {
			s.log.Warn("reconcile: claim live tally", "meeting", id, "err", err)
		}
	}
	s.tidyTallies(ctx, open)
}

// histogramComplete reports whether the live histogram holds all count
// ballots (or cannot be read: nothing to do then).
func (s *Service) histogramComplete(ctx context.Context, id, count int64) bool {
	hist, _, _, err := s.live.Tally(ctx, id)
	if err != nil {
		return true
	}
	var n int64
	for f, v := range hist {
		if strings.HasPrefix(f, "b"+sep) {
			n += v
		}
	}
	return n >= count
}

// rebuild brings a meeting's live state up to a recount of the ledger: the
// turnout is replaced, and the tally ballots the histogram lacks are
// claimed into this process's buffer (livetally.go). With openOnly a
// meeting that has closed since it was listed is left alone: its close
// compares and then drops the live state, which must not come back.
func (s *Service) rebuild(ctx context.Context, id int64, openOnly bool) error {
	t, n, _, err := s.recountBallots(ctx, id)
	if err != nil {
		return err
	}
	if openOnly {
		if rec, err := s.ledger.MeetingByID(ctx, id); err != nil || rec.Meeting.Status != StatusOpen {
			return err
		}
	}
	cast := map[string]int64{}
	for f, v := range t {
		if g, ok := strings.CutPrefix(f, "b"+sep); ok {
			cast[g] = v
		}
	}
	err = s.live.Rebuild(ctx, id, n, cast)
	if err == nil {
		err = s.claimTally(ctx, id, n, t)
	}
	s.liveFailed(err)
	return err
}

// recountBallots tallies the ledger's ballots of a meeting, checking each
// one against the form again, and returns the tally, count and ballots.
func (s *Service) recountBallots(ctx context.Context, id int64) (Tally, int64, []Ballot, error) {
	def, err := s.def(ctx, id)
	if err != nil {
		return nil, 0, nil, err
	}
	rows, count, err := s.ledger.Ballots(ctx, id)
	if err != nil {
		return nil, 0, nil, err
	}
	if int64(len(rows)) != count {
		return nil, 0, nil, fmt.Errorf("recount meeting %d: %d ballot rows but count %d", id, len(rows), count)
	}
	t := Tally{}
	out := make([]Ballot, 0, len(rows))
	for _, r := range rows {
		g, ok := def.Group(r.Group)
		if !ok {
			return nil, 0, nil, fmt.Errorf("recount meeting %d: ballot %s of unknown group %q", id, r.ID, r.Group)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(r.Answers, &raw); err != nil {
			return nil, 0, nil, fmt.Errorf("recount meeting %d: ballot %s: %w", id, r.ID, err)
		}
		a, err := g.ValidateAnswers(raw)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("recount meeting %d: ballot %s breaks its form: %w", id, r.ID, err)
		}
		t.Add(g, a)
		out = append(out, Ballot{ID: r.ID, Group: r.Group, Answers: a})
	}
	return t, count, out, nil
}
