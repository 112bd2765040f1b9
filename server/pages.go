package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/frontend"
)

func registerPageRoutes(s *Server, r fiber.Router) {
	r.Get("/", s.page("index.html"))
	r.Get("/b", s.page("ballot.html"))
}

// page serves an embedded page. Pages carry a strict CSP: no inline script,
// nothing from another origin.
func (s *Server) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, err := frontend.Page(name)
		if err != nil {
			return err
		}
		c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		c.Set("Cache-Control", "no-store")
		c.Type("html", "utf-8")
		return c.Send(body)
	}
}
