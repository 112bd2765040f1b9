package ballots

import (
	"context"
	"encoding/json"
	"time"
)

// Roles of organizer accounts.
const (
	RoleAdmin  = "admin"
	RoleGroup  = "group"
	RoleViewer = "viewer"
)

// User is an organizer account.
type User struct {
	Name         string `json:"name"`
	Role         string `json:"role"`
	DisplayName  string `json:"display_name"` // the person's name (姓名), may be empty
	PasswordHash string `json:"-"`
	// Generation is the account's session generation. Every organizer
	// token carries the generation it was issued under and is honoured only
	// while it still matches: a new or changed password, a role change and
	// "sign out everywhere" advance it (deleting the account removes it), so
	// every token issued before stops working. A new account starts at a
	// random generation, so a token of an earlier account of the same name
	// never matches.
	Generation int64 `json:"-"`
	// Body is an assessor's body, Unit a unit account's unit (codes,
	// valid in any year that has them); empty for other roles.
	Body string `json:"body,omitempty"`
	Unit string `json:"unit,omitempty"`
}

// MeetingRecord is a meeting as stored: its fields, its ledger id and, once
// it has opened, its snapshot; once it has closed and been sealed, its seal.
type MeetingRecord struct {
	ID      int64
	Cycle   string
	Meeting Meeting
	Def     *MeetingDef // set from open on
	Cast    int64       // ballots counted so far: the ledger's sequence
	Sealed  *Sealed     // set once closed and sealed
}

// Batch is one issue of slips for a voter group.
type Batch struct {
	ID        string `json:"batch"`
	MeetingID int64  `json:"-"`
	Group     string `json:"group"`
	Count     int    `json:"count"`
	Revoked   bool   `json:"revoked,omitempty"`
	// Number is the batch's place in its meeting's issue order, from 1
	// (第 1 批), set by the Service; it is printed on the batch's slips.
	Number int `json:"number,omitempty"`
}

// BatchInfo is a batch as listed for organizers: never its codes.
type BatchInfo struct {
	Batch
	Voided   int64      `json:"voided"`
	IssuedAt *time.Time `json:"issued_at,omitempty"` // nil for batches issued before it was recorded
}

// Token states.
const (
	TokenUnused  = 0
	TokenSpent   = 1
	TokenRevoked = 2
)

// TokenInfo is what the ledger knows of a slip, looked up by its hash.
type TokenInfo struct {
	MeetingID     int64
	Group         string
	State         int
	KeyHash       string // hash of the Idempotency-Key that spent it
	MeetingStatus string
}

// Cast is one ballot on its way into the ledger.
type Cast struct {
	TokenHash string
	KeyHash   string
	MeetingID int64
	Ballot    Ballot
	JSON      []byte // Ballot.Answers as canonical JSON, made before the queue
}

// CastOutcome is what the ledger did with one Cast.
const (
	CastCounted  = iota // spent the token and stored the ballot
	CastResent          // already counted with the same key: acknowledge again
	CastUsed            // already counted with another key
	CastRevoked         // the slip was revoked
	CastNotOpen         // the meeting is not open (not yet, or no longer)
	CastNotFound        // no such slip
)

// Commit is one meeting's share of a committed transaction: the ledger's
// count of that meeting went from Start to End, and Ballots were added.
type Commit struct {
	MeetingID  int64
	Start, End int64
	Ballots    []Ballot
}

// TurnoutRow is one group's slips by state.
type TurnoutRow struct {
	Group   string
	Issued  int64 // not revoked
	Cast    int64
	Revoked int64
}

// Ledger is the SQL store of record.
type Ledger interface {
	CreateUser(ctx context.Context, u User) error
	User(ctx context.Context, name string) (User, error)
	CountUsers(ctx context.Context) (int64, error)
	// SetPassword replaces an account's password hash and advances its
	// session generation; ENotFound if there is none.
	SetPassword(ctx context.Context, name, hash string) error
	// SetRole changes an account's role and binding (the body of an
	// assessor, the unit of a unit account) and advances its session
	// generation; ENotFound if there is none.
	SetRole(ctx context.Context, name, role, body, unit string) error
	// EndSessions advances an account's session generation, ending every
	// token issued before; ENotFound if there is none.
	EndSessions(ctx context.Context, name string) error
	// SetDisplayName changes an account's 姓名; ENotFound if there is none.
	SetDisplayName(ctx context.Context, name, display string) error
	Users(ctx context.Context) ([]User, error)
	// DeleteUser removes an account; ENotFound if there is none.
	DeleteUser(ctx context.Context, name string) error

	CreateCycle(ctx context.Context, c Cycle) error
	Cycle(ctx context.Context, code string) (Cycle, error)
	Cycles(ctx context.Context) ([]Cycle, error)
	PutUnits(ctx context.Context, cycle string, units []Unit) error
	Units(ctx context.Context, cycle string) ([]Unit, error)
	PutPeople(ctx context.Context, cycle string, people []Person) error
	People(ctx context.Context, cycle string) ([]Person, error)
	// PutForm stores a form; EConflict if a meeting that uses it has opened.
	PutForm(ctx context.Context, cycle string, f Form) error
	Form(ctx context.Context, cycle, code string) (Form, error)
	Forms(ctx context.Context, cycle string) ([]Form, error)
	// DeleteForm removes a form and returns it; ENotFound if there is none,
	// EConflict naming the meetings (of any status) that use it.
	DeleteForm(ctx context.Context, cycle, code string) (Form, error)
	// PutMeeting creates or replaces a meeting that has not opened; an open
	// or closed one is EConflict. It reports whether it created one.
	PutMeeting(ctx context.Context, cycle string, m Meeting) (created bool, err error)
	Meeting(ctx context.Context, cycle, code string) (MeetingRecord, error)
	MeetingByID(ctx context.Context, id int64) (MeetingRecord, error)
	Meetings(ctx context.Context, cycle string) ([]MeetingRecord, error)
	// BatchMeeting returns the meeting a batch belongs to.
	BatchMeeting(ctx context.Context, batchID string) (MeetingRecord, error)
	OpenMeetings(ctx context.Context) ([]MeetingRecord, error)

	// CreateBatch stores a batch and its token hashes; EConflict if the
	// meeting has closed.
	CreateBatch(ctx context.Context, b Batch, hashes []string) error
	// RevokeBatch voids the batch's unused tokens and returns the batch
	// (with its meeting) and how many were voided.
	RevokeBatch(ctx context.Context, id string) (Batch, int64, error)
	// Batches lists a meeting's batches, oldest first, with how many of
	// each batch's slips a revoke voided.
	Batches(ctx context.Context, meetingID int64) ([]BatchInfo, error)
	// Turnout returns slips issued (not revoked) and revoked per group, and
	// with withCast also the ballots cast per group.
	Turnout(ctx context.Context, meetingID int64, withCast bool) ([]TurnoutRow, error)

	// OpenMeeting stores the snapshot and opens the meeting; EConflict if
	// it is not pending.
	OpenMeeting(ctx context.Context, id int64, def MeetingDef) error
	// CloseMeeting ends voting: no cast commits after it returns. It
	// returns the final count. EConflict if the meeting is not open.
	CloseMeeting(ctx context.Context, id int64) (int64, error)
	// Seal stores the sealed result of a closed meeting and deletes its
	// waiting paper ballots. Then it scrubs what storage keeps beyond the
	// rows — logs, page layouts, row versions — that could link a slip to a
	// ballot or tell the order of casting; a scrub that fails does not undo
	// the seal and is retried.
	Seal(ctx context.Context, id int64, s Sealed) error

	// PutRules stores a year's scoring rules (JSON; nil: the defaults).
	PutRules(ctx context.Context, cycle string, rules []byte) error
	Rules(ctx context.Context, cycle string) ([]byte, error)
	// PutTargets replaces a year's target-task data.
	PutTargets(ctx context.Context, cycle string, targets []UnitTargets) error
	Targets(ctx context.Context, cycle string) ([]UnitTargets, error)

	Token(ctx context.Context, hash string) (TokenInfo, error)
	// CommitCasts runs one transaction: for each cast, spend its token if
	// it is unused and its meeting open, and store its ballot. Outcomes
	// line up with casts. Token hashes in one call are distinct.
	CommitCasts(ctx context.Context, casts []Cast) ([]int, []Commit, error)
	// Ballots returns a meeting's ballots ordered by id, and its count, read
	// in one snapshot.
	Ballots(ctx context.Context, meetingID int64) ([]StoredBallot, int64, error)
}

// UnitTargets is one unit's target-task data, kept as the JSON the scoring
// package validated.
type UnitTargets struct {
	Unit string
	JSON json.RawMessage
}

// StoredBallot is a ballot row as the ledger keeps it: answers as cast, in
// canonical JSON.
type StoredBallot struct {
	ID      string
	Group   string
	Answers []byte
}

// Live is the live state in Redis: turnout, tally histograms, events and
// rate limits. Everything in it can be rebuilt from the Ledger.
//
// Turnout moves with every committed group of ballots. The tally histogram
// moves only in batches the Service has buffered until they hold at least k
// ballots of each voter group they touch, so neither polling the histogram
// nor watching the commands sent to Redis isolates a ballot; see
// livetally.go.
type Live interface {
	// Apply adds a committed group of ballots (ledger count Start→End) to
	// the live turnout: cast holds its ballots per voter group, and nothing
	// of their answers. It applies groups in ledger order even when calls
	// arrive out of order, and publishes a turnout event.
	Apply(ctx context.Context, meetingID, start, end int64, cast map[string]int64) error
	// Rebuild replaces the live turnout with a ledger snapshot taken at
	// count (ballots per voter group) unless it is already at or past it.
	Rebuild(ctx context.Context, meetingID, count int64, cast map[string]int64) error
	// Position returns the ledger count the live turnout has reached.
	Position(ctx context.Context, meetingID int64) (int64, error)
	// Turnout returns ballots cast per group and the position.
	Turnout(ctx context.Context, meetingID int64) (map[string]int64, int64, error)
	// AddTally adds a batch of buffered tally increments to the histogram,
	// all of it or nothing, and returns the histogram's mark. TallyAdded: it
	// is in (now, or by an earlier send of the same ID). TallyStale: nothing
	// was added because a claim covers part of it; drop the parts the mark
	// covers and send the rest as a new batch. TallyNotReady: the meeting
	// has no live turnout (not applied yet, Redis restarted, or dropped).
	AddTally(ctx context.Context, meetingID int64, b TallyBatch) (int, TallyMark, error)
	// ClaimTally makes the caller answerable, under the id claim, for every
	// ballot below the ledger count count that the histogram does not hold:
	// batches of committed groups ending at or below count, and parts of
	// earlier claims, are stale from now on. It returns ClaimTaken with the
	// histogram as it stands; ClaimSuperseded when a claim at a later count
	// exists; ClaimRetry when the histogram already holds ballots past count
	// (take a newer snapshot).
	ClaimTally(ctx context.Context, meetingID, count int64, claim string) (Tally, TallyMark, int, error)
	// Tally returns the histogram, the turnout position and the mark, read
	// in one snapshot.
	Tally(ctx context.Context, meetingID int64) (Tally, int64, TallyMark, error)
	// Notify publishes a turnout event for a meeting (batches, open, close).
	Notify(ctx context.Context, meetingID int64) error
	// Subscribe delivers the ids of meetings whose turnout changed, until
	// ctx ends.
	Subscribe(ctx context.Context) (<-chan int64, error)
	// Fail records a failure of kind by who and reports whether who is
	// still under limit failures per window.
	Fail(ctx context.Context, kind, who string, limit int, window time.Duration) (bool, error)
	// Blocked reports whether who has reached limit failures of kind.
	Blocked(ctx context.Context, kind, who string, limit int) (bool, error)
	// Failures returns how many failures are recorded under key and when
	// the last one was (0 and the zero time when none are).
	Failures(ctx context.Context, key string) (int64, time.Time, error)
	// AddFailure records one more failure under key, made at at, and keeps
	// the record until keep after it; it returns the new count.
	AddFailure(ctx context.Context, key string, at time.Time, keep time.Duration) (int64, error)
	// ClearFailures forgets the failures recorded under keys.
	ClearFailures(ctx context.Context, keys ...string) error
	// Drop removes the live state of a meeting (after it is sealed).
	Drop(ctx context.Context, meetingID int64) error
}

// TallyBatch is buffered tally increments sent to Live.AddTally in one step.
type TallyBatch struct {
	ID     string // random; a resend of the same batch carries the same ID and counts once
	MinEnd int64  // the smallest ledger end of the committed groups in it (0: none)
	MaxEnd int64  // the largest
	Claim  string // the claim its rebuilt parts belong to ("": none)
	Delta  Tally
}

// TallyMark tells which buffered parts a claim has made stale: committed
// groups ending at or below Base, and rebuilt parts of any claim but Claim.
type TallyMark struct {
	Base  int64
	Claim string
}

// AddTally outcomes.
const (
	TallyAdded = iota
	TallyStale
	TallyNotReady
)

// ClaimTally outcomes.
const (
	ClaimTaken = iota
	ClaimSuperseded
	ClaimRetry
)
