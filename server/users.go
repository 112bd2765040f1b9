package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

func registerUserRoutes(s *Server, r fiber.Router) {
	r.Get("/users", s.listUsers)
	r.Post("/users", s.createUser)
	r.Delete("/users/:name", s.deleteUser)
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	users, err := s.svc.Users(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"users": users})
}

func (s *Server) createUser(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var req struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := s.svc.CreateUser(c.UserContext(), req.Name, req.Role, req.Password); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditUserCreate, req.Name, "role="+req.Role)
	return c.Status(fiber.StatusCreated).JSON(ballots.User{Name: req.Name, Role: req.Role})
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	if err := s.svc.DeleteUser(c.UserContext(), c.Params("name")); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditUserDelete, c.Params("name"), "")
	return c.SendStatus(fiber.StatusNoContent)
}
