package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerReportsPages registers the units' reports page (issue 12 item
// 5): a unit account uploads its two reports; admins and viewers see which
// units have uploaded and open them.
func registerReportsPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/reports", s.consolePage("reports.html", "单位报告", "Unit reports", ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleUnit))
}
