package scoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// InputError is the only error type the package returns for bad input: bad
// JSON, bad rules, bad units, targets, evaluations or section tallies.
// Unit is the unit (or, for section tallies, the subject) the error is
// about, or "" when it is about no unit (the rules, the JSON syntax). Field
// is the path of the offending field in the input JSON, e.g.
// "targets[0].indicators[2].completion". Message is Chinese first and names
// the English field, so Error() alone is enough for a person to fix it:
//
//	单位 T01：类别 economic 的指标分值合计 30，应为 35
type InputError struct {
	Unit    string
	Field   string
	Message string
}

// Error returns "单位 UNIT：MESSAGE", or just MESSAGE when Unit is empty.
func (e *InputError) Error() string {
	if e.Unit == "" {
		return e.Message
	}
	return "单位 " + e.Unit + "：" + e.Message
}

func inputErr(unit, field, format string, args ...any) *InputError {
	return &InputError{Unit: unit, Field: field, Message: fmt.Sprintf(format, args...)}
}

// jsonErr turns an encoding/json error into an *InputError; prefix is the
// path of the value being decoded ("" for the top level).
func jsonErr(prefix string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		return ie
	case errors.As(err, &syn):
		return inputErr("", prefix, "JSON 格式错误（第 %d 字节）：%v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := joinPath(prefix, typ.Field)
		return inputErr("", field, "字段 %s 的类型错误：应为 %s，实为 JSON %s", orTop(field), typ.Type, typ.Value)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		field := joinPath(prefix, name)
		return inputErr("", field, "未知字段 %s", field)
	}
	if errors.Is(err, errTrailing) {
		return inputErr("", prefix, "JSON 之后还有多余内容")
	}
	return inputErr("", prefix, "JSON 格式错误：%s", strings.TrimPrefix(msg, "json: "))
}

var errTrailing = errors.New("trailing data after JSON value")

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

func orTop(field string) string {
	if field == "" {
		return "（顶层）"
	}
	return field
}

// num formats a number for a message: at most 6 decimals, no trailing zeros,
// so that 33.300000000000004 reads 33.3.
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	s := strconv.FormatFloat(x, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
