package ballots

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
)

// alphabet is Crockford's base32: no I, L, O or U, so a code read off paper
// survives being typed in by hand.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// TokenLen is the length of a slip code: 26 base32 digits carrying 128
// random bits, then one check character.
const TokenLen = 27

// Token is a slip's secret: 128 random bits. Its text form is Crockford
// base32 with a check character; the server stores only Hash().
type Token [16]byte

// NewToken reads 128 bits from r (crypto/rand in production).
func NewToken(r io.Reader) (Token, error) {
	var t Token
	_, err := io.ReadFull(r, t[:])
	return t, err
}

// String returns the 27-character code.
func (t Token) String() string {
	out := make([]byte, 0, TokenLen)
	// 26 digits of 5 bits read a 130-bit number whose two top bits are zero.
	for i := 0; i < TokenLen-1; i++ {
		var v byte
		for j := 0; j < 5; j++ {
			v = v<<1 | t.bit(i*5+j-2)
		}
		out = append(out, alphabet[v])
	}
	return string(append(out, checkChar(out)))
}

// bit returns bit pos of the token, counting from the most significant;
// negative positions are the two leading zero bits.
func (t Token) bit(pos int) byte {
	if pos < 0 {
		return 0
	}
	return t[pos/8] >> uint(7-pos%8) & 1
}

// Grouped returns the code in groups of four for printing on a slip.
func (t Token) Grouped() string {
	s := t.String()
	var sb strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[i:min(i+4, len(s))])
	}
	return sb.String()
}

// Hash returns the hex SHA-256 of the token's bits: the only form stored.
func (t Token) Hash() string {
	h := sha256.Sum256(t[:])
	return hex.EncodeToString(h[:])
}

func checkChar(body []byte) byte {
	h := sha256.Sum256(body)
	return alphabet[h[0]&31]
}

// ParseToken reads a slip code as printed, scanned or typed: spaces and
// dashes are ignored, letters may be lower case, and O, I and L are read as
// 0, 1 and 1. A code of the wrong length, with a character outside the
// alphabet or with a wrong check character is an EInvalidToken error.
func ParseToken(s string) (Token, error) {
	var t Token
	buf := make([]byte, 0, TokenLen)
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(alphabet, byte(r)) < 0 {
			return t, Errorf(EInvalidToken, "票码含有无效字符，请核对票上的号码 (the code contains an invalid character)")
		}
		if len(buf) == TokenLen {
			return t, Errorf(EInvalidToken, "票码应为 %d 位，请核对票上的号码 (a code has %d characters)", TokenLen, TokenLen)
		}
		buf = append(buf, byte(r))
	}
	if len(buf) != TokenLen {
		return t, Errorf(EInvalidToken, "票码应为 %d 位，请核对票上的号码 (a code has %d characters)", TokenLen, TokenLen)
	}
	body := buf[:TokenLen-1]
	if checkChar(body) != buf[TokenLen-1] {
		return t, Errorf(EInvalidToken, "票码有误，请核对票上的号码 (the code's check character does not match: check for a typo)")
	}
	if strings.IndexByte(alphabet, body[0]) >= 8 { // two leading zero bits
		return t, Errorf(EInvalidToken, "票码有误，请核对票上的号码 (not a slip code)")
	}
	for i, c := range body {
		v := strings.IndexByte(alphabet, c)
		for j := 0; j < 5; j++ {
			pos := i*5 + j - 2
			if pos >= 0 && v>>uint(4-j)&1 == 1 {
				t[pos/8] |= 1 << uint(7-pos%8)
			}
		}
	}
	return t, nil
}
