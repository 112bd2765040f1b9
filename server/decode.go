package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// decode reads the JSON body into v, rejecting unknown fields and trailing
// data, with a message that says what to fix. A body sent as anything but
// JSON is unsupported_media (415), see requireJSON.
func decode(c *fiber.Ctx, v any) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	body := c.Body()
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ballots.Errorf(ballots.EInvalid, "请求体为空，应为 JSON (empty body: send JSON)")
	}
	// null would decode into an empty value and, on a PUT, replace what is
	// stored with nothing.
	if string(trimmed) == "null" {
		return ballots.Errorf(ballots.EInvalid, "请求体不能为 null (the body must not be null)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, body)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ballots.Errorf(ballots.EInvalid, "JSON 之后还有多余内容 (trailing data after the JSON value)")
	}
	return nil
}

// requireJSON refuses a request body whose Content-Type is not JSON
// (application/json, or a type ending in +json, parameters such as charset
// allowed): a form post or a text/plain body that a browser may send to
// another site without asking is not read as JSON. An empty body needs no
// type. Endpoints that read files take multipart and do not call it.
func requireJSON(c *fiber.Ctx) error {
	if len(c.Body()) == 0 {
		return nil
	}
	ct := c.Get(fiber.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	got := fmt.Sprintf("收到的是 %q (got %q)", ct, ct)
	if ct == "" {
		got = "没有注明 Content-Type (none given)"
	}
	return &ballots.Error{Code: "unsupported_media", Message: "请求体须为 JSON，请注明 Content-Type: application/json (send the body as Content-Type: application/json)",
		Details: []ballots.Detail{{Field: "Content-Type", Message: got}}}
}

func jsonError(err error, body []byte) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line := 1 + bytes.Count(body[:min(int(syn.Offset), len(body))], []byte("\n"))
		return ballots.Errorf(ballots.EInvalid, "JSON 格式错误（第 %d 行，第 %d 个字节附近）：%s (malformed JSON)", line, syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "（整体）"
		}
		return &ballots.Error{Code: ballots.EInvalid,
			Message: fmt.Sprintf("字段 %s 的类型不对：应为 %s，而不是 %s (wrong type)", field, jsonType(typ.Type.Kind().String()), typ.Value),
			Details: []ballots.Detail{{Field: typ.Field, Message: fmt.Sprintf("应为 %s (expected %s)", jsonType(typ.Type.Kind().String()), typ.Type.Kind())}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ballots.Errorf(ballots.EInvalid, "JSON 不完整 (truncated JSON)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &ballots.Error{Code: ballots.EInvalid, Message: fmt.Sprintf("未知字段 %q，请检查拼写 (unknown field)", f),
			Details: []ballots.Detail{{Field: f, Message: "未知字段 (unknown field)"}}}
	}
	return ballots.Errorf(ballots.EInvalid, "无法解析 JSON：%v (malformed JSON)", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "文本 string"
	case "int", "int64", "float64", "int32", "uint", "uint64":
		return "数字 number"
	case "bool":
		return "布尔值 true/false"
	case "slice", "array":
		return "列表 array"
	case "map", "struct", "ptr":
		return "对象 object"
	}
	return kind
}
