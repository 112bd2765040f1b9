package server

import (
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/ceping/ceping/ballots"
)

// Files (issue 12 items 3 and 5): evidence per entry and each unit's two
// reports, kept in the database (ballots/files.go has the rules). Uploads
// are multipart with the file in the field "file".
func registerFileRoutes(s *Server, r fiber.Router) {
	r.Post("/cycles/:cycle/indicators/:code/evidence", s.postEvidence)
	r.Get("/cycles/:cycle/indicators/:code/evidence", s.getEvidence)
	r.Put("/cycles/:cycle/units/:unit/reports/:kind", s.putReport)
	r.Get("/cycles/:cycle/reports", s.getReports)
	r.Get("/files/:id", s.getFile)
	r.Delete("/files/:id", s.deleteFile)
}

// Audit actions of files: the name and size, never the content.
const (
	auditFileUpload   = "file.upload"
	auditFileDelete   = "file.delete"
	auditReportUpload = "report.upload"
)

// UploadBodyLimit is the largest request body of the upload routes: a
// file of ballots.MaxFileSize with room for its multipart framing. Every
// other route keeps BodyLimit.
const UploadBodyLimit = ballots.MaxFileSize + 1<<20

// uploadReadTimeout is how long an upload may take to arrive: 20 MB over
// a county office's slow line, not the 30 seconds of other requests.
const uploadReadTimeout = 5 * time.Minute

// isUploadRoute reports whether method and the request target (path and
// query) are one of the upload routes:
// POST /api/v1/cycles/{c}/indicators/{code}/evidence and
// PUT /api/v1/cycles/{c}/units/{unit}/reports/{kind}.
func isUploadRoute(method, target string) bool {
	p, _, _ := strings.Cut(target, "?")
	rest, ok := strings.CutPrefix(p, "/api/v1/cycles/")
	if !ok {
		return false
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case method == fiber.MethodPost && len(seg) == 4:
		return seg[1] == "indicators" && seg[3] == "evidence"
	case method == fiber.MethodPut && len(seg) == 5:
		return seg[1] == "units" && seg[3] == "reports"
	}
	return false
}

// uploadLimits is the fasthttp server's HeaderReceived hook: the upload
// routes may send UploadBodyLimit bytes, over uploadReadTimeout. The zero
// RequestConfig keeps the server's own limit (BodyLimit) for every other
// route, which fasthttp enforces before reading the body, on the
// Content-Length alone, and while reading a chunked one.
func uploadLimits(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if isUploadRoute(string(h.Method()), string(h.RequestURI())) {
		return fasthttp.RequestConfig{MaxRequestBodySize: UploadBodyLimit, ReadTimeout: uploadReadTimeout}
	}
	return fasthttp.RequestConfig{}
}

// uploadTooLarge is the 413 of a body over a route's limit: the file
// limit on the upload routes, else err (fromFiber's 1 MiB message).
func uploadTooLarge(c *fiber.Ctx, err error) error {
	if ballots.ErrorCode(err) == ballots.ETooLarge && isUploadRoute(c.Method(), string(c.Request().RequestURI())) {
		return ballots.TooLargeError("")
	}
	return err
}

// uploadSlots bounds the uploads being read and stored at once: each holds
// its file about twice (our slice and the driver's copy) until it is
// written, so ten 20 MB uploads at once do not take ten times that.
var uploadSlots = make(chan struct{}, 2)

// uploadWait is how long an upload waits for a slot before 503 (tests
// shorten it).
var uploadWait = time.Minute

// uploadSlot waits for a slot; release it when the file is stored.
func uploadSlot() (release func(), err error) {
	t := time.NewTimer(uploadWait)
	defer t.Stop()
	select {
	case uploadSlots <- struct{}{}:
		return func() { <-uploadSlots }, nil
	case <-t.C:
		return nil, ballots.Errorf(ballots.EUnavailable, "正在保存其他上传的文件，请稍后重试 (other uploads are being stored: try again shortly)")
	}
}

// upload reads the multipart field "file": its name and bytes. fasthttp
// has already parsed the form (up to 16 MB in memory, larger to a
// temporary file); the bytes are read once into a slice of the file's
// size and the form is let go, so a 20 MB upload is held about twice at
// most.
func upload(c *fiber.Ctx) (string, []byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mt != fiber.MIMEMultipartForm {
		return "", nil, &ballots.Error{Code: ballots.EUnsupportedMedia, Message: "请以 multipart/form-data 上传文件，文件放在 file 字段 (send the file as multipart/form-data, field \"file\")",
			Details: []ballots.Detail{{Field: "Content-Type", Message: fmt.Sprintf("收到的是 %q (got %q)", mt, mt)}}}
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return "", nil, &ballots.Error{Code: ballots.EInvalid, Message: "请选择要上传的文件（PDF、图片、.xlsx 或 .docx，不超过 20 MB） (send the file in the multipart field \"file\")",
			Details: []ballots.Detail{{Field: "file", Message: "没有文件 (no file)"}}}
	}
	name := strings.Clone(fh.Filename)
	if fh.Size > ballots.MaxFileSize {
		return name, nil, ballots.TooLargeError(name)
	}
	fd, err := fh.Open()
	if err != nil {
		return name, nil, fmt.Errorf("open upload: %w", err)
	}
	defer fd.Close()
	data := make([]byte, fh.Size)
	if _, err := io.ReadFull(fd, data); err != nil {
		return name, nil, fmt.Errorf("read upload: %w", err)
	}
	c.Request().RemoveMultipartFormFiles()
	return name, data, nil
}

func (s *Server) postEvidence(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleAssessor)
	if err != nil {
		return err
	}
	release, err := uploadSlot()
	if err != nil {
		return err
	}
	defer release()
	name, data, err := upload(c)
	if err != nil {
		return err
	}
	cycle, code := strings.Clone(c.Params("cycle")), strings.Clone(c.Params("code"))
	f, err := s.svc.AddEvidence(c.UserContext(), cycle, code, u, name, data)
	if err != nil {
		return err
	}
	s.audit(c, u, auditFileUpload, cycle+"/"+code, fmt.Sprintf("上传佐证材料：%s（%s）", f.Name, sizeText(f.Size)))
	return c.Status(fiber.StatusCreated).JSON(f)
}

func (s *Server) getEvidence(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleAssessor)
	if err != nil {
		return err
	}
	files, err := s.svc.Evidence(c.UserContext(), c.Params("cycle"), strings.Clone(c.Params("code")), u)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"files": files})
}

func (s *Server) putReport(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleUnit)
	if err != nil {
		return err
	}
	release, err := uploadSlot()
	if err != nil {
		return err
	}
	defer release()
	name, data, err := upload(c)
	if err != nil {
		return err
	}
	cycle, unit, kind := strings.Clone(c.Params("cycle")), strings.Clone(c.Params("unit")), strings.Clone(c.Params("kind"))
	f, old, err := s.svc.PutReport(c.UserContext(), cycle, unit, kind, u, name, data)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("上传%s：%s（%s）", ballots.ReportName(kind), f.Name, sizeText(f.Size))
	if len(old) > 0 {
		detail += fmt.Sprintf("，替换 %s", old[len(old)-1].Name)
	}
	s.audit(c, u, auditReportUpload, cycle+"/"+unit, detail)
	return c.JSON(f)
}

func (s *Server) getReports(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleUnit)
	if err != nil {
		return err
	}
	rows, err := s.svc.Reports(c.UserContext(), c.Params("cycle"), u)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"kinds": ballots.ReportKinds, "units": rows})
}

// getFile answers GET /files/{id}: the bytes as an attachment of their
// stored type, never to be sniffed or run as a page.
func (s *Server) getFile(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleViewer, ballots.RoleAssessor, ballots.RoleUnit)
	if err != nil {
		return err
	}
	f, data, err := s.svc.OpenFile(c.UserContext(), strings.Clone(c.Params("id")), u)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(f.Name))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Set("Cache-Control", "private, no-store")
	return c.Send(data)
}

// contentDisposition is an attachment header naming the file in UTF-8
// (RFC 5987 / 6266 filename*), with an ASCII fallback for old clients.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}

// isAttrChar reports whether b may stand unencoded in an RFC 5987 value.
func isAttrChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

func (s *Server) deleteFile(c *fiber.Ctx) error {
	u, err := s.requireRole(c, ballots.RoleAdmin, ballots.RoleAssessor, ballots.RoleUnit)
	if err != nil {
		return err
	}
	f, err := s.svc.RemoveFile(c.UserContext(), strings.Clone(c.Params("id")), u)
	if err != nil {
		return err
	}
	what := "佐证材料"
	if f.OwnerKind == ballots.FileReport {
		_, kind, _ := strings.Cut(f.OwnerKey, "/")
		what = ballots.ReportName(kind)
	}
	s.audit(c, u, auditFileDelete, f.Cycle+"/"+strings.SplitN(f.OwnerKey, "/", 2)[0], fmt.Sprintf("删除%s：%s（%s）", what, f.Name, sizeText(f.Size)))
	return c.JSON(f)
}

// sizeText is a file size as people read it: 1.5 MB, 320 KB, 900 B.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
