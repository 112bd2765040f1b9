package scoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// randomInput builds a valid input: random rules (target weight, floor,
// trim, group weights, bonus cap, min group ballots), towns and departments
// with random targets, adjustments, vetoes and ballots on grade and score
// scales.
func randomInput(rng *rand.Rand) Input {
	r := DefaultRules()
	r.CompletionFloor = float64(rng.Intn(101)) / 100
	r.Trim = rng.Intn(3)
	r.MinGroupBallots = 1 + rng.Intn(4)
	if rng.Intn(2) == 0 {
		r.BonusCap = f64(float64(rng.Intn(6)))
	}
	if rng.Intn(2) == 0 {
		r.GroupWeights = map[string]map[string]float64{
			Democratic: {"a": rng.Float64(), "b": rng.Float64()},
			Mutual:     {"a": 1, "c": float64(rng.Intn(2))},
		}
	}
	if rng.Intn(4) == 0 {
		delete(r.Components, Social)
	}
	// Scale the components; the target weight makes up the rest of 100.
	scale := []float64{0.5, 1, 1.5}[rng.Intn(3)]
	var sum float64
	for c, p := range r.Components {
		r.Components[c] = p * scale
		sum += p * scale
	}
	r.TargetWeight = (100 - sum) / 100
	in := Input{Rules: r}
	n := 1 + rng.Intn(8)
	for i := range n {
		kind := []string{Town, Department}[rng.Intn(2)]
		code := fmt.Sprintf("U%02d", i)
		in.Units = append(in.Units, Unit{Code: code, Name: code, Kind: kind})
		if rng.Intn(10) > 0 {
			in.Targets = append(in.Targets, randomTarget(rng, code, r.Categories[kind]))
		}
		for c := range r.Components {
			if rng.Intn(5) == 0 {
				continue
			}
			for range 1 + rng.Intn(3) {
				in.Evaluations = append(in.Evaluations, randomEvaluation(rng, code, c))
			}
		}
	}
	return in
}

func randomTarget(rng *rand.Rand, unit string, cats map[string]float64) Target {
	t := Target{Unit: unit, Veto: rng.Intn(10) == 0}
	for _, c := range sortedKeys(cats) {
		left := cats[c]
		parts := 1 + rng.Intn(3)
		for k := range parts {
			p := left
			if k < parts-1 {
				p = float64(rng.Intn(int(left) + 1))
			}
			left -= p
			ind := Indicator{Category: c, Name: fmt.Sprintf("%s-%d", c, k), Points: p}
			switch rng.Intn(7) {
			case 0:
				ind.MajorLoss = true
			case 1, 2, 3:
				ind.Completion = f64(float64(rng.Intn(151)) / 100)
			default:
				ind.Score = f64(float64(rng.Intn(1001)) / 10)
			}
			t.Indicators = append(t.Indicators, ind)
		}
	}
	for range rng.Intn(4) {
		t.Adjustments = append(t.Adjustments, Adjustment{Points: float64(rng.Intn(101)-50) / 10})
	}
	return t
}

func randomEvaluation(rng *rand.Rand, unit, component string) Evaluation {
	group := []string{"a", "b", "c", ""}[rng.Intn(4)]
	if rng.Intn(2) == 0 {
		counts := map[string]int64{}
		for _, o := range fourGrades.Options {
			if k := rng.Intn(7); k > 0 || rng.Intn(2) == 0 {
				counts[o.Label] = int64(k)
			}
		}
		return gradeEval(unit, component, group, counts)
	}
	lo := float64(rng.Intn(3) * 10)
	var scores []float64
	for range rng.Intn(9) {
		scores = append(scores, lo+float64(rng.Intn(int(100-lo)+1)))
	}
	return scoreEval(unit, component, group, lo, 100, scores...)
}

// checkTable checks what holds of every table: parts within their bounds,
// the total their sum, ranks and grades by the rules.
func checkTable(t testing.TB, in Input, table Table) {
	t.Helper()
	r := in.Rules
	if len(table.Units) != len(in.Units) {
		t.Fatalf("%d rows for %d units", len(table.Units), len(in.Units))
	}
	const tol = 1e-9
	negatives := map[string]float64{}
	for _, tg := range in.Targets {
		for _, a := range tg.Adjustments {
			if a.Points < 0 {
				negatives[tg.Unit] += a.Points
			}
		}
	}
	for _, row := range table.Units {
		if row.Target.Score < -tol || row.Target.Score > 100+tol {
			t.Errorf("%s: T = %v outside 0–100", row.Unit, row.Target.Score)
		}
		for c, v := range row.Target.Categories {
			if p := r.Categories[row.Kind][c]; v < -tol || v > p+tol {
				t.Errorf("%s: category %s = %v outside 0–%v", row.Unit, c, v, p)
			}
		}
		if !near(row.Target.Weighted, r.TargetWeight*row.Target.Score) {
			t.Errorf("%s: weighted %v", row.Unit, row.Target.Weighted)
		}
		for c, v := range row.Evaluation.Components {
			if p := r.Components[c]; v < -tol || v > p+tol {
				t.Errorf("%s: component %s = %v outside 0–%v", row.Unit, c, v, p)
			}
		}
		if e := row.Evaluation.Total; e < -tol || e > r.evaluationPoints()+tol {
			t.Errorf("%s: E = %v outside 0–%v", row.Unit, e, r.evaluationPoints())
		}
		if r.BonusCap != nil && row.Adjustments > *r.BonusCap+negatives[row.Unit]+tol {
			t.Errorf("%s: adjustments %v above cap %v", row.Unit, row.Adjustments, *r.BonusCap)
		}
		if row.Adjustments < negatives[row.Unit]-tol {
			t.Errorf("%s: adjustments %v below the penalties %v", row.Unit, row.Adjustments, negatives[row.Unit])
		}
		if !near(row.Total, row.Target.Weighted+row.Evaluation.Total+row.Adjustments) {
			t.Errorf("%s: total %v ≠ parts", row.Unit, row.Total)
		}
		if base := row.Total - row.Adjustments; base < -tol || base > 100+tol {
			t.Errorf("%s: total without adjustments %v outside 0–100", row.Unit, base)
		}
		if row.Warnings == nil {
			t.Errorf("%s: nil warnings", row.Unit)
		}
	}

	gradeIndex := func(name string) int {
		return slices.IndexFunc(r.Grades, func(g Grade) bool { return g.Name == name })
	}
	lowest := len(r.Grades) - 1
	byKind := map[string][]Row{}
	for _, row := range table.Units {
		byKind[row.Kind] = append(byKind[row.Kind], row)
	}
	for kind, rows := range byKind {
		for i, a := range rows {
			better := 0
			for _, b := range rows {
				if Round2(b.Total) > Round2(a.Total) {
					better++
				}
			}
			if a.Rank != better+1 {
				t.Errorf("%s %s: rank %d, %d units score better", kind, a.Unit, a.Rank, better)
			}
			if i > 0 && rows[i-1].Rank > a.Rank {
				t.Errorf("%s: rows out of rank order", kind)
			}
			g := gradeIndex(a.Grade)
			if g < 0 {
				t.Fatalf("%s: unknown grade %q", a.Unit, a.Grade)
			}
			if a.Veto {
				if g != lowest {
					t.Errorf("%s vetoed but graded %s", a.Unit, a.Grade)
				}
				continue
			}
			if m := r.Grades[g].Min; m != nil && Round2(a.Total) < *m {
				t.Errorf("%s: %s below %s's min %v", a.Unit, num(a.Total), a.Grade, *m)
			}
			for _, b := range rows {
				if b.Veto {
					continue
				}
				if gb := gradeIndex(b.Grade); (b.Rank == a.Rank && gb != g) || (b.Rank > a.Rank && gb < g) {
					t.Errorf("%s (rank %d, %s) and %s (rank %d, %s)", a.Unit, a.Rank, a.Grade, b.Unit, b.Rank, b.Grade)
				}
			}
		}
		// A quota may be overfilled only by the last tie to get the grade.
		for gi, grade := range r.Grades {
			if grade.MaxShare == nil {
				continue
			}
			quota := int(*grade.MaxShare*float64(len(rows)) + 0.5 + 1e-9)
			lastRank, before := 0, 0
			for _, row := range rows {
				if !row.Veto && gradeIndex(row.Grade) == gi {
					lastRank = row.Rank
				}
			}
			for _, row := range rows {
				if !row.Veto && gradeIndex(row.Grade) == gi && row.Rank < lastRank {
					before++
				}
			}
			if lastRank > 0 && before >= quota {
				t.Errorf("%s: grade %s over its quota %d", kind, grade.Name, quota)
			}
		}
	}
}

func evaluationOf(table Table, unit string) float64 {
	for _, r := range table.Units {
		if r.Unit == unit {
			return r.Evaluation.Total
		}
	}
	return -1
}

func TestPropertyBounds(t *testing.T) {
	rng := rand.New(rand.NewSource(20201))
	for i := range 500 {
		in := randomInput(rng)
		table, err := Compute(in)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkTable(t, in, table)

		// The JSON file shape reproduces the same table.
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseInput(data)
		if err != nil {
			t.Fatalf("case %d: ParseInput of marshalled input: %v\n%s", i, err, data)
		}
		again := mustCompute(t, back)
		if !reflect.DeepEqual(table, again) {
			t.Fatalf("case %d: table differs after a JSON round trip", i)
		}
		if _, err := json.Marshal(table); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			t.Fatalf("case %d failed: %s", i, data)
		}
	}
}

// TestPropertyBetterVote: turning one ballot into a better one never lowers
// the unit's evaluation, whatever the rules (trim, group weights, pooling
// fallback): the ballot counts stay the same, and every index is monotone
// in each ballot.
func TestPropertyBetterVote(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	checked := 0
	for i := range 1000 {
		in := randomInput(rng)
		before := mustCompute(t, in)
		k := rng.Intn(len(in.Evaluations) + 1)
		if k == len(in.Evaluations) {
			continue
		}
		e := in.Evaluations[k]
		better := e
		switch e.Scale.Type {
		case ScaleGrade:
			var from []string
			for _, o := range e.Scale.Options[1:] {
				if e.Counts[o.Label] > 0 {
					from = append(from, o.Label)
				}
			}
			if len(from) == 0 {
				continue
			}
			worse := from[rng.Intn(len(from))]
			better.Counts = map[string]int64{}
			for l, n := range e.Counts {
				better.Counts[l] = n
			}
			better.Counts[worse]--
			up := e.Scale.Options[rng.Intn(slices.IndexFunc(e.Scale.Options, func(o Option) bool { return o.Label == worse }))]
			better.Counts[up.Label]++
		case ScaleScore:
			if len(e.Scores) == 0 {
				continue
			}
			j := rng.Intn(len(e.Scores))
			better.Scores = slices.Clone(e.Scores)
			better.Scores[j] += float64(rng.Intn(int(*e.Scale.Max-e.Scores[j]) + 1))
		}
		in.Evaluations = slices.Clone(in.Evaluations)
		in.Evaluations[k] = better
		after := mustCompute(t, in)
		if a, b := evaluationOf(after, e.Unit), evaluationOf(before, e.Unit); a < b-1e-9 {
			t.Fatalf("case %d: a better vote for %s lowered E from %v to %v (%+v → %+v)", i, e.Unit, b, a, e, better)
		}
		checked++
	}
	if checked < 300 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// TestPropertyAddedTopVote: with pooled components and no trim, adding a
// ballot with the best value never lowers the evaluation, even when it
// brings in a component that had no ballots.
//
// (With trim or group weights the rules themselves allow it: a new ballot
// can cross the 2·trim+3 threshold, or lift a group to min_group_ballots and
// so switch a component from pooling to weighting.)
func TestPropertyAddedTopVote(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for i := range 500 {
		in := randomInput(rng)
		in.Rules.Trim = 0
		in.Rules.GroupWeights = nil
		before := mustCompute(t, in)
		u := in.Units[rng.Intn(len(in.Units))].Code
		c := componentOrder[rng.Intn(len(componentOrder))]
		if _, ok := in.Rules.Components[c]; !ok {
			continue
		}
		top := gradeEval(u, c, "x", map[string]int64{"好": 1})
		if rng.Intn(2) == 0 {
			top = scoreEval(u, c, "x", 0, 100, 100)
		}
		in.Evaluations = append(slices.Clone(in.Evaluations), top)
		after := mustCompute(t, in)
		if a, b := evaluationOf(after, u), evaluationOf(before, u); a < b-1e-9 {
			t.Fatalf("case %d: a top vote for %s %s lowered E from %v to %v", i, u, c, b, a)
		}
	}
}

func FuzzParseAndCompute(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input it finds, which
	// takes long on big ones.
	f.Add([]byte(`{"units":[{"code":"T1","kind":"town"}],"targets":[{"unit":"T1","indicators":[` +
		`{"category":"economic","points":35,"completion":0.95},{"category":"social","points":15,"score":90},` +
		`{"category":"environment","points":15,"completion":0.6},{"category":"stability","points":20,"major_loss":true},` +
		`{"category":"team","points":15,"score":80}],"adjustments":[{"points":1},{"points":-0.3}]}],"evaluations":[` +
		`{"unit":"T1","component":"conference","group":"g","scale":{"type":"grade","options":[{"label":"A","value":1},{"label":"B","value":0.6}]},"counts":{"A":3,"B":1}},` +
		`{"unit":"T1","component":"mutual","scale":{"type":"score","min":0,"max":100},"scores":[80,90]}]}`))
	f.Add([]byte(`{"rules":{"trim":2,"bonus_cap":1,"group_weights":{"democratic":{"a":1}}},"units":[{"code":"T01","kind":"town"}],` +
		`"evaluations":[{"unit":"T01","component":"democratic","group":"a","scale":{"type":"score","min":0,"max":10},"counts":{"5":3,"10":2}}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"rules":null,"units":[{"code":"D1","kind":"department"}],"targets":[{"unit":"D1","indicators":[{"category":"work","points":70,"major_loss":true},{"category":"team","points":30,"score":50}],"veto":true}]}`))
	f.Add([]byte(`{"rules":{"grades":[{"name":"A","min":50,"max_share":0.5},{"name":"B"}]},"units":[{"code":"D1","kind":"department"},{"code":"D2","kind":"department"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseInput(data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseInput error %T %v is not an *InputError", err, err)
			}
			if ie.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		table, err := Compute(in)
		if err != nil {
			t.Fatalf("Compute failed after ParseInput succeeded: %v", err)
		}
		if _, err := json.Marshal(table); err != nil {
			t.Fatalf("marshal table: %v", err)
		}
		checkTable(t, in, table)
	})
}
