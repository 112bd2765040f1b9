package server

import (
	"io"
	"net"
	"testing"
	"time"
)

// BenchmarkConnWrite measures a 1 KB write (about a vote's answer with its
// headers) on a loopback connection, with and without the stall deadline
// that trackedConn.Write sets before each write.
func BenchmarkConnWrite(b *testing.B) {
	for _, bc := range []struct {
		name  string
		stall time.Duration
	}{{"NoDeadline", 0}, {"StallDeadline", defaultWriteStall}} {
		b.Run(bc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				io.Copy(io.Discard, c)
				c.Close()
			}()
			raw, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			c := &trackedConn{Conn: raw, conns: &connSet{}, stall: bc.stall}
			defer raw.Close()
			p := make([]byte, 1024)
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
