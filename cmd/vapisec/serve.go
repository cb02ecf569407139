package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// serveOptions are the flags of "vapisec serve".
type serveOptions struct {
	addr        string
	tlsCert     string
	tlsKey      string
	dev         bool
	users       []string
	idleTimeout time.Duration
	maxLifetime time.Duration
	bodyLimit   string
	admins      []string
	redisURL    string // sessions (and replay entries) in Redis; "" keeps them in memory
	trust       []string
	allowBearer bool
	devDir      string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a demo vAPI server protected by the vapisec middleware",
		Long: `serve runs a vAPI-compatible demo server: the session endpoints of vCenter
(POST/DELETE /rest/com/vmware/cis/session, POST/GET/DELETE /api/session) and
GET /api/vapisec/whoami and /rest/vapisec/whoami, which return the caller's
SecurityContext. Log in with Basic credentials, then use the session id from
the vmware-api-session-id header or cookie.

With --dev and no --user, one user with a random password is created and its
credentials are printed. Without --tls-cert/--tls-key the server speaks plain
HTTP; session cookies then lack the Secure flag only in --dev mode.

With --redis URL (or $VAPISEC_REDIS_URL) sessions, clone tickets, channel
credentials and replay entries live in Redis, shared by every instance
started with the same URL, so the instances can sit behind one load
balancer; see docs/distributed.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate for HTTPS (with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for HTTPS (with --tls-cert)")
	f.BoolVar(&o.dev, "dev", false, "development mode: create a user when none is given; no Secure flag on cookies over plain HTTP")
	f.StringArrayVar(&o.users, "user", nil, "a user as NAME:PASSWORD (repeatable)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 30*time.Minute, "sessions end after this long without use")
	f.DurationVar(&o.maxLifetime, "max-lifetime", 12*time.Hour, "sessions end this long after login, used or not")
	f.StringVar(&o.bodyLimit, "body-limit", "1M", "largest request body accepted (Echo size syntax: 512K, 1M)")
	f.StringArrayVar(&o.admins, "admin", nil, "a principal allowed on /api/vapisec/admin/sessions (repeatable; none: admin routes off)")
	f.StringArrayVar(&o.trust, "trust", nil, "trusted STS certificate (PEM) for SAML-signed requests: JSON-RPC HoK on POST /api and Authorization: SIGN (repeatable)")
	f.BoolVar(&o.allowBearer, "allow-bearer", false, "also accept SAML bearer tokens (WARNING: a bearer token proves nothing about the sender)")
	f.StringVar(&o.devDir, "dev-dir", "", "with --dev: where to write the development STS key/cert, a HoK key/cert and a HoK token (default: a new temporary directory)")
	f.StringVar(&o.redisURL, "redis", "", "share sessions, clone tickets and replay entries with other instances in Redis: redis://[user:pass@]host:port/db or rediss:// (default $"+envRedisURL+"; neither: in memory, one instance)")
	return cmd
}

// devServer is a configured demo server, ready to serve on a listener.
type devServer struct {
	echo  *echo.Echo
	users map[string]string // created in --dev mode, to print
}

// buildServer checks the options and builds the Echo server.
func buildServer(o serveOptions, out io.Writer) (*devServer, error) {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	users := map[string]string{}
	for _, u := range o.users {
		name, pass, ok := strings.Cut(u, ":")
		if !ok || name == "" {
			return nil, usagef("--user %q: want NAME:PASSWORD", u)
		}
		users[name] = pass
	}
	created := map[string]string{}
	if len(users) == 0 {
		if !o.dev {
			return nil, usagef("no users: give --user NAME:PASSWORD (or --dev to create one)")
		}
		pass, err := randomPassword()
		if err != nil {
			return nil, err
		}
		users["dev@vsphere.local"] = pass
		created["dev@vsphere.local"] = pass
	}
	auth, err := middleware.NewStaticUsers(users)
	if err != nil {
		return nil, usagef("%v", err)
	}
	shared, err := openSharedState(o)
	if err != nil {
		return nil, err
	}
	manager, err := session.NewManager(shared.store,
		session.WithIdleTimeout(o.idleTimeout), session.WithMaxLifetime(o.maxLifetime))
	if err != nil {
		return nil, usagef("%v", err)
	}
	cfg := middleware.Config{
		Manager:       manager,
		Authenticator: auth,
		Cookie:        middleware.CookieConfig{InsecureNoSecureFlag: o.dev && o.tlsCert == ""},
		Admins:        o.admins,
	}
	if cfg.RequestVerifier, err = requestVerifier(o, out, shared.replay); err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(out)
	e.Use(echomw.BodyLimit(o.bodyLimit))
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}
	whoami := func(legacy bool) echo.HandlerFunc {
		return func(c echo.Context) error {
			sc := middleware.SecurityContextFrom(c)
			if legacy {
				return c.JSON(http.StatusOK, map[string]any{"value": sc})
			}
			return c.JSON(http.StatusOK, sc)
		}
	}
	e.GET("/api/vapisec/whoami", whoami(false), append(chain, middleware.Require())...)
	e.GET("/rest/vapisec/whoami", whoami(true), append(chain, middleware.Require())...)
	jsonrpc, err := middleware.JSONRPCHandler(cfg)
	if err != nil {
		return nil, err
	}
	e.POST(middleware.DefaultJSONRPCPath, jsonrpc, append(chain, middleware.AllowAnonymous())...)
	if err := mountSessionDemos(e, cfg, chain, whoami(false)); err != nil {
		return nil, err
	}
	return &devServer{echo: e, users: created}, nil
}

func runServe(ctx context.Context, o serveOptions, out io.Writer) error {
	srv, err := buildServer(o, out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(out, "vapisec: listening on %s://%s\n", scheme, ln.Addr())
	for name, pass := range srv.users {
		fmt.Fprintf(out, "vapisec: dev user %s password %s\n", name, pass)
	}

	hs := &http.Server{Handler: srv.echo, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// randomPassword returns 128 random bits, base64url.
func randomPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
