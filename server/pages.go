package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/ceping/ceping/frontend"
)

func registerPageRoutes(s *Server, r fiber.Router) {
	zip := compress.New(compress.Config{Level: compress.LevelBestSpeed})
	r.Get("/static/:hash/:name", zip, s.static)
	r.Get("/", zip, s.page("index.html"))
	r.Get("/b", zip, s.page("ballot.html"))
	// Browsers and WeChat ask for /favicon.ico by themselves; pages name the
	// same icon under its hashed URL.
	r.Get("/favicon.ico", func(c *fiber.Ctx) error {
		a, _ := frontend.Named("favicon.svg")
		c.Set("Cache-Control", "public, max-age=86400")
		c.Set(fiber.HeaderContentType, a.ContentType)
		return c.Send(a.Body)
	})
}

// pageCSP allows nothing but this origin: no inline script or style, no
// third party, no framing.
const pageCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// page serves a rendered page, never cached: it may change with a release
// and the ballot page's state lives in the URL fragment and the device.
func (s *Server) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.renderPage(c, name, nil) }
}

// static serves an embedded asset under its content hash, cached for good.
func (s *Server) static(c *fiber.Ctx) error {
	a, ok := frontend.Lookup(c.Params("hash"), c.Params("name"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set("Cache-Control", "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}
