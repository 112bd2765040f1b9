package sqltest

// A reader of SQLite's on-disk formats, as much as a search of a copied
// data folder needs: the database file's b-tree pages and their records,
// the write-ahead log's frames (valid or left over from an earlier
// generation) and the wal-index (-shm) page numbers. It reads bytes the way
// anyone holding a copy of the folder could, never through SQLite.
// Formats: https://www.sqlite.org/fileformat2.html and walformat.html.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// dbFile is the main database file split into pages (index 0 is page 1).
type dbFile struct {
	pageSize int
	reserved int
	pages    [][]byte
}

func readDB(path string) (*dbFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return &dbFile{pageSize: 4096}, nil
	}
	if len(b) < 100 || string(b[:16]) != "SQLite format 3\x00" {
		return nil, fmt.Errorf("%s: not an SQLite database", path)
	}
	ps := int(binary.BigEndian.Uint16(b[16:18]))
	if ps == 1 {
		ps = 65536
	}
	f := &dbFile{pageSize: ps, reserved: int(b[20])}
	for off := 0; off+ps <= len(b); off += ps {
		f.pages = append(f.pages, b[off:off+ps])
	}
	return f, nil
}

// walFrame is one frame of the -wal file: a page image written by a
// transaction. Commit is the database size in pages for the last frame of a
// transaction, 0 otherwise.
type walFrame struct {
	Index  int // 0-based position in the file
	Pgno   uint32
	Commit uint32
	Salt   [2]uint32
	Valid  bool // salts match the header: part of the current generation
	Data   []byte
}

type walFile struct {
	pageSize int
	salt     [2]uint32
	frames   []walFrame
}

// readWAL reads every whole frame of the -wal file, including frames whose
// salts show they are left over from before the log was last reset: SQLite
// ignores those, a copy of the file does not.
func readWAL(path string) (*walFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &walFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) < 32 {
		return &walFile{}, nil
	}
	magic := binary.BigEndian.Uint32(b[0:4])
	if magic != 0x377f0682 && magic != 0x377f0683 {
		return nil, fmt.Errorf("%s: not a write-ahead log", path)
	}
	w := &walFile{pageSize: int(binary.BigEndian.Uint32(b[8:12]))}
	w.salt = [2]uint32{binary.BigEndian.Uint32(b[16:20]), binary.BigEndian.Uint32(b[20:24])}
	if w.pageSize < 512 || w.pageSize > 65536 {
		return nil, fmt.Errorf("%s: page size %d", path, w.pageSize)
	}
	for off, i := 32, 0; off+24+w.pageSize <= len(b); off, i = off+24+w.pageSize, i+1 {
		h := b[off : off+24]
		fr := walFrame{Index: i, Pgno: binary.BigEndian.Uint32(h[0:4]), Commit: binary.BigEndian.Uint32(h[4:8]),
			Salt: [2]uint32{binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])},
			Data: b[off+24 : off+24+w.pageSize]}
		fr.Valid = fr.Salt == w.salt
		if fr.Pgno == 0 {
			continue // never written
		}
		w.frames = append(w.frames, fr)
	}
	return w, nil
}

// shmFile is what the wal-index holds: the log's frame count in its header
// and, for each frame the log has held since the index was created (unless
// overwritten), the number of the page that frame wrote.
type shmFile struct {
	MaxFrame uint32
	Pgnos    []uint32 // by frame, 1-based frame i at Pgnos[i-1]; 0 where empty
}

func readSHM(path string) (*shmFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &shmFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	s := &shmFile{}
	if len(b) < 136 {
		return s, nil
	}
	// The header is written in the machine's byte order: little endian here.
	s.MaxFrame = binary.LittleEndian.Uint32(b[16:20])
	const block = 32768 // 4096 page numbers (u32) + 8192 hash slots (u16)
	for off := 0; off+16384 <= len(b); off += block {
		first := 0
		if off == 0 {
			first = 34 // the first block starts after the 136-byte header
		}
		for i := first; i < 4096; i++ {
			s.Pgnos = append(s.Pgnos, binary.LittleEndian.Uint32(b[off+4*i:]))
		}
	}
	return s, nil
}

// cell is one b-tree cell: where it starts in its page, its local payload
// bytes and the record values that lie within them.
type cell struct {
	Offset int
	Bytes  []byte // the whole cell as stored in the page (local part)
	Values []any  // int64, float64, string, []byte or nil; cut at the local part
}

// btreePage is a parsed b-tree page.
type btreePage struct {
	Type  byte // 2 index interior, 5 table interior, 10 index leaf, 13 table leaf
	Cells []cell
}

// parseBtreePage parses data as a b-tree page (pgno 1 has the database
// header first). ok is false for pages that are not b-tree pages: overflow
// pages, freelist pages, or pages never written.
func parseBtreePage(data []byte, pgno uint32, reserved int) (p btreePage, ok bool) {
	defer func() {
		if recover() != nil { // bytes that only looked like a b-tree page
			p, ok = btreePage{}, false
		}
	}()
	hdr := 0
	if pgno == 1 {
		hdr = 100
	}
	t := data[hdr]
	if t != 2 && t != 5 && t != 10 && t != 13 {
		return p, false
	}
	p.Type = t
	n := int(binary.BigEndian.Uint16(data[hdr+3:]))
	ptrs := hdr + 8
	if t == 2 || t == 5 {
		ptrs = hdr + 12
	}
	usable := len(data) - reserved
	if ptrs+2*n > usable {
		return btreePage{}, false
	}
	for i := 0; i < n; i++ {
		off := int(binary.BigEndian.Uint16(data[ptrs+2*i:]))
		if off < ptrs+2*n || off >= usable {
			return btreePage{}, false
		}
		c, err := parseCell(data[off:usable], t, usable)
		if err != nil {
			return btreePage{}, false
		}
		c.Offset = off
		p.Cells = append(p.Cells, c)
	}
	return p, true
}

func parseCell(b []byte, t byte, usable int) (cell, error) {
	pos := 0
	if t == 2 || t == 5 {
		pos = 4 // left child page
	}
	if t == 5 {
		_, n := varint(b[pos:])
		return cell{Bytes: b[:pos+n]}, nil
	}
	size, n := varint(b[pos:])
	pos += n
	if t == 13 {
		_, n = varint(b[pos:]) // rowid
		pos += n
	}
	local := localSize(int(size), t, usable)
	end := pos + local
	if local < int(size) {
		end += 4 // first overflow page
	}
	if end > len(b) {
		return cell{}, errors.New("cell past page end")
	}
	return cell{Bytes: b[:end], Values: record(b[pos : pos+local])}, nil
}

func localSize(p int, t byte, u int) int {
	x := (u-12)*64/255 - 23
	if t == 13 {
		x = u - 35
	}
	if p <= x {
		return p
	}
	m := (u-12)*32/255 - 23
	k := m + (p-m)%(u-4)
	if k <= x {
		return k
	}
	return m
}

// record decodes a record's values, as many as b holds whole.
func record(b []byte) []any {
	hsize, n := varint(b)
	if int(hsize) > len(b) || hsize < uint64(n) {
		return nil
	}
	var types []uint64
	for pos := n; pos < int(hsize); {
		st, m := varint(b[pos:int(hsize)])
		if m == 0 {
			break
		}
		types = append(types, st)
		pos += m
	}
	var out []any
	body := int(hsize)
	for _, st := range types {
		var size int
		switch {
		case st == 0, st == 8, st == 9:
			size = 0
		case st >= 1 && st <= 4:
			size = int(st)
		case st == 5:
			size = 6
		case st == 6, st == 7:
			size = 8
		case st >= 12:
			size = int(st-12) / 2
		default:
			return out
		}
		if body+size > len(b) {
			return out
		}
		v := b[body : body+size]
		switch {
		case st == 0:
			out = append(out, nil)
		case st == 8:
			out = append(out, int64(0))
		case st == 9:
			out = append(out, int64(1))
		case st <= 6:
			var x int64
			if v[0]&0x80 != 0 {
				x = -1
			}
			for _, c := range v {
				x = x<<8 | int64(c)
			}
			out = append(out, x)
		case st == 7:
			out = append(out, math.Float64frombits(binary.BigEndian.Uint64(v)))
		case st%2 == 0:
			out = append(out, append([]byte(nil), v...))
		default:
			out = append(out, string(v))
		}
		body += size
	}
	return out
}

// varint reads SQLite's big-endian variable-length integer; n is 0 if b is
// too short.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, 9
}
