package scoring

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Round2 rounds x to 2 decimals, half away from zero: the rounding of every
// output number, and of the totals that ranks and grades compare. It rounds
// the decimal value x stands for: x is first rounded to 9 decimals, so that
// 74.00499999999999, the floating-point result of a computation whose exact
// value is 74.005, rounds to 74.01.
func Round2(x float64) float64 { return round(x, 2) }

// round rounds x to places decimals (places ≤ 8), half away from zero, after
// rounding it to 9 decimals.
func round(x float64, places int) float64 {
	a := math.Abs(x)
	if !finite(x) || a >= 1e15 {
		return x
	}
	s := strconv.FormatFloat(a, 'f', 9, 64) // correctly rounded to 9 decimals
	dot := strings.IndexByte(s, '.')
	digits, next := s[:dot]+s[dot+1:dot+1+places], s[dot+1+places]
	v, _ := strconv.ParseInt(digits, 10, 64)
	if next >= '5' {
		v++
	}
	out := float64(v) / math.Pow10(places) // both exact: the quotient is the nearest double
	if x < 0 && out != 0 {
		out = -out
	}
	return out
}

// places of the numbers that are ratios: indices, weights and shares, so
// that points × index reproduces the 2-decimal points.
const ratioPlaces = 4

// rounded is an ordered JSON object of rounded numbers.
type rounded struct {
	keys   []string
	vals   map[string]float64
	places int
}

func (o rounded) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		val, err := json.Marshal(round(o.vals[k], o.places))
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes the row in DESIGN.md's score table shape:
//
//	{"unit","name","kind","target":{"score","weighted","categories"},
//	 "evaluation":{"components","total"},"adjustments","total","rank","grade","warnings","trace"}
//
// Points and totals are rounded by Round2; trace indices and weights to 4
// decimals. Categories and components come in the rules text's order.
// "trace" is left out when empty, "warnings" is [] when empty.
func (r Row) MarshalJSON() ([]byte, error) {
	type target struct {
		Score      float64 `json:"score"`
		Weighted   float64 `json:"weighted"`
		Categories rounded `json:"categories"`
	}
	type evaluation struct {
		Components rounded `json:"components"`
		Total      float64 `json:"total"`
	}
	type row struct {
		Unit        string           `json:"unit"`
		Name        string           `json:"name"`
		Kind        string           `json:"kind"`
		Target      target           `json:"target"`
		Evaluation  evaluation       `json:"evaluation"`
		Adjustments float64          `json:"adjustments"`
		Total       float64          `json:"total"`
		Rank        int              `json:"rank"`
		Grade       string           `json:"grade"`
		Warnings    []string         `json:"warnings"`
		Trace       []ComponentTrace `json:"trace,omitempty"`
	}
	out := row{
		Unit: r.Unit, Name: r.Name, Kind: r.Kind,
		Target: target{
			Score:      Round2(r.Target.Score),
			Weighted:   Round2(r.Target.Weighted),
			Categories: rounded{keys: ordered(r.Target.Categories, categoryOrder), vals: r.Target.Categories, places: 2},
		},
		Evaluation: evaluation{
			Components: rounded{keys: ordered(r.Evaluation.Components, componentOrder), vals: r.Evaluation.Components, places: 2},
			Total:      Round2(r.Evaluation.Total),
		},
		Adjustments: Round2(r.Adjustments),
		Total:       Round2(r.Total),
		Rank:        r.Rank,
		Grade:       r.Grade,
		Warnings:    r.Warnings,
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, t := range r.Trace {
		t.Points = Round2(t.Points)
		t.Score = Round2(t.Score)
		t.Index = round(t.Index, ratioPlaces)
		groups := make([]GroupTrace, len(t.Groups))
		for i, g := range t.Groups {
			if g.Weight != nil {
				g.Weight = ptr(round(*g.Weight, ratioPlaces))
			}
			if g.Index != nil {
				g.Index = ptr(round(*g.Index, ratioPlaces))
			}
			groups[i] = g
		}
		t.Groups = groups
		out.Trace = append(out.Trace, t)
	}
	return json.Marshal(out)
}
