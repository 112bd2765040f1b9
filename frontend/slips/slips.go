// Package slips lays out printed ballot slips: an A4 print page in HTML and
// the same slips as a PDF with the Chinese text embedded (a subset of Droid
// Sans Fallback, Apache 2.0, see font/LICENSE.droid-fallback). A slip shows
// the meeting, the voter group, its batch's number in small print (第 2
// 批), one line of instructions, the QR code of BASE_URL/b#CODE and the code
// in groups of four — nothing else: no serial number, so that nothing but
// the code tells the slips of one batch apart and no slip can be matched to
// the person it was handed to.
package slips

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/ceping/ceping/frontend"
)

//go:embed font/DroidSansFallbackFull.ttf
var fontTTF []byte

// Instructions is the one line printed on every slip.
const Instructions = "请使用手机扫码参加测评，每张限用一次"

// TypingHint is the way in for a phone that cannot scan, printed on every
// slip under the instructions: the page where the code is typed.
const TypingHint = "扫不了码：用浏览器打开"

// TypingAddress is the address printed after TypingHint: BASE_URL/b.
func (s Sheet) TypingAddress() string { return strings.TrimRight(s.BaseURL, "/") + "/b" }

// TypingTail follows the address on the slip.
const TypingTail = "输入票码"

// Sheet is one batch of slips to print.
type Sheet struct {
	Title   string   // the meeting's title
	Group   string   // the voter group's name
	Batch   int      // the batch's number in its meeting (第 N 批); 0 prints none
	BaseURL string   // what the QR codes point to
	Codes   []string // slip codes, 27 characters each
	Back    string   // the print page's link back to the meeting's run page
	Warning string   // a notice above the sheets (not printed), or ""
}

// BatchLabel is the batch's number as printed on its slips: "第 2 批".
func (s Sheet) BatchLabel() string {
	if s.Batch <= 0 {
		return ""
	}
	return fmt.Sprintf("第 %d 批", s.Batch)
}

// Link returns the voting link a slip's QR code encodes.
func (s Sheet) Link(code string) string { return strings.TrimRight(s.BaseURL, "/") + "/b#" + code }

// Grouped writes a code in groups of four for typing in.
func Grouped(code string) string {
	var sb strings.Builder
	for i := 0; i < len(code); i += 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(code[i:min(i+4, len(code))])
	}
	return sb.String()
}

// PerPage is the number of slips on one A4 sheet (3 × 4).
const PerPage = 12

func bitmap(link string) ([][]bool, error) {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return q.Bitmap(), nil // with the standard quiet zone
}

// svg draws a QR bitmap as one path of row runs.
func svg(bm [][]bool) template.HTML {
	var sb strings.Builder
	n := len(bm)
	fmt.Fprintf(&sb, `<svg class="qr" viewBox="0 0 %d %d" role="img" aria-label="二维码 QR code" shape-rendering="crispEdges"><path fill="#fff" d="M0 0h%dv%dH0z"/><path d="`, n, n, n, n)
	for y, row := range bm {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			fmt.Fprintf(&sb, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	sb.WriteString(`"/></svg>`)
	return template.HTML(sb.String())
}

type htmlSlip struct {
	QR   template.HTML
	Code string
}

// HTML renders the print page: A4 sheets of slips in a grid with cut lines.
func HTML(s Sheet) ([]byte, error) {
	var pages [][]htmlSlip
	for i, code := range s.Codes {
		bm, err := bitmap(s.Link(code))
		if err != nil {
			return nil, err
		}
		if i%PerPage == 0 {
			pages = append(pages, nil)
		}
		pages[len(pages)-1] = append(pages[len(pages)-1], htmlSlip{QR: svg(bm), Code: Grouped(code)})
	}
	return frontend.Render("slips.html", map[string]any{
		"Title": s.Title, "Group": s.Group, "Batch": s.BatchLabel(), "Instructions": Instructions, "Pages": pages,
		"TypingHint": TypingHint, "TypingAddress": s.TypingAddress(), "TypingTail": TypingTail,
		"Count": len(s.Codes), "Back": s.Back, "Warning": s.Warning})
}

// PDF writes the slips as an A4 PDF.
func PDF(w io.Writer, s Sheet) error {
	const (
		cols, rows = 3, 4
		pageW      = 210.0
		pageH      = 297.0
		margin     = 8.0
	)
	cellW := (pageW - 2*margin) / cols
	cellH := (pageH - 2*margin) / rows
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(strings.TrimSpace(s.Title+" "+s.Group+" "+s.BatchLabel()), true)
	pdf.SetCreator("Ceping", true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes("droid", "", fontTTF)
	for i, code := range s.Codes {
		if i%PerPage == 0 {
			pdf.AddPage()
			drawCutLines(pdf, margin, cellW, cellH, cols, rows)
		}
		k := i % PerPage
		x := margin + float64(k%cols)*cellW
		y := margin + float64(k/cols)*cellH
		bm, err := bitmap(s.Link(code))
		if err != nil {
			return err
		}
		ty := mixedText(pdf, s.Title, x+3, y+3, cellW-6, 9, 4)
		ty = mixedText(pdf, s.Group, x+3, ty, cellW-6, 8, 3.6)
		if b := s.BatchLabel(); b != "" {
			pdf.SetTextColor(80, 80, 80)
			mixedText(pdf, b, x+3, ty, cellW-6, 6.5, 3)
			pdf.SetTextColor(0, 0, 0)
		}
		// From the bottom up: the code, the typing address, the
		// instructions, the QR code.
		qrSize := 31.0
		drawQR(pdf, bm, x+(cellW-qrSize)/2, y+cellH-qrSize-22, qrSize)
		mixedText(pdf, Instructions, x+2, y+cellH-21.5, cellW-4, 7.5, 3.8)
		mixedText(pdf, TypingHint, x+2, y+cellH-17.5, cellW-4, 6.5, 3)
		mixedText(pdf, s.TypingAddress()+" "+TypingTail, x+2, y+cellH-14.5, cellW-4, 6.5, 3)
		pdf.SetFont("Courier", "B", 8.2)
		pdf.SetXY(x+2, y+cellH-10.5)
		pdf.CellFormat(cellW-4, 6, Grouped(code), "", 0, "C", false, 0, "")
	}
	if len(s.Codes) == 0 {
		pdf.AddPage()
	}
	return pdf.Output(w)
}

// run is text in one font: the core Helvetica for ASCII (the embedded CJK
// font has no Latin letters or digits), the embedded font for the rest.
type run struct {
	font, text string
}

func runs(text string) []run {
	var out []run
	for _, r := range text {
		font := "droid"
		if r < 128 {
			font = "Helvetica"
		}
		if n := len(out); n > 0 && out[n-1].font == font {
			out[n-1].text += string(r)
			continue
		}
		out = append(out, run{font, string(r)})
	}
	return out
}

func runWidth(pdf *fpdf.Fpdf, rs []run, size float64) float64 {
	var w float64
	for _, r := range rs {
		pdf.SetFont(r.font, "", size)
		w += pdf.GetStringWidth(r.text)
	}
	return w
}

// mixedText writes text centred in width w from (x, y), wrapping by
// character into lines of even length (no last line of one character), and
// returns the y below it.
func mixedText(pdf *fpdf.Fpdf, text string, x, y, w, size, lineH float64) float64 {
	lines := wrap(pdf, text, w, size)
	if n := len(lines); n > 1 {
		// The narrowest width that still takes n lines evens them out.
		for narrow := runWidth(pdf, runs(text), size) / float64(n); narrow < w; narrow += 0.5 {
			if l := wrap(pdf, text, narrow, size); len(l) == n {
				lines = l
				break
			}
		}
	}
	for _, l := range lines {
		cx := x + (w-runWidth(pdf, l, size))/2
		for _, r := range l {
			pdf.SetFont(r.font, "", size)
			pdf.Text(cx, y+lineH*0.8, r.text)
			cx += pdf.GetStringWidth(r.text)
		}
		y += lineH
	}
	return y
}

// wrap breaks text into lines no wider than w, by character.
func wrap(pdf *fpdf.Fpdf, text string, w, size float64) [][]run {
	var lines [][]run
	var line []run
	for _, r := range runs(text) {
		for _, ch := range r.text {
			next := append(append([]run{}, line...), run{r.font, string(ch)})
			if len(line) > 0 && runWidth(pdf, next, size) > w {
				lines = append(lines, line)
				line = nil
			}
			if n := len(line); n > 0 && line[n-1].font == r.font {
				line[n-1].text += string(ch)
			} else {
				line = append(line, run{r.font, string(ch)})
			}
		}
	}
	if len(line) > 0 {
		lines = append(lines, line)
	}
	return lines
}

func drawCutLines(pdf *fpdf.Fpdf, margin, cellW, cellH float64, cols, rows int) {
	pdf.SetDrawColor(150, 150, 150)
	pdf.SetLineWidth(0.2)
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	for c := 0; c <= cols; c++ {
		x := margin + float64(c)*cellW
		pdf.Line(x, margin, x, margin+float64(rows)*cellH)
	}
	for r := 0; r <= rows; r++ {
		y := margin + float64(r)*cellH
		pdf.Line(margin, y, margin+float64(cols)*cellW, y)
	}
	pdf.SetDashPattern(nil, 0)
}

func drawQR(pdf *fpdf.Fpdf, bm [][]bool, x, y, size float64) {
	m := size / float64(len(bm))
	pdf.SetFillColor(0, 0, 0)
	for r, row := range bm {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			// A hair of overlap so viewers draw no seams between runs.
			pdf.Rect(x+float64(start)*m, y+float64(r)*m, float64(c-start)*m, m+0.02, "F")
		}
	}
}
