package server

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

func registerWatchRoutes(s *Server, r fiber.Router) {
	r.Get("/cycles/:cycle/meetings/:meeting/turnout", s.turnout)
	r.Get("/cycles/:cycle/meetings/:meeting/events", s.events)
	r.Get("/cycles/:cycle/meetings/:meeting/results", s.results)
	r.Get("/cycles/:cycle/meetings/:meeting/ballots", s.ballotList)
}

func (s *Server) turnout(c *fiber.Ctx) error {
	rec, err := s.meeting(c, false)
	if err != nil {
		return err
	}
	t, err := s.svc.TurnoutByID(c.UserContext(), rec.ID)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// events streams turnout as Server-Sent Events, for as long as the
// organizer's session lasts: once it has ended (a new password, a role
// change, signed out, the account deleted) the stream ends at its next
// keep-alive, and the browser's reconnect is refused.
func (s *Server) events(c *fiber.Ctx) error {
	rec, err := s.meeting(c, false)
	if err != nil {
		return err
	}
	u, _ := s.user(c)
	name, gen, role := strings.Clone(u.Name), u.Generation, strings.Clone(u.Role)
	alive := func(ctx context.Context) error {
		now, err := s.sessions.account(ctx, name)
		if err != nil {
			return err
		}
		if now.Generation != gen || now.Role != role {
			return ballots.Errorf(ballots.EUnauthorized, "登录已结束 (the session has ended)")
		}
		return nil
	}
	return s.streamTurnout(c, rec.ID, time.Time{}, alive)
}

// streamTurnout answers with Server-Sent Events of a meeting's turnout: one
// "data:" line of turnout JSON on connect and after each change, at most two
// a second, with a comment line every keepAlive (15 s) to keep proxies from
// closing the stream. It ends when the client leaves or the server shuts
// down, at until (when set) with an "expired" event, and — when check is
// set — once check, run every recheck, says the viewer may no longer watch:
// EForbidden (a revoked screen link) ends it with a "revoked" event,
// EUnauthorized (an organizer's ended session) with an "ended" event. check
// runs on the stream's goroutine, after the handler has returned: it must
// hold nothing of c.
func (s *Server) streamTurnout(c *fiber.Ctx, meetingID int64, until time.Time, check func(context.Context) error) error {
	updates, cancel, err := s.svc.Watch(c.UserContext(), meetingID)
	if err != nil {
		return err
	}
	c.Set("Content-Type", "text/event-stream; charset=utf-8")
	c.Set("Cache-Control", "no-store")
	c.Set("X-Accel-Buffering", "no")
	done := s.done
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		ping := time.NewTicker(s.keepAlive)
		defer ping.Stop()
		var expired <-chan time.Time
		if !until.IsZero() {
			t := time.NewTimer(time.Until(until))
			defer t.Stop()
			expired = t.C
		}
		var recheck <-chan time.Time
		if check != nil {
			t := time.NewTicker(s.recheck)
			defer t.Stop()
			recheck = t.C
		}
		w.WriteString("retry: 3000\n\n")
		for {
			select {
			case t := <-updates:
				b, _ := json.Marshal(t)
				w.WriteString("data: ")
				w.Write(b)
				w.WriteString("\n\n")
			case <-ping.C:
				w.WriteString(": ping\n\n")
			case <-recheck:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := check(ctx)
				cancel()
				switch ballots.ErrorCode(err) {
				case ballots.EForbidden:
					w.WriteString("event: revoked\ndata: {}\n\n")
					w.Flush()
					return
				case ballots.EUnauthorized:
					w.WriteString("event: ended\ndata: {}\n\n")
					w.Flush()
					return
				}
				continue // allowed, or a store that does not answer now: keep streaming, check again later
			case <-expired:
				w.WriteString("event: expired\ndata: {}\n\n")
				w.Flush()
				return
			case <-done:
				return
			}
			if err := w.Flush(); err != nil {
				return // the client went away
			}
		}
	})
	return nil
}

func (s *Server) results(c *fiber.Ctx) error {
	rec, err := s.meeting(c, false)
	if err != nil {
		return err
	}
	r, err := s.svc.Results(c.UserContext(), rec)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) ballotList(c *fiber.Ctx) error {
	rec, err := s.meeting(c, false)
	if err != nil {
		return err
	}
	l, err := s.svc.Ballots(c.UserContext(), rec)
	if err != nil {
		return err
	}
	return c.JSON(l)
}
