package ballots_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/ceping/ceping/ballots"
)

func officeZip(t *testing.T, contentTypes string, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(contentTypes))
	for _, p := range parts {
		w, _ := zw.Create(p)
		w.Write([]byte("<x/>"))
	}
	zw.Close()
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	decl := func(main string) string { return `<Types><Override PartName="/x" ContentType="` + main + `"/></Types>` }
	const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	for _, tc := range []struct {
		name string
		data []byte
		want string // "" for refused
		code string
	}{
		{"a.pdf", []byte("%PDF-1.7\n"), ballots.TypePDF, ""},
		{"a.png", []byte("\x89PNG\r\n\x1a\nrest"), ballots.TypePNG, ""},
		{"a.jpg", []byte("\xff\xd8\xff\xdb"), ballots.TypeJPEG, ""},
		{"a.xlsx", officeZip(t, decl(xlsx), "xl/workbook.xml"), ballots.TypeXLSX, ""},
		{"a.docx", officeZip(t, decl(docx), "word/document.xml"), ballots.TypeDOCX, ""},
		{"a.pdf", []byte("MZ\x90\x00"), "", ballots.EUnsupportedMedia},
		{"a.pdf", []byte(" %PDF-1.7"), "", ballots.EUnsupportedMedia},
		{"a.xlsx", officeZip(t, decl(xlsx)), "", ballots.EUnsupportedMedia}, // declares a workbook, holds none
		{"a.xlsm", officeZip(t, decl("application/vnd.ms-excel.sheet.macroEnabled.main+xml"), "xl/workbook.xml"), "", ballots.EUnsupportedMedia},
		{"a.docx", officeZip(t, "<Types/>", "word/document.xml"), "", ballots.EUnsupportedMedia},
		{"a.zip", []byte("PK\x03\x04garbage"), "", ballots.EUnsupportedMedia},
		{"a.doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "", ballots.EUnsupportedMedia},
		{"a.gif", []byte("GIF89a"), "", ballots.EUnsupportedMedia},
		{"a.pdf", nil, "", ballots.EInvalid},
	} {
		got, err := ballots.Sniff(tc.name, tc.data)
		if got != tc.want || ballots.ErrorCode(err) != tc.code {
			t.Errorf("Sniff(%s, %.12q) = %q, %v; want %q, %s", tc.name, tc.data, got, err, tc.want, tc.code)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	for _, tc := range []struct{ in, ct, want string }{
		{"统计公报.pdf", ballots.TypePDF, "统计公报.pdf"},
		{`C:\Users\张三\桌面\报告.PDF`, ballots.TypePDF, "报告.PDF"},
		{"../../etc/passwd", ballots.TypePDF, "passwd.pdf"},
		{"photo.jpeg", ballots.TypeJPEG, "photo.jpeg"},
		{"setup.exe", ballots.TypePNG, "setup.exe.png"},
		{"a\"b\r\nc.docx", ballots.TypeDOCX, "a_b__c.docx"},
		{"", ballots.TypeXLSX, "文件.xlsx"},
		{"...", ballots.TypePDF, "文件.pdf"},
		{"bad\xffname.pdf", ballots.TypePDF, "bad_name.pdf"},
	} {
		if got := ballots.CleanFileName(tc.in, tc.ct); got != tc.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
