package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// registerSetupPages registers the admin's set-up pages (see console.go):
// accounts, a year's units, people and target-task data (with spreadsheet
// import, import.go), and the ballot-form editor. Each page is a shell; its
// script talks to /api/v1.
func registerSetupPages(s *Server, r fiber.Router) {
	r.Get("/console/users", s.consolePage("users.html", "账号管理", "Accounts", ballots.RoleAdmin))
	r.Get("/console/cycles/:cycle/setup", s.consolePage("setup.html", "年度设置", "Year set-up", ballots.RoleAdmin))
	r.Get("/console/cycles/:cycle/forms", s.consolePage("forms.html", "测评表", "Ballot forms", ballots.RoleAdmin))
}
