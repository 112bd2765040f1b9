package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/ceping/ceping/ballots"
)

// Creating accounts in bulk from a spreadsheet (one row per account), the
// template to fill in, and the generated passwords.
//
// The file is checked whole, like the year's lists (import.go): every bad
// cell is named by row and column, and no account is created unless every
// row is clean. Each account gets a generated password, returned once in
// the 201 answer for the hand-out slips and never stored or logged in
// plain text.

// maxImportAccounts bounds one file: hashing is the cost (see hashWorkers).
const maxImportAccounts = 500

var usersSpec = &sheetSpec{kind: "users", sheet: "账号", title: "账号名单",
	cols: []column{
		{key: "login", title: "登录名", aliases: []string{"用户名", "账号", "登录账号", "login", "username", "name"}, must: true, text: true,
			note: "必填。字母、数字、_ . -，不超过 64 位，以字母或数字开头，如 tjj01；不能与已有账号或本表其他行相同"},
		{key: "display", title: "姓名", aliases: []string{"名字", "使用人", "display_name"},
			note: "选填。使用该账号的人的姓名，不超过 32 个字"},
		{key: "role", title: "角色", aliases: []string{"账号角色", "role"}, must: true,
			choices: []string{"考核主体填报", "被考核单位", "考核组", "只读", "管理员"},
			note:    "必填。考核主体填报（assessor，填报本主体负责的指标）、被考核单位（unit，查看本单位的指标和数值）、考核组（group）、只读（viewer）、管理员（admin）"},
		{key: "bound", title: "考核主体/单位", aliases: []string{"考核主体", "单位", "所属单位", "所属考核主体", "绑定", "body", "unit"}, text: true,
			note: "考核主体填报账号填考核主体的编码或名称（如 TJJ 或 县统计局），被考核单位账号填单位的编码或名称（如 T01 或 城关镇）；须是某个考核年度中已有的。其他角色不填"},
	},
	example: [][]string{{"tjj01", "李统计", "考核主体填报", "TJJ"}, {"cgz01", "王城关", "被考核单位", "T01"}},
	notes: []string{"一行一个账号。导入后为每个账号生成初始密码，只显示一次：请当场打印账号通知单，交给本人，首次登录后请修改密码。",
		"请先在年度设置中添加考核主体和单位。一次最多导入 500 个账号。"}}

// roleCodes reads a role cell: the console's Chinese names, common
// variants, or the API codes.
var roleCodes = map[string]string{
	"考核主体填报": ballots.RoleAssessor, "考核主体": ballots.RoleAssessor, "填报": ballots.RoleAssessor, "考核主体填报员": ballots.RoleAssessor,
	"被考核单位": ballots.RoleUnit, "单位": ballots.RoleUnit, "被考核单位账号": ballots.RoleUnit,
	"考核组": ballots.RoleGroup, "只读": ballots.RoleViewer, "查看": ballots.RoleViewer, "管理员": ballots.RoleAdmin,
	"assessor": ballots.RoleAssessor, "unit": ballots.RoleUnit, "group": ballots.RoleGroup, "viewer": ballots.RoleViewer, "admin": ballots.RoleAdmin,
}

var loginRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// newAccount is a created account as the import answers it: with its
// password, this once.
type newAccount struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Body        string `json:"body"`
	Unit        string `json:"unit"`
	BoundName   string `json:"bound_name,omitempty"` // the body's or unit's name, for the hand-out
	Password    string `json:"password,omitempty"`
}

func (s *Server) usersTemplate(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), ".csv") || c.Query("format") == "csv" {
		body, err := usersSpec.csvTemplate()
		if err != nil {
			return err
		}
		setAttachment(c, "text/csv; charset=utf-8", usersSpec.title+"模板.csv", "users.csv")
		return c.Send(body)
	}
	body, err := usersSpec.xlsxTemplate()
	if err != nil {
		return err
	}
	setAttachment(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", usersSpec.title+"模板.xlsx", "users.xlsx")
	return c.Send(body)
}

// importUsers answers POST /users/import[?dry_run=1] (admin, multipart
// "file", .xlsx or .csv): 201 {"accounts":[…with "password"], "console_url"}
// once every row is clean and every account created; a dry run answers 200
// with the accounts it would create, without passwords. 400 naming each bad
// cell, 413 for a file over 1 MiB, 415 for a request that is not multipart.
func (s *Server) importUsers(c *fiber.Ctx) error {
	if err := s.admin(c); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt != fiber.MIMEMultipartForm {
		return ballots.Errorf("unsupported_media", "请以表单上传文件（multipart/form-data，字段 file） (send the file as multipart/form-data, field \"file\")")
	}
	data, err := uploadedFile(c)
	if err != nil {
		return err
	}
	t, err := readTable(data, usersSpec.sheet)
	if err != nil {
		return err
	}
	sh, err := parseSheet(usersSpec, t)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	accounts, err := s.accountRows(ctx, sh)
	if err != nil {
		return err
	}
	if c.QueryBool("dry_run") {
		return c.JSON(fiber.Map{"dry_run": true, "count": len(accounts), "accounts": accounts})
	}
	for i := range accounts {
		if accounts[i].Password, err = readablePassword(14); err != nil {
			return err
		}
	}
	if err := s.createAccounts(ctx, accounts); err != nil {
		return err
	}
	names := make([]string, len(accounts))
	for i, a := range accounts {
		names[i] = a.Name
	}
	target := strings.Join(names, "、")
	if len(names) > 20 {
		target = strings.Join(names[:20], "、") + fmt.Sprintf(" 等 %d 个", len(names))
	}
	s.audit(c, s.actor(c), auditUserCreate, target, fmt.Sprintf("批量新建账号 %d 个", len(accounts)))
	c.Set(fiber.HeaderCacheControl, "no-store") // the answer holds passwords
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"accounts": accounts,
		"console_url": strings.TrimRight(s.cfg.BaseURL, "/") + "/console"})
}

// uploadedFile reads the multipart field "file", at most BodyLimit bytes.
func uploadedFile(c *fiber.Ctx) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, ballots.Errorf(ballots.EInvalid, "请选择要上传的文件（.xlsx 或 .csv，不超过 1 MB） (send the file as multipart field \"file\")")
	}
	if fh.Size > BodyLimit {
		return nil, ballots.Errorf(ballots.ETooLarge, "文件超过 1 MB，请删去多余的工作表或拆分后分批导入 (file over 1 MiB)")
	}
	fd, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer fd.Close()
	data, err := io.ReadAll(io.LimitReader(fd, BodyLimit+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return data, nil
}

// bindings are the bodies and units of every year by code, with their
// names, for resolving a cell that names one by code or by name.
type bindings struct {
	bodies, units map[string]string // code → name
}

func (s *Server) bindings(ctx context.Context) (bindings, error) {
	b := bindings{bodies: map[string]string{}, units: map[string]string{}}
	cycles, err := s.svc.Cycles(ctx)
	if err != nil {
		return b, err
	}
	for _, cy := range cycles {
		bodies, err := s.svc.Bodies(ctx, cy.Code)
		if err != nil {
			return b, err
		}
		for _, x := range bodies {
			b.bodies[x.Code] = x.Name
		}
		units, err := s.svc.Units(ctx, cy.Code)
		if err != nil {
			return b, err
		}
		for _, x := range units {
			b.units[x.Code] = x.Name
		}
	}
	return b, nil
}

// resolve finds v among codes (by code, or by a name only one code has):
// the code, and how many codes have that name when none is its code.
func resolve(v string, codes map[string]string) (string, int) {
	if _, ok := codes[v]; ok {
		return v, 1
	}
	found, n := "", 0
	for code, name := range codes {
		if name == v {
			found, n = code, n+1
		}
	}
	return found, n
}

// accountRows reads and checks the accounts sheet against the accounts
// that exist and the years' bodies and units.
func (s *Server) accountRows(ctx context.Context, sh *sheet) ([]newAccount, error) {
	if len(sh.data) > maxImportAccounts {
		return nil, ballots.Errorf(ballots.EInvalid, "一次最多导入 %d 个账号，文件有 %d 行：请拆分后分批导入 (at most %d accounts per file)", maxImportAccounts, len(sh.data), maxImportAccounts)
	}
	existing, err := s.svc.Users(ctx)
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(existing))
	for _, u := range existing {
		taken[strings.ToLower(u.Name)] = true
	}
	bind, err := s.bindings(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{} // login (lower case) → its row number
	out := make([]newAccount, len(sh.data))
	for i := range sh.data {
		a := newAccount{Name: sh.get(i, "login"), DisplayName: sh.get(i, "display")}
		key := strings.ToLower(a.Name)
		switch {
		case a.Name == "":
			sh.bad(i, "login", "不能为空：填登录名，如 tjj01 (enter a login name)")
		case !loginRE.MatchString(a.Name):
			sh.bad(i, "login", "登录名“%s”请用字母、数字或 _ . -，以字母或数字开头，不超过 64 位；姓名填在“姓名”一栏 (login names use letters and digits)", a.Name)
		case seen[key] > 0:
			sh.bad(i, "login", "登录名 %s 与第 %d 行重复 (the same login name as row %d)", a.Name, seen[key], seen[key])
		case taken[key]:
			sh.bad(i, "login", "登录名 %s 已有账号使用，请换一个 (this login name is taken)", a.Name)
		}
		if key != "" && seen[key] == 0 {
			seen[key] = sh.rows[i]
		}
		if n := utf8.RuneCountInString(a.DisplayName); n > 32 {
			sh.bad(i, "display", "姓名不超过 32 个字，这里有 %d 个 (at most 32 characters)", n)
		}
		role := sh.get(i, "role")
		var ok bool
		if a.Role, ok = roleCodes[strings.ToLower(role)]; !ok {
			if role == "" {
				sh.bad(i, "role", "不能为空：应为 考核主体填报、被考核单位、考核组、只读 或 管理员 (enter a role)")
			} else {
				sh.bad(i, "role", "应为 考核主体填报、被考核单位、考核组、只读 或 管理员，而不是“%s” (unknown role)", role)
			}
		}
		bound := sh.get(i, "bound")
		switch a.Role {
		case ballots.RoleAssessor, ballots.RoleUnit:
			codes, what, whatEN := bind.bodies, "考核主体", "body"
			if a.Role == ballots.RoleUnit {
				codes, what, whatEN = bind.units, "单位", "unit"
			}
			code, n := resolve(bound, codes)
			switch {
			case bound == "":
				sh.bad(i, "bound", "请填该账号所属的%s（编码或名称） (enter the account's %s)", what, whatEN)
			case n == 0:
				sh.bad(i, "bound", "%s“%s”不在任何考核年度中：请填已有的编码或名称，或先在年度设置中添加 (no year has this %s)", what, bound, whatEN)
			case n > 1:
				sh.bad(i, "bound", "有 %d 个%s名为“%s”：请填编码 (several %ss have this name: use the code)", n, what, bound, whatEN)
			case a.Role == ballots.RoleAssessor:
				a.Body, a.BoundName = code, codes[code]
			default:
				a.Unit, a.BoundName = code, codes[code]
			}
		case "":
		default:
			if bound != "" {
				sh.bad(i, "bound", "%s账号不绑定考核主体或单位，请留空 (this role is bound to no body or unit)", roleNameZH(a.Role))
			}
		}
		out[i] = a
	}
	return out, sh.errs.err(usersSpec)
}

// hashWorkers is how many accounts are created at once: bcrypt hashing
// is CPU-bound, so as many as there are processors to run it.
func hashWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// createAccounts creates every account, hashing in parallel (bounded by
// hashWorkers). Rows were checked before, so a failure here is a race
// (another admin took a name meanwhile) or the database: then the accounts
// already created are removed again, so that the file is all or nothing.
func (s *Server) createAccounts(ctx context.Context, accounts []newAccount) error {
	errs := make([]error, len(accounts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range hashWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := accounts[i]
				errs[i] = s.svc.AddUser(ctx, ballots.User{Name: a.Name, DisplayName: a.DisplayName, Role: a.Role, Body: a.Body, Unit: a.Unit}, a.Password)
			}
		}()
	}
	for i := range accounts {
		next <- i
	}
	close(next)
	wg.Wait()
	var failed error
	for i, err := range errs {
		if err != nil && failed == nil {
			failed = fmt.Errorf("create account %s: %w", accounts[i].Name, err)
		}
	}
	if failed == nil {
		return nil
	}
	for i, err := range errs {
		if err == nil {
			if derr := s.svc.DeleteUser(context.WithoutCancel(ctx), accounts[i].Name); derr != nil {
				s.log.Error("bulk accounts: could not remove a created account after a failure", "user", accounts[i].Name, "err", derr)
			}
		}
	}
	var be *ballots.Error
	if errors.As(failed, &be) {
		return &ballots.Error{Code: be.Code, Details: be.Details,
			Message: "没有新建任何账号：" + be.Message}
	}
	return failed
}

// passwordChars leaves out what reads alike on paper: 0 O o, 1 l I.
const passwordChars = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// readablePassword is n characters from passwordChars, uniformly drawn
// from crypto/rand (n = 14 gives about 81 bits).
func readablePassword(n int) (string, error) {
	var b strings.Builder
	size := big.NewInt(int64(len(passwordChars)))
	for range n {
		k, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		b.WriteByte(passwordChars[k.Int64()])
	}
	return b.String(), nil
}
