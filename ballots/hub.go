package ballots

import (
	"context"
	"reflect"
	"sync"
	"time"
)

// hub fans turnout out to watchers (SSE streams, the big screen). Events
// from Redis mark a meeting dirty; at most twice a second each dirty meeting
// with watchers has its turnout read once and sent to all of them. A slow
// poll covers events lost while Redis is away.
type hub struct {
	s     *Service
	mu    sync.Mutex
	meets map[int64]*watched
}

type watched struct {
	dirty    bool
	last     *Turnout
	watchers map[chan Turnout]struct{}
}

func newHub(s *Service) *hub { return &hub{s: s, meets: map[int64]*watched{}} }

// Watch streams a meeting's turnout: the current figure at once, then each
// change, coalesced to at most two a second. The channel holds only the
// newest figure; call cancel when done.
func (s *Service) Watch(ctx context.Context, id int64) (<-chan Turnout, func(), error) {
	t, err := s.TurnoutByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan Turnout, 1)
	ch <- t
	h := s.hub
	h.mu.Lock()
	w := h.meets[id]
	if w == nil {
		w = &watched{watchers: map[chan Turnout]struct{}{}, last: &t}
		h.meets[id] = w
	}
	w.watchers[ch] = struct{}{}
	h.mu.Unlock()
	cancel := func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if w := h.meets[id]; w != nil {
			delete(w.watchers, ch)
			if len(w.watchers) == 0 {
				delete(h.meets, id)
			}
		}
	}
	return ch, cancel, nil
}

func (h *hub) poke(id int64) {
	h.mu.Lock()
	if w := h.meets[id]; w != nil {
		w.dirty = true
	}
	h.mu.Unlock()
}

func (h *hub) run(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.listen(ctx)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		n++
		h.mu.Lock()
		var ids []int64
		for id, w := range h.meets {
			if w.dirty || n%10 == 0 { // poll every 5 s as well
				w.dirty = false
				ids = append(ids, id)
			}
		}
		h.mu.Unlock()
		for _, id := range ids {
			h.s.turnoutCache.Delete(id)
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			t, err := h.s.TurnoutByID(rctx, id)
			rcancel()
			if err != nil {
				continue
			}
			h.send(id, t)
		}
	}
}

func (h *hub) send(id int64, t Turnout) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.meets[id]
	if w == nil || (w.last != nil && reflect.DeepEqual(*w.last, t)) {
		return
	}
	w.last = &t
	for ch := range w.watchers {
		select {
		case <-ch: // drop the stale figure
		default:
		}
		ch <- t
	}
}

// listen follows the live store's events, resubscribing after failures.
func (h *hub) listen(ctx context.Context) {
	for ctx.Err() == nil {
		events, err := h.s.live.Subscribe(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		for id := range events {
			h.poke(id)
		}
	}
}
