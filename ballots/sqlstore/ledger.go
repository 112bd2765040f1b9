package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ceping/ceping/ballots"
)

// lockMeeting reads a meeting's status and count inside tx, locking the row
// on PostgreSQL (SQLite's immediate transaction already holds the one write
// lock). Casts, close and batch issue all take this lock, so a cast either
// commits before close or sees the meeting closed.
func (s *Store) lockMeeting(tx *gorm.DB, id int64) (status string, count int64, err error) {
	q := `SELECT status, cast_count FROM meetings WHERE id = ?`
	if s.dialect == "postgres" {
		q += ` FOR UPDATE`
	}
	row := tx.Raw(q, id).Row()
	if err := row.Scan(&status, &count); err != nil {
		return "", 0, notFound(err, "会议", "meeting")
	}
	return status, count, nil
}

// CreateBatch implements ballots.Ledger.
func (s *Store) CreateBatch(ctx context.Context, b ballots.Batch, hashes []string) error {
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, _, err := s.lockMeeting(tx, b.MeetingID)
		if err != nil {
			return err
		}
		if status == ballots.StatusClosed {
			return ballots.Errorf(ballots.EConflict, "测评已结束，不能再发放选票 (the meeting has closed)")
		}
		if err := tx.Exec(`INSERT INTO batches (id, meeting_id, group_code, count, issued_at) VALUES (?, ?, ?, ?, ?)`,
			b.ID, b.MeetingID, b.Group, b.Count, time.Now().UTC()).Error; err != nil {
			return err
		}
		// In hash order, so that on SQLite the slips lie in their pages in
		// key order (not in the order they are printed); each with the
		// placeholder key, so a spend keeps that layout (scrub.go).
		sorted := append([]string(nil), hashes...)
		sort.Strings(sorted)
		const chunk = 500
		for i := 0; i < len(sorted); i += chunk {
			part := sorted[i:min(i+chunk, len(sorted))]
			var sb strings.Builder
			args := make([]any, 0, len(part)*5)
			sb.WriteString(`INSERT INTO tokens (hash, meeting_id, group_code, batch_id, key_hash) VALUES `)
			for j, h := range part {
				if j > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(`(?,?,?,?,?)`)
				args = append(args, h, b.MeetingID, b.Group, b.ID, unspentKey)
			}
			if err := tx.Exec(sb.String(), args...).Error; err != nil {
				return fmt.Errorf("insert tokens: %w", err)
			}
		}
		return nil
	})
}

// RevokeBatch implements ballots.Ledger.
func (s *Store) RevokeBatch(ctx context.Context, id string) (ballots.Batch, int64, error) {
	var b batchRow
	var n int64
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Take(&b, "id = ?", id).Error; err != nil {
			return notFound(err, "批次 "+id, "batch "+id)
		}
		// Lock the meeting so revoking races neither casts nor close.
		if _, _, err := s.lockMeeting(tx, b.MeetingID); err != nil {
			return err
		}
		res := tx.Exec(`UPDATE tokens SET state = ? WHERE batch_id = ? AND state = ?`, ballots.TokenRevoked, id, ballots.TokenUnused)
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return tx.Exec(`UPDATE batches SET revoked = ?, voided = voided + ? WHERE id = ?`, true, n, id).Error
	})
	return ballots.Batch{ID: b.ID, MeetingID: b.MeetingID, Group: b.GroupCode, Count: b.Count, Revoked: true}, n, err
}

// Batches implements ballots.Ledger.
func (s *Store) Batches(ctx context.Context, meetingID int64) ([]ballots.BatchInfo, error) {
	rows, err := s.r.WithContext(ctx).Raw(`SELECT id, group_code, count, revoked, voided, issued_at FROM batches WHERE meeting_id = ? ORDER BY (issued_at IS NOT NULL), issued_at, id`, meetingID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ballots.BatchInfo
	for rows.Next() {
		b := ballots.BatchInfo{Batch: ballots.Batch{MeetingID: meetingID}}
		var at sql.NullTime
		if err := rows.Scan(&b.ID, &b.Group, &b.Count, &b.Revoked, &b.Voided, &at); err != nil {
			return nil, err
		}
		if at.Valid {
			t := at.Time.UTC()
			b.IssuedAt = &t
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Turnout implements ballots.Ledger: slips issued and voided per group
// from the batches, and ballots cast per group from the ballots when
// withCast is set.
func (s *Store) Turnout(ctx context.Context, meetingID int64, withCast bool) ([]ballots.TurnoutRow, error) {
	by := map[string]*ballots.TurnoutRow{}
	var order []string
	row := func(g string) *ballots.TurnoutRow {
		r := by[g]
		if r == nil {
			r = &ballots.TurnoutRow{Group: g}
			by[g] = r
			order = append(order, g)
		}
		return r
	}
	rows, err := s.r.WithContext(ctx).Raw(`SELECT group_code, sum(count), sum(voided) FROM batches WHERE meeting_id = ? GROUP BY group_code`, meetingID).Rows()
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var g string
		var issued, voided int64
		if err := rows.Scan(&g, &issued, &voided); err != nil {
			rows.Close()
			return nil, err
		}
		r := row(g)
		r.Issued, r.Revoked = issued-voided, voided
	}
	rows.Close()
	if err := rows.Err(); err != nil { // a connection lost half-way must not pass for fewer slips
		return nil, err
	}
	if withCast {
		rows, err := s.r.WithContext(ctx).Raw(`SELECT group_code, count(*) FROM ballots WHERE meeting_id = ? GROUP BY group_code`, meetingID).Rows()
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var g string
			var n int64
			if err := rows.Scan(&g, &n); err != nil {
				return nil, err
			}
			row(g).Cast = n
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]ballots.TurnoutRow, 0, len(order))
	for _, g := range order {
		out = append(out, *by[g])
	}
	return out, nil
}

// OpenMeeting implements ballots.Ledger.
func (s *Store) OpenMeeting(ctx context.Context, id int64, def ballots.MeetingDef) error {
	body, err := json.Marshal(def)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Exec(`UPDATE meetings SET status = ?, def = ? WHERE id = ? AND status = ?`,
		ballots.StatusOpen, string(body), id, ballots.StatusPending)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ballots.Errorf(ballots.EConflict, "会议已经开始或已结束 (the meeting is not pending)")
	}
	return nil
}

// CloseMeeting implements ballots.Ledger.
func (s *Store) CloseMeeting(ctx context.Context, id int64) (int64, error) {
	var count int64
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		status, n, err := s.lockMeeting(tx, id)
		if err != nil {
			return err
		}
		if status != ballots.StatusOpen {
			return ballots.Errorf(ballots.EConflict, "会议不在进行中 (the meeting is %s)", status)
		}
		count = n
		return tx.Exec(`UPDATE meetings SET status = ? WHERE id = ?`, ballots.StatusClosed, id).Error
	})
	return count, err
}

// Seal implements ballots.Ledger. In the seal's transaction it deletes the
// meeting's waiting paper ballots (none can count any more, and each names
// its slip beside its answers) and, on PostgreSQL, whose heap keeps rows in
// the order they were written, rewrites the meeting's ballot rows in id
// order (random), so that neither their physical order nor their
// transaction ids tell the order of casting. Then it scrubs the storage
// (scrub.go): on SQLite a VACUUM and a truncated log, on PostgreSQL the
// slips' rows rewritten and a VACUUM. A scrub that fails does not undo the
// seal; it is retried every second.
func (s *Store) Seal(ctx context.Context, id int64, sealed ballots.Sealed) error {
	body, err := json.Marshal(sealed)
	if err != nil {
		return err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE meetings SET sealed = ? WHERE id = ? AND status = ? AND sealed IS NULL`, string(body), id, ballots.StatusClosed)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ballots.Errorf(ballots.EConflict, "会议已封存或未结束 (already sealed or not closed)")
		}
		if err := tx.Exec(`DELETE FROM paper_ballots WHERE meeting_id = ?`, id).Error; err != nil {
			return err
		}
		if s.dialect == "postgres" {
			return tx.Exec(`WITH moved AS (DELETE FROM ballots WHERE meeting_id = ? RETURNING id, meeting_id, group_code, answers)
				INSERT INTO ballots (id, meeting_id, group_code, answers) SELECT id, meeting_id, group_code, answers FROM moved ORDER BY id`, id).Error
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Best effort: the seal stands; a failed scrub stays due.
	_ = s.scrubSealed(ctx)
	return nil
}

// Token implements ballots.Ledger. It is on every vote's path, so it runs
// as a prepared statement on the readers' pool, past GORM. A lost
// connection is retried on a fresh one.
func (s *Store) Token(ctx context.Context, hash string) (ballots.TokenInfo, error) {
	var t ballots.TokenInfo
	err := s.retry(ctx, func() error {
		var key sql.NullString
		row := s.tokenStmt.QueryRowContext(ctx, hash)
		if err := row.Scan(&t.MeetingID, &t.Group, &t.State, &key, &t.MeetingStatus); err != nil {
			return notFound(err, "票", "slip")
		}
		if key.String != unspentKey {
			t.KeyHash = key.String
		}
		return nil
	})
	return t, err
}

// CommitCasts implements ballots.Ledger: one transaction for the whole
// group; per meeting, lock it, spend the unused tokens in one statement,
// insert the ballots of the spent ones in one statement, and advance the
// meeting's count.
//
// A transaction that fails transiently (its connection terminated or reset,
// a deadlock) is run again on a fresh connection, a few times within about
// half a second; it is safe because spending a token is idempotent. The one
// delicate case is a COMMIT sent whose answer never came: the transaction
// may have landed. Its commits are kept, and the next try — holding the
// meetings' locks, so the lost transaction has ended one way or the other —
// looks its ballots up by their random ids. If they are there, the earlier
// try's commits are returned as this call's, with the positions they took,
// and their casts are counted (not "used" by their own key, not counted
// again): the live tally applies each ballot exactly once. Errors:
// ballots.EUnavailable when the database stays away.
func (s *Store) CommitCasts(ctx context.Context, casts []ballots.Cast) ([]int, []ballots.Commit, error) {
	byMeeting := map[int64][]int{}
	var ids []int64
	for i, c := range casts {
		if _, ok := byMeeting[c.MeetingID]; !ok {
			ids = append(ids, c.MeetingID)
		}
		byMeeting[c.MeetingID] = append(byMeeting[c.MeetingID], i)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) // one lock order
	// Commits of tries whose COMMIT got no answer.
	var unsure []ballots.Commit
	var done castTry
	err := s.retry(ctx, func() error {
		try, err := s.commitCastsOnce(ctx, casts, ids, byMeeting, unsure)
		if err != nil {
			if try.committing {
				unsure = append(unsure, try.fresh...)
			}
			return err
		}
		done = try
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("commit %d casts: %w", len(casts), err)
	}
	return done.outcomes, append(done.landed, done.fresh...), nil
}

// castTry is one try of CommitCasts.
type castTry struct {
	outcomes   []int
	landed     []ballots.Commit // commits of earlier tries found in the ledger
	fresh      []ballots.Commit // this try's commits
	committing bool             // it failed in COMMIT: fresh may have landed
}

func (s *Store) commitCastsOnce(ctx context.Context, casts []ballots.Cast, ids []int64, byMeeting map[int64][]int, unsure []ballots.Commit) (castTry, error) {
	try := castTry{outcomes: make([]int, len(casts))}
	outcomes := try.outcomes
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, mid := range ids {
			idx := byMeeting[mid]
			status, count, err := s.lockMeeting(tx, mid)
			if err != nil {
				return err
			}
			if idx, err = s.landed(tx, mid, casts, idx, unsure, &try); err != nil {
				return err
			}
			if status != ballots.StatusOpen {
				for _, i := range idx {
					outcomes[i] = ballots.CastNotOpen
				}
				continue
			}
			if len(idx) == 0 {
				continue
			}
			spent, err := s.spend(tx, mid, casts, idx)
			if err != nil {
				return err
			}
			var counted []int
			var missing []int
			for _, i := range idx {
				if spent[casts[i].TokenHash] {
					outcomes[i] = ballots.CastCounted
					counted = append(counted, i)
				} else {
					missing = append(missing, i)
				}
			}
			if len(missing) > 0 {
				if err := s.explain(tx, casts, missing, outcomes); err != nil {
					return err
				}
			}
			if len(counted) == 0 {
				continue
			}
			c := ballots.Commit{MeetingID: mid, Start: count, End: count + int64(len(counted))}
			for _, i := range counted {
				c.Ballots = append(c.Ballots, casts[i].Ballot)
			}
			if err := insertBallots(tx, mid, casts, counted); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE meetings SET cast_count = ? WHERE id = ?`, c.End, mid).Error; err != nil {
				return err
			}
			try.fresh = append(try.fresh, c)
		}
		// From here on a failure is COMMIT's, whose answer may have been
		// lost after the transaction landed.
		try.committing = true
		return nil
	})
	return try, err
}

// landed finds out, under meeting mid's lock, which of the unsure commits
// of that meeting are in the ledger: a lost transaction holds the lock
// until it has committed or rolled back, and its ballots' random ids are
// found all or none. Landed commits are added to try with their casts
// counted; landed returns the casts of idx still to commit.
func (s *Store) landed(tx *gorm.DB, mid int64, casts []ballots.Cast, idx []int, unsure []ballots.Commit, try *castTry) ([]int, error) {
	in := map[string]bool{}
	for _, u := range unsure {
		if u.MeetingID != mid {
			continue
		}
		bids := make([]string, len(u.Ballots))
		for j, b := range u.Ballots {
			bids[j] = b.ID
		}
		var n int
		if err := tx.Raw(`SELECT count(*) FROM ballots WHERE meeting_id = ? AND id IN ?`, mid, bids).Row().Scan(&n); err != nil {
			return nil, classify(err)
		}
		switch n {
		case 0: // rolled back: its casts are committed again below
		case len(bids):
			try.landed = append(try.landed, u)
			for _, id := range bids {
				in[id] = true
			}
		default:
			return nil, fmt.Errorf("meeting %d: %d of the %d ballots of an unanswered commit are in the ledger", mid, n, len(bids))
		}
	}
	if len(in) == 0 {
		return idx, nil
	}
	rest := idx[:0:0]
	for _, i := range idx {
		if in[casts[i].Ballot.ID] {
			try.outcomes[i] = ballots.CastCounted
		} else {
			rest = append(rest, i)
		}
	}
	return rest, nil
}

// spend marks the unused tokens among casts[idx] spent with their keys and
// returns the hashes it spent.
func (s *Store) spend(tx *gorm.DB, mid int64, casts []ballots.Cast, idx []int) (map[string]bool, error) {
	var sb strings.Builder
	args := make([]any, 0, len(idx)*2+3)
	sb.WriteString(`UPDATE tokens SET state = ?, key_hash = v.column2 FROM (VALUES `)
	args = append(args, ballots.TokenSpent)
	for j, i := range idx {
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`(?,?)`)
		args = append(args, casts[i].TokenHash, casts[i].KeyHash)
	}
	sb.WriteString(`) AS v WHERE tokens.hash = v.column1 AND tokens.meeting_id = ? AND tokens.state = ? RETURNING tokens.hash`)
	args = append(args, mid, ballots.TokenUnused)
	rows, err := tx.Raw(sb.String(), args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("spend tokens: %w", err)
	}
	defer rows.Close()
	spent := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		spent[h] = true
	}
	return spent, rows.Err()
}

// explain sets the outcome of the casts[missing], whose tokens were not spent.
func (s *Store) explain(tx *gorm.DB, casts []ballots.Cast, missing []int, outcomes []int) error {
	type st struct {
		state int
		key   string
	}
	found := map[string]st{}
	hashes := make([]string, len(missing))
	for j, i := range missing {
		hashes[j] = casts[i].TokenHash
	}
	rows, err := tx.Raw(`SELECT hash, state, key_hash FROM tokens WHERE hash IN ?`, hashes).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var state int
		var key sql.NullString
		if err := rows.Scan(&h, &state, &key); err != nil {
			return err
		}
		found[h] = st{state, key.String}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range missing {
		t, ok := found[casts[i].TokenHash]
		switch {
		case !ok:
			outcomes[i] = ballots.CastNotFound
		case t.state == ballots.TokenRevoked:
			outcomes[i] = ballots.CastRevoked
		case t.state == ballots.TokenSpent && t.key == casts[i].KeyHash:
			outcomes[i] = ballots.CastResent
		case t.state == ballots.TokenSpent:
			outcomes[i] = ballots.CastUsed
		default:
			outcomes[i] = ballots.CastNotFound // a token of another meeting
		}
	}
	return nil
}

// insertBallots stores the ballots of casts[idx] in id order: ids are
// random, so neither the statement nor the storage order follows the order
// of casting.
func insertBallots(tx *gorm.DB, mid int64, casts []ballots.Cast, idx []int) error {
	sorted := make([]int, len(idx))
	copy(sorted, idx)
	sort.Slice(sorted, func(i, j int) bool { return casts[sorted[i]].Ballot.ID < casts[sorted[j]].Ballot.ID })
	var sb strings.Builder
	args := make([]any, 0, len(sorted)*4)
	sb.WriteString(`INSERT INTO ballots (id, meeting_id, group_code, answers) VALUES `)
	for j, i := range sorted {
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`(?,?,?,?)`)
		b := casts[i].Ballot
		args = append(args, b.ID, mid, b.Group, string(casts[i].JSON))
	}
	if err := tx.Exec(sb.String(), args...).Error; err != nil {
		return fmt.Errorf("insert ballots: %w", err)
	}
	return nil
}

// Ballots implements ballots.Ledger.
func (s *Store) Ballots(ctx context.Context, meetingID int64) ([]ballots.StoredBallot, int64, error) {
	var out []ballots.StoredBallot
	var count int64
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil // a SQLite read transaction is a snapshot already
	}
	err := s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT cast_count FROM meetings WHERE id = ?`, meetingID).Row().Scan(&count); err != nil {
			return notFound(err, "会议", "meeting")
		}
		rows, err := tx.Raw(`SELECT id, group_code, answers FROM ballots WHERE meeting_id = ? ORDER BY id`, meetingID).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b ballots.StoredBallot
			var answers string
			if err := rows.Scan(&b.ID, &b.Group, &answers); err != nil {
				return err
			}
			b.Answers = []byte(answers)
			out = append(out, b)
		}
		return rows.Err()
	}, opts)
	return out, count, err
}
