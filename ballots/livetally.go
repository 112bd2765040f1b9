package ballots

import (
	"context"
	"strings"
	"sync"
	"time"
)

// The live tally in Redis moves in steps of at least k ballots.
//
// Turnout moves with every committed group of casts, as it must: it is the
// figure organizers watch. The tally histogram would move with them too,
// and anyone who can read Redis — polling the histogram, or watching
// MONITOR — could then take each ballot apart while the meeting is open.
// So the answers of committed casts wait here, in this process, per meeting
// and voter group, until a group holds at least k ballots (Options.MinGroup);
// then every group that does goes to Redis in one script call. The
// histogram of a voter group never changes by fewer than k of its ballots,
// and the calls that carry answers carry at least k ballots of each group
// in them. Turnout calls carry ballots per group and no answers.
//
// Nothing is lost by waiting: a buffer lost in a crash, or a histogram lost
// with Redis, is rebuilt from the ledger. The rebuild does not write the
// ledger's tally over the histogram (that would move it by any number of
// ballots, and send the whole tally through Redis): it claims, at a ledger
// snapshot of count N, every ballot below N that the histogram does not
// hold. The claimer takes the difference between the ledger's tally at N
// and the histogram into its own buffer, as parts of its claim, and they go
// to Redis like any others, k at a time. Buffered parts that the claim
// covers — committed groups ending at or below N here or on any other
// server, and parts of earlier claims — are stale: Redis refuses a batch
// holding one, and the sender drops them (Live.AddTally, ClaimTally).
//
// At close the recount is compared with the histogram plus this process's
// buffer (liveCheck). With several servers each buffers its own casts, fewer
// than k per voter group; a close on one server cannot see the others', so
// it reports "partial" when what it can see agrees with the recount but
// does not cover every ballot.

// tallyPart is buffered increments of one voter group: the ballots of one
// committed group of casts (claim empty), or a claim's share of a rebuild.
type tallyPart struct {
	end   int64  // the ledger count after the commit, or the claim's count
	claim string // set: rebuilt from the ledger under this claim
	n     int64  // ballots
	delta Tally
}

func (p tallyPart) stale(m TallyMark) bool {
	if p.claim != "" {
		return p.claim != m.Claim
	}
	return p.end <= m.Base
}

// meetingTally is one meeting's buffer.
type meetingTally struct {
	parts    map[string][]tallyPart // by voter group, not yet sent
	sent     *sentBatch             // sent with no answer yet: resent as is
	mark     TallyMark              // as Redis last said
	claimDue bool                   // a rebuild's claim has yet to succeed
	diverged bool                   // the histogram held ballots the ledger does not
}

type sentBatch struct {
	batch TallyBatch
	parts map[string][]tallyPart
}

// liveTally holds the buffers of every meeting this process has cast in.
// Its lock is held across the Redis calls that send or claim, so a flush
// and a claim of the same process never interleave.
type liveTally struct {
	mu       sync.Mutex
	meetings map[int64]*meetingTally
}

func (lt *liveTally) meeting(id int64) *meetingTally {
	if lt.meetings == nil {
		lt.meetings = map[int64]*meetingTally{}
	}
	m := lt.meetings[id]
	if m == nil {
		m = &meetingTally{parts: map[string][]tallyPart{}}
		lt.meetings[id] = m
	}
	return m
}

// dropStale forgets the parts the mark covers.
func (m *meetingTally) dropStale() {
	for g, ps := range m.parts {
		keep := ps[:0]
		for _, p := range ps {
			if !p.stale(m.mark) {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			delete(m.parts, g)
		} else {
			m.parts[g] = keep
		}
	}
}

// buffered returns the increments waiting in this process.
func (m *meetingTally) buffered() Tally {
	t := Tally{}
	for _, ps := range m.parts {
		for _, p := range ps {
			t.Merge(p.delta)
		}
	}
	if m.sent != nil {
		for _, ps := range m.sent.parts {
			for _, p := range ps {
				t.Merge(p.delta)
			}
		}
	}
	return t
}

// bufferTally adds a commit's ballots, split by voter group, to the buffer.
func (s *Service) bufferTally(c Commit, def *MeetingDef) {
	byGroup := map[string]*tallyPart{}
	for _, b := range c.Ballots {
		g, ok := def.Group(b.Group)
		if !ok {
			continue
		}
		p := byGroup[g.Code]
		if p == nil {
			p = &tallyPart{end: c.End, delta: Tally{}}
			byGroup[g.Code] = p
		}
		p.delta.Add(g, b.Answers)
		p.n++
	}
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	m := s.tally.meeting(c.MeetingID)
	for g, p := range byGroup {
		m.parts[g] = append(m.parts[g], *p)
	}
}

// flushTally sends a meeting's buffered groups that hold at least k ballots.
func (s *Service) flushTally(ctx context.Context, id int64) error {
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	return s.flushLocked(ctx, id, s.tally.meeting(id))
}

func (s *Service) flushLocked(ctx context.Context, id int64, m *meetingTally) error {
	for tries := 0; tries < 4; tries++ {
		if m.sent == nil {
			m.sent = s.nextBatch(m)
			if m.sent == nil {
				return nil
			}
		}
		outcome, mark, err := s.live.AddTally(ctx, id, m.sent.batch)
		if err != nil {
			return err // m.sent is resent, as is, next time
		}
		m.mark = mark
		switch outcome {
		case TallyNotReady:
			return nil
		case TallyStale:
			for g, ps := range m.sent.parts {
				m.parts[g] = append(m.parts[g], ps...)
			}
			m.dropStale()
		}
		m.sent = nil
	}
	return nil
}

// nextBatch takes every voter group holding at least k ballots out of the
// buffer into one batch, or returns nil.
func (s *Service) nextBatch(m *meetingTally) *sentBatch {
	sb := &sentBatch{batch: TallyBatch{Delta: Tally{}}, parts: map[string][]tallyPart{}}
	for g, ps := range m.parts {
		var n int64
		for _, p := range ps {
			n += p.n
		}
		if n < s.opt.MinGroup {
			continue
		}
		for _, p := range ps {
			sb.batch.Delta.Merge(p.delta)
			if p.claim != "" {
				sb.batch.Claim = p.claim // one claim: older ones were dropped as stale
				continue
			}
			if sb.batch.MinEnd == 0 || p.end < sb.batch.MinEnd {
				sb.batch.MinEnd = p.end
			}
			sb.batch.MaxEnd = max(sb.batch.MaxEnd, p.end)
		}
		sb.parts[g] = ps
		delete(m.parts, g)
	}
	if len(sb.parts) == 0 {
		return nil
	}
	sb.batch.ID = s.randomHex(12)
	return sb
}

// claimTally takes over, at a ledger snapshot of count ballots whose tally
// is full, every ballot the live histogram lacks (see the top of this file).
func (s *Service) claimTally(ctx context.Context, id, count int64, full Tally) error {
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	m := s.tally.meeting(id)
	m.claimDue = true
	// A batch whose fate is unknown must be settled first: the histogram
	// the claim returns either holds it or not.
	if err := s.flushLocked(ctx, id, m); err != nil {
		return err
	}
	if m.sent != nil {
		return nil // no live turnout yet: the next reconcile tries again
	}
	claim := s.randomHex(12)
	hist, mark, outcome, err := s.live.ClaimTally(ctx, id, count, claim)
	if err != nil {
		return err
	}
	m.mark = mark
	switch outcome {
	case ClaimRetry:
		return nil // a newer snapshot, at the next reconcile
	case ClaimSuperseded:
		m.claimDue = false
		m.dropStale()
		return nil
	}
	m.claimDue = false
	m.dropStale()
	diff := Tally{}
	diff.Merge(full)
	for f, n := range hist {
		diff[f] -= n
	}
	parts := map[string]*tallyPart{}
	for f, n := range diff {
		if n == 0 {
			continue
		}
		if n < 0 {
			m.diverged = true
			continue
		}
		g := fieldGroup(f)
		p := parts[g]
		if p == nil {
			p = &tallyPart{end: count, claim: claim, delta: Tally{}}
			parts[g] = p
		}
		p.delta[f] = n
		if f == ballotsField(g) {
			p.n = n
		}
	}
	for g, p := range parts {
		if p.n <= 0 {
			m.diverged = true // answers without their ballots
			continue
		}
		m.parts[g] = append(m.parts[g], *p)
	}
	if m.diverged {
		s.log.Error("live tally holds ballots the ledger does not; the close will report a mismatch", "meeting", id)
	}
	return s.flushLocked(ctx, id, m)
}

// fieldGroup returns the voter group of a Tally field (kind␟group␟…).
func fieldGroup(f string) string {
	_, rest, _ := strings.Cut(f, sep)
	g, _, _ := strings.Cut(rest, sep)
	return g
}

// claimsDue returns the meetings whose claim has yet to succeed.
func (s *Service) claimsDue() []int64 {
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	var ids []int64
	for id, m := range s.tally.meetings {
		if m.claimDue {
			ids = append(ids, id)
		}
	}
	return ids
}

// tidyTallies resends what waits (Redis may be back) and forgets the
// buffers of meetings that have closed.
func (s *Service) tidyTallies(ctx context.Context, open []MeetingRecord) {
	isOpen := map[int64]bool{}
	for _, m := range open {
		isOpen[m.ID] = true
	}
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	for id, m := range s.tally.meetings {
		if !isOpen[id] {
			// Not open when listed; perhaps not open yet, or closed and
			// still being sealed. Forget it once the ledger has sealed it.
			rec, err := s.ledger.MeetingByID(ctx, id)
			if ErrorCode(err) == ENotFound || err == nil && rec.Sealed != nil {
				delete(s.tally.meetings, id)
			}
			continue
		}
		if err := s.flushLocked(ctx, id, m); err != nil {
			s.liveFailed(err)
		}
	}
}

// liveCheck compares the recount of a closed meeting with the live tally —
// the histogram and this process's buffer — once the live turnout has
// caught up with the ledger (waiting up to two seconds for the last casts
// to reach Redis). "match", "mismatch", "partial" (what this server sees
// agrees but does not cover every ballot: other servers hold the rest in
// their buffers) or "unavailable".
func (s *Service) liveCheck(ctx context.Context, id, n int64, recount Tally) string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		verdict, done := s.tallyCheck(ctx, id, n, recount)
		if done {
			return verdict
		}
		if time.Now().After(deadline) {
			return "unavailable"
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Service) tallyCheck(ctx context.Context, id, n int64, recount Tally) (string, bool) {
	s.tally.mu.Lock()
	m := s.tally.meeting(id)
	due := m.claimDue
	s.tally.mu.Unlock()
	if due {
		// Redis lost the histogram, or a crash a buffer, and the claim
		// that makes it good has not happened yet: make it now.
		if err := s.rebuild(ctx, id, false); err != nil {
			return "unavailable", true
		}
	}
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	m = s.tally.meeting(id)
	if err := s.flushLocked(ctx, id, m); err != nil {
		return "unavailable", true
	}
	hist, pos, mark, err := s.live.Tally(ctx, id)
	switch {
	case err != nil || pos > n:
		// pos > n: the live state lost track (Redis restarted and was not
		// yet rebuilt): there is nothing independent to compare with.
		return "unavailable", true
	case pos < n || m.sent != nil || m.claimDue:
		return "", false
	}
	m.mark = mark
	m.dropStale()
	live := m.buffered()
	live.Merge(hist)
	if m.diverged {
		return "mismatch", true
	}
	var covered int64
	for f, v := range live {
		if strings.HasPrefix(f, "b"+sep) {
			covered += v
		}
		if v > recount[f] {
			return "mismatch", true
		}
	}
	switch {
	case covered < n:
		return "partial", true
	case live.Equal(recount):
		return "match", true
	}
	return "mismatch", true
}

// dropTally forgets a sealed meeting's buffer.
func (s *Service) dropTally(id int64) {
	s.tally.mu.Lock()
	defer s.tally.mu.Unlock()
	delete(s.tally.meetings, id)
}
