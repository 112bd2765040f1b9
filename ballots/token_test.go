package ballots_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/ceping/ceping/ballots"
)

func TestTokenRoundTrip(t *testing.T) {
	for i := 0; i < 2000; i++ {
		tok, err := ballots.NewToken(rand.Reader)
		must(t, err)
		s := tok.String()
		if len(s) != ballots.TokenLen {
			t.Fatalf("%q has %d characters", s, len(s))
		}
		for _, in := range []string{s, strings.ToLower(s), tok.Grouped(), strings.ReplaceAll(tok.Grouped(), " ", "-")} {
			back, err := ballots.ParseToken(in)
			if err != nil || back != tok {
				t.Fatalf("ParseToken(%q) = %x, %v; want %x", in, back, err, tok)
			}
		}
	}
	// Extremes of the 128 bits.
	for _, tok := range []ballots.Token{{}, ballots.Token(bytes.Repeat([]byte{0xff}, 16))} {
		if back, err := ballots.ParseToken(tok.String()); err != nil || back != tok {
			t.Fatalf("ParseToken(%q) = %x, %v", tok.String(), back, err)
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	tok, _ := ballots.NewToken(rand.Reader)
	s := tok.String()
	typo := []byte(s)
	typo[5] = map[bool]byte{true: 'A', false: 'B'}[typo[5] != 'A']
	for name, in := range map[string]string{
		"empty": "", "short": s[:20], "long": s + "0", "bad char": s[:26] + "U", "typo": string(typo), "chinese": "票码" + s[2:],
	} {
		_, err := ballots.ParseToken(in)
		if ballots.ErrorCode(err) != ballots.EInvalidToken {
			if name == "typo" && err == nil {
				continue // one typo in 32 passes the check character
			}
			t.Errorf("%s: ParseToken(%q) = %v, want invalid_token", name, in, err)
		}
	}
}

func TestTokenHashIsNotTheCode(t *testing.T) {
	tok, _ := ballots.NewToken(rand.Reader)
	if strings.Contains(strings.ToUpper(tok.Hash()), tok.String()[:10]) || len(tok.Hash()) != 64 {
		t.Fatalf("hash %s", tok.Hash())
	}
}
