package slips_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/frontend/slips"
)

func sheet(t testing.TB, n int) slips.Sheet {
	s := slips.Sheet{Title: "城关镇2020年度目标责任考核工作报告大会", Group: "机关干部", BaseURL: "http://192.168.1.10:8080"}
	for i := 0; i < n; i++ {
		tok, err := ballots.NewToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s.Codes = append(s.Codes, tok.String())
	}
	return s
}

func TestHTML(t *testing.T) {
	s := sheet(t, 13)
	page, err := slips.HTML(s)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{s.Title, s.Group, slips.Instructions, slips.Grouped(s.Codes[12]), "<svg", `class="sheet"`} {
		if !strings.Contains(html, want) {
			t.Errorf("print page lacks %q", want)
		}
	}
	if n := strings.Count(html, `class="slip"`); n != 13 {
		t.Errorf("%d slips on the page, want 13", n)
	}
	if n := strings.Count(html, `class="sheet"`); n != 2 {
		t.Errorf("%d sheets, want 2 (12 per A4)", n)
	}
	if strings.Contains(html, "<script") {
		t.Error("the print page has a script")
	}
}

// TestPDF checks the PDF's text with a PDF text extractor (pdftotext from
// poppler-utils), when it is installed.
func TestPDF(t *testing.T) {
	s := sheet(t, 12)
	var buf bytes.Buffer
	if err := slips.PDF(&buf, s); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2<<20 {
		t.Errorf("12 slips take %d bytes, want under 2 MB", buf.Len())
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "slips.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// -raw keeps content order, slip by slip; a title wrapped over two
	// lines is joined again.
	out, err := exec.Command("pdftotext", "-raw", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.ReplaceAll(string(out), "\n", "")
	for _, want := range []string{"城关镇2020年度目标责任考核工作报告大会", "机关干部", slips.Instructions, slips.Grouped(s.Codes[0]), slips.Grouped(s.Codes[11])} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

func TestPDFThousandSlipsSize(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var buf bytes.Buffer
	if err := slips.PDF(&buf, sheet(t, 1000)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 5<<20 {
		t.Errorf("1,000 slips take %d bytes, want under 5 MB", buf.Len())
	}
	t.Logf("1,000 slips: %d bytes", buf.Len())
}

func BenchmarkPDF1000(b *testing.B) {
	s := sheet(b, 1000)
	for b.Loop() {
		var buf bytes.Buffer
		if err := slips.PDF(&buf, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTML1000(b *testing.B) {
	s := sheet(b, 1000)
	for b.Loop() {
		if _, err := slips.HTML(s); err != nil {
			b.Fatal(err)
		}
	}
}
