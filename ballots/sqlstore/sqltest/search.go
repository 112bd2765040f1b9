package sqltest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The search for links: what someone who copies the data folder of a
// running SQLite ledger (a backup, a VM snapshot, a crash dump) can learn
// about which slip cast which ballot, and in what order ballots were cast.
// It reads the copy byte by byte, never through SQLite, and looks for
//
//   - links: a transaction in the write-ahead log that spends a slip and
//     writes a ballot (the pages of one commit hold both changes);
//   - order: a page whose cells of ballots or slips are laid out in another
//     order than their keys (SQLite appends cells to a page as they arrive,
//     so such a layout is the order of casting or spending);
//   - remnants: a slip hash, ballot id or other known string anywhere outside
//     a live record: in a page's free space, on a freelist page, in an old
//     log frame;
//   - slip rows: a live record other than the slip's own that names a slip
//     (a waiting paper ballot: its slip beside its answers);
//   - the wal-index trail: page numbers the -shm file still holds for log
//     frames, which tell which pages each commit wrote.

// Known is what a test knows of the meeting it ran: Slips[i] (a slip's
// SHA-256, as the ledger stores it) cast Ballots[i], in casting order.
// Gone holds strings nothing on disk may hold once the meeting has closed:
// the ids and keys of paper ballots, say.
type Known struct {
	Slips   []string
	Ballots []string
	Gone    []string
}

// Link is a log transaction that spends slips and writes ballots. The sets
// are exact when the log also holds the pages' earlier images (the usual
// case); for a page first written in that log generation the earlier image
// is not in the log and every spent slip or ballot on the page is listed.
type Link struct {
	Where   string
	Slips   []string
	Ballots []string
}

// Layout is a page whose cells of known ballots or slips are not in key
// order. Cast lists their casting positions in storage order (newest cell
// first): an ascending run is the order of casting.
type Layout struct {
	Where string
	Kind  string // "ballot" or "slip"
	Cast  []int
}

// Remnant is a known string found outside any live record.
type Remnant struct {
	Where string
	What  string
}

// Report is the search's result.
type Report struct {
	WALFrames      int // frames in the -wal file, valid or stale
	Links          []Link
	Layouts        []Layout
	Remnants       []Remnant
	SlipRows       []Remnant // live records outside the slips' own rows that name a slip
	ShmFrames      uint32    // frames the wal-index header says the log holds
	ShmTrail       []uint32  // page numbers the wal-index holds for frames, in frame order
	ShmStaleFrames int       // of those, recorded beyond ShmFrames: left over from earlier logs
}

// String summarises the report for a test failure.
func (r Report) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "wal frames %d; links %d; out-of-order pages %d; remnants %d; slip rows %d; wal-index: %d frames, trail of %d (%d stale)",
		r.WALFrames, len(r.Links), len(r.Layouts), len(r.Remnants), len(r.SlipRows), r.ShmFrames, len(r.ShmTrail), r.ShmStaleFrames)
	for i, l := range r.Links {
		if i == 5 {
			fmt.Fprintf(&sb, "\n  link … and %d more", len(r.Links)-5)
			break
		}
		fmt.Fprintf(&sb, "\n  link %s: %d slips ↔ %d ballots", l.Where, len(l.Slips), len(l.Ballots))
	}
	for i, l := range r.Layouts {
		if i == 5 {
			fmt.Fprintf(&sb, "\n  order … and %d more", len(r.Layouts)-5)
			break
		}
		fmt.Fprintf(&sb, "\n  order %s: %s cells by position hold casts %v", l.Where, l.Kind, l.Cast)
	}
	for i, m := range r.Remnants {
		if i == 5 {
			fmt.Fprintf(&sb, "\n  remnant … and %d more", len(r.Remnants)-5)
			break
		}
		fmt.Fprintf(&sb, "\n  remnant %s: %s", m.Where, m.What)
	}
	for _, m := range r.SlipRows {
		fmt.Fprintf(&sb, "\n  slip row %s: %s", m.Where, m.What)
	}
	return sb.String()
}

// LinksPair reports whether some link ties the slip to the ballot.
func (r Report) LinksPair(slip, ballot string) bool {
	for _, l := range r.Links {
		if contains(l.Slips, slip) && contains(l.Ballots, ballot) {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// CopyFolder copies the SQLite files of the data folder dir — ceping.db,
// ceping.db-wal, ceping.db-shm, whichever exist — byte for byte into a new
// temporary folder while the store keeps running, as a backup tool or a
// snapshot would, and returns that folder.
func CopyFolder(tb testing.TB, dir string) string {
	tb.Helper()
	dst := tb.TempDir()
	for _, name := range []string{"ceping.db", "ceping.db-wal", "ceping.db-shm"} {
		in, err := os.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, name))
		if err != nil {
			tb.Fatal(err)
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}

// Search searches a copied data folder for what k's slips and ballots left.
func Search(dir string, k Known) (Report, error) {
	var r Report
	db, err := readDB(filepath.Join(dir, "ceping.db"))
	if err != nil {
		return r, err
	}
	wal, err := readWAL(filepath.Join(dir, "ceping.db-wal"))
	if err != nil {
		return r, err
	}
	shm, err := readSHM(filepath.Join(dir, "ceping.db-shm"))
	if err != nil {
		return r, err
	}
	s := newSearcher(k, db.reserved)
	for i, p := range db.pages {
		s.page(&r, fmt.Sprintf("ceping.db page %d", i+1), uint32(i+1), p)
	}
	r.WALFrames = len(wal.frames)
	for _, f := range wal.frames {
		s.page(&r, fmt.Sprintf("wal frame %d (page %d%s)", f.Index+1, f.Pgno, staleNote(f)), f.Pgno, f.Data)
	}
	// The layout of the database as SQLite would read it: the main file
	// with the log's committed frames over it.
	current := map[uint32][]byte{}
	where := map[uint32]string{}
	for i, p := range db.pages {
		current[uint32(i+1)], where[uint32(i+1)] = p, fmt.Sprintf("ceping.db page %d", i+1)
	}
	var pending []walFrame
	for _, f := range wal.frames {
		if !f.Valid {
			continue
		}
		pending = append(pending, f)
		if f.Commit != 0 {
			for _, p := range pending {
				current[p.Pgno], where[p.Pgno] = p.Data, fmt.Sprintf("page %d as of wal frame %d", p.Pgno, p.Index+1)
			}
			pending = pending[:0]
		}
	}
	pgnos := make([]uint32, 0, len(current))
	for p := range current {
		pgnos = append(pgnos, p)
	}
	sort.Slice(pgnos, func(i, j int) bool { return pgnos[i] < pgnos[j] })
	for _, pgno := range pgnos {
		if p, ok := parseBtreePage(current[pgno], pgno, s.reserved); ok {
			s.layout(&r, where[pgno], p)
		}
	}
	s.links(&r, db, wal)
	r.ShmFrames = shm.MaxFrame
	for i, p := range shm.Pgnos {
		if p == 0 {
			continue
		}
		r.ShmTrail = append(r.ShmTrail, p)
		if uint32(i+1) > shm.MaxFrame {
			r.ShmStaleFrames++
		}
	}
	return r, nil
}

func staleNote(f walFrame) string {
	if f.Valid {
		return ""
	}
	return ", left over from an earlier log"
}

type searcher struct {
	slips    map[string]int // hash → casting position
	ballots  map[string]int
	gone     [][]byte
	reserved int
}

func newSearcher(k Known, reserved int) *searcher {
	s := &searcher{slips: map[string]int{}, ballots: map[string]int{}, reserved: reserved}
	for i, h := range k.Slips {
		s.slips[h] = i
	}
	for i, b := range k.Ballots {
		s.ballots[b] = i
	}
	for _, g := range k.Gone {
		s.gone = append(s.gone, []byte(g))
	}
	return s
}

// needles counts the known strings in b: slip hashes and ballot ids found
// in runs of lowercase hex digits, and the Gone strings anywhere.
func (s *searcher) needles(b []byte) map[string]int {
	found := map[string]int{}
	for i := 0; i < len(b); {
		if !isHex(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isHex(b[j]) {
			j++
		}
		for p := i; p+32 <= j; p++ {
			if _, ok := s.ballots[string(b[p:p+32])]; ok {
				found["ballot "+string(b[p:p+32])]++
			}
			if p+64 <= j {
				if _, ok := s.slips[string(b[p:p+64])]; ok {
					found["slip "+string(b[p:p+64])]++
				}
			}
		}
		i = j
	}
	for _, g := range s.gone {
		if n := bytes.Count(b, g); n > 0 {
			found["gone "+string(g)] += n
		}
	}
	return found
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// page checks one page image for remnants outside live cells and for slip
// rows.
func (s *searcher) page(r *Report, where string, pgno uint32, data []byte) {
	all := s.needles(data)
	if len(all) == 0 {
		return
	}
	live := map[string]int{}
	p, ok := parseBtreePage(data, pgno, s.reserved)
	if ok {
		for _, c := range p.Cells {
			for k, n := range s.needles(c.Bytes) {
				live[k] += n
			}
			s.slipRow(r, where, c)
		}
	}
	var keys []string
	for k, n := range all {
		if n > live[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Remnants = append(r.Remnants, Remnant{Where: where, What: k})
	}
}

// slipRow reports a live record that names a slip but is neither the slip's
// own row (its hash first, then meeting, group, batch, state, key) nor its
// entry in the batch index (batch, hash).
func (s *searcher) slipRow(r *Report, where string, c cell) {
	for i, v := range c.Values {
		h, ok := v.(string)
		if !ok {
			continue
		}
		if _, known := s.slips[h]; !known {
			continue
		}
		if i == 0 && len(c.Values) >= 5 || i == 1 && len(c.Values) == 2 {
			continue
		}
		r.SlipRows = append(r.SlipRows, Remnant{Where: where, What: fmt.Sprintf("slip %s in column %d of a %d-column record", h, i+1, len(c.Values))})
	}
}

// layout reports a page whose cells of known ballots (or slips) do not lie
// in key order. SQLite rebuilds a page in key order when it splits it and
// appends each later cell below the last, so a page in key order says
// nothing about when its rows came; any other layout is arrival order.
func (s *searcher) layout(r *Report, where string, p btreePage) {
	type entry struct {
		off int
		key string
		pos int
	}
	var bs, ts []entry
	for _, c := range p.Cells {
		if len(c.Values) >= 5 {
			if h, ok := c.Values[0].(string); ok {
				if pos, ok := s.slips[h]; ok {
					ts = append(ts, entry{c.Offset, h, pos})
					continue
				}
			}
		}
		for _, v := range c.Values {
			if id, ok := v.(string); ok {
				if pos, ok := s.ballots[id]; ok {
					bs = append(bs, entry{c.Offset, id, pos})
					break
				}
			}
		}
	}
	for _, set := range []struct {
		kind string
		es   []entry
	}{{"ballot", bs}, {"slip", ts}} {
		es := set.es
		if len(es) < 2 {
			continue
		}
		sort.Slice(es, func(i, j int) bool { return es[i].off > es[j].off })
		inOrder := true
		for i := 1; i < len(es); i++ {
			if es[i].key < es[i-1].key {
				inOrder = false
			}
		}
		if inOrder {
			continue
		}
		l := Layout{Where: where, Kind: set.kind}
		for _, e := range es {
			l.Cast = append(l.Cast, e.pos)
		}
		r.Layouts = append(r.Layouts, l)
	}
}

// links finds the log transactions that spend a known slip and write a
// known ballot. Each transaction's pages are compared with their images
// just before it: the previous frame of the same page in the same log
// generation, else nothing (and then everything on the page counts).
func (s *searcher) links(r *Report, db *dbFile, wal *walFile) {
	type gen struct {
		salt   [2]uint32
		frames []walFrame
	}
	var gens []*gen
	for _, f := range wal.frames {
		if len(gens) == 0 || gens[len(gens)-1].salt != f.Salt {
			gens = append(gens, &gen{salt: f.Salt})
		}
		g := gens[len(gens)-1]
		g.frames = append(g.frames, f)
	}
	for _, g := range gens {
		prev := map[uint32][]byte{}
		var txn []walFrame
		flush := func(committed bool) {
			if len(txn) == 0 {
				return
			}
			spent, written := map[string]bool{}, map[string]bool{}
			latest := map[uint32][]byte{}
			for _, f := range txn {
				latest[f.Pgno] = f.Data
			}
			for pgno, data := range latest {
				before := s.keysOf(prev[pgno], pgno)
				after := s.keysOf(data, pgno)
				for h := range after.spent {
					if !before.spent[h] {
						spent[h] = true
					}
				}
				for b := range after.ballots {
					if !before.ballots[b] {
						written[b] = true
					}
				}
				prev[pgno] = data
			}
			if len(spent) > 0 && len(written) > 0 {
				l := Link{Where: fmt.Sprintf("wal frames %d–%d", txn[0].Index+1, txn[len(txn)-1].Index+1)}
				if !txn[0].Valid {
					l.Where += " (left over from an earlier log)"
				}
				if !committed {
					l.Where += " (uncommitted)"
				}
				l.Slips, l.Ballots = sortedKeys(spent), sortedKeys(written)
				r.Links = append(r.Links, l)
			}
			txn = txn[:0]
		}
		for _, f := range g.frames {
			txn = append(txn, f)
			if f.Commit != 0 {
				flush(true)
			}
		}
		flush(false)
	}
}

type pageKeys struct {
	spent   map[string]bool
	ballots map[string]bool
}

func (s *searcher) keysOf(data []byte, pgno uint32) pageKeys {
	k := pageKeys{spent: map[string]bool{}, ballots: map[string]bool{}}
	if data == nil {
		return k
	}
	p, ok := parseBtreePage(data, pgno, s.reserved)
	if !ok {
		return k
	}
	for _, c := range p.Cells {
		if len(c.Values) >= 5 {
			if h, ok := c.Values[0].(string); ok {
				if _, known := s.slips[h]; known {
					if st, ok := c.Values[4].(int64); ok && st == 1 {
						k.spent[h] = true
					}
					continue
				}
			}
		}
		for _, v := range c.Values {
			if id, ok := v.(string); ok {
				if _, known := s.ballots[id]; known {
					k.ballots[id] = true
				}
			}
		}
	}
	return k
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
