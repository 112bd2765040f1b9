package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// hstsValue asks browsers to use only HTTPS for this host for a year. It
// leaves out includeSubDomains: a county's other hosts are not ours to
// decide for.
const hstsValue = "max-age=31536000"

// hsts sets Strict-Transport-Security on answers given over HTTPS: served
// by this server's TLS listener, or by a reverse proxy that terminated TLS
// and says so in X-Forwarded-Proto. Browsers ignore the header over plain
// HTTP, so a forged X-Forwarded-Proto gains nothing.
func hsts(c *fiber.Ctx) error {
	if c.Protocol() == "https" {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
	return c.Next()
}

// secureCookie reports whether the session cookie must be Secure (sent
// over HTTPS only): when the base URL is https, or the request came over
// HTTPS.
func (s *Server) secureCookie(c *fiber.Ctx) bool {
	return strings.HasPrefix(s.cfg.BaseURL, "https://") || c.Protocol() == "https"
}
