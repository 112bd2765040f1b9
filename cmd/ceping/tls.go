package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/ceping/ceping/server"
)

// How the server is reached. With nothing configured it serves plain HTTP,
// as in a county hall's own LAN. With a certificate and key (files, e.g.
// from the county's CA or certbot) or an ACME hostname (certificates from
// Let's Encrypt, kept in the data folder) it serves HTTPS, answers with
// HSTS, and a second, plain-HTTP listener sends every request to HTTPS —
// and, for ACME, answers the CA's HTTP-01 challenges.

// tlsOn reports whether the configuration asks for HTTPS.
func (c Config) tlsOn() bool { return c.TLSCert != "" || c.TLSKey != "" || c.ACMEHost != "" }

// transport is a run's TLS set-up: nil tls for plain HTTP.
type transport struct {
	tls      *tls.Config
	acme     *autocert.Manager // ACME only: answers HTTP-01 challenges on the HTTP listener
	certHost string            // the host a certificate file names, for the default base URL
}

// newTransport checks the TLS settings and loads what they name; a
// certificate file that cannot be read stops the start, with its path.
func newTransport(cfg Config) (*transport, error) {
	if !cfg.tlsOn() {
		if cfg.HTTPAddr != "" && cfg.HTTPAddr != "off" {
			return nil, errors.New("CEPING_HTTP_ADDR (-http-addr) is the listener that redirects to HTTPS: set CEPING_TLS_CERT/CEPING_TLS_KEY or CEPING_ACME_HOST too")
		}
		return &transport{}, nil
	}
	switch {
	case cfg.ACMEHost != "" && (cfg.TLSCert != "" || cfg.TLSKey != ""):
		return nil, errors.New("use either CEPING_ACME_HOST (automatic certificates) or CEPING_TLS_CERT and CEPING_TLS_KEY (certificate files), not both")
	case cfg.ACMEHost == "" && (cfg.TLSCert == "" || cfg.TLSKey == ""):
		return nil, errors.New("CEPING_TLS_CERT (-tls-cert) and CEPING_TLS_KEY (-tls-key) go together: set both")
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}} // fasthttp speaks HTTP/1.1 only
	if cfg.ACMEHost != "" {
		var hosts []string
		for _, h := range strings.Split(cfg.ACMEHost, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) == 0 {
			return nil, errors.New("CEPING_ACME_HOST names no host")
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(filepath.Join(cfg.Data, "acme")),
			HostPolicy: autocert.HostWhitelist(hosts...),
			Email:      cfg.ACMEEmail,
		}
		if cfg.ACMEDirectory != "" {
			m.Client = &acme.Client{DirectoryURL: cfg.ACMEDirectory}
		}
		base.GetCertificate = m.GetCertificate
		base.NextProtos = append(base.NextProtos, acme.ALPNProto) // tls-alpn-01 challenges on the HTTPS port
		return &transport{tls: base, acme: m, certHost: hosts[0]}, nil
	}
	r := &certFiles{cert: cfg.TLSCert, key: cfg.TLSKey}
	leaf, err := r.load()
	if err != nil {
		return nil, err
	}
	base.GetCertificate = r.get
	return &transport{tls: base, certHost: leafHost(leaf)}, nil
}

// certFiles serves a certificate and key from files and reads them again
// when they change (a renewal by certbot or by hand), checking at most once
// a minute; a pair that does not load keeps the one before.
type certFiles struct {
	cert, key string
	mu        sync.Mutex
	current   *tls.Certificate
	mod       time.Time // the newer of the two files' modification times
	checked   time.Time
}

func (r *certFiles) load() (*x509.Certificate, error) {
	mod, err := r.modTime()
	if err != nil {
		return nil, err
	}
	c, err := tls.LoadX509KeyPair(r.cert, r.key)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", r.cert, r.key, err)
	}
	r.current, r.mod, r.checked = &c, mod, time.Now()
	return c.Leaf, nil
}

func (r *certFiles) modTime() (time.Time, error) {
	var mod time.Time
	for _, p := range []string{r.cert, r.key} {
		st, err := os.Stat(p)
		if err != nil {
			return mod, fmt.Errorf("TLS certificate or key: %w", err)
		}
		if st.ModTime().After(mod) {
			mod = st.ModTime()
		}
	}
	return mod, nil
}

func (r *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) >= time.Minute {
		r.checked = time.Now()
		if mod, err := r.modTime(); err == nil && !mod.Equal(r.mod) {
			if c, err := tls.LoadX509KeyPair(r.cert, r.key); err == nil {
				r.current, r.mod = &c, mod
			}
		}
	}
	return r.current, nil
}

// leafHost is the first host name (or else address) a certificate is for;
// "" when it names none or only wildcards.
func leafHost(leaf *x509.Certificate) string {
	if leaf == nil {
		return ""
	}
	for _, n := range leaf.DNSNames {
		if !strings.HasPrefix(n, "*.") {
			return n
		}
	}
	if len(leaf.IPAddresses) > 0 {
		return leaf.IPAddresses[0].String()
	}
	return ""
}

// baseURL is the default base URL for a server listening at addr: http on
// the first LAN address, or https on the certificate's host (else the LAN
// address), the port left out when it is 443.
func (t *transport) baseURL(addr net.Addr) string {
	if t.tls == nil {
		return defaultBaseURL(addr)
	}
	_, port, _ := net.SplitHostPort(addr.String())
	host := t.certHost
	if host == "" {
		u, err := url.Parse(defaultBaseURL(addr))
		if err != nil {
			return "https://localhost"
		}
		host = u.Hostname()
	}
	if port == "443" {
		return "https://" + hostForURL(host)
	}
	return "https://" + net.JoinHostPort(host, port)
}

func hostForURL(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// serve serves srv on ln, with TLS when it is on.
func (t *transport) serve(srv *server.Server, ln net.Listener) error {
	if t.tls == nil {
		return srv.Serve(ln)
	}
	return srv.ServeTLS(ln, t.tls)
}

// redirector is the plain-HTTP listener beside HTTPS.
type redirector struct {
	srv *http.Server
	ln  net.Listener
}

// startRedirect listens on httpAddr (":80" unless set; "off" for none) and
// answers every request with a redirect to the same path on HTTPS: to the
// base URL's host when the base URL is https, else to the request's host on
// the HTTPS port. GET and HEAD get 301, other methods 308 (the method and
// body are kept). In ACME mode it first answers the CA's HTTP-01
// challenges. A slip printed with an http:// QR code still works: browsers
// keep the #fragment, where the slip code is, across the redirect.
func (t *transport) startRedirect(httpAddr, baseURL string, tlsAddr net.Addr) (*redirector, error) {
	if t.tls == nil || httpAddr == "off" {
		return nil, nil
	}
	if httpAddr == "" {
		httpAddr = ":80"
	}
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the redirect to HTTPS (set CEPING_HTTP_ADDR to another address, or to off): %w", httpAddr, err)
	}
	var h http.Handler = redirectHandler(baseURL, tlsAddr)
	if t.acme != nil {
		h = t.acme.HTTPHandler(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)} // its messages would carry client addresses
	go srv.Serve(ln)
	return &redirector{srv: srv, ln: ln}, nil
}

// Close stops the redirect listener.
func (r *redirector) Close() error {
	if r == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

func redirectHandler(baseURL string, tlsAddr net.Addr) http.Handler {
	_, tlsPort, _ := net.SplitHostPort(tlsAddr.String())
	var fixed string
	if u, err := url.Parse(baseURL); err == nil && u.Scheme == "https" && u.Host != "" {
		fixed = u.Host
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := fixed
		if host == "" {
			h := r.Host
			if hh, _, err := net.SplitHostPort(h); err == nil {
				h = hh
			}
			if h == "" || strings.ContainsAny(h, "/\\@ ") {
				http.Error(w, "Bad Request", http.StatusBadRequest)
				return
			}
			host = hostForURL(strings.Trim(h, "[]"))
			if tlsPort != "443" {
				host = net.JoinHostPort(strings.Trim(h, "[]"), tlsPort)
			}
		}
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), code)
	})
}
