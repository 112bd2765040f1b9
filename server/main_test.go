package server

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// ChromiumPath returns the Chromium the browser tests drive: CEPING_CHROMIUM,
// or Debian's, or "" when there is none. (Exported for the external test
// package.)
func ChromiumPath() string {
	for _, p := range []string{os.Getenv("CEPING_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}

// TestMain says in one line, where a person runs the tests, that the browser
// tests are skipped and why: `go test` shows a passing package's output to
// nobody, so the line also goes to the terminal itself when there is one.
func TestMain(m *testing.M) {
	if ChromiumPath() == "" {
		line := "ceping: the browser tests of ./server are SKIPPED: Chromium not found " +
			"(apt-get install chromium fonts-noto-cjk, or set CEPING_CHROMIUM to a Chrome or Chromium binary)\n"
		fmt.Fprint(os.Stderr, line)
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprint(tty, line)
			tty.Close()
		}
	}
	os.Exit(m.Run())
}
