package server

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

func registerVotingRoutes(s *Server, r fiber.Router) {
	r.Get("/ballot", s.getBallot)
	r.Post("/ballot", s.castBallot)
}

// Failures with unknown or malformed slip codes allowed per address and
// window. A hall behind one address types codes by hand, so this is loose;
// casts with valid slips are never limited.
const (
	slipLimit  = 60
	slipWindow = time.Minute
)

// slipToken reads the slip from "Authorization: Ballot TOKEN".
func slipToken(c *fiber.Ctx) (ballots.Token, error) {
	scheme, raw, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Ballot") || strings.TrimSpace(raw) == "" {
		return ballots.Token{}, ballots.Errorf(ballots.EUnauthorized, "缺少票码：请扫描选票上的二维码，或输入票上的号码 (send Authorization: Ballot <code>)")
	}
	return ballots.ParseToken(raw)
}

// slipFailed counts a failure with a slip code that does not exist or does
// not parse, and turns it into 429 once the address has too many.
func (s *Server) slipFailed(c *fiber.Ctx, err error) error {
	code := ballots.ErrorCode(err)
	if code != ballots.ENotFound && code != ballots.EInvalidToken {
		return err
	}
	ok, ferr := s.svc.Live().Fail(c.UserContext(), "slip", s.clientKey(c, ""), slipLimit, slipWindow)
	if ferr == nil && !ok {
		return ballots.Errorf(ballots.ERateLimited, "输入错误的票码次数过多，请一分钟后再试 (too many wrong codes: wait a minute)")
	}
	return err
}

func (s *Server) getBallot(c *fiber.Ctx) error {
	tok, err := slipToken(c)
	if err != nil {
		return s.slipFailed(c, err)
	}
	view, err := s.svc.Ballot(c.UserContext(), tok)
	if err != nil {
		return s.slipFailed(c, err)
	}
	return c.JSON(view)
}

func (s *Server) castBallot(c *fiber.Ctx) error {
	tok, err := slipToken(c)
	if err != nil {
		return s.slipFailed(c, err)
	}
	var req struct {
		Answers map[string]json.RawMessage `json:"answers"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Answers == nil {
		return ballots.Errorf(ballots.EInvalid, "缺少 answers 字段 (the body needs \"answers\")")
	}
	key := strings.Clone(c.Get("Idempotency-Key"))
	if err := s.svc.Cast(c.UserContext(), tok, key, req.Answers); err != nil {
		return s.slipFailed(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"status": "counted"})
}
