package slips_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/frontend/slips"
)

func sheet(t testing.TB, n int) slips.Sheet {
	s := slips.Sheet{Title: "城关镇2020年度目标责任考核工作报告大会", Group: "机关干部", Batch: 2, BaseURL: "http://192.168.1.10:8080",
		Back: "/console/cycles/2020/meetings/M1"}
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
	for _, want := range []string{s.Title, s.Group, slips.Instructions, slips.Grouped(s.Codes[12]), "<svg", `class="sheet"`,
		`<p class="batch">第 2 批</p>`, `id="print-now"`, `href="/console/cycles/2020/meetings/M1"`, "返回会议", "关闭本页前请确认已打印；未打印的请在会议页作废这一批"} {
		if !strings.Contains(html, want) {
			t.Errorf("print page lacks %q", want)
		}
	}
	// Every slip says where to type its code when the QR code can't be scanned.
	if n := strings.Count(html, `<p class="typing">扫不了码：用浏览器打开<br><span class="addr">http://192.168.1.10:8080/b</span> 输入票码</p>`); n != 13 {
		t.Errorf("%d slips carry the typing address, want 13", n)
	}
	// Every slip says its batch, and nothing numbers the slips within it.
	if n := strings.Count(html, `<p class="batch">第 2 批</p>`); n != 13 {
		t.Errorf("%d slips carry the batch number, want 13", n)
	}
	for _, serial := range []string{"第 1 张", "1/13", "第 1/13"} {
		if strings.Contains(html, serial) {
			t.Errorf("the print page numbers its slips: %q", serial)
		}
	}
	if n := strings.Count(html, `class="slip"`); n != 13 {
		t.Errorf("%d slips on the page, want 13", n)
	}
	if n := strings.Count(html, `class="sheet"`); n != 2 {
		t.Errorf("%d sheets, want 2 (12 per A4)", n)
	}
	// Its one script is the print button's, from this origin: nothing
	// inline, nothing from elsewhere.
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1)
	if len(scripts) != 1 || !regexp.MustCompile(`^<script src="/static/[0-9a-f]+/slips\.js" defer>$`).MatchString(scripts[0]) {
		t.Errorf("the print page's scripts: %q", scripts)
	}
	if strings.Contains(html, "onclick") {
		t.Error("the print page has an inline handler")
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
	if n := strings.Count(text, "第 2 批"); n != 12 {
		t.Errorf("%d slips of the PDF carry the batch number, want 12", n)
	}
	for _, want := range []string{"城关镇2020年度目标责任考核工作报告大会", "机关干部", slips.Instructions, slips.Grouped(s.Codes[0]), slips.Grouped(s.Codes[11])} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if n := strings.Count(text, "扫不了码：用浏览器打开http://192.168.1.10:8080/b 输入票码"); n != 12 {
		t.Errorf("%d slips of the PDF carry the typing address, want 12", n)
	}
	// A wrapped title is split evenly, never leaving a character or two on
	// a line of their own.
	for _, line := range strings.Split(string(out), "\n") {
		if n := len([]rune(strings.TrimSpace(line))); n > 0 && n < 4 && strings.Contains(s.Title, strings.TrimSpace(line)) {
			t.Errorf("the title leaves %q on a line of its own", line)
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
