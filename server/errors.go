package server

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// statuses maps domain error codes to HTTP statuses: the one table.
var statuses = map[string]int{
	ballots.EInvalid:        fiber.StatusBadRequest,
	ballots.EInvalidToken:   fiber.StatusBadRequest,
	ballots.EUnauthorized:   fiber.StatusUnauthorized,
	ballots.EForbidden:      fiber.StatusForbidden,
	ballots.ENotOpen:        fiber.StatusForbidden,
	ballots.EClosed:         fiber.StatusForbidden,
	ballots.ENotFound:       fiber.StatusNotFound,
	"method_not_allowed":    fiber.StatusMethodNotAllowed,
	ballots.EConflict:       fiber.StatusConflict,
	ballots.ETokenUsed:      fiber.StatusConflict,
	ballots.EMeetingOpen:    fiber.StatusConflict,
	ballots.ETokenRevoked:   fiber.StatusGone,
	ballots.ETooLarge:       fiber.StatusRequestEntityTooLarge,
	"unsupported_media":     fiber.StatusUnsupportedMediaType,
	ballots.EInvalidBallot:  fiber.StatusUnprocessableEntity,
	ballots.ENotReady:       fiber.StatusUnprocessableEntity,
	EInvalidScoring:         fiber.StatusUnprocessableEntity,
	ballots.EInvalidEntry:   fiber.StatusUnprocessableEntity,
	ballots.EEntriesMissing: fiber.StatusUnprocessableEntity,
	ballots.EEntryLocked:    fiber.StatusConflict,
	ballots.ECatalogueInUse: fiber.StatusConflict,
	ballots.ERateLimited:    fiber.StatusTooManyRequests,
	ballots.EInternal:       fiber.StatusInternalServerError,
	ballots.EUnavailable:    fiber.StatusServiceUnavailable,

	ballots.EInvalidAdjustment: fiber.StatusUnprocessableEntity, // 加减分 its category does not allow (adjust.go)
}

func statusOf(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return fiber.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code      string        `json:"code"`
		Message   string        `json:"message"`
		MessageEN string        `json:"message_en,omitempty"`
		Details   []errorDetail `json:"details,omitempty"`
	} `json:"error"`
}

// errorDetail is a detail with its message split like the error's.
type errorDetail struct {
	ballots.Detail
	MessageEN string `json:"message_en,omitempty"`
}

// englishTail finds the English half of a domain message, written
// "中文说明 (english)": a last parenthesis without Chinese or nested
// parentheses that has an English word in it (so a code such as "(T01)"
// stays part of the Chinese).
var englishTail = regexp.MustCompile(`^(?s)(.*\S)\s*\(([^()\p{Han}]*[a-z]{2}[^()\p{Han}]*)\)\s*$`)

// splitMessage returns the Chinese message and its English, if it has one.
func splitMessage(m string) (zh, en string) {
	if x := englishTail.FindStringSubmatch(m); x != nil {
		return x[1], x[2]
	}
	return m, ""
}

// handleError renders every error in DESIGN.md's shape and logs internal
// ones, once. Fiber's own errors (no route, body too large) are mapped too.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		err = uploadTooLarge(c, fromFiber(fe)) // an upload route's 413 names the file limit
	}
	code := ballots.ErrorCode(err)
	if code == ballots.EInternal && s.svc.Transient(err) {
		// A storage failure that escaped its adapter's classification is
		// still one that passes: 503, not 500.
		err, code = ballots.Unavailable(err), ballots.EUnavailable
	}
	switch code {
	case ballots.EInternal:
		s.log.Error("internal error", "method", c.Method(), "route", c.Route().Path, "err", err)
	case ballots.EUnavailable:
		s.logUnavailable(c, err)
	}
	if statusOf(code) == fiber.StatusServiceUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
		// The database or Redis is briefly away: the client may come back
		// in a moment (the voter page resends by itself, with the same
		// key), unless the handler chose its own time.
		c.Set(fiber.HeaderRetryAfter, retryAfter)
	}
	// A page (not the API) asked by a browser gets an error page.
	if !strings.HasPrefix(c.Path(), "/api/") && c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML) == fiber.MIMETextHTML {
		c.Status(statusOf(code))
		zh, en := splitMessage(ballots.ErrorMessage(err))
		return s.renderPage(c, "error.html", PageData{Title: errorTitle(statusOf(code)), Error: zh, ErrorEN: en})
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message, body.Error.MessageEN = splitMessage(ballots.ErrorMessage(err))
	for _, d := range ballots.ErrorDetails(err) {
		ed := errorDetail{Detail: d}
		ed.Message, ed.MessageEN = splitMessage(d.Message)
		body.Error.Details = append(body.Error.Details, ed)
	}
	c.Set("Cache-Control", "no-store")
	return c.Status(statusOf(code)).JSON(body)
}

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = "2"

// logUnavailable logs a transient failure (the database or Redis away) at
// most once a second: during an outage every request fails the same way,
// and one line with the cause is what an operator needs.
func (s *Server) logUnavailable(c *fiber.Ctx, err error) {
	now := time.Now().UnixNano()
	last := s.unavailableAt.Load()
	if now-last < int64(time.Second) || !s.unavailableAt.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("service unavailable: storage failure that should pass", "method", c.Method(), "route", c.Route().Path, "err", err)
}

func errorTitle(status int) string {
	switch status {
	case fiber.StatusForbidden:
		return "无权访问 · Forbidden"
	case fiber.StatusNotFound:
		return "页面不存在 · Not found"
	case fiber.StatusConflict:
		return "暂不能进行此操作 · Not now"
	case fiber.StatusServiceUnavailable:
		return "服务器暂时繁忙 · Try again shortly"
	}
	if status >= 500 {
		return "服务器出错 · Server error"
	}
	return "请求有误 · Bad request"
}

func fromFiber(fe *fiber.Error) error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return ballots.Errorf(ballots.ENotFound, "没有这个页面或接口 (not found)")
	case fiber.StatusMethodNotAllowed:
		return ballots.Errorf("method_not_allowed", "不支持这种请求方法 (method not allowed)")
	case fiber.StatusRequestEntityTooLarge:
		return ballots.Errorf(ballots.ETooLarge, "请求体超过 1 MiB，请拆分后分批提交 (request body over 1 MiB)")
	case fiber.StatusUnsupportedMediaType:
		return ballots.Errorf("unsupported_media", "请以 application/json 提交 (send application/json)")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return ballots.Errorf(ballots.EInvalid, "请求无效：%s (bad request)", fe.Message)
	}
	return fmt.Errorf("fiber: %w", fe)
}
