package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserUnitUploadsReport: a unit account on a phone (375 px) opens
// its reports page, is stopped in the browser from sending a program
// renamed .pdf (with the server's words), uploads its 自查报告 as a PDF and
// sees it listed; the bytes stored are the file's. The office then sees
// that 城关镇 has uploaded it, and that the other report is missing.
func TestBrowserUnitUploadsReport(t *testing.T) {
	b := newBrowserApp(t, 375, 740, "")
	b.call("POST", "/api/v1/cycles", "", map[string]string{"code": "2020", "name": "2020年度目标责任考核"}, 201, nil)
	b.call("PUT", "/api/v1/cycles/2020/units", "", []map[string]any{
		{"code": "T01", "name": "城关镇", "kind": "town", "staff": 60}, {"code": "D01", "name": "县财政局", "kind": "department", "staff": 20}}, 200, nil)
	b.call("POST", "/api/v1/users", "", map[string]string{"name": "t01", "role": "unit", "unit": "T01", "password": "t01-password"}, 201, nil)

	dir := t.TempDir()
	pdf := []byte("%PDF-1.4\n% 城关镇2020年度自查报告\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	good, bad := filepath.Join(dir, "自查报告.pdf"), filepath.Join(dir, "setup.pdf")
	os.WriteFile(good, pdf, 0o644)
	os.WriteFile(bad, append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 64)...), 0o644)

	const page = "/console/cycles/2020/reports"
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+"/console/login?next="+url.QueryEscape(page))); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`!!document.querySelector('form[action="/console/login"]')`, 10*time.Second)
	b.js(`(function(){ var f = document.querySelector('form[action="/console/login"]'); f.username.value = 't01'; f.password.value = 't01-password'; f.submit(); return true; })()`)
	const card = `document.querySelector('[data-kind="self_check"]')`
	b.waitFor(`location.pathname === '`+page+`' && !!`+card+` && !!document.querySelector('[data-kind="duty"]')`, 15*time.Second)
	if got := b.js(card + `.textContent`).(string); !strings.Contains(got, "自查报告") || !strings.Contains(got, "尚未上传") {
		t.Fatalf("the card before upload reads %q", got)
	}
	// Fits the phone; the file control is a 44 px touch target.
	if w := b.js(`document.documentElement.scrollWidth`).(float64); w > 375 {
		t.Errorf("the page is %v px wide at 375", w)
	}
	if h := b.js(card + `.querySelector('input.file-input').getBoundingClientRect().height`).(float64); h < 44 {
		t.Errorf("the file control is %v px high, want at least 44", h)
	}

	// A program renamed .pdf: refused before sending, in the server's words.
	before := len(b.proxy.requestLines())
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS(`[data-kind="self_check"] input.file-input`), []string{bad})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(card+`.querySelector('.file-msg').textContent.indexOf('内容不是允许的类型') >= 0`, 10*time.Second)
	if msg := b.js(card + `.querySelector('.file-msg').textContent`).(string); !strings.Contains(msg, "PDF") || !strings.Contains(msg, ".docx") || !strings.Contains(msg, "setup.pdf") {
		t.Errorf("refusal %q", msg)
	}
	for _, l := range b.proxy.requestLines()[before:] {
		if strings.Contains(l, "/reports/") {
			t.Errorf("the refused file was sent: %s", l)
		}
	}

	// The PDF goes up and is listed.
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS(`[data-kind="self_check"] input.file-input`), []string{good})); err != nil {
		t.Fatal(err)
	}
	b.waitFor(card+`.querySelector('.report-file a') && `+card+`.querySelector('.report-file a').textContent === '自查报告.pdf'`, 15*time.Second)
	if msg := b.js(card + `.querySelector('.file-msg').textContent`).(string); !strings.Contains(msg, "已上传") {
		t.Errorf("after the upload the card says %q", msg)
	}
	b.shot("unit")
	var reports struct {
		Units []struct {
			Unit    string `json:"unit"`
			Reports map[string]struct {
				ID     string `json:"id"`
				SHA256 string `json:"sha256"`
			} `json:"reports"`
		} `json:"units"`
	}
	b.call("GET", "/api/v1/cycles/2020/reports", "", nil, 200, &reports)
	sum := sha256.Sum256(pdf)
	if r := reports.Units[0].Reports["self_check"]; reports.Units[0].Unit != "T01" || r.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %+v, want sha256 %x", reports.Units[0], sum)
	}
	if href := b.js(card + `.querySelector('.report-file a').getAttribute('href')`).(string); href != "/api/v1/files/"+reports.Units[0].Reports["self_check"].ID {
		t.Errorf("the link opens %q", href)
	}

	// The office's view.
	b.js(`document.querySelector('form.logout').submit(), true`)
	b.waitFor(`location.pathname === '/console/login'`, 10*time.Second)
	signInTo(b, page, `!!document.querySelector('#reports-table tr[data-unit="T01"]')`)
	row := `document.querySelector('#reports-table tr[data-unit="T01"]')`
	if got := b.js(row + `.querySelector('td[data-kind="self_check"] a').textContent`).(string); got != "自查报告.pdf" {
		t.Errorf("the office sees %q for 城关镇's 自查报告", got)
	}
	if got := b.js(row + `.querySelector('td[data-kind="duty"]').textContent`).(string); !strings.Contains(got, "尚未上传") {
		t.Errorf("the missing report reads %q", got)
	}
	if got := b.js(`document.getElementById('reports-count').textContent`).(string); got != "0 / 2 个单位已上传全部报告" {
		t.Errorf("count %q", got)
	}
}
