package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceping/ceping/ballots/redislive/redistest"
	"github.com/ceping/ceping/ballots/sqlstore/sqltest"
)

// selfSigned makes a certificate for hosts (names or addresses), valid for
// a year, and returns it with its key as PEM and the parsed certificate.
func selfSigned(t *testing.T, hosts ...string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	cert, err = x509.ParseCertificate(der)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}

// startTLSApp starts the server with cfg's transport settings on loopback.
func startTLSApp(t *testing.T, cfg Config) *App {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = sqltest.URL(t)
	cfg.RedisURL = os.Getenv("CEPING_TEST_REDIS_URL")
	cfg.RedisPrefix = redistest.Prefix(t)
	if cfg.Data == "" {
		cfg.Data = t.TempDir()
	}
	app, err := Start(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	app.Serve()
	t.Cleanup(func() {
		if err := app.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return app
}

// trusting is an HTTP client that trusts only cert, sends serverName in
// the handshake and follows no redirect.
func trusting(cert *x509.Certificate, serverName string) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &http.Client{Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var plainClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestTLSFiles: with a certificate and key from files the server speaks
// HTTPS (HTTP/1.1), serves that certificate, sends HSTS, sets the session
// cookie Secure, points QR codes at https, and its plain-HTTP listener
// redirects every request to HTTPS (301 for GET, 308 for a POST).
func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, cert := selfSigned(t, "localhost", "127.0.0.1")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, certPEM, 0o600))
	must(t, os.WriteFile(keyFile, keyPEM, 0o600))
	app := startTLSApp(t, Config{TLSCert: certFile, TLSKey: keyFile, HTTPAddr: "127.0.0.1:0"})
	_, port, _ := net.SplitHostPort(app.Addr.String())
	if want := "https://localhost:" + port; app.Config.BaseURL != want {
		t.Errorf("base URL %q, want %q (the certificate's host)", app.Config.BaseURL, want)
	}
	if !strings.HasPrefix(app.URL(), "https://") {
		t.Errorf("URL %q", app.URL())
	}
	hc := trusting(cert, "localhost")
	res, err := hc.Get(app.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("GET /healthz over HTTPS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if res.TLS == nil || !res.TLS.PeerCertificates[0].Equal(cert) || res.TLS.NegotiatedProtocol != "http/1.1" || res.ProtoMajor != 1 {
		t.Fatalf("TLS: %+v, protocol %s", res.TLS, res.Proto)
	}
	// The slips' QR codes point to https.
	ctx := context.Background()
	must(t, errOf(app.Service.EnsureAdmin(ctx, "tls-admin-password")))
	// Signing in on the console over HTTPS: a Secure, HttpOnly cookie.
	form := url.Values{"username": {"admin"}, "password": {"tls-admin-password"}, "next": {"/console"}}
	res, err = hc.Post(app.URL()+"/console/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if c := res.Header.Get("Set-Cookie"); res.StatusCode != 303 || !strings.Contains(c, "ceping_session=") || !strings.Contains(strings.ToLower(c), "; secure") {
		t.Fatalf("console sign-in over HTTPS: %d, cookie %q", res.StatusCode, c)
	}
	// Plain HTTP on the HTTPS port gets no page.
	if res, err := plainClient.Get("http://" + app.Addr.String() + "/healthz"); err == nil {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Fatalf("plain HTTP on the HTTPS port answered 200: %s", body)
		}
	}

	// The plain-HTTP listener sends everything to HTTPS, path and query kept.
	red := "http://" + app.RedirectAddr().String()
	res, err = plainClient.Get(red + "/b?x=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 301 || res.Header.Get("Location") != app.Config.BaseURL+"/b?x=1" {
		t.Fatalf("GET over HTTP: %d to %q, want 301 to %s/b?x=1", res.StatusCode, res.Header.Get("Location"), app.Config.BaseURL)
	}
	res, err = plainClient.Post(red+"/api/v1/ballot", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 308 || res.Header.Get("Location") != app.Config.BaseURL+"/api/v1/ballot" {
		t.Fatalf("POST over HTTP: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func errOf(_ string, err error) error { return err }

// TestTLSRedirectToRequestHost: without an https base URL the redirect goes
// to the host the request named, on the HTTPS port.
func TestTLSRedirectToRequestHost(t *testing.T) {
	h := redirectHandler("http://10.0.0.2:8080", &net.TCPAddr{IP: net.IPv4zero, Port: 8443})
	for host, want := range map[string]string{
		"10.0.0.2":      "https://10.0.0.2:8443/x?y=1",
		"10.0.0.2:80":   "https://10.0.0.2:8443/x?y=1",
		"[fe80::1]:80":  "https://[fe80::1]:8443/x?y=1",
		"vote.local":    "https://vote.local:8443/x?y=1",
		"evil.com/path": "",
	} {
		req, _ := http.NewRequest("GET", "http://x/x?y=1", nil)
		req.Host = host
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		if want == "" {
			if rec.status != 400 {
				t.Errorf("Host %q: %d, want 400", host, rec.status)
			}
			continue
		}
		if rec.status != 301 || rec.header.Get("Location") != want {
			t.Errorf("Host %q: %d to %q, want %q", host, rec.status, rec.header.Get("Location"), want)
		}
	}
	h = redirectHandler("https://vote.example.gov.cn", &net.TCPAddr{IP: net.IPv4zero, Port: 443})
	req, _ := http.NewRequest("GET", "http://x/b", nil)
	req.Host = "10.0.0.2"
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.header.Get("Location") != "https://vote.example.gov.cn/b" {
		t.Errorf("redirect with an https base URL: %q", rec.header.Get("Location"))
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int)           { r.status = s }

// TestACME: with a public hostname the server takes its certificate from
// the ACME cache in the data folder (here one placed there, as autocert
// stores them), refuses other names, and its port-80 listener answers the
// CA's HTTP-01 challenge from that cache while it redirects everything else.
// Let's Encrypt itself cannot be reached from a test.
func TestACME(t *testing.T) {
	const host = "vote.example.gov.cn"
	data := t.TempDir()
	cache := filepath.Join(data, "acme")
	must(t, os.MkdirAll(cache, 0o700))
	certPEM, keyPEM, cert := selfSigned(t, host)
	// autocert's cache entry for an ECDSA certificate: key, then chain.
	must(t, os.WriteFile(filepath.Join(cache, host), append(keyPEM, certPEM...), 0o600))
	must(t, os.WriteFile(filepath.Join(cache, "tok-123+http-01"), []byte("tok-123.key-authorization"), 0o600))

	app := startTLSApp(t, Config{ACMEHost: host, Data: data, HTTPAddr: "127.0.0.1:0"})
	_, port, _ := net.SplitHostPort(app.Addr.String())
	if want := "https://" + host + ":" + port; app.Config.BaseURL != want {
		t.Errorf("base URL %q, want %q", app.Config.BaseURL, want)
	}
	hc := trusting(cert, host)
	res, err := hc.Get(app.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !res.TLS.PeerCertificates[0].Equal(cert) || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET /healthz for %s: %d, HSTS %q", host, res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if _, err := trusting(cert, "other.example.gov.cn").Get(app.URL() + "/healthz"); err == nil {
		t.Fatal("a name the server was not configured for got a certificate")
	}

	red := "http://" + app.RedirectAddr().String()
	req, _ := http.NewRequest("GET", red+"/.well-known/acme-challenge/tok-123", nil)
	req.Host = host
	res, err = plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "tok-123.key-authorization" {
		t.Fatalf("HTTP-01 challenge: %d %q", res.StatusCode, body)
	}
	req, _ = http.NewRequest("GET", red+"/console", nil)
	req.Host = host
	res, err = plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 301 || res.Header.Get("Location") != app.Config.BaseURL+"/console" {
		t.Fatalf("GET /console over HTTP: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestPlainHTTP: with nothing configured the server speaks plain HTTP as
// before: no HSTS, no Secure cookie, no second listener.
func TestPlainHTTP(t *testing.T) {
	app := startTLSApp(t, Config{})
	if app.RedirectAddr() != nil || !strings.HasPrefix(app.Config.BaseURL, "http://") || !strings.HasPrefix(app.URL(), "http://") {
		t.Fatalf("plain: redirect %v, base URL %q", app.RedirectAddr(), app.Config.BaseURL)
	}
	must(t, errOf(app.Service.EnsureAdmin(context.Background(), "plain-admin-password")))
	form := url.Values{"username": {"admin"}, "password": {"plain-admin-password"}, "next": {"/console"}}
	res, err := plainClient.Post(app.URL()+"/console/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if c := res.Header.Get("Set-Cookie"); res.StatusCode != 303 || strings.Contains(strings.ToLower(c), "secure") || res.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain sign-in: %d, cookie %q, HSTS %q", res.StatusCode, c, res.Header.Get("Strict-Transport-Security"))
	}
}

// TestTLSConfigErrors: settings that cannot work stop the start with a
// message naming them.
func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"CertWithoutKey": {Config{TLSCert: "cert.pem"}, "CEPING_TLS_KEY"},
		"Both":           {Config{TLSCert: "c", TLSKey: "k", ACMEHost: "vote.example.gov.cn"}, "either"},
		"MissingFile":    {Config{TLSCert: filepath.Join(dir, "none.pem"), TLSKey: filepath.Join(dir, "none.key")}, "none.pem"},
		"RedirectNoTLS":  {Config{HTTPAddr: ":8081"}, "CEPING_HTTP_ADDR"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newTransport(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}
