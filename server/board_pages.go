package server

import "github.com/gofiber/fiber/v2"

// registerBoardPages registers console pages (see console.go).
func registerBoardPages(s *Server, r fiber.Router) {}
