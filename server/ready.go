package server

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// readyTimeout bounds one readiness check: a probe gets an answer even
// when the database or Redis hangs.
const readyTimeout = 2 * time.Second

// readiness remembers the last answer of /readyz, to log changes only.
type readiness struct {
	mu      sync.Mutex
	checked bool
	ok      bool
}

// readyz answers GET /readyz: 200 "ok" while the database and live state
// answer, 503 "not ready" (with Retry-After) while either does not. No
// sign-in, nothing of the system in the body; the reason goes to the log
// when the state changes.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), readyTimeout)
	defer cancel()
	err := s.svc.Ready(ctx)
	s.ready.mu.Lock()
	changed := !s.ready.checked || s.ready.ok != (err == nil)
	s.ready.checked, s.ready.ok = true, err == nil
	s.ready.mu.Unlock()
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err != nil {
		if changed {
			s.log.Warn("not ready", "err", err)
		}
		c.Set(fiber.HeaderRetryAfter, "5")
		return c.Status(fiber.StatusServiceUnavailable).SendString("not ready")
	}
	if changed {
		s.log.Info("ready")
	}
	return c.SendString("ok")
}
