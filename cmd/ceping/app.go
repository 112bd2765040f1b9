package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ceping/ceping/ballots"
	"github.com/ceping/ceping/ballots/redislive"
	"github.com/ceping/ceping/ballots/sqlstore"
	"github.com/ceping/ceping/server"
)

const usage = `ceping — 匿名测评系统 (anonymous assessment voting)

usage:
  ceping serve              run the server
  ceping demo [-reset]      seed a demo year (or find it), serve it, print a voting link
  ceping user add NAME --role admin|group|viewer|assessor|unit [--body B | --unit U]   (password on stdin)
  ceping score FILE.json    print the score table for an offline input
  ceping bench [-n N] [-c C]  load test: cast N slips with C clients
  ceping verify RESULTS.json BALLOTS.json | ceping verify URL
                            recount a closed meeting from its published results and ballots

configuration (flags override environment):
  -addr        CEPING_ADDR            listen address (:8080; :443 with TLS)
  -base-url    CEPING_BASE_URL        what QR codes point to (http://<LAN address>:8080; https://… with TLS)
  -data        CEPING_DATA            data folder (./data)
  -database    CEPING_DATABASE_URL    postgres://… (SQLite in the data folder)
  -redis       CEPING_REDIS_URL       redis://… (embedded)
  -trusted-proxies
               CEPING_TRUSTED_PROXIES reverse proxies whose X-Forwarded-For names the
                                      client: IPs or CIDRs, comma-separated (none)
               CEPING_SECRET          JWT key (generated into the data folder)
               CEPING_ADMIN_PASSWORD  first admin's password (printed once)
  -tls-cert    CEPING_TLS_CERT        certificate file (PEM, chain): serve HTTPS
  -tls-key     CEPING_TLS_KEY         its private key file (PEM)
  -acme-host   CEPING_ACME_HOST       public hostname(s): HTTPS with automatic certificates (Let's Encrypt)
               CEPING_ACME_EMAIL      contact address for the certificate authority (optional)
               CEPING_ACME_DIRECTORY  ACME directory URL (Let's Encrypt)
  -http-addr   CEPING_HTTP_ADDR       with TLS: plain-HTTP listener that redirects to HTTPS (:80; off)
`

// Config is the whole configuration of a run.
type Config struct {
	Addr          string
	BaseURL       string
	Data          string
	DatabaseURL   string
	RedisURL      string
	RedisPrefix   string
	Secret        string
	AdminPassword string

	// Transport (tls.go): certificate files or an ACME hostname turn HTTPS on.
	TLSCert       string
	TLSKey        string
	ACMEHost      string // comma-separated
	ACMEEmail     string
	ACMEDirectory string
	HTTPAddr      string // with TLS: the redirect listener, ":80" if empty, "off" for none
	// TrustedProxies lists the reverse proxies (IPs or CIDR ranges, comma
	// separated) whose X-Forwarded-For header names the client.
	TrustedProxies string
}

// String prints the config with secrets masked.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "****"
	}
	db := "SQLite in " + c.Data
	if c.DatabaseURL != "" {
		db = redactURL(c.DatabaseURL)
	}
	rd := "embedded"
	if c.RedisURL != "" {
		rd = redactURL(c.RedisURL)
	}
	tr := "plain HTTP"
	switch {
	case c.ACMEHost != "":
		tr = "HTTPS, automatic certificates for " + c.ACMEHost
	case c.TLSCert != "":
		tr = "HTTPS, certificate " + c.TLSCert
	}
	return fmt.Sprintf("addr=%s base_url=%s data=%s database=%s redis=%s secret=%s admin_password=%s transport=%s trusted_proxies=%q",
		c.Addr, c.BaseURL, c.Data, db, rd, mask(c.Secret), mask(c.AdminPassword), tr, c.TrustedProxies)
}

func redactURL(s string) string {
	if i := strings.Index(s, "@"); i > 0 {
		if j := strings.Index(s, "://"); j > 0 && j < i {
			return s[:j+3] + "****" + s[i:]
		}
	}
	return s
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// configFlags binds the shared flags over environment defaults.
func configFlags(fs *flag.FlagSet) *Config {
	c := &Config{
		RedisPrefix:   env("CEPING_REDIS_PREFIX", "ceping:"),
		Secret:        os.Getenv("CEPING_SECRET"),
		AdminPassword: os.Getenv("CEPING_ADMIN_PASSWORD"),
	}
	fs.StringVar(&c.Addr, "addr", os.Getenv("CEPING_ADDR"), "listen address (:8080; :443 with TLS)")
	fs.StringVar(&c.BaseURL, "base-url", os.Getenv("CEPING_BASE_URL"), "what QR codes point to")
	fs.StringVar(&c.Data, "data", env("CEPING_DATA", "./data"), "data folder")
	fs.StringVar(&c.DatabaseURL, "database", os.Getenv("CEPING_DATABASE_URL"), "postgres:// URL (SQLite if empty)")
	fs.StringVar(&c.RedisURL, "redis", os.Getenv("CEPING_REDIS_URL"), "redis:// URL (embedded if empty)")
	fs.StringVar(&c.TLSCert, "tls-cert", os.Getenv("CEPING_TLS_CERT"), "TLS certificate file (PEM): serve HTTPS")
	fs.StringVar(&c.TLSKey, "tls-key", os.Getenv("CEPING_TLS_KEY"), "TLS private key file (PEM)")
	fs.StringVar(&c.ACMEHost, "acme-host", os.Getenv("CEPING_ACME_HOST"), "public hostname(s) for automatic certificates")
	fs.StringVar(&c.HTTPAddr, "http-addr", os.Getenv("CEPING_HTTP_ADDR"), "with TLS: the listener that redirects to HTTPS (:80; off)")
	c.ACMEEmail = os.Getenv("CEPING_ACME_EMAIL")
	c.ACMEDirectory = os.Getenv("CEPING_ACME_DIRECTORY")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", os.Getenv("CEPING_TRUSTED_PROXIES"), "reverse proxies (IPs or CIDRs, comma separated) whose X-Forwarded-For names the client")
	return c
}

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr, false)
	case "demo":
		err = runServe(ctx, args[1:], stdout, stderr, true)
	case "user":
		err = runUser(ctx, args[1:], stdin, stdout)
	case "score":
		err = runScore(args[1:], stdout)
	case "bench":
		err = runBench(ctx, args[1:], stdout, stderr)
	case "verify":
		err = runVerify(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintln(stderr, "ceping:", describe(err))
		return 1
	}
	return 0
}

// describe renders an error for a person at a terminal, with its details.
func describe(err error) string {
	var sb strings.Builder
	sb.WriteString(err.Error())
	for _, d := range ballots.ErrorDetails(err) {
		fmt.Fprintf(&sb, "\n  - %s %s%s: %s", d.Field, d.Section, d.Subject, d.Message)
	}
	return sb.String()
}

// App is a running Ceping: store, live state, service and server.
type App struct {
	Config  Config
	Store   *sqlstore.Store
	Live    *redislive.Live
	Service *ballots.Service
	Server  *server.Server
	Addr    net.Addr
	Log     *slog.Logger

	ln        net.Listener
	served    chan error
	serving   bool
	stopped   bool
	tls       bool
	redirect  *redirector
	transport *transport
}

// Start opens storage, starts the service and listens (":0" picks a port);
// it serves once Serve is called. Until then connections wait in the
// listen queue: nobody is answered by a server that is not ready yet.
func Start(ctx context.Context, cfg Config, logOut io.Writer) (*App, error) {
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	secret, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}
	proxies, err := server.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.Open(ctx, cfg.DatabaseURL, cfg.Data)
	if err != nil {
		return nil, err
	}
	live, err := redislive.Connect(cfg.RedisURL, cfg.RedisPrefix)
	if err != nil {
		store.Close()
		return nil, err
	}
	svc := ballots.NewService(store, live, ballots.Options{Logger: log})
	tr, err := newTransport(cfg)
	if err != nil {
		live.Close()
		store.Close()
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
		if tr.tls != nil {
			cfg.Addr = ":443"
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		live.Close()
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = tr.baseURL(ln.Addr())
	}
	redirect, err := tr.startRedirect(cfg.HTTPAddr, cfg.BaseURL, ln.Addr())
	if err != nil {
		ln.Close()
		live.Close()
		store.Close()
		return nil, err
	}
	svc.Start(ctx)
	srv := server.New(svc, server.Config{Secret: secret, BaseURL: cfg.BaseURL, Logger: log, TrustedProxies: proxies})
	a := &App{Config: cfg, Store: store, Live: live, Service: svc, Server: srv, Addr: ln.Addr(), Log: log, ln: ln, served: make(chan error, 1),
		tls: tr.tls != nil, redirect: redirect, transport: tr}
	return a, nil
}

// Serve starts answering on the listener Start opened, connections that
// have been waiting first. Call it once, when the app is ready.
func (a *App) Serve() {
	a.serving = true
	go func() { a.served <- a.transport.serve(a.Server, a.ln) }()
}

// URL returns the address to reach this server from this machine (https
// when TLS is on: its certificate may name another host).
func (a *App) URL() string {
	_, port, _ := net.SplitHostPort(a.Addr.String())
	if a.tls {
		return "https://127.0.0.1:" + port
	}
	return "http://127.0.0.1:" + port
}

// ConsoleBase is where a person on this machine opens the console: the
// base URL when TLS is on (the certificate names its host), else URL.
func (a *App) ConsoleBase() string {
	if a.tls {
		return strings.TrimRight(a.Config.BaseURL, "/")
	}
	return a.URL()
}

// RedirectAddr is the address of the plain-HTTP listener that redirects to
// HTTPS; nil when there is none.
func (a *App) RedirectAddr() net.Addr {
	if a.redirect == nil {
		return nil
	}
	return a.redirect.ln.Addr()
}

// Stop shuts down in order: stop accepting and end event streams, drain
// requests (queued casts still commit), stop the service, close Redis, close
// the database.
func (a *App) Stop() error {
	if a.stopped {
		return nil
	}
	a.stopped = true
	if !a.serving {
		a.ln.Close() // connections waiting in the queue are refused
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := errors.Join(a.redirect.Close(), a.Server.Shutdown(ctx))
	a.Service.Stop()
	return errors.Join(err, a.Live.Close(), a.Store.Close())
}

func loadSecret(cfg Config) ([]byte, error) {
	if cfg.Secret != "" {
		if len(cfg.Secret) < 16 {
			return nil, errors.New("CEPING_SECRET must be at least 16 characters")
		}
		return []byte(cfg.Secret), nil
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(cfg.Data, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return []byte(s), nil
}

// defaultBaseURL is http://<first LAN address>:<port>, so phones in the
// hall can reach the server; localhost when there is no LAN.
func defaultBaseURL(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	host := "localhost"
	if ifaces, err := net.Interfaces(); err == nil {
	search:
		for _, ifc := range ifaces {
			if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLinkLocalUnicast() {
					host = ipn.IP.String()
					break search
				}
			}
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, demo bool) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := configFlags(fs)
	if demo && os.Getenv("CEPING_DATA") == "" {
		cfg.Data = "./demo-data"
	}
	var reset *bool
	if demo {
		reset = fs.Bool("reset", false, "start the demo over: empty its data folder first")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if demo && *reset {
		if err := resetDemo(cfg.Data, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	app, err := Start(ctx, *cfg, stderr)
	if err != nil {
		return err
	}
	defer app.Stop()
	// Ready before serving: a sign-in in the first moment finds admin.
	password, err := app.Service.EnsureAdmin(ctx, cfg.AdminPassword)
	if err != nil {
		return err
	}
	if demo {
		_, seeded, err := demoCycle(ctx, app.Service, time.Now())
		if err != nil {
			return err
		}
		password, changed, err := demoPassword(ctx, app.Service, cfg.Data, password, cfg.AdminPassword, seeded)
		if err != nil {
			return err
		}
		if err := runDemo(ctx, app, password, changed, stdout); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "Ceping 已启动 (listening): 管理控制台（用浏览器打开）%s/console  — QR codes point to %s\n", app.ConsoleBase(), app.Config.BaseURL)
		if password != "" && cfg.AdminPassword == "" {
			fmt.Fprintf(stdout, "首次启动：管理员账号 admin 的密码是 %s ，只显示这一次，请妥善保存。\n(first start: the password of user admin is shown only this once)\n", password)
		}
	}
	app.Serve()
	app.Log.Info("started", "config", app.Config.String())
	select {
	case <-ctx.Done():
	case err := <-app.served:
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	app.Log.Info("shutting down")
	return app.Stop()
}

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "add" {
		return errors.New("usage: ceping user add NAME --role admin|group|viewer|assessor|unit [--body B | --unit U]  (password on stdin)")
	}
	name := args[1]
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	cfg := configFlags(fs)
	role := fs.String("role", "", "admin, group, viewer, assessor or unit")
	body := fs.String("body", "", "the body (考核主体) code of an assessor")
	unit := fs.String("unit", "", "the unit code of a unit account")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("type the new password on standard input")
	}
	store, err := sqlstore.Open(ctx, cfg.DatabaseURL, cfg.Data)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := ballots.NewService(store, nil, ballots.Options{})
	u := ballots.User{Name: name, Role: *role, Body: *body, Unit: *unit}
	if err := svc.AddUser(ctx, u, strings.TrimRight(line, "\r\n")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已添加账号 %s（%s） (user added)\n", name, *role)
	return nil
}
