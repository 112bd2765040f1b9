package ballots

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Files (issue 12 items 3 and 5): the evidence a body attaches to an entry
// and the two reports each unit hands in (rules text 三(二)). They are kept
// in the database beside everything else, so every server behind a load
// balancer sees the same files and a backup of the database holds them.
// This file holds the rules — which types, how large, who may upload, read
// and delete what; the bytes are a FileStore's.

// MaxFileSize is the largest file accepted: 20 MB (20 MiB).
const MaxFileSize = 20 << 20

// Owners of a file.
const (
	FileEvidence = "evidence" // key: the indicator's code, e.g. T01-01
	FileReport   = "report"   // key: unit/kind, e.g. T01/self_check
)

// Kinds of a unit's reports (rules text 三(二)).
const (
	ReportSelfCheck = "self_check" // 自查报告
	ReportDuty      = "duty"       // 领导班子及科级干部述职述廉述效报告
)

// ReportKinds are the reports every unit hands in, in the order shown.
var ReportKinds = []string{ReportSelfCheck, ReportDuty}

// ReportName is a report kind's Chinese name.
func ReportName(kind string) string {
	switch kind {
	case ReportSelfCheck:
		return "自查报告"
	case ReportDuty:
		return "领导班子及科级干部述职述廉述效报告"
	}
	return kind
}

// The types accepted, by what their content is (Sniff).
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

var typeExt = map[string]string{TypePDF: ".pdf", TypePNG: ".png", TypeJPEG: ".jpg", TypeXLSX: ".xlsx", TypeDOCX: ".docx"}

// File error codes.
const (
	EUnsupportedMedia = "unsupported_media" // 415: a file of a type not accepted
)

// File is a stored file's description; its bytes are read apart.
type File struct {
	ID          string    `json:"id"`
	Cycle       string    `json:"-"`
	OwnerKind   string    `json:"-"`
	OwnerKey    string    `json:"-"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// FileStore keeps files with their bytes.
type FileStore interface {
	// PutFile stores f and its bytes. With replace, the other files of the
	// same owner (cycle, kind, key) are deleted in the same transaction and
	// returned.
	PutFile(ctx context.Context, f File, data []byte, replace bool) ([]File, error)
	// FileInfo returns a file's description; ENotFound if there is none.
	FileInfo(ctx context.Context, id string) (File, error)
	// FileData returns a file's description and bytes; ENotFound if there is none.
	FileData(ctx context.Context, id string) (File, []byte, error)
	// Files lists a year's files of an owner kind, oldest first: of one key,
	// or of every key when key is "".
	Files(ctx context.Context, cycle, kind, key string) ([]File, error)
	// DeleteFile removes a file; ENotFound if there is none.
	DeleteFile(ctx context.Context, id string) error
}

func (s *Service) files() (FileStore, error) {
	fs, ok := s.ledger.(FileStore)
	if !ok {
		return nil, Errorf(EInternal, "此存储不支持文件 (the ledger keeps no files)")
	}
	return fs, nil
}

// allowedTypes is the refusal's list of what is accepted.
const allowedTypes = "只能上传 PDF、PNG 或 JPEG 图片、Excel 工作簿（.xlsx）或 Word 文档（.docx）"
const allowedTypesEN = "only PDF, PNG or JPEG images, Excel workbooks (.xlsx) or Word documents (.docx) are accepted"

// TooLargeError is the refusal of a file over MaxFileSize.
func TooLargeError(name string) error {
	return &Error{Code: ETooLarge, Message: "文件超过 20 MB，不能上传；请压缩图片或拆分文件后再传 (the file is over the 20 MB limit: compress or split it)",
		Details: []Detail{{Field: "file", Subject: name, Message: "文件大小上限为 20 MB (at most 20 MB)"}}}
}

func unsupported(name, why, whyEN string) error {
	return &Error{Code: EUnsupportedMedia, Message: fmt.Sprintf("文件“%s”%s；%s (%s: %s)", name, why, allowedTypes, whyEN, allowedTypesEN),
		Details: []Detail{{Field: "file", Subject: name, Message: fmt.Sprintf("%s (%s)", why, whyEN)}}}
}

// Sniff returns the type of a file's content: PDF, PNG, JPEG, or an
// Office Open XML workbook or document, told apart by the main part its
// [Content_Types].xml declares. Anything else — whatever its name says —
// is EUnsupportedMedia. name is only for the message.
func Sniff(name string, data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", &Error{Code: EInvalid, Message: fmt.Sprintf("文件“%s”是空的，请重新选择 (the file is empty)", name),
			Details: []Detail{{Field: "file", Subject: name, Message: "空文件 (empty file)"}}}
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return TypePDF, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG, nil
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return TypeJPEG, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return sniffOffice(name, data)
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "", unsupported(name, "是旧版 Office 格式（.doc/.xls），请在 Office 或 WPS 中另存为 .docx 或 .xlsx", "an old Office file (.doc/.xls): save it as .docx or .xlsx")
	}
	return "", unsupported(name, "的内容不是允许的类型", "the content is of a type not accepted")
}

// The main parts of an Office Open XML package, as [Content_Types].xml
// declares them. Macro-enabled workbooks and documents (.xlsm, .docm)
// declare other types and are refused.
const (
	xlsxMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	docxMain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)

// maxContentTypes bounds what is read of [Content_Types].xml (a few KB in
// real files): a crafted zip cannot make the check inflate gigabytes.
const maxContentTypes = 1 << 20

func sniffOffice(name string, data []byte) (string, error) {
	notOffice := func() error {
		return unsupported(name, "是压缩包，但不是 Word（.docx）或 Excel（.xlsx）文件", "a zip archive that is not a .docx or .xlsx file")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", notOffice()
	}
	for _, f := range zr.File {
		if f.Name != "[Content_Types].xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", notOffice()
		}
		ct, err := io.ReadAll(io.LimitReader(rc, maxContentTypes))
		rc.Close()
		if err != nil {
			return "", notOffice()
		}
		hasPart := func(main string) bool { return bytes.Contains(ct, []byte(`ContentType="`+main+`"`)) }
		switch {
		case hasPart(xlsxMain) && zipHas(zr, "xl/"):
			return TypeXLSX, nil
		case hasPart(docxMain) && zipHas(zr, "word/"):
			return TypeDOCX, nil
		}
		return "", notOffice()
	}
	return "", notOffice()
}

func zipHas(zr *zip.Reader, prefix string) bool {
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, prefix) {
			return true
		}
	}
	return false
}

// maxFileName is the longest file name kept, in characters.
const maxFileName = 120

// CleanFileName makes a file name safe to store and to send back: the last
// element of a path (old browsers send C:\…\name), control characters and
// quotes replaced, at most maxFileName characters, and ending in the
// extension of the type its content is (a PDF named x.exe is kept as
// x.exe.pdf, so it opens as what it is).
func CleanFileName(name, contentType string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || unicode.Is(unicode.Cf, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	want, ext := typeExt[contentType], path.Ext(name)
	if lower := strings.ToLower(ext); lower == want || (contentType == TypeJPEG && lower == ".jpeg") {
		name, want = strings.TrimSuffix(name, ext), ext // keep the extension as written (.PNG, .jpeg)
	}
	if utf8.RuneCountInString(name) > maxFileName {
		name = string([]rune(name)[:maxFileName])
	}
	if name == "" || strings.Trim(name, ".") == "" {
		name = "文件"
	}
	return name + want
}

// fileOwner is what a file belongs to, loaded to decide who may do what
// with it.
type fileOwner struct {
	cycle, kind, key string
	ind              Indicator // evidence: its indicator
	entry            *Entry    // evidence: its entry, if any
	unit             string    // report: its unit
}

// evidenceOwner loads the indicator code of cycle with its entry.
func (s *Service) evidenceOwner(ctx context.Context, cycle, code string) (fileOwner, error) {
	cs, err := s.collection()
	if err != nil {
		return fileOwner{}, err
	}
	if _, err := s.ledger.Cycle(ctx, cycle); err != nil {
		return fileOwner{}, err
	}
	inds, err := cs.Indicators(ctx, cycle)
	if err != nil {
		return fileOwner{}, err
	}
	o := fileOwner{cycle: cycle, kind: FileEvidence, key: code}
	found := false
	for _, ind := range inds {
		if ind.Code == code {
			o.ind, found = ind, true
			break
		}
	}
	if !found {
		return o, Errorf(ENotFound, "指标 %s 不存在 (no such indicator)", code)
	}
	entries, err := cs.Entries(ctx, cycle)
	if err != nil {
		return o, err
	}
	for _, e := range entries {
		if e.Indicator == code {
			e := e
			o.entry = &e
			break
		}
	}
	return o, nil
}

// mayRead reports whether u may list and download the owner's files:
// admins and viewers all; an assessor the evidence of its body's
// indicators; a unit account its own reports. Units do not read
// evidence: it is the bodies' working material, and the unit sees the
// approved value alone (DESIGN: nothing before approval).
func (o fileOwner) mayRead(u User) bool {
	switch u.Role {
	case RoleAdmin, RoleViewer:
		return true
	case RoleAssessor:
		return o.kind == FileEvidence && u.Body != "" && u.Body == o.ind.Source
	case RoleUnit:
		return o.kind == FileReport && u.Unit != "" && u.Unit == o.unit
	}
	return false
}

// mayChange returns nil if u may add or delete the owner's files now:
// evidence by the indicator's body while its entry is editable (none yet,
// draft or returned), or an admin at any time; a report by its unit or an
// admin.
func (o fileOwner) mayChange(u User) error {
	switch o.kind {
	case FileEvidence:
		if u.Role != RoleAdmin && (u.Role != RoleAssessor || u.Body == "" || u.Body != o.ind.Source) {
			return Errorf(EForbidden, "指标 %s 由其他考核主体填报，您不能为它上传或删除佐证材料 (another body enters this indicator)", o.key)
		}
		if u.Role != RoleAdmin && o.entry != nil && !o.entry.Editable() {
			return lockedError(o.key, o.entry.Status)
		}
	case FileReport:
		if u.Role != RoleAdmin && (u.Role != RoleUnit || u.Unit == "" || u.Unit != o.unit) {
			return Errorf(EForbidden, "只能上传本单位的报告 (you may upload only your own unit's reports)")
		}
	}
	return nil
}

func forbiddenRead() error {
	return Errorf(EForbidden, "您无权查看这个文件 (you may not open this file)")
}

// newFile checks data (size, type) and describes it.
func (s *Service) newFile(o fileOwner, who User, name string, data []byte) (File, error) {
	if len(data) > MaxFileSize {
		return File{}, TooLargeError(name)
	}
	shown := strings.TrimSpace(name)
	if shown == "" {
		shown = "（未命名）"
	}
	ct, err := Sniff(shown, data)
	if err != nil {
		return File{}, err
	}
	id := make([]byte, 16)
	if _, err := io.ReadFull(s.opt.Rand, id); err != nil {
		return File{}, fmt.Errorf("file id: %w", err)
	}
	sum := sha256.Sum256(data)
	return File{ID: hex.EncodeToString(id), Cycle: o.cycle, OwnerKind: o.kind, OwnerKey: o.key, Name: CleanFileName(name, ct),
		Size: int64(len(data)), ContentType: ct, SHA256: hex.EncodeToString(sum[:]), UploadedBy: who.Name, UploadedAt: time.Now().UTC()}, nil
}

// AddEvidence stores a file as evidence of the indicator code's entry
// (the body of its source while the entry is editable, or an admin).
func (s *Service) AddEvidence(ctx context.Context, cycle, code string, who User, name string, data []byte) (File, error) {
	fs, err := s.files()
	if err != nil {
		return File{}, err
	}
	o, err := s.evidenceOwner(ctx, cycle, code)
	if err != nil {
		return File{}, err
	}
	if err := o.mayChange(who); err != nil {
		return File{}, err
	}
	f, err := s.newFile(o, who, name, data)
	if err != nil {
		return File{}, err
	}
	_, err = fs.PutFile(ctx, f, data, false)
	return f, err
}

// Evidence lists the evidence of the indicator code, for those who may
// read it.
func (s *Service) Evidence(ctx context.Context, cycle, code string, who User) ([]File, error) {
	fs, err := s.files()
	if err != nil {
		return nil, err
	}
	o, err := s.evidenceOwner(ctx, cycle, code)
	if err != nil {
		return nil, err
	}
	if !o.mayRead(who) {
		return nil, Errorf(EForbidden, "指标 %s 由其他考核主体填报，您无权查看其佐证材料 (you may not read this indicator's evidence)", code)
	}
	return fs.Files(ctx, cycle, FileEvidence, code)
}

// owner loads the owner of a stored file.
func (s *Service) owner(ctx context.Context, f File) (fileOwner, error) {
	switch f.OwnerKind {
	case FileEvidence:
		o, err := s.evidenceOwner(ctx, f.Cycle, f.OwnerKey)
		if ErrorCode(err) == ENotFound {
			// The indicator has left the catalogue: only the office may
			// still reach its files.
			return fileOwner{cycle: f.Cycle, kind: f.OwnerKind, key: f.OwnerKey, ind: Indicator{Code: f.OwnerKey}}, nil
		}
		return o, err
	case FileReport:
		unit, _, _ := strings.Cut(f.OwnerKey, "/")
		return fileOwner{cycle: f.Cycle, kind: f.OwnerKind, key: f.OwnerKey, unit: unit}, nil
	}
	return fileOwner{cycle: f.Cycle, kind: f.OwnerKind, key: f.OwnerKey}, nil
}

// OpenFile returns a file and its bytes to one who may read it
// (EForbidden otherwise).
func (s *Service) OpenFile(ctx context.Context, id string, who User) (File, []byte, error) {
	fs, err := s.files()
	if err != nil {
		return File{}, nil, err
	}
	info, err := fs.FileInfo(ctx, id)
	if err != nil {
		return File{}, nil, err
	}
	o, err := s.owner(ctx, info)
	if err != nil {
		return File{}, nil, err
	}
	if !o.mayRead(who) {
		return File{}, nil, forbiddenRead()
	}
	return fs.FileData(ctx, id)
}

// RemoveFile deletes a file: evidence by its indicator's body while the
// entry is editable, or an admin; a report by its unit or an admin.
func (s *Service) RemoveFile(ctx context.Context, id string, who User) (File, error) {
	fs, err := s.files()
	if err != nil {
		return File{}, err
	}
	f, err := fs.FileInfo(ctx, id)
	if err != nil {
		return File{}, err
	}
	o, err := s.owner(ctx, f)
	if err != nil {
		return File{}, err
	}
	if !o.mayRead(who) {
		return File{}, forbiddenRead()
	}
	if err := o.mayChange(who); err != nil {
		return File{}, err
	}
	return f, fs.DeleteFile(ctx, id)
}

// reportOwner checks a unit and report kind of cycle.
func (s *Service) reportOwner(ctx context.Context, cycle, unit, kind string) (fileOwner, error) {
	units, err := s.Units(ctx, cycle) // also: the year exists
	if err != nil {
		return fileOwner{}, err
	}
	known := false
	for _, u := range units {
		known = known || u.Code == unit
	}
	if !known {
		return fileOwner{}, Errorf(ENotFound, "单位 %s 不在本年度单位名单中 (no such unit)", unit)
	}
	if !oneOf(kind, ReportKinds) {
		return fileOwner{}, Errorf(ENotFound, "没有“%s”这种报告：可上传 self_check（自查报告）或 duty（领导班子及科级干部述职述廉述效报告） (report kind: self_check or duty)", kind)
	}
	return fileOwner{cycle: cycle, kind: FileReport, key: unit + "/" + kind, unit: unit}, nil
}

// PutReport replaces a unit's report of a kind (the unit's account, or an
// admin) and returns it with the files it replaced.
func (s *Service) PutReport(ctx context.Context, cycle, unit, kind string, who User, name string, data []byte) (File, []File, error) {
	fs, err := s.files()
	if err != nil {
		return File{}, nil, err
	}
	o, err := s.reportOwner(ctx, cycle, unit, kind)
	if err != nil {
		return File{}, nil, err
	}
	if err := o.mayChange(who); err != nil {
		return File{}, nil, err
	}
	f, err := s.newFile(o, who, name, data)
	if err != nil {
		return File{}, nil, err
	}
	old, err := fs.PutFile(ctx, f, data, true)
	return f, old, err
}

// UnitReports is one unit's row of the reports list: its reports by kind
// (absent when not uploaded).
type UnitReports struct {
	Unit    string          `json:"unit"`
	Name    string          `json:"name"`
	Kind    string          `json:"kind"`
	Reports map[string]File `json:"reports"`
}

// Reports lists every unit's reports (admins and viewers), or a unit
// account's own.
func (s *Service) Reports(ctx context.Context, cycle string, who User) ([]UnitReports, error) {
	fs, err := s.files()
	if err != nil {
		return nil, err
	}
	if who.Role != RoleAdmin && who.Role != RoleViewer && who.Role != RoleUnit {
		return nil, Errorf(EForbidden, "您无权查看各单位的报告 (your role may not read the units' reports)")
	}
	units, err := s.Units(ctx, cycle)
	if err != nil {
		return nil, err
	}
	files, err := fs.Files(ctx, cycle, FileReport, "")
	if err != nil {
		return nil, err
	}
	byKey := map[string]File{}
	for _, f := range files { // oldest first: the newest of a key wins, should two ever be kept
		byKey[f.OwnerKey] = f
	}
	out := []UnitReports{}
	for _, u := range units {
		if who.Role == RoleUnit && u.Code != who.Unit {
			continue
		}
		row := UnitReports{Unit: u.Code, Name: u.Name, Kind: u.Kind, Reports: map[string]File{}}
		for _, k := range ReportKinds {
			if f, ok := byKey[u.Code+"/"+k]; ok {
				row.Reports[k] = f
			}
		}
		out = append(out, row)
	}
	return out, nil
}
