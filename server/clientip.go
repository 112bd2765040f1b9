package server

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ParseTrustedProxies parses CEPING_TRUSTED_PROXIES: addresses or CIDR
// ranges separated by commas or spaces ("10.0.0.5, 192.168.1.0/24").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q is neither an IP address nor a CIDR range", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the address of the client that made the request. The
// peer's address, unless the peer is a configured trusted proxy: then
// X-Forwarded-For is read from the right — each trusted proxy appended the
// address it got the request from — and the first address that is not a
// trusted proxy is the client. Entries further left were written by the
// client itself and are never believed (Fiber's c.IP() takes the leftmost,
// which a client can set to anything).
func (s *Server) clientIP(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if len(s.cfg.TrustedProxies) == 0 || !s.trustedProxy(peer) {
		return peer
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	return forwardedClient(peer, hops, s.trustedProxy)
}

// forwardedClient walks the X-Forwarded-For hops a trusted peer passed on,
// from the right, and returns the first address that is not a trusted
// proxy (or the last one it could read).
func forwardedClient(peer netip.Addr, hops []string, trusted func(netip.Addr) bool) netip.Addr {
	client := peer
	for i := len(hops) - 1; i >= 0 && trusted(client); i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // garbage: the last proxy we trust is as far as we can see
		}
		client = a
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port or in brackets, as some proxies write it.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// limitAddr is the part of a client's address that rate limits count: the
// address itself for IPv4, its /64 network for IPv6 (one subscriber holds a
// whole /64 and could otherwise try from a fresh address each time).
func limitAddr(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
