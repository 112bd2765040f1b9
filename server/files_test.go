package server

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"math/rand"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ceping/ceping/ballots"
)

// Test files of each kind, made here so each is what its name says.
var (
	pdfBytes  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 40)...)
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 40)...)
	exeBytes  = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 60)...)
	oleBytes  = append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 60)...)
)

func zipOf(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxBytes is a real workbook, as Excel or WPS would save it.
func xlsxBytes(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "地区生产总值增速")
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func docxBytes(t testing.TB) []byte {
	return zipOf(t, map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml":   `<w:document/>`,
	})
}

// multipartBody is a multipart body with data in the field "file".
func multipartBody(t testing.TB, field, filename string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// upload sends data as the multipart field "file" and returns the status
// and answer.
func (ts *testServer) uploadFile(t testing.TB, method, url, as, filename string, data []byte) (int, []byte) {
	t.Helper()
	ct, body := multipartBody(t, "file", filename, data)
	hr := httptest.NewRequest(method, url, bytes.NewReader(body))
	hr.Header.Set("Content-Type", ct)
	if as != "" {
		hr.Header.Set("Authorization", ts.bearer(as))
	}
	res, err := ts.srv.App().Test(hr, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type fileOut struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
	UploadedBy  string `json:"uploaded_by"`
	UploadedAt  string `json:"uploaded_at"`
}

func (ts *testServer) evidence(t testing.TB, code string) []fileOut {
	t.Helper()
	var out struct {
		Files []fileOut `json:"files"`
	}
	ts.call(t, "GET", "/api/v1/cycles/2020/indicators/"+code+"/evidence", adminUser, nil, 200, &out)
	return out.Files
}

const evidenceURL = "/api/v1/cycles/2020/indicators/T01-01/evidence"

// TestFilesTypes: every accepted type is stored under the type its content
// is; anything else is 415 whatever its name, with the allowed types named.
func TestFilesTypes(t *testing.T) {
	ts := collectYear(t)
	for _, tc := range []struct {
		name, file string
		data       []byte
		wantType   string
		wantName   string
	}{
		{"pdf", "统计公报.pdf", pdfBytes, ballots.TypePDF, "统计公报.pdf"},
		{"png", "截图.PNG", pngBytes, ballots.TypePNG, "截图.PNG"},
		{"jpeg", "现场照片.jpeg", jpegBytes, ballots.TypeJPEG, "现场照片.jpeg"},
		{"xlsx", "台账.xlsx", xlsxBytes(t), ballots.TypeXLSX, "台账.xlsx"},
		{"docx", "说明.docx", docxBytes(t), ballots.TypeDOCX, "说明.docx"},
		{"a PDF named otherwise keeps its type's extension", `C:\文件\报告.exe`, pdfBytes, ballots.TypePDF, "报告.exe.pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, tc.file, tc.data)
			var f fileOut
			if status != 201 || json.Unmarshal(body, &f) != nil {
				t.Fatalf("upload %s: %d %s", tc.file, status, body)
			}
			sum := sha256.Sum256(tc.data)
			if f.ContentType != tc.wantType || f.Name != tc.wantName || f.Size != int64(len(tc.data)) || f.UploadedBy != tjjUser ||
				f.ID == "" || f.UploadedAt == "" || f.SHA256 != hexOf(sum[:]) {
				t.Errorf("stored as %+v, want type %s name %s", f, tc.wantType, tc.wantName)
			}
		})
	}
	stored := len(ts.evidence(t, "T01-01"))
	for _, tc := range []struct {
		name, file string
		data       []byte
		says       string
	}{
		{"a program renamed .pdf", "报告.pdf", exeBytes, "内容不是允许的类型"},
		{"a zip that is no Office file", "材料.docx", zipOf(t, map[string]string{"a.txt": "hello"}), "不是 Word（.docx）或 Excel（.xlsx）文件"},
		{"a zip declaring another package", "材料.xlsx", zipOf(t, map[string]string{"[Content_Types].xml": `<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>`, "xl/workbook.xml": "<x/>"}), "不是 Word（.docx）或 Excel（.xlsx）文件"},
		{"a broken zip", "材料.xlsx", []byte("PK\x03\x04 this is not really a zip"), "不是 Word（.docx）或 Excel（.xlsx）文件"},
		{"an old .doc", "旧版.doc", oleBytes, "另存为 .docx 或 .xlsx"},
		{"plain text", "说明.txt", []byte("纯文本说明"), "内容不是允许的类型"},
		{"html named .png", "x.png", []byte("<html><script>alert(1)</script></html>"), "内容不是允许的类型"},
	} {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, tc.file, tc.data)
			ts.check(t, scenario{method: "POST", url: evidenceURL, status: 415, code: "unsupported_media",
				contains: []string{tc.says, "PDF", "PNG", "JPEG", ".xlsx", ".docx", "only PDF"}}, status, body)
		})
	}
	ts.run(t, []scenario{
		{name: "JSON instead of multipart", method: "POST", url: evidenceURL, as: tjjUser, body: `{"file":"JVBERi0="}`, status: 415, code: "unsupported_media",
			contains: []string{"multipart/form-data"}},
	})
	if status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, "空.pdf", nil); status != 400 || !strings.Contains(string(body), "是空的") {
		t.Errorf("an empty file: %d %s", status, body)
	}
	// The file must come in the field "file".
	ct, body := multipartBody(t, "attachment", "a.pdf", pdfBytes)
	status, answer, _ := ts.doFull(t, req{method: "POST", url: evidenceURL, as: tjjUser, headers: map[string]string{"Content-Type": ct}, body: string(body)})
	ts.check(t, scenario{method: "POST", url: evidenceURL, status: 400, code: "invalid", contains: []string{"请选择要上传的文件"}}, status, answer)
	if got := len(ts.evidence(t, "T01-01")); got != stored {
		t.Errorf("refused uploads stored files: %d, want %d", got, stored)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, x := range b {
		out[2*i], out[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(out)
}

// TestFilesTooLarge: 20 MB is accepted, a byte more is 413 and nothing is
// stored; a body over the upload routes' limit is refused on its
// Content-Length with the file limit named; every other route keeps its
// 1 MiB limit (a 2 MiB JSON body is still 413).
func TestFilesTooLarge(t *testing.T) {
	ts := collectYear(t)
	big := make([]byte, ballots.MaxFileSize+1)
	copy(big, pdfBytes)
	status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, "太大.pdf", big)
	ts.check(t, scenario{method: "POST", url: evidenceURL, status: 413, code: "too_large", contains: []string{"20 MB"}}, status, body)
	if n := len(ts.evidence(t, "T01-01")); n != 0 {
		t.Fatalf("a refused file was stored: %d files", n)
	}
	const reportURL = "/api/v1/cycles/2020/units/T01/reports/self_check"
	status, body = ts.uploadFile(t, "PUT", reportURL, unitUser, "自查报告.pdf", big)
	ts.check(t, scenario{method: "PUT", url: reportURL, status: 413, code: "too_large", contains: []string{"20 MB"}}, status, body)

	status, body = ts.uploadFile(t, "POST", evidenceURL, tjjUser, "正好.pdf", big[:ballots.MaxFileSize])
	if status != 201 {
		t.Fatalf("a file of exactly 20 MB: %d %s", status, trim(body))
	}
	if fs := ts.evidence(t, "T01-01"); len(fs) != 1 || fs[0].Size != ballots.MaxFileSize {
		t.Fatalf("stored %+v", fs)
	}

	// Whole bodies over a real connection (app.Test returns an error
	// instead of the answer): every other route keeps its 1 MiB.
	base := ts.listen(t)
	for _, tc := range []struct{ name, method, url, as, body string }{
		{"a 2 MiB JSON body to an ordinary endpoint", "PUT", "/api/v1/cycles/2020/units", adminUser, `[{"code":"T01","name":"` + strings.Repeat("a", 2<<20) + `"}]`},
		{"a 2 MiB body to the evidence list", "GET", evidenceURL, adminUser, `{"x":"` + strings.Repeat("a", 2<<20) + `"}`},
		{"a 2 MiB body to the entry beside the upload route", "PUT", "/api/v1/cycles/2020/indicators/T01-01/entry", tjjUser, `{"actual":7,"note":"` + strings.Repeat("a", 2<<20) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(tc.method, base+tc.url, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", ts.bearer(tc.as))
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			ts.check(t, scenario{method: tc.method, url: tc.url, status: 413, code: "too_large", contains: []string{"1 MiB"}}, res.StatusCode, body)
		})
	}

	// Announced bodies over a real connection: refused on the
	// Content-Length before any of the body is sent.
	addr := strings.TrimPrefix(base, "http://")
	auth := map[string]string{"Authorization": ts.bearer(tjjUser), "Content-Type": "multipart/form-data; boundary=x"}
	status, body = rawRequest(t, addr, "POST", evidenceURL, auth, UploadBodyLimit+1, "--x\r\n")
	ts.check(t, scenario{method: "POST", url: evidenceURL, status: 413, code: "too_large", contains: []string{"20 MB"}}, status, body)
	json := map[string]string{"Authorization": ts.bearer(adminUser), "Content-Type": "application/json"}
	status, body = rawRequest(t, addr, "PUT", "/api/v1/cycles/2020/units", json, BodyLimit+1, `[{"code":`)
	ts.check(t, scenario{method: "PUT", url: "/api/v1/cycles/2020/units", status: 413, code: "too_large", contains: []string{"1 MiB"}}, status, body)
	// A multipart body of 2 MiB to a route that takes none is refused too.
	status, body = rawRequest(t, addr, "PUT", "/api/v1/cycles/2020/indicators/T01-01/entry", auth, 2<<20, "--x\r\n")
	ts.check(t, scenario{method: "PUT", url: "/api/v1/cycles/2020/indicators/T01-01/entry", status: 413, code: "too_large"}, status, body)
	if n := len(ts.evidence(t, "T01-01")); n != 1 {
		t.Errorf("files after the refusals: %d, want 1", n)
	}
}

func TestIsUploadRoute(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		{"POST", "/api/v1/cycles/2020/indicators/T01-01/evidence", true},
		{"POST", "/api/v1/cycles/2020/indicators/T01-01/evidence?x=1", true},
		{"PUT", "/api/v1/cycles/2020/units/T01/reports/self_check", true},
		{"GET", "/api/v1/cycles/2020/indicators/T01-01/evidence", false},
		{"PUT", "/api/v1/cycles/2020/indicators/T01-01/evidence", false},
		{"PUT", "/api/v1/cycles/2020/indicators/T01-01/entry", false},
		{"PUT", "/api/v1/cycles/2020/units", false},
		{"POST", "/api/v1/cycles/2020/units/T01/reports/self_check", false},
		{"PUT", "/api/v1/cycles/2020/units/T01/reports/self_check/x", false},
		{"POST", "/api/v1/kits", false},
		{"POST", "/console/cycles/2020/indicators/T01-01/evidence", false},
	} {
		if got := isUploadRoute(tc.method, tc.target); got != tc.want {
			t.Errorf("isUploadRoute(%s %s) = %v", tc.method, tc.target, got)
		}
	}
}

// TestFilesRoles: every route with every role.
func TestFilesRoles(t *testing.T) {
	ts := collectYear(t)
	const y = "/api/v1/cycles/2020"
	up := func(as string, url string, want int, code string) {
		t.Helper()
		method := "POST"
		if strings.Contains(url, "/reports/") {
			method = "PUT"
		}
		status, body := ts.uploadFile(t, method, url, as, "材料.pdf", pdfBytes)
		ts.check(t, scenario{method: method, url: url + " as " + as, status: want, code: code}, status, body)
	}
	// Evidence of T01-01 (source TJJ).
	up(tjjUser, evidenceURL, 201, "")
	up(adminUser, evidenceURL, 201, "")
	up(ajjUser, evidenceURL, 403, "forbidden") // another body's assessor
	up(groupUser, evidenceURL, 403, "forbidden")
	up(viewerUser, evidenceURL, 403, "forbidden")
	up(unitUser, evidenceURL, 403, "forbidden")
	up("", evidenceURL, 401, "unauthorized")
	up(tjjUser, y+"/indicators/T99-01/evidence", 404, "not_found")
	up(tjjUser, "/api/v1/cycles/1999/indicators/T01-01/evidence", 404, "not_found")
	files := ts.evidence(t, "T01-01")
	if len(files) != 2 {
		t.Fatalf("evidence %+v", files)
	}
	id := files[0].ID
	ts.run(t, []scenario{
		{name: "the body lists its evidence", method: "GET", url: evidenceURL, as: tjjUser, status: 200, contains: []string{id}},
		{name: "a viewer lists it", method: "GET", url: evidenceURL, as: viewerUser, status: 200, contains: []string{id}},
		{name: "another body cannot list it", method: "GET", url: evidenceURL, as: ajjUser, status: 403, code: "forbidden"},
		{name: "a unit cannot list it", method: "GET", url: evidenceURL, as: unitUser, status: 403, code: "forbidden"},
		{name: "a group user cannot list it", method: "GET", url: evidenceURL, as: groupUser, status: 403, code: "forbidden"},
		{name: "anonymous", method: "GET", url: evidenceURL, status: 401},
		{name: "another body cannot download it", method: "GET", url: "/api/v1/files/" + id, as: ajjUser, status: 403, code: "forbidden"},
		{name: "a unit cannot download evidence", method: "GET", url: "/api/v1/files/" + id, as: unitUser, status: 403, code: "forbidden"},
		{name: "a group user cannot download", method: "GET", url: "/api/v1/files/" + id, as: groupUser, status: 403, code: "forbidden"},
		{name: "no such file", method: "GET", url: "/api/v1/files/nope", as: adminUser, status: 404, code: "not_found"},
		{name: "another body cannot delete it", method: "DELETE", url: "/api/v1/files/" + id, as: ajjUser, status: 403, code: "forbidden"},
		{name: "a viewer cannot delete it", method: "DELETE", url: "/api/v1/files/" + id, as: viewerUser, status: 403, code: "forbidden"},
		{name: "a unit cannot delete it", method: "DELETE", url: "/api/v1/files/" + id, as: unitUser, status: 403, code: "forbidden"},
	})
	for _, who := range []string{adminUser, viewerUser, tjjUser} {
		if status, body, _ := ts.doFull(t, req{method: "GET", url: "/api/v1/files/" + id, as: who}); status != 200 || !bytes.Equal(body, pdfBytes) {
			t.Errorf("%s downloads evidence: %d", who, status)
		}
	}

	// Submitted: the body can neither add nor delete evidence; the office
	// can. Returned: editable again.
	ts.call(t, "PUT", y+"/indicators/T01-01/entry", tjjUser, `{"actual":8}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/T01-02/entry", tjjUser, `{"actual":0.5}`, 200, nil)
	ts.call(t, "PUT", y+"/indicators/D01-01/entry", tjjUser, `{"actual":12}`, 200, nil)
	ts.call(t, "POST", y+"/bodies/TJJ/submit", tjjUser, nil, 200, nil)
	up(tjjUser, evidenceURL, 409, "entry_locked")
	ts.run(t, []scenario{
		{name: "the body cannot delete evidence of a submitted entry", method: "DELETE", url: "/api/v1/files/" + id, as: tjjUser, status: 409, code: "entry_locked"},
	})
	up(adminUser, evidenceURL, 201, "")
	ts.call(t, "POST", y+"/indicators/T01-01/return", adminUser, `{"comment":"请附统计公报"}`, 200, nil)
	up(tjjUser, evidenceURL, 201, "")
	ts.run(t, []scenario{
		{name: "the body deletes its evidence while returned", method: "DELETE", url: "/api/v1/files/" + id, as: tjjUser, status: 200},
		{name: "gone", method: "GET", url: "/api/v1/files/" + id, as: adminUser, status: 404},
	})
	if n := len(ts.evidence(t, "T01-01")); n != 3 {
		t.Errorf("evidence after the delete: %d, want 3", n)
	}

	// Reports.
	const t01 = y + "/units/T01/reports/self_check"
	up(unitUser, t01, 200, "")
	up(unitUser, y+"/units/T01/reports/duty", 200, "")
	up(unitT02, t01, 403, "forbidden") // another unit
	up(tjjUser, t01, 403, "forbidden")
	up(groupUser, t01, 403, "forbidden")
	up(viewerUser, t01, 403, "forbidden")
	up("", t01, 401, "unauthorized")
	up(adminUser, y+"/units/T02/reports/duty", 200, "")
	up(unitUser, y+"/units/T01/reports/summary", 404, "not_found")
	up(adminUser, y+"/units/T99/reports/duty", 404, "not_found")
	var all, own struct {
		Units []struct {
			Unit    string             `json:"unit"`
			Reports map[string]fileOut `json:"reports"`
		} `json:"units"`
	}
	ts.call(t, "GET", y+"/reports", adminUser, nil, 200, &all)
	ts.call(t, "GET", y+"/reports", unitUser, nil, 200, &own)
	if len(all.Units) < 3 || all.Units[0].Unit != "T01" || len(all.Units[0].Reports) != 2 {
		t.Fatalf("reports %+v", all)
	}
	if len(own.Units) != 1 || own.Units[0].Unit != "T01" || len(own.Units[0].Reports) != 2 {
		t.Fatalf("own reports %+v", own)
	}
	report := own.Units[0].Reports["self_check"].ID
	var t02Report string
	for _, u := range all.Units {
		if u.Unit == "T02" {
			t02Report = u.Reports["duty"].ID
		}
	}
	ts.run(t, []scenario{
		{name: "a viewer lists the reports", method: "GET", url: y + "/reports", as: viewerUser, status: 200, contains: []string{report, t02Report}},
		{name: "a unit lists only its own", method: "GET", url: y + "/reports", as: unitUser, status: 200, contains: []string{report}, absent: []string{t02Report, `"T02"`}},
		{name: "an assessor cannot list the reports", method: "GET", url: y + "/reports", as: tjjUser, status: 403, code: "forbidden"},
		{name: "a group user cannot list the reports", method: "GET", url: y + "/reports", as: groupUser, status: 403, code: "forbidden"},
		{name: "another unit cannot open a report", method: "GET", url: "/api/v1/files/" + t02Report, as: unitUser, status: 403, code: "forbidden"},
		{name: "an assessor cannot open a report", method: "GET", url: "/api/v1/files/" + report, as: tjjUser, status: 403, code: "forbidden"},
		{name: "another unit cannot delete a report", method: "DELETE", url: "/api/v1/files/" + t02Report, as: unitUser, status: 403, code: "forbidden"},
	})
	for _, who := range []string{adminUser, viewerUser, unitUser} {
		if status, _, _ := ts.doFull(t, req{method: "GET", url: "/api/v1/files/" + report, as: who}); status != 200 {
			t.Errorf("%s opens the unit's report: %d", who, status)
		}
	}
	// Uploading again replaces.
	up(unitUser, t01, 200, "")
	ts.run(t, []scenario{{name: "the replaced report is gone", method: "GET", url: "/api/v1/files/" + report, as: adminUser, status: 404}})
	ts.call(t, "GET", y+"/reports", unitUser, nil, 200, &own)
	if got := own.Units[0].Reports["self_check"].ID; got == "" || got == report {
		t.Errorf("after replacing: %q (was %q)", got, report)
	}

	// The audit log names files and sizes.
	var log struct {
		Entries []struct {
			Action, Target, Detail string
		} `json:"entries"`
	}
	ts.call(t, "GET", "/api/v1/audit?action=file.upload,file.delete,report.upload", adminUser, nil, 200, &log)
	size := strconv.Itoa(len(pdfBytes)) + " B"
	want := map[string]bool{"file.upload 上传佐证材料：材料.pdf（" + size + "）": false, "file.delete 删除佐证材料：材料.pdf（" + size + "）": false,
		"report.upload 上传自查报告：材料.pdf（" + size + "）": false, "report.upload 上传自查报告：材料.pdf（" + size + "），替换 材料.pdf": false,
		"report.upload 上传领导班子及科级干部述职述廉述效报告：材料.pdf（" + size + "）": false}
	for _, e := range log.Entries {
		if _, ok := want[e.Action+" "+e.Detail]; ok {
			want[e.Action+" "+e.Detail] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("audit lacks %q: %+v", k, log.Entries)
		}
	}
}

// TestFilesRoundTrip: the bytes come back as they went in (sha256 equal),
// as an attachment with its UTF-8 name and its stored type, never sniffed.
// Run with CEPING_TEST_DATABASE_URL for PostgreSQL.
func TestFilesRoundTrip(t *testing.T) {
	ts := collectYear(t)
	data := make([]byte, 3<<20+17)
	rand.New(rand.NewSource(12)).Read(data)
	copy(data, "%PDF-1.7\n")
	data[len(data)/2] = 0 // a NUL in the middle survives too
	status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, "2020年 统计公报 (终稿)'s.pdf", data)
	var f fileOut
	if status != 201 || json.Unmarshal(body, &f) != nil {
		t.Fatalf("upload: %d %s", status, body)
	}
	status, got, h := ts.doFull(t, req{method: "GET", url: "/api/v1/files/" + f.ID, as: viewerUser})
	if status != 200 {
		t.Fatalf("download: %d", status)
	}
	want := sha256.Sum256(data)
	if sum := sha256.Sum256(got); sum != want || hexOf(want[:]) != f.SHA256 {
		t.Fatalf("the bytes changed on the way: %d bytes back, sha256 %x, want %x", len(got), sum, want)
	}
	if ct := h.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff")
	}
	cd := h.Get("Content-Disposition")
	const encoded = "filename*=UTF-8''2020%E5%B9%B4%20%E7%BB%9F%E8%AE%A1%E5%85%AC%E6%8A%A5%20%28%E7%BB%88%E7%A8%BF%29%27s.pdf"
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, encoded) || !strings.Contains(cd, `filename="2020_ ____ (__)'s.pdf"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	// Go's own parser reads the UTF-8 name back.
	if _, params, err := mimeParse(cd); err != nil || params["filename"] != "2020年 统计公报 (终稿)'s.pdf" {
		t.Errorf("Content-Disposition %q reads as %q (%v)", cd, params["filename"], err)
	}
}

// TestFilesUploadMemory measures the peak RSS of the process while a
// 20 MB file is uploaded over a real connection, the body streamed from a
// file on disk so the client holds none of it. Set CEPING_FILES_RSS=1.
func TestFilesUploadMemory(t *testing.T) {
	if os.Getenv("CEPING_FILES_RSS") == "" {
		t.Skip("set CEPING_FILES_RSS=1 to measure")
	}
	ts := collectYear(t)
	base := ts.listen(t)
	data := make([]byte, ballots.MaxFileSize)
	rand.New(rand.NewSource(1)).Read(data)
	copy(data, pdfBytes)
	ct, body := multipartBody(t, "file", "大文件.pdf", data)
	tmp, err := os.CreateTemp(t.TempDir(), "body")
	if err != nil {
		t.Fatal(err)
	}
	tmp.Write(body)
	data, body = nil, nil
	runtimeGC()
	before := vmHWM(t, true)
	tmp.Seek(0, 0)
	r, _ := http.NewRequest("POST", base+evidenceURL, tmp)
	st, _ := tmp.Stat()
	r.ContentLength = st.Size()
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Authorization", ts.bearer(tjjUser))
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	up := vmHWM(t, false)
	runtimeGC()
	vmHWM(t, true)
	files := ts.evidence(t, "T01-01")
	dr, _ := http.NewRequest("GET", base+"/api/v1/files/"+files[0].ID, nil)
	dr.Header.Set("Authorization", ts.bearer(adminUser))
	res, err = http.DefaultClient.Do(dr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	down := vmHWM(t, false)
	t.Logf("peak RSS: %d MiB before; upload of 20 MiB raised it by %d MiB; download (%d bytes) by %d MiB",
		before>>10, (up-before)>>10, n, (down-before)>>10)
}

func mimeParse(v string) (string, map[string]string, error) { return mime.ParseMediaType(v) }

func runtimeGC() {
	runtime.GC()
	debug.FreeOSMemory()
}

// vmHWM returns the process's peak resident memory in KiB, after resetting
// the peak to the current figure when reset.
func vmHWM(t *testing.T, reset bool) int64 {
	t.Helper()
	if reset {
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			t.Skipf("cannot reset the peak RSS: %v", err)
		}
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestFilesUploadSlots: while two uploads are being stored a third waits,
// and after uploadWait answers 503 with Retry-After, storing nothing.
func TestFilesUploadSlots(t *testing.T) {
	ts := collectYear(t)
	wait := uploadWait
	uploadWait = 50 * time.Millisecond
	t.Cleanup(func() { uploadWait = wait })
	uploadSlots <- struct{}{}
	uploadSlots <- struct{}{}
	status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, "a.pdf", pdfBytes)
	<-uploadSlots
	if status != 503 || !strings.Contains(string(body), `"unavailable"`) || !strings.Contains(string(body), "稍后重试") {
		t.Errorf("a third upload while two are stored: %d %s", status, body)
	}
	if n := len(ts.evidence(t, "T01-01")); n != 0 {
		t.Fatalf("stored %d", n)
	}
	if status, body := ts.uploadFile(t, "POST", evidenceURL, tjjUser, "a.pdf", pdfBytes); status != 201 {
		t.Fatalf("with a slot free: %d %s", status, body)
	}
	<-uploadSlots
}
