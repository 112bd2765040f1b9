package server

import "github.com/gofiber/fiber/v2"

// registerRunPages registers console pages (see console.go).
func registerRunPages(s *Server, r fiber.Router) {}
