package server

import "github.com/gofiber/fiber/v2"

// registerSetupPages registers console pages (see console.go).
func registerSetupPages(s *Server, r fiber.Router) {}
