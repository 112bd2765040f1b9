package ballots

import (
	"errors"
	"fmt"
)

// Error codes. They are the "code" of the API's error body; the server maps
// each to one HTTP status.
const (
	EInvalid       = "invalid"          // 400: malformed request
	EInvalidToken  = "invalid_token"    // 400: a slip code that fails its format or check character
	EUnauthorized  = "unauthorized"     // 401
	EForbidden     = "forbidden"        // 403
	ENotOpen       = "meeting_not_open" // 403: voting has not started
	EClosed        = "meeting_closed"   // 403: voting has ended
	ENotFound      = "not_found"        // 404
	EConflict      = "conflict"         // 409
	ETokenUsed     = "token_used"       // 409
	EMeetingOpen   = "meeting_open"     // 409: results asked for while voting goes on
	ETokenRevoked  = "token_revoked"    // 410
	ETooLarge      = "too_large"        // 413
	EInvalidBallot = "invalid_ballot"   // 422
	ERateLimited   = "rate_limited"     // 429
	EInternal      = "internal"         // 500: never shown to the user
	EUnavailable   = "unavailable"      // 503
)

// Detail names one thing wrong with a request: for a ballot the section,
// subject and rule it broke; for setup data the field.
type Detail struct {
	Section string `json:"section,omitempty"`
	Subject string `json:"subject,omitempty"`
	Field   string `json:"field,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// Error is the error every domain operation returns for things a caller can
// act on. Message is shown to the user (Chinese first).
type Error struct {
	Code    string
	Message string
	Details []Detail
	Err     error // the cause, for the log only (e.g. the driver's error behind EUnavailable)
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil: // for the log: the cause says more than the user's message
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	case len(e.Details) == 0:
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Details[0].Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Unavailable returns an EUnavailable error (503, with Retry-After) for a
// storage failure that passes by itself: a lost connection, the database or
// Redis restarting, a deadlock. Storage adapters classify their drivers'
// errors with it, so that no such failure reaches a user as an internal
// error; cause is kept for the log.
func Unavailable(cause error) *Error {
	return &Error{Code: EUnavailable, Err: cause,
		Message: "服务器暂时忙不过来，请过几秒再试 (the server is briefly unavailable: try again in a few seconds)"}
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EInternal
// for any other error, or "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic message so that nothing of the system leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "服务器内部错误，请稍后重试 (internal error)"
}

// ErrorDetails returns the details of the first *Error in err's chain.
func ErrorDetails(err error) []Detail {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
