package scoring

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Table is the score table: one Row per unit, towns first, then
// departments, then any other kind in alphabetical order; within a kind by
// rank, equal ranks in input order.
type Table struct {
	Units []Row `json:"units"`
}

// Row is one unit's line of the score table. Its fields hold unrounded
// values; its JSON rounds them (see Row.MarshalJSON).
type Row struct {
	Unit       string          `json:"unit"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Target     TargetScore     `json:"target"`
	Evaluation EvaluationScore `json:"evaluation"`
	// Adjustments is the sum of the unit's adjustments, positive ones capped
	// at Rules.BonusCap.
	Adjustments float64 `json:"adjustments"`
	// Total = target_weight × Target.Score + Evaluation.Total + Adjustments.
	Total float64 `json:"total"`
	// Rank within the kind by Round2(Total), descending; equal totals share
	// a rank (1, 1, 3).
	Rank  int    `json:"rank"`
	Grade string `json:"grade"`
	// Veto is the target's veto (一票否决); it is not in the JSON row, whose
	// warnings say it.
	Veto bool `json:"-"`
	// Warnings are Chinese-first notes a person should read: no targets, a
	// missing component, a fallback to pooling, a capped bonus, a veto.
	// Never nil.
	Warnings []string `json:"warnings"`
	// Trace lists, per evaluation component that had ballots, the inputs of
	// its number.
	Trace []ComponentTrace `json:"trace,omitempty"`
}

// TargetScore is the target-task part of a row.
type TargetScore struct {
	// Score is T = Σ points × factor, 0–100.
	Score float64 `json:"score"`
	// Weighted is target_weight × Score.
	Weighted float64 `json:"weighted"`
	// Categories holds every category of the unit's kind with its points
	// earned (0 when the unit has no targets).
	Categories map[string]float64 `json:"categories"`
}

// EvaluationScore is the evaluation (各方面评价) part of a row.
type EvaluationScore struct {
	// Components holds each component that had ballots: its points × I.
	Components map[string]float64 `json:"components"`
	// Total is E = Σ present components × evaluation points / Σ their
	// points, where evaluation points = 100 × (1 − target_weight).
	Total float64 `json:"total"`
}

// ComponentTrace says where one component's number comes from.
type ComponentTrace struct {
	Component string `json:"component"`
	// Points is the component's full points from the rules.
	Points float64 `json:"points"`
	// Index is I ∈ [0,1]; Score = Points × Index.
	Index float64 `json:"index"`
	Score float64 `json:"score"`
	// Ballots counts all ballots of the component, before trimming.
	Ballots int64 `json:"ballots"`
	// Pooled is true when I is the mean over all ballots, false when it is
	// the weighted mean of the groups' indices.
	Pooled bool `json:"pooled"`
	// Trimmed counts the scores dropped by the trim rule.
	Trimmed int64 `json:"trimmed,omitempty"`
	// Meetings lists the evaluations' meetings, where given.
	Meetings []string     `json:"meetings,omitempty"`
	Groups   []GroupTrace `json:"groups"`
}

// GroupTrace is one voter group's part in a component. Weight and Index are
// set only when the component is weighted (not pooled): a pooled component
// shows no group's own index, so that a small group's mean cannot be read.
type GroupTrace struct {
	Group   string   `json:"group"`
	Ballots int64    `json:"ballots"`
	Weight  *float64 `json:"weight,omitempty"`
	Index   *float64 `json:"index,omitempty"`
	Trimmed int64    `json:"trimmed,omitempty"`
}

// Compute validates in (see Input.Validate) and computes the score table by
// DESIGN.md's "Scoring rules". It returns an *InputError for invalid input
// and no other error. It does not modify in.
func Compute(in Input) (Table, error) {
	if err := in.Validate(); err != nil {
		return Table{}, err
	}
	r := in.Rules
	rows := make([]Row, len(in.Units))
	index := make(map[string]int, len(in.Units))
	for i, u := range in.Units {
		rows[i] = Row{Unit: u.Code, Name: u.Name, Kind: u.Kind, Warnings: []string{}}
		index[u.Code] = i
	}
	targets := make([]*Target, len(rows))
	for i := range in.Targets {
		targets[index[in.Targets[i].Unit]] = &in.Targets[i]
	}
	tallies := collect(in, index)
	for i := range rows {
		row := &rows[i]
		t := targets[i]
		scoreTarget(row, r, t)
		scoreEvaluation(row, r, tallies[i])
		if t != nil {
			adjust(row, r, t)
		}
		row.Total = row.Target.Weighted + row.Evaluation.Total + row.Adjustments
		if t != nil && t.Veto {
			row.Veto = true
			row.Warnings = append(row.Warnings, fmt.Sprintf("一票否决：等次定为%s，不占名额 (vetoed: the lowest grade, outside the quota)", r.Grades[len(r.Grades)-1].Name))
		}
	}
	return Table{Units: rankAndGrade(rows, r)}, nil
}

// factor is an indicator's share of its points.
func factor(ind Indicator, floor float64) float64 {
	f, _ := Factor(ind, floor)
	return f
}

func scoreTarget(row *Row, r Rules, t *Target) {
	cats := r.Categories[row.Kind]
	earned := make(map[string]float64, len(cats))
	for c := range cats {
		earned[c] = 0
	}
	if t == nil {
		row.Warnings = append(row.Warnings, noTargetsWarning)
	} else {
		pending := 0
		for _, ind := range t.Indicators {
			earned[ind.Category] += ind.Points * factor(ind, r.CompletionFloor)
			if ind.Pending {
				pending++
			}
		}
		if pending > 0 {
			row.Warnings = append(row.Warnings, pendingWarning(pending))
		}
	}
	score := 0.0
	for _, c := range ordered(cats, categoryOrder) {
		score += earned[c]
	}
	row.Target = TargetScore{Score: score, Weighted: r.TargetWeight * score, Categories: earned}
}

func adjust(row *Row, r Rules, t *Target) {
	bonus, penalty := 0.0, 0.0
	for _, a := range t.Adjustments {
		if a.Points > 0 {
			bonus += a.Points
		} else {
			penalty += a.Points
		}
	}
	if r.BonusCap != nil && bonus > *r.BonusCap {
		row.Warnings = append(row.Warnings, fmt.Sprintf("加分合计 %s 分，超过加分上限 %s 分，按 %s 分计 (bonuses of %s exceed the cap of %s: counted as %s)",
			num(bonus), num(*r.BonusCap), num(*r.BonusCap), num(bonus), num(*r.BonusCap), num(*r.BonusCap)))
		bonus = *r.BonusCap
	}
	row.Adjustments = bonus + penalty
}

// pool holds ballots whose mean is an index: grade ballots as the sum of
// their option values, score ballots as a histogram of scores normalized
// to [0,1] (kept whole so that trimming can drop the extremes).
type pool struct {
	ballots  int64
	gradeSum float64
	gradeN   int64
	scores   map[float64]int64
}

func (p *pool) addScore(x float64, n int64) {
	if n == 0 {
		return
	}
	if p.scores == nil {
		p.scores = map[float64]int64{}
	}
	p.scores[x] += n
	p.ballots += n
}

func (p *pool) add(q *pool) {
	p.ballots += q.ballots - q.scoreCount()
	p.gradeSum += q.gradeSum
	p.gradeN += q.gradeN
	for _, x := range sortedFloatKeys(q.scores) {
		p.addScore(x, q.scores[x])
	}
}

func (p *pool) scoreCount() int64 {
	var n int64
	for _, c := range p.scores {
		n += c
	}
	return n
}

// index returns the mean value of the pool's ballots and how many scores the
// trim rule dropped: the trim highest and trim lowest scores, when there are
// at least 2·trim+3 scores.
func (p *pool) index(trim int) (float64, int64) {
	xs := sortedFloatKeys(p.scores)
	n := p.scoreCount()
	var dropped int64
	kept := make(map[float64]int64, len(xs))
	for _, x := range xs {
		kept[x] = p.scores[x]
	}
	// (n-3)/2 >= trim is n >= 2·trim+3 without overflow for a huge trim.
	if t := int64(trim); t > 0 && n >= 3 && (n-3)/2 >= t {
		dropFrom := func(order []float64) {
			left := t
			for _, x := range order {
				d := min(left, kept[x])
				kept[x] -= d
				left -= d
				if left == 0 {
					return
				}
			}
		}
		dropFrom(xs)
		dropFrom(reversed(xs))
		dropped = 2 * t
	}
	sum, count := p.gradeSum, p.gradeN
	for _, x := range xs {
		sum += x * float64(kept[x])
		count += kept[x]
	}
	if count == 0 {
		return 0, dropped
	}
	return min(max(sum/float64(count), 0), 1), dropped
}

// unitTally is one unit's ballots: component → group → pool, and the
// meetings per component.
type unitTally struct {
	groups   map[string]map[string]*pool
	meetings map[string][]string
	// names labels the groups for warnings: 城关镇工作报告大会的“机关干部”.
	names map[string]string
}

func collect(in Input, index map[string]int) []unitTally {
	tallies := make([]unitTally, len(in.Units))
	for _, e := range in.Evaluations {
		ut := &tallies[index[e.Unit]]
		if ut.groups == nil {
			ut.groups = map[string]map[string]*pool{}
			ut.meetings = map[string][]string{}
			ut.names = map[string]string{}
		}
		if e.GroupName != "" {
			label := "“" + e.GroupName + "”"
			if e.MeetingTitle != "" {
				label = e.MeetingTitle + "的" + label
			}
			if old, ok := ut.names[e.Group]; !ok {
				ut.names[e.Group] = label
			} else if old != label {
				ut.names[e.Group] = "“" + e.GroupName + "”" // several meetings
			}
		}
		byGroup := ut.groups[e.Component]
		if byGroup == nil {
			byGroup = map[string]*pool{}
			ut.groups[e.Component] = byGroup
		}
		p := byGroup[e.Group]
		if p == nil {
			p = &pool{}
			byGroup[e.Group] = p
		}
		if e.Meeting != "" && !slices.Contains(ut.meetings[e.Component], e.Meeting) {
			ut.meetings[e.Component] = append(ut.meetings[e.Component], e.Meeting)
		}
		p.addEvaluation(e)
	}
	return tallies
}

// addEvaluation adds one evaluation's answers to the pool. Its ballots are
// e.Ballots when given: a section rating several dimensions gives one
// answer per dimension, and a group of one voter must not pass for five.
func (p *pool) addEvaluation(e Evaluation) {
	before := p.ballots
	switch e.Scale.Type {
	case ScaleGrade:
		for _, o := range e.Scale.Options {
			n := e.Counts[o.Label]
			p.gradeSum += float64(n) * o.Value
			p.gradeN += n
			p.ballots += n
		}
	case ScaleScore:
		lo, hi := *e.Scale.Min, *e.Scale.Max
		norm := func(s float64) float64 { return min(max((s-lo)/(hi-lo), 0), 1) }
		for _, s := range e.Scores {
			p.addScore(norm(s), 1)
		}
		for _, label := range sortedKeys(e.Counts) {
			s, _ := strconv.ParseFloat(label, 64) // validated
			p.addScore(norm(s), e.Counts[label])
		}
	}
	if e.Ballots > 0 {
		p.ballots = before + e.Ballots
	}
}

func scoreEvaluation(row *Row, r Rules, ut unitTally) {
	row.Evaluation.Components = map[string]float64{}
	var earned, possible float64
	for _, c := range ordered(r.Components, componentOrder) {
		points := r.Components[c]
		byGroup := ut.groups[c]
		var ballots int64
		for _, p := range byGroup {
			ballots += p.ballots
		}
		if ballots == 0 {
			row.Warnings = append(row.Warnings, missingWarning(c))
			continue
		}
		if ballots < int64(r.MinGroupBallots) {
			row.Warnings = append(row.Warnings, fewBallotsWarning(c, ballots, r.MinGroupBallots))
		}
		tr := componentIndex(row, r, c, byGroup, ut.names)
		tr.Points = points
		tr.Score = points * tr.Index
		tr.Ballots = ballots
		tr.Meetings = ut.meetings[c]
		row.Evaluation.Components[c] = tr.Score
		row.Trace = append(row.Trace, tr)
		earned += tr.Score
		possible += points
	}
	if possible > 0 {
		row.Evaluation.Total = r.evaluationPoints() * earned / possible
	}
}

// componentIndex computes I for one component of one unit: the weighted
// mean of the groups' indices when the rules weigh the component's groups,
// every group that voted has at least min_group_ballots ballots and some
// weight is positive; otherwise the mean over all ballots.
func componentIndex(row *Row, r Rules, c string, byGroup map[string]*pool, groupNames map[string]string) ComponentTrace {
	var names []string
	for _, g := range sortedKeys(byGroup) {
		if byGroup[g].ballots > 0 {
			names = append(names, g)
		}
	}
	tr := ComponentTrace{Component: c, Pooled: true}
	for _, g := range names {
		tr.Groups = append(tr.Groups, GroupTrace{Group: g, Ballots: byGroup[g].ballots})
	}
	weights := r.GroupWeights[c]
	weighted := len(weights) > 0
	if weighted {
		for _, g := range names {
			if n := byGroup[g].ballots; n < int64(r.MinGroupBallots) {
				row.Warnings = append(row.Warnings, fmt.Sprintf("%s：%s只有 %d 票，少于 %d 票，各类别改为合并计算 (%s: %s has only %d ballots, under %d: the groups are pooled)",
					componentLabel(c), groupLabel(g, groupNames), n, r.MinGroupBallots, componentEnglish(c), groupEnglish(g), n, r.MinGroupBallots))
				weighted = false
				break
			}
		}
	}
	if weighted {
		wsum := 0.0
		for _, g := range names {
			wsum += weights[g]
		}
		if wsum <= 0 {
			row.Warnings = append(row.Warnings, fmt.Sprintf("%s：参评类别都没有设置权重，各类别改为合并计算 (%s: no voting group has a weight: the groups are pooled)", componentLabel(c), componentEnglish(c)))
			weighted = false
		} else {
			sum := 0.0
			for i, g := range names {
				w := weights[g]
				ig, dropped := byGroup[g].index(r.Trim)
				sum += w * ig
				tr.Groups[i].Weight = ptr(w)
				tr.Groups[i].Index = ptr(ig)
				tr.Groups[i].Trimmed = dropped
				tr.Trimmed += dropped
			}
			tr.Pooled = false
			tr.Index = min(max(sum/wsum, 0), 1)
			return tr
		}
	}
	all := &pool{}
	for _, g := range names {
		all.add(byGroup[g])
	}
	tr.Index, tr.Trimmed = all.index(r.Trim)
	return tr
}

// Warnings are written "中文说明 (English)", as the server's messages are:
// the Chinese names the component, the voter group and the meeting as the
// office knows them, never by code.

// noTargetsWarning is the warning of a unit without targets.
const noTargetsWarning = "还没有目标任务得分，目标任务得分暂记 0 分 (no target scores yet: counted as 0)"

// missingWarning is the warning of a component without ballots.
// fewBallotsWarning marks a component whose points rest on fewer ballots
// than the small-group rule allows: the points stay (the rules need them),
// but they are close to individual ratings.
func fewBallotsWarning(c string, n int64, min int) string {
	return fmt.Sprintf("“%s”只依据 %d 张选票（少于 %d 张），据此得分可推算个人的评价，请谨慎公开 (%s rests on %d ballots, fewer than %d: its points come close to individual ratings)",
		componentLabel(c), n, min, componentEnglish(c), n, min)
}

// UnpublishedWarning marks a component whose points include n ballots (1
// to k−1) that no published result shows: the points minus the published
// results would reveal them.
func UnpublishedWarning(c string, n int64) string {
	return fmt.Sprintf("“%s”的得分中有 %d 张选票所在的测评表因票数太少未公布，用得分减去已公布的结果可推算这 %d 张选票，请谨慎公开 (%s includes %d ballots of tables withheld for too few ballots: the points minus the published results would reveal them)",
		componentLabel(c), n, n, componentEnglish(c), n)
}

func missingWarning(c string) string {
	return fmt.Sprintf("还没有“%s”的选票，各方面评价按已有评价项折算 (no %s ballots yet: the evaluation is rescaled from the components present)",
		componentLabel(c), componentEnglish(c))
}

// componentLabel is a component's Chinese name.
func componentLabel(c string) string {
	if name, ok := componentNames[c]; ok {
		return name
	}
	return c
}

// componentEnglish is a component's English name.
func componentEnglish(c string) string {
	if name, ok := componentNamesEN[c]; ok {
		return name
	}
	return c
}

var componentNamesEN = map[string]string{
	Conference: "county leaders' conference", Mutual: "mutual rating", Group: "assessment group",
	Democratic: "democratic rating", Social: "public rating",
}

// groupLabel names a voter group in Chinese: by its name (and its
// meeting's title) where the evaluations gave them, else by its code.
func groupLabel(g string, names map[string]string) string {
	if n, ok := names[g]; ok {
		return n
	}
	if g == "" {
		return "未分组的选票"
	}
	return "参评类别“" + g + "”"
}

// groupEnglish names a voter group in the English half of a warning, which
// holds no Chinese (so that it can be told from the Chinese): by its code.
func groupEnglish(g string) string {
	if g == "" {
		return "the ungrouped ballots"
	}
	return "voter group " + g
}

// rankAndGrade ranks and grades the rows within each kind and returns them
// in table order.
func rankAndGrade(rows []Row, r Rules) []Row {
	byKind := map[string][]int{}
	for i := range rows {
		byKind[rows[i].Kind] = append(byKind[rows[i].Kind], i)
	}
	out := make([]Row, 0, len(rows))
	lowest := len(r.Grades) - 1
	for _, kind := range ordered(byKind, kindOrder) {
		ids := byKind[kind]
		slices.SortStableFunc(ids, func(a, b int) int {
			ta, tb := Round2(rows[a].Total), Round2(rows[b].Total)
			switch {
			case ta > tb:
				return -1
			case ta < tb:
				return 1
			}
			return 0
		})
		quota := make([]int, len(r.Grades))
		for g, grade := range r.Grades {
			quota[g] = -1 // no quota
			if grade.MaxShare != nil {
				// The small epsilon keeps 0.3 × 5 + 0.5 = 1.9999999999999998
				// from flooring to 1.
				quota[g] = int(math.Floor(*grade.MaxShare*float64(len(ids)) + 0.5 + 1e-9))
			}
		}
		used := make([]int, len(r.Grades))
		for start := 0; start < len(ids); {
			total := Round2(rows[ids[start]].Total)
			end := start + 1
			for end < len(ids) && Round2(rows[ids[end]].Total) == total {
				end++
			}
			tied := ids[start:end]
			g := lowest
			for gi, grade := range r.Grades {
				if grade.Min != nil && total < *grade.Min {
					continue
				}
				if quota[gi] >= 0 && used[gi] >= quota[gi] {
					continue
				}
				g = gi
				break
			}
			for _, i := range tied {
				rows[i].Rank = start + 1
				if rows[i].Veto {
					rows[i].Grade = r.Grades[lowest].Name
					continue
				}
				rows[i].Grade = r.Grades[g].Name
				used[g]++ // equal ranks share a grade even past its quota
			}
			start = end
		}
		for _, i := range ids {
			out = append(out, rows[i])
		}
	}
	return out
}

func sortedFloatKeys(m map[float64]int64) []float64 {
	keys := make([]float64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func reversed(xs []float64) []float64 {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}
