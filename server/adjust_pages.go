package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerAdjustPages registers the 加减分 console page: the office (admin)
// records and decides, a unit account applies for its own unit, a viewer
// reads.
func registerAdjustPages(s *Server, r fiber.Router) {
	r.Get("/console/cycles/:cycle/adjustments", s.consolePage("adjustments.html", "加减分", "Adjustments", ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleUnit))
}
