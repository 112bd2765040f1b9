package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ceping/ceping/ballots"
)

// uploadAs posts data as the multipart field "file" as user.
func (ts *testServer) uploadAs(t testing.TB, url, as, filename string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	r := httptest.NewRequest("POST", url, &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	if as != "" {
		r.Header.Set("Authorization", ts.bearer(as))
	}
	res, err := ts.srv.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// workbook is an .xlsx whose first sheet holds rows.
func workbook(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type importedAccounts struct {
	Accounts   []newAccount `json:"accounts"`
	ConsoleURL string       `json:"console_url"`
	DryRun     bool         `json:"dry_run"`
}

func (ts *testServer) userNames(t *testing.T) string {
	t.Helper()
	var out struct{ Users []ballots.User }
	ts.call(t, "GET", "/api/v1/users", adminUser, nil, 200, &out)
	var names []string
	for _, u := range out.Users {
		names = append(names, u.Name+":"+u.Role+":"+u.Body+u.Unit)
	}
	return strings.Join(names, ",")
}

const importURL = "/api/v1/users/import"

// A clean file creates every account, bound to the body or unit its row
// names by code or by name, each with a readable generated password that
// signs in; the answer is the only place the passwords appear.
func TestUsersImportCreates(t *testing.T) {
	ts := collectYear(t)
	file := "\uFEFF登录名,姓名,角色,考核主体/单位\r\n" +
		"tjj02,李统计,考核主体填报,TJJ\r\n" +
		"ajj02,,assessor,县应急管理局\r\n" +
		"cgz,王城关,被考核单位,城关镇\r\n" +
		"hkz,,unit,T02\r\n" +
		"zzb,组织部,只读,\r\n"
	status, body := ts.uploadAs(t, importURL, adminUser, "accounts.csv", []byte(file))
	if status != 201 {
		t.Fatalf("import: %d %s", status, body)
	}
	var got importedAccounts
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ConsoleURL != "http://test/console" {
		t.Errorf("console_url = %q", got.ConsoleURL)
	}
	want := []string{"tjj02 assessor TJJ 县统计局", "ajj02 assessor AJJ 县应急管理局", "cgz unit T01 城关镇", "hkz unit T02 河口镇", "zzb viewer  "}
	if len(got.Accounts) != len(want) {
		t.Fatalf("accounts: %+v", got.Accounts)
	}
	for i, a := range got.Accounts {
		if s := a.Name + " " + a.Role + " " + a.Body + a.Unit + " " + a.BoundName; s != want[i] {
			t.Errorf("account %d = %q, want %q", i, s, want[i])
		}
		if len(a.Password) < 12 || strings.ContainsAny(a.Password, "0O1lIo") {
			t.Errorf("password of %s is not readable: %q", a.Name, a.Password)
		}
		if strings.Contains(string(body[:0]), a.Password) || strings.Contains(ts.log.String(), a.Password) {
			t.Errorf("the password of %s is in the log", a.Name)
		}
		if _, err := ts.tryLogin(a.Name, a.Password); err != nil {
			t.Errorf("%s cannot sign in with the password given: %v", a.Name, err)
		}
	}
	if got.Accounts[0].Password == got.Accounts[1].Password {
		t.Error("two accounts got the same password")
	}
	// The stored accounts carry their binding; an assessor reads its body's indicators.
	u, err := ts.svc.User(t.Context(), "ajj02")
	if err != nil || u.Role != ballots.RoleAssessor || u.Body != "AJJ" {
		t.Fatalf("ajj02 stored as %+v %v", u, err)
	}
	// One audit entry, without passwords.
	log := ts.auditLog(t, "")
	found := false
	for _, e := range log.Entries {
		if e.Detail == "批量新建账号 5 个" {
			found = strings.Contains(e.Target, "tjj02") && strings.Contains(e.Target, "zzb")
		}
		for _, a := range got.Accounts {
			if strings.Contains(e.Detail+e.Target, a.Password) {
				t.Errorf("the audit log holds a password: %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no audit entry 批量新建账号 5 个 naming the accounts: %+v", log.Entries)
	}
}

// A dry run checks the file and stores nothing, and gives no password.
func TestUsersImportDryRun(t *testing.T) {
	ts := collectYear(t)
	before := ts.userNames(t)
	status, body := ts.uploadAs(t, importURL+"?dry_run=1", adminUser, "a.xlsx",
		workbook(t, [][]any{{"登录名", "姓名", "角色", "考核主体/单位"}, {"new1", "甲", "考核主体填报", "县统计局"}, {"new2", "", "考核组", ""}}))
	if status != 200 {
		t.Fatalf("dry run: %d %s", status, body)
	}
	var got importedAccounts
	if err := json.Unmarshal(body, &got); err != nil || !got.DryRun || len(got.Accounts) != 2 || got.Accounts[0].Body != "TJJ" {
		t.Fatalf("dry run answer: %s", body)
	}
	if strings.Contains(string(body), `"password"`) {
		t.Errorf("a dry run gave passwords: %s", body)
	}
	if after := ts.userNames(t); after != before {
		t.Fatalf("a dry run created accounts:\n%s\n→\n%s", before, after)
	}
}

// Bad rows are named by row and column, in Chinese with English, and
// nothing is created, not even the good rows.
func TestUsersImportBadRows(t *testing.T) {
	ts := collectYear(t)
	before := ts.userNames(t)
	file := workbook(t, [][]any{
		{"登录名", "姓名", "角色", "考核主体/单位"},
		{"good1", "甲", "考核主体填报", "TJJ"},
		{"bad2", "乙", "局长", ""},                      // row 3: no such role
		{"bad3", "", "考核主体填报", "县水利局"},               // row 4: unknown body
		{"good1", "", "考核组", ""},                     // row 5: the same login as row 2
		{"TJJ", "", "只读", ""},                        // row 6: taken (tjj exists; names compare without case)
		{"bad7", "", "被考核单位", "X99"},                 // row 7: unknown unit
		{"bad8", "", "只读", "TJJ"},                    // row 8: a viewer bound to a body
		{"张三", "", "考核组", ""},                        // row 9: a Chinese login name
		{"bad10", "", "被考核单位", ""},                   // row 10: a unit account without its unit
		{"bad11", strings.Repeat("名", 33), "只读", ""}, // row 11: a name too long
	})
	status, body := ts.uploadAs(t, importURL, adminUser, "bad.xlsx", file)
	if status != 400 {
		t.Fatalf("bad file: %d %s", status, body)
	}
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range e.Error.Details {
		lines = append(lines, d.Field+"："+d.Message+" ("+d.MessageEN+")")
	}
	msg := e.Error.Message + " (" + e.Error.MessageEN + ")\n" + strings.Join(lines, "\n")
	for _, w := range []string{
		"账号名单文件有 9 处错误", "没有导入任何数据", "nothing was imported",
		"第 3 行 C 列（角色）：应为 考核主体填报、被考核单位、考核组、只读 或 管理员，而不是“局长” (unknown role)",
		"第 4 行 D 列（考核主体/单位）：考核主体“县水利局”不在任何考核年度中",
		"第 5 行 A 列（登录名）：登录名 good1 与第 2 行重复 (the same login name as row 2)",
		"第 6 行 A 列（登录名）：登录名 TJJ 已有账号使用",
		"第 7 行 D 列（考核主体/单位）：单位“X99”不在任何考核年度中",
		"第 8 行 D 列（考核主体/单位）：只读账号不绑定考核主体或单位",
		"第 9 行 A 列（登录名）：登录名“张三”请用字母",
		"第 10 行 D 列（考核主体/单位）：请填该账号所属的单位",
		"第 11 行 B 列（姓名）：姓名不超过 32 个字",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("the error does not say %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "第 2 行") && !strings.Contains(msg, "与第 2 行") {
		t.Errorf("the good row 2 is named as bad:\n%s", msg)
	}
	if after := ts.userNames(t); after != before {
		t.Fatalf("a file with bad rows created accounts:\n%s\n→\n%s", before, after)
	}
}

// Who may import, and what is not a file of accounts.
func TestUsersImportRefusals(t *testing.T) {
	ts := collectYear(t)
	good := []byte("登录名,角色\nok1,只读\n")
	for _, tc := range []struct {
		name   string
		as     string
		file   string
		data   []byte
		status int
		want   string
	}{
		{"Anonymous", "", "a.csv", good, 401, "unauthorized"},
		{"Group", groupUser, "a.csv", good, 403, "forbidden"},
		{"Viewer", viewerUser, "a.csv", good, 403, "forbidden"},
		{"Assessor", tjjUser, "a.csv", good, 403, "forbidden"},
		{"UnitAccount", unitUser, "a.csv", good, 403, "forbidden"},
		{"OldExcel", adminUser, "old.xls", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 64)...), 400, "另存为"},
		{"Binary", adminUser, "a.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), 400, "请上传 .xlsx 或 .csv"},
		{"WrongColumns", adminUser, "a.csv", []byte("姓名,年龄\n张三,30\n"), 400, "缺少列：登录名、角色"},
		{"Empty", adminUser, "a.csv", nil, 400, "文件是空的"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ts.uploadAs(t, importURL, tc.as, tc.file, tc.data)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s, want %d with %q", status, body, tc.status, tc.want)
			}
		})
	}
	t.Run("TooLarge", func(t *testing.T) {
		addr := strings.TrimPrefix(ts.listen(t), "http://")
		status, body := rawRequest(t, addr, "POST", importURL, map[string]string{"Authorization": ts.bearer(adminUser),
			"Content-Type": "multipart/form-data; boundary=xx"}, BodyLimit+4096,
			"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n登录名,角色\n")
		if status != 413 || !strings.Contains(string(body), "too_large") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("NotMultipart", func(t *testing.T) {
		ts.run(t, []scenario{{name: "JSON", method: "POST", url: importURL, as: adminUser, body: `[{"name":"x"}]`, status: 415, code: "unsupported_media"}})
	})
	t.Run("Template", func(t *testing.T) {
		ts.run(t, []scenario{
			{name: "Group", method: "GET", url: "/api/v1/templates/users.xlsx", as: groupUser, status: 403, code: "forbidden"},
			{name: "Assessor", method: "GET", url: "/api/v1/templates/users.csv", as: tjjUser, status: 403, code: "forbidden"},
		})
	})
	if strings.Contains(ts.userNames(t), "ok1") {
		t.Fatal("a refused import created an account")
	}
}

// The template (Excel and CSV) has the columns, a 说明 sheet, and its
// example rows import as they are into a year that has TJJ and T01.
func TestUsersImportTemplate(t *testing.T) {
	ts := collectYear(t)
	status, data, h := ts.doFull(t, req{method: "GET", url: "/api/v1/templates/users.xlsx", as: adminUser})
	if status != 200 || !strings.Contains(h.Get("Content-Disposition"), "users.xlsx") {
		t.Fatalf("template: %d %v", status, h)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	rows, _ := f.GetRows(sheets[0])
	f.Close()
	if len(sheets) != 2 || sheets[1] != "说明" || len(rows) < 3 || strings.Join(rows[0], ",") != "登录名,姓名,角色,考核主体/单位" {
		t.Fatalf("template sheets %v, rows %v", sheets, rows)
	}
	if status, body := ts.uploadAs(t, importURL+"?dry_run=1", adminUser, "users.xlsx", data); status != 200 {
		t.Fatalf("the template's example does not import: %d %s", status, body)
	}
	for _, url := range []string{"/api/v1/templates/users.csv", "/api/v1/templates/users.xlsx?format=csv"} {
		status, data, h := ts.doFull(t, req{method: "GET", url: url, as: adminUser})
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(data), "\uFEFF登录名,姓名,角色,考核主体/单位\r\n") {
			t.Fatalf("%s: %d %q", url, status, data)
		}
		if status, body := ts.uploadAs(t, importURL, adminUser, "users.csv", data); status != 201 {
			t.Fatalf("the CSV template's example does not import: %d %s", status, body)
		}
		ts.call(t, "DELETE", "/api/v1/users/tjj01", adminUser, nil, 204, nil)
		ts.call(t, "DELETE", "/api/v1/users/cgz01", adminUser, nil, 204, nil)
	}
}

// Many accounts in one file: hashing in parallel keeps it to seconds. 40
// by default; CEPING_MEASURE_ACCOUNTS=1 makes it the 200 of the notes'
// measurement. The time is logged.
func TestUsersImportMany(t *testing.T) {
	n := 40
	if os.Getenv("CEPING_MEASURE_ACCOUNTS") != "" {
		n = 200
	}
	ts := collectYear(t)
	var b strings.Builder
	b.WriteString("登录名,角色,考核主体/单位\n")
	for i := range n {
		fmt.Fprintf(&b, "bulk%03d,考核主体填报,TJJ\n", i)
	}
	start := time.Now()
	status, body := ts.uploadAs(t, importURL, adminUser, "many.csv", []byte(b.String()))
	took := time.Since(start)
	if status != 201 {
		t.Fatalf("%d %s", status, body[:min(len(body), 500)])
	}
	t.Logf("%d accounts created in %v with %d hashing workers", n, took, hashWorkers())
	if took > time.Minute {
		t.Fatalf("%d accounts took %v", n, took)
	}
	var got importedAccounts
	if err := json.Unmarshal(body, &got); err != nil || len(got.Accounts) != n {
		t.Fatalf("%v %d", err, len(got.Accounts))
	}
	if _, err := ts.tryLogin(got.Accounts[n-1].Name, got.Accounts[n-1].Password); err != nil {
		t.Fatal(err)
	}
}

func TestReadablePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p, err := readablePassword(14)
		if err != nil || len(p) != 14 || strings.ContainsAny(p, "0O1lIo") || seen[p] {
			t.Fatalf("%q %v", p, err)
		}
		seen[p] = true
	}
}
