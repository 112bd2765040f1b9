package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerBoardPages registers console pages (see console.go): paper-ballot
// entry for a meeting's staff, the audit log for admins, and the big
// screen's signed-link pages.
func registerBoardPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/meetings/:meeting/paper", s.consolePage("paper.html", "纸质选票录入", "Paper ballots", ballots.RoleAdmin, ballots.RoleGroup))
	r.Get("/console/audit", s.consolePage("audit.html", "审计日志", "Audit log", ballots.RoleAdmin))
	registerScreenPages(s, r)
}
