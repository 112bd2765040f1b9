package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBlankPaperForm: the printable paper form of a voter group has the
// same sections, subjects and options as the phone's ballot, says the
// limits in words, and holds no slip code and no count — for the meeting's
// staff and admins only, before and after the meeting opens.
func TestBlankPaperForm(t *testing.T) {
	a, p, auth := newPageRunner(t)
	blank := "/console/cycles/2020/meetings/M1/groups/cadres/blank"
	want := []string{"城关镇工作报告大会测评表", "城关镇2020年度工作报告大会", "被考核单位：城关镇", "参评人员类别：机关干部",
		"民主测评", "单位互评", "县财政局", "县教育局", "在方框内填写 60–100 之间的分数",
		"科级干部测评", "张建国", "李卫东", "王秀兰", `<th colspan="4" class="dim">德</th>`,
		// 德能勤绩廉 × 4 grades: headers abbreviated, spelt out above the table.
		`<th class="opt">基</th>`, `<p class="legend">优＝优秀　称＝称职　基＝基本称职　不＝不称职</p>`,
		"每一项中“优秀”最多 1 个", "无任用推荐", "最多选 1 人", "本项选填", "□", "blank.js"}
	p.run(t, []pageCase{
		{name: "pending/admin", method: "GET", path: blank, auth: "cookie", status: 200, contains: want, absent: []string{"sha256:", "票码："}},
		{name: "pending/staff", method: "GET", path: blank, auth: auth["zhang"], status: 200, contains: []string{"张建国"}},
		{name: "pending/outsider", method: "GET", path: blank, auth: auth["wang"], status: 403, absent: []string{"张建国"}},
		{name: "pending/viewer", method: "GET", path: blank, auth: auth["viewer"], status: 403, absent: []string{"张建国"}},
		{name: "unknown group", method: "GET", path: "/console/cycles/2020/meetings/M1/groups/nobody/blank", auth: "cookie", status: 404},
	})

	// Once open, the paper form is the meeting's snapshot: a person added to
	// the lists afterwards is on neither the phones' ballot nor the paper.
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/batches", "", map[string]any{"group": "cadres", "count": 1}, 201, nil)
	a.call("POST", "/api/v1/cycles/2020/meetings/M1/open", "", nil, 200, nil)
	a.call("PUT", "/api/v1/cycles/2020/people", "", []map[string]any{
		{"code": "P01", "name": "张建国", "unit": "T01", "post": "党委书记"}, {"code": "P02", "name": "李卫东", "unit": "T01", "post": "镇长"},
		{"code": "P03", "name": "王秀兰", "unit": "T01", "post": "人大主席"}, {"code": "P04", "name": "赵新来", "unit": "T01", "post": "副镇长"}}, 200, nil)
	p.run(t, []pageCase{
		{name: "open/admin", method: "GET", path: blank, auth: "cookie", status: 200, contains: []string{"张建国", "王秀兰"}, absent: []string{"赵新来", "重新打印"}},
	})
}

// TestBrowserBlankPaperForm: from the run page, the blank paper form of a
// group opens and prints on A4 with every column of the 德能勤绩廉 grid on
// the page.
func TestBrowserBlankPaperForm(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	b := newBrowserApp(t, 794, 1123, "") // A4 at 96 dpi
	runYear(b.app)
	run := "/console/cycles/2020/meetings/M1"
	browserSignIn(b, run)
	b.waitFor(`document.querySelectorAll('#blank-links a').length === 2`, 10*time.Second)
	href := b.js(`document.querySelector('#blank-links a[data-group="cadres"]').getAttribute('href')`).(string)
	if label := b.js(`document.querySelector('#blank-links a[data-group="cadres"]').textContent`).(string); !strings.Contains(label, "机关干部") {
		t.Errorf("the link reads %q", label)
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+href)); err != nil {
		t.Fatal(err)
	}
	b.waitFor(`document.readyState === 'complete' && !!document.querySelector('.grid.dims')`, 10*time.Second)
	if over := b.js(`document.querySelector('.grid.dims').getBoundingClientRect().right - document.documentElement.clientWidth`).(float64); over > 0 {
		t.Errorf("the 德能勤绩廉 grid is %v px wider than an A4 page", over)
	}
	b.shot("blank-form")
	pdf := b.printPDF()
	file := filepath.Join(t.TempDir(), "blank.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"城关镇工作报告大会测评表", "参评人员类别：机关干部", "张建国", "王秀兰", "优秀", "廉", "最多选 1 人"} {
		if !strings.Contains(text, want) {
			t.Errorf("the printed form lacks %q", want)
		}
	}
	for _, bad := range []string{"返回会议", "打印", "English"} {
		if strings.Contains(strings.ReplaceAll(text, "打印后", ""), bad) {
			t.Errorf("the printed form shows the screen's %q", bad)
		}
	}
}
