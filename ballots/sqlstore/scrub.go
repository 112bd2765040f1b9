package sqlstore

// What storage keeps beyond the ledger's rows. Each cast is one transaction
// that spends a slip and inserts a ballot, so the storage engine's own
// records can tie the two together, or tell the order of casting:
//
//   - SQLite's write-ahead log (-wal) holds each commit's pages in commit
//     order until it is checkpointed and reset; frames beyond the log's
//     current end survive a reset until overwritten. Its index (-shm) holds
//     the page numbers of the frames.
//   - SQLite appends a record to its page where it arrives, so a page's
//     layout is the order its records came in; a deleted record's bytes
//     stay in the page's free space unless secure_delete zeroes them.
//   - PostgreSQL stamps each row version with the id of the transaction
//     that wrote it (xmin): a spent slip's row and its ballot's row share
//     one, and the heap keeps rows in the order they were written.
//
// While a meeting is open this file keeps the window short (SQLite): the
// log is checkpointed and truncated about once a second, its index's page
// trail cleared; secure_delete zeroes what is deleted or moved; an unspent
// slip's record is as long as a spent one, so a spend overwrites it in
// place. At seal the meeting is scrubbed: on SQLite the whole database is
// rewritten in key order (VACUUM) and the log truncated; on PostgreSQL the
// seal rewrites the meeting's ballots in key order and then its slips in a
// transaction of their own, so no row keeps a cast's transaction id, and
// VACUUMs. What no application can scrub — PostgreSQL's own WAL and
// statement logs, the file system's freed blocks, backups taken while
// voting was open — is the operator's to protect (README, threat model).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// unspentKey is the key hash an unspent slip carries: as long as the hex
// SHA-256 a spend writes, so SQLite overwrites the record in place instead
// of moving it to the free end of its page.
const unspentKey = "0000000000000000000000000000000000000000000000000000000000000000"

// checkpointEvery is how often, while anything was written, the SQLite
// log is checkpointed and truncated: the longest a copy of the data folder
// can show which slip cast which ballot.
const checkpointEvery = time.Second

// errCheckpointBusy: a reader held an older snapshot; the next tick tries
// again.
var errCheckpointBusy = errors.New("checkpoint: readers busy")

// startScrubber starts the background scrubber; Close stops it.
func (s *Store) startScrubber() {
	s.stopScrub = make(chan struct{})
	s.scrubDone = make(chan struct{})
	go func() {
		defer close(s.scrubDone)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stopScrub:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				s.scrubTick(ctx)
				cancel()
			}
		}
	}()
}

func (s *Store) stopScrubber() {
	if s.stopScrub != nil {
		close(s.stopScrub)
		<-s.scrubDone
		s.stopScrub = nil
	}
}

// scrubTick finishes a scrub that failed, and on SQLite truncates the log
// if anything was written since the last tick.
func (s *Store) scrubTick(ctx context.Context) {
	if s.scrubDue.Load() {
		if s.scrubSealed(ctx) == nil {
			return
		}
	}
	if s.dialect != "sqlite" {
		return
	}
	if fi, err := os.Stat(s.path + "-wal"); err == nil && fi.Size() > 0 {
		_ = s.checkpoint(ctx) // a busy reader: the next tick
	}
}

// checkpoint copies the log into the database file and truncates the log
// to zero bytes, leaving nothing of it in the log's index (-shm) either. It
// runs on the one writer connection, so no cast commits meanwhile; it
// waits at most 250 ms for readers of older snapshots, else reports
// errCheckpointBusy and the next tick tries again.
//
// The index lists, frame by frame, the page each frame wrote — which pages
// each commit touched — and truncating the log leaves that list behind.
// SQLite clears the list's first block when a new log writes its first
// frame. So the log is restarted, one frame written (the header page:
// user_version, unchanged), the blocks after the first zeroed, and only
// then is the log truncated: at no moment does the folder hold an emptied
// log beside the list of the pages it wrote.
func (s *Store) checkpoint(ctx context.Context) error {
	wdb, err := s.w.DB()
	if err != nil {
		return err
	}
	conn, err := wdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 250`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `PRAGMA busy_timeout = 10000`)
	run := func(mode string) (frames int, err error) {
		var busy, done int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &done); err != nil {
			return 0, fmt.Errorf("checkpoint: %w", err)
		}
		if busy != 0 {
			return 0, errCheckpointBusy
		}
		return frames, nil
	}
	var v int64
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	for try := 0; ; try++ {
		if _, err := run("RESTART"); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
			return err
		}
		frames, err := run("PASSIVE")
		if err != nil {
			return err
		}
		if frames == 1 {
			break // a new log: the first block of the list is cleared
		}
		if try == 2 {
			return errCheckpointBusy // a reader kept the log from restarting
		}
	}
	if err := s.clearIndexTail(ctx, conn); err != nil {
		return err
	}
	_, err = run("TRUNCATE")
	return err
}

// shmBlock is the size of one block of the wal-index: the page numbers of
// 4096 frames (the first block: 4062, after the header) and their hash
// table.
const shmBlock = 32768

// clearIndexTail zeroes the wal-index's blocks after the first. A log that
// once held more than 4062 frames left the page numbers of the later ones
// there, and SQLite clears a block only when a log grows into it again.
// The log holds one frame now, listed in the first block: SQLite reads no
// other, and the write lock, held meanwhile, keeps any other process from
// appending.
func (s *Store) clearIndexTail(ctx context.Context, conn *sql.Conn) error {
	fi, err := os.Stat(s.path + "-shm")
	if err != nil || fi.Size() <= shmBlock {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	f, err := os.OpenFile(s.path+"-shm", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(make([]byte, fi.Size()-shmBlock), shmBlock)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// scrubSealed scrubs every sealed meeting not yet scrubbed; on failure it
// leaves the work due for the next tick.
func (s *Store) scrubSealed(ctx context.Context) error {
	var ids []int64
	if err := s.w.WithContext(ctx).Raw(`SELECT id FROM meetings WHERE sealed IS NOT NULL AND NOT scrubbed ORDER BY id`).Scan(&ids).Error; err != nil {
		s.scrubDue.Store(true)
		return fmt.Errorf("scrub: %w", err)
	}
	var err error
	if s.dialect == "postgres" {
		err = s.scrubPostgres(ctx, ids)
	} else {
		err = s.scrubSQLite(ctx, ids)
	}
	s.scrubDue.Store(err != nil)
	return err
}

// scrubSQLite rewrites the whole database in key order — every page built
// afresh, free pages dropped — and truncates the log. VACUUM writes its
// pages to the log as one commit in page order, which tells nothing.
func (s *Store) scrubSQLite(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	// Whatever the log holds now is checkpointed first, so that only the
	// rewrite is ever in it afterwards.
	if err := s.checkpoint(ctx); err != nil {
		return err
	}
	if err := s.w.WithContext(ctx).Exec(`VACUUM`).Error; err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if err := s.w.WithContext(ctx).Exec(`UPDATE meetings SET scrubbed = TRUE WHERE id IN ?`, ids).Error; err != nil {
		return err
	}
	return s.checkpoint(ctx)
}

// scrubPostgres rewrites the token rows of each meeting in a transaction
// of their own (the seal rewrote its ballots in another), so that no row
// of the meeting keeps the transaction id of a cast, and no slip the order
// it was spent in. VACUUM then frees the old row versions (best effort: it
// cannot run inside a transaction, and autovacuum follows).
func (s *Store) scrubPostgres(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`UPDATE tokens SET state = state WHERE meeting_id = ?`, id).Error; err != nil {
				return err
			}
			return tx.Exec(`UPDATE meetings SET scrubbed = TRUE WHERE id = ?`, id).Error
		})
		if err != nil {
			return fmt.Errorf("scrub meeting %d: %w", id, err)
		}
	}
	if len(ids) > 0 {
		_ = s.w.WithContext(ctx).Exec(`VACUUM ballots, tokens, paper_ballots`).Error
	}
	return nil
}
