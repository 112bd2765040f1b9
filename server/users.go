package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

func registerUserRoutes(s *Server, r fiber.Router) {
	r.Get("/users", s.listUsers)
	r.Post("/users", s.createUser)
	r.Post("/users/import", s.importUsers)          // users_import.go: multipart "file"; ?dry_run=1
	r.Get("/templates/users.xlsx", s.usersTemplate) // before import.go's /templates/:file
	r.Get("/templates/users.csv", s.usersTemplate)
	r.Patch("/users/:name", s.updateUser)
	r.Put("/users/:name/password", s.setPassword)
	r.Delete("/users/:name", s.deleteUser)
	r.Post("/users/:name/sessions/revoke", s.revokeSessions)
}

// registerAccountPages registers the console's own-password page, open to
// every signed-in role (the accounts page itself is the admin's).
func registerAccountPages(s *Server, r fiber.Router) {
	r.Get("/console/password", s.consolePage("password.html", "修改密码", "Change password",
		ballots.RoleAdmin, ballots.RoleGroup, ballots.RoleViewer, ballots.RoleAssessor, ballots.RoleUnit))
}

// roleNameZH is a role as the console names it: 管理员, 考核组, 只读.
func roleNameZH(role string) string {
	switch role {
	case ballots.RoleAdmin:
		return "管理员"
	case ballots.RoleGroup:
		return "考核组"
	case ballots.RoleViewer:
		return "只读"
	case ballots.RoleAssessor:
		return "考核主体填报"
	case ballots.RoleUnit:
		return "被考核单位"
	}
	return role
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

// createUser answers POST /users {"name", "display_name", "role",
// "password"}: 201 with the account (never its password).
func (s *Server) createUser(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var req struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		Role        string `json:"role"`
		Body        string `json:"body"`
		Unit        string `json:"unit"`
		Password    string `json:"password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	u := ballots.User{Name: strings.TrimSpace(req.Name), DisplayName: strings.TrimSpace(req.DisplayName), Role: req.Role,
		Body: strings.TrimSpace(req.Body), Unit: strings.TrimSpace(req.Unit)}
	if err := s.svc.AddUser(c.UserContext(), u, req.Password); err != nil {
		return err
	}
	detail := "角色：" + roleNameZH(u.Role) + bindingZH(u)
	if u.DisplayName != "" {
		detail += "，姓名：" + u.DisplayName
	}
	s.audit(c, s.actor(c), auditUserCreate, u.Name, detail)
	return c.Status(fiber.StatusCreated).JSON(u)
}

// bindingZH names what an assessor or unit account is bound to, for the
// audit log: "（考核主体 TJJ）".
func bindingZH(u ballots.User) string {
	switch {
	case u.Body != "":
		return "（考核主体 " + u.Body + "）"
	case u.Unit != "":
		return "（单位 " + u.Unit + "）"
	}
	return ""
}

// updateUser answers PATCH /users/{name} {"display_name", "role", "body",
// "unit"} (admin; a name, a role or both; an assessor's role comes with its
// body, a unit account's with its unit): 200 with the account. A new role
// or binding ends the account's sessions: it applies from the next sign-in.
func (s *Server) updateUser(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	var req struct {
		DisplayName *string `json:"display_name"`
		Role        *string `json:"role"`
		Body        string  `json:"body"`
		Unit        string  `json:"unit"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.DisplayName == nil && req.Role == nil {
		return ballots.Errorf(ballots.EInvalid, "请填写姓名或角色 (send display_name or role)")
	}
	name, ctx := strings.Clone(c.Params("name")), c.UserContext()
	if req.DisplayName != nil {
		display := strings.TrimSpace(*req.DisplayName)
		if err := s.svc.SetDisplayName(ctx, name, display); err != nil {
			return err
		}
		detail := "删除姓名"
		if display != "" {
			detail = "姓名改为：" + display
		}
		s.audit(c, s.actor(c), auditUserUpdate, name, detail)
	}
	if req.Role != nil {
		before, err := s.svc.User(ctx, name)
		if err != nil {
			return err
		}
		if req.Body != "" && req.Unit != "" {
			return ballots.Errorf(ballots.EInvalid, "账号只能绑定考核主体或单位之一 (bind a body or a unit, not both)")
		}
		err = s.svc.SetRoleBound(ctx, name, *req.Role, strings.TrimSpace(req.Body+req.Unit))
		s.sessions.forget(name)
		if err != nil {
			return err
		}
		after, err := s.svc.User(ctx, name)
		if err != nil {
			return err
		}
		if before.Role != after.Role || before.Body != after.Body || before.Unit != after.Unit {
			s.audit(c, s.actor(c), auditUserRole, name, "角色由"+roleNameZH(before.Role)+bindingZH(before)+"改为"+roleNameZH(after.Role)+bindingZH(after)+"，该账号需重新登录")
		}
	}
	u, err := s.svc.User(ctx, name)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

// revokeSessions answers POST /users/{name}/sessions/revoke (admin): 204,
// and every session of that account has ended (a lost phone, a borrowed
// computer); its password stays.
func (s *Server) revokeSessions(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	name := strings.Clone(c.Params("name"))
	if err := s.endSessions(c, name); err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditUserSessions, name, "强制在所有设备上退出")
	return c.SendStatus(fiber.StatusNoContent)
}

// setPassword answers PUT /users/{name}/password {"password",
// "old_password"}: 204. Everyone may change their own password with the
// current one (a wrong one is 400, and counts as a failed sign-in); an
// admin may reset anyone else's without it. Either way every session of
// the account ends, except that one's own change from the console renews
// the cookie it was made with, so the page goes on working. The audit log
// says who changed whose password, never the password.
func (s *Server) setPassword(c *fiber.Ctx) error {
	u, err := s.user(c) // every role, the collection's included, keeps its own password
	if err != nil {
		return err
	}
	name := strings.Clone(c.Params("name"))
	own := name == u.Name
	if !own && u.Role != ballots.RoleAdmin {
		return ballots.Errorf(ballots.EForbidden, "只有管理员可以重置其他账号的密码 (only an admin may reset another account's password)")
	}
	var req struct {
		Password    string `json:"password"`
		OldPassword string `json:"old_password"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	detail := "管理员重置密码"
	if own {
		detail = "本人修改密码"
		if req.OldPassword == "" {
			return &ballots.Error{Code: ballots.EInvalid, Message: "请填写原密码 (enter your current password)",
				Details: []ballots.Detail{{Field: "old_password", Message: "请填写原密码 (enter your current password)"}}}
		}
		// Guessing the current password is guessing a sign-in.
		a, serr := s.startSignin(c, name)
		if serr != nil {
			return serr
		}
		err = s.svc.ChangePassword(ctx, name, req.OldPassword, req.Password)
		switch {
		case err != nil && hasField(err, "old_password"):
			a.failed()
		case err == nil:
			a.succeeded()
		default:
			a.done()
		}
	} else {
		err = s.svc.SetPassword(ctx, name, req.Password)
	}
	s.sessions.forget(name)
	if err != nil {
		return err
	}
	s.audit(c, u, auditUserPassword, name, detail)
	if own && c.Get(fiber.HeaderAuthorization) == "" && c.Cookies(sessionCookie) != "" {
		if err := s.renewCookie(c, name); err != nil {
			return err
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// renewCookie gives the request's console session a new cookie under the
// account's current session generation, keeping its sign-in id (and so
// its CSRF token).
func (s *Server) renewCookie(c *fiber.Ctx, name string) error {
	u, err := s.svc.User(c.UserContext(), name)
	if err != nil {
		return err
	}
	sid, _ := c.Locals(localSID).(string)
	token, exp, err := s.issueJWT(u, sid)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, exp)
	return nil
}

// hasField reports whether err is a domain error with a detail on field.
func hasField(err error, field string) bool {
	var e *ballots.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, d := range e.Details {
		if d.Field == field {
			return true
		}
	}
	return false
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	name := strings.Clone(c.Params("name"))
	err := s.svc.DeleteUser(c.UserContext(), name)
	s.sessions.forget(name)
	if err != nil {
		return err
	}
	s.audit(c, s.actor(c), auditUserDelete, name, "")
	return c.SendStatus(fiber.StatusNoContent)
}
