package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
	"github.com/vapisec/vapisec/sts"
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
	// redisTouch is the Redis store's touch fraction (--redis-touch-fraction).
	redisTouch  float64
	trust       []string
	allowBearer bool
	profiles    []string // extra canonical profiles of signed JSON-RPC bodies (--profile)
	devDir      string
	usersFile   string
	publicHosts []string
	noSOAP      bool // --soap=false: leave the vim25 SOAP session subset off /sdk

	// OAuth 2.0 access tokens (issue 18).
	oauthIssuer    string
	oauthAudiences []string
	oauthJWKS      string

	// HTTP server limits (item 9 of issue 14: a trickling client must not
	// hold a connection for ever).
	readHeaderTimeout time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	connIdleTimeout   time.Duration
	maxHeaderBytes    int

	// redisWait > 0: session writes wait for that many Redis replicas
	// (redisstore.WithWaitReplicas) within redisWaitTimeout.
	redisWait        int
	redisWaitTimeout time.Duration
}

// Defaults of the HTTP server limits of "serve".
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultWriteTimeout      = 60 * time.Second
	defaultConnIdleTimeout   = 120 * time.Second
	defaultMaxHeaderBytes    = 64 << 10
)

func newServeCmd() *cobra.Command {
	var o serveOptions
	var soapOn bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a demo vAPI server protected by the vapisec middleware",
		Long: `serve runs a vAPI-compatible demo server: the session endpoints of vCenter
(POST/DELETE /rest/com/vmware/cis/session, POST/GET/DELETE /api/session) and
GET /api/vapisec/whoami and /rest/vapisec/whoami, which return the caller's
SecurityContext, and (unless --soap=false) the vim25 SOAP session subset on
/sdk for govmomi, govc and pyVmomi (Login, Logout, AcquireCloneTicket,
CloneSession, SessionIsActive, TerminateSession for --admin, the current
session): one session store behind SOAP and REST, see docs/soap.md. Log in with Basic credentials, then use the session id from
the vmware-api-session-id header or cookie.

Users: --users-file FILE holds one NAME:PASSWORD per line, the password
either in clear or as a bcrypt hash ($2a$, $2b$, $2y$); lines starting with
# and blank lines are ignored. --user NAME:PASSWORD is for development only:
the password shows in ps and in the shell history. With --dev and no user,
one user with a random password is created and its credentials are printed.

SAML: with --trust (or --dev) the server verifies JSON-RPC HoK requests on
POST /api and Authorization: SIGN logins. A SIGN header is accepted only for
a host this server answers as: the --addr host with the listening port
(plus localhost when it is a loopback address), the DNS names and IP
addresses of the --tls-cert certificate with the listening port, and each
--public-host HOST[:PORT] (the name clients use behind a load balancer or
proxy). A header signed for any other host is refused (401), so it cannot
be relayed from another server. Signed JSON-RPC bodies are verified in the
Java runtime's canonical form; --profile gosdk (the form VMware's Go SDK
signs, which differs for doubles of 1e21 and more and for some member
names) and --profile python accept those forms too.

OAuth: with --oauth-issuer URL and --oauth-audience AUD the server accepts
OAuth 2.0 JWT access tokens of that issuer (Authorization: Bearer, or the Go
SDK's csp-auth-token header) on every route, and as a login on the session
endpoints. The keys come from --oauth-jwks FILE|URL, by default from the
issuer's OIDC discovery document. With --dev (and no --oauth-issuer) the
server is also a development issuer at <scheme>://<addr>/vapisec/oauth,
signing with the development STS key; "vapisec oauth token --dev-dir DIR"
prints a token it accepts. See docs/oauth.md.

Connections: --read-header-timeout, --read-timeout (the whole request,
body included: a client that trickles its body is cut off),
--write-timeout, --conn-idle-timeout (keep-alive) and --max-header-bytes
bound what one client can hold. On SIGINT or SIGTERM the server shuts down
gracefully and, with --dev and no --dev-dir, removes its temporary
directory of development keys.

Without --tls-cert/--tls-key the server speaks plain HTTP; session cookies
then lack the Secure flag only in --dev mode.

With --redis URL (or $VAPISEC_REDIS_URL) sessions, clone tickets, channel
credentials and replay entries live in Redis, shared by every instance
started with the same URL, so the instances can sit behind one load
balancer; see docs/distributed.md. The URL names one server, a Redis
Cluster or a Sentinel-monitored master:

  redis://[user:pass@]host:port/db                  one server
  redis://h1:p1?addr=h2:p2&addr=h3:p3               Cluster (seed nodes)
  redis://s1:p1/db?master_name=mymaster&addr=s2:p2  Sentinel (the Sentinels)

(rediss:// for TLS; go-redis's query options apply.) The lookups of
concurrent requests share pipelines (one queue per master on a Cluster);
--redis-touch-fraction makes most of them a read only (sessions may idle
out up to that fraction early, never late); --redis-wait-replicas makes
logins, logouts and ticket redemptions wait for replicas (WAIT), never the
lookups.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.noSOAP = !soapOn
			return runServe(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate for HTTPS (with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for HTTPS (with --tls-cert)")
	f.BoolVar(&o.dev, "dev", false, "development mode: create a user when none is given; no Secure flag on cookies over plain HTTP")
	f.StringArrayVar(&o.users, "user", nil, "a user as NAME:PASSWORD (repeatable; development only: the password shows in ps, use --users-file)")
	f.StringVar(&o.usersFile, "users-file", "", "file of users, one NAME:PASSWORD or NAME:BCRYPT-HASH per line (# comments); must not be group- or world-writable")
	f.StringArrayVar(&o.publicHosts, "public-host", nil, "a HOST[:PORT] clients reach this server as, accepted in signed SIGN headers besides --addr and the --tls-cert names (repeatable)")
	f.DurationVar(&o.readHeaderTimeout, "read-header-timeout", defaultReadHeaderTimeout, "time allowed to read a request's headers")
	f.DurationVar(&o.readTimeout, "read-timeout", defaultReadTimeout, "time allowed to read a whole request, body included (cuts off trickling clients)")
	f.DurationVar(&o.writeTimeout, "write-timeout", defaultWriteTimeout, "time allowed from the end of the request headers to the end of the response")
	f.DurationVar(&o.connIdleTimeout, "conn-idle-timeout", defaultConnIdleTimeout, "keep-alive connections are closed after this long without a request")
	f.IntVar(&o.maxHeaderBytes, "max-header-bytes", defaultMaxHeaderBytes, "largest request header block accepted, in bytes")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 30*time.Minute, "sessions end after this long without use")
	f.DurationVar(&o.maxLifetime, "max-lifetime", 12*time.Hour, "sessions end this long after login, used or not")
	f.StringVar(&o.bodyLimit, "body-limit", "1M", "largest request body accepted (Echo size syntax: 512K, 1M)")
	f.StringArrayVar(&o.admins, "admin", nil, "a principal allowed on /api/vapisec/admin/sessions (repeatable; none: admin routes off)")
	f.StringArrayVar(&o.trust, "trust", nil, "trusted STS certificate (PEM) for SAML-signed requests: JSON-RPC HoK on POST /api, Authorization: SIGN and SOAP LoginByToken on /sdk (repeatable)")
	f.BoolVar(&o.allowBearer, "allow-bearer", false, "also accept SAML bearer tokens (WARNING: a bearer token proves nothing about the sender)")
	f.StringArrayVar(&o.profiles, "profile", nil, "also accept JSON-RPC bodies signed in this canonical form: gosdk (VMware's Go SDK) or python (repeatable; java is always accepted)")
	f.StringVar(&o.devDir, "dev-dir", "", "with --dev: where to write the development STS key/cert, a HoK key/cert and a HoK token (default: a new temporary directory)")
	f.StringVar(&o.oauthIssuer, "oauth-issuer", "", "accept OAuth 2.0 JWT access tokens (Authorization: Bearer, csp-auth-token) of this issuer, compared exactly (needs --oauth-audience)")
	f.StringArrayVar(&o.oauthAudiences, "oauth-audience", nil, "an audience this server accepts in access tokens (repeatable)")
	f.StringVar(&o.oauthJWKS, "oauth-jwks", "", "the issuer's keys: a JWKS FILE or an https URL (default: OIDC discovery from --oauth-issuer)")
	f.BoolVar(&soapOn, "soap", true, "serve the vim25 SOAP session subset on /sdk (govmomi, govc, pyVmomi: Login, clone tickets, current session); --soap=false leaves /sdk out")
	f.StringVar(&o.redisURL, "redis", "", "share sessions, clone tickets and replay entries with other instances in Redis: redis://[user:pass@]host:port/db, a Cluster (?addr=…) or Sentinel (?master_name=…&addr=…) URL, or rediss:// (default $"+envRedisURL+"; neither: in memory, one instance)")
	f.IntVar(&o.redisWait, "redis-wait-replicas", 0, "with --redis: answer logins, logouts and ticket redemptions only once this many replicas have them (WAIT), else 503; 0: do not wait")
	f.DurationVar(&o.redisWaitTimeout, "redis-wait-timeout", time.Second, "with --redis-wait-replicas: how long a write waits for the replicas")
	f.Float64Var(&o.redisTouch, "redis-touch-fraction", defaultRedisTouchFraction, "with --redis: write a session's last use (sliding the idle timeout) only when the stored one is older than this fraction of the idle timeout, so most requests only read; sessions may idle out up to this fraction early, never late (0: write on every request)")
	return cmd
}

// devServer is a configured demo server, ready to serve on a listener.
type devServer struct {
	echo  *echo.Echo
	users map[string]string // created in --dev mode, to print
	hosts []string          // the hosts SIGN headers may be signed for (nil: SAML off)
	// devKey and devDir are the development STS key and directory (--dev),
	// also the key of the development OAuth issuer.
	devKey crypto.Signer
	devDir string
	// oauthBanner are the lines printed about the OAuth scheme.
	oauthBanner []string
	// cleanup removes what the server created for its run (the temporary
	// --dev directory); it is safe to call more than once.
	cleanup func()
}

// close releases what buildServer created for this run.
func (s *devServer) close() {
	if s != nil && s.cleanup != nil {
		s.cleanup()
	}
}

// buildServer checks the options and builds the Echo server. o.addr is the
// address the server listens on (with the real port, once known): the
// hosts SIGN headers may be signed for are derived from it.
func buildServer(o serveOptions, out io.Writer) (srv *devServer, err error) {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	users, err := loadUsers(o, out)
	if err != nil {
		return nil, err
	}
	created := map[string]string{}
	if users.len() == 0 {
		if !o.dev {
			return nil, usagef("no users: give --users-file FILE or --user NAME:PASSWORD (or --dev to create one)")
		}
		pass, err := randomPassword()
		if err != nil {
			return nil, err
		}
		if err := users.addPlain("dev@vsphere.local", pass); err != nil {
			return nil, err
		}
		created["dev@vsphere.local"] = pass
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
		Authenticator: users,
		Cookie:        middleware.CookieConfig{InsecureNoSecureFlag: o.dev && o.tlsCert == ""},
		Admins:        o.admins,
	}
	srv = &devServer{users: created}
	defer func() {
		if err != nil {
			srv.close()
			srv = nil
		}
	}()
	if cfg.RequestVerifier, err = requestVerifier(o, out, shared.replay, srv); err != nil {
		return nil, err
	}
	var devIssuer *sts.AccessTokenIssuer
	if cfg.AccessTokenVerifier, devIssuer, err = accessTokenVerifier(o, srv); err != nil {
		return nil, err
	}
	limit := bodyLimitBytes(o.bodyLimit)
	if limit < 1 {
		return nil, usagef("--body-limit %q: not a size of at least one byte (Echo size syntax: 512K, 1M)", o.bodyLimit)
	}
	// The chain's own limit (the verifier's, else 1 MiB) answers the
	// JSON-RPC endpoint, at most --body-limit.
	chainMax := int64(middleware.DefaultMaxBodySize)
	if cfg.RequestVerifier != nil {
		chainMax = int64(cfg.RequestVerifier.MaxBodySize())
	}
	cfg.MaxBodySize = int(min(limit, chainMax))

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(out)
	// The JSON-RPC endpoint and /sdk refuse an oversized body themselves,
	// in their protocol, at the same limit (protocolBody).
	e.Use(echomw.BodyLimitWithConfig(echomw.BodyLimitConfig{Skipper: protocolBody, Limit: o.bodyLimit}))
	if devIssuer != nil {
		mountDevIssuer(e, devIssuer)
	}
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	if !o.noSOAP {
		if err := middleware.MountSOAP(e, cfg, soap.WithMaxBodySize(min(limit, soap.DefaultMaxBodySize))); err != nil {
			return nil, err
		}
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
	jsonrpc, err := middleware.JSONRPCSessionService(cfg, demoJSONRPC)
	if err != nil {
		return nil, err
	}
	e.POST(vapisec.JSONRPCPath, jsonrpc, append(chain, middleware.AllowAnonymous())...)
	if err := mountSessionDemos(e, cfg, chain, whoami(false)); err != nil {
		return nil, err
	}
	srv.echo = e
	return srv, nil
}

// newHTTPServer returns the http.Server of "serve" for h, with the
// connection limits of o.
func newHTTPServer(o serveOptions, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.readHeaderTimeout,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.connIdleTimeout,
		MaxHeaderBytes:    o.maxHeaderBytes,
	}
}

// checkLimits refuses negative connection limits (zero keeps net/http's
// meaning: no timeout, or its default header size).
func checkLimits(o serveOptions) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--read-header-timeout", o.readHeaderTimeout}, {"--read-timeout", o.readTimeout}, {"--write-timeout", o.writeTimeout}, {"--conn-idle-timeout", o.connIdleTimeout}} {
		if d.v < 0 {
			return usagef("%s %v: must not be negative", d.name, d.v)
		}
	}
	if o.maxHeaderBytes < 0 {
		return usagef("--max-header-bytes %d: must not be negative", o.maxHeaderBytes)
	}
	return nil
}

// listenAddr returns addr (as given to --addr) with the port the listener
// actually got, so that "127.0.0.1:0" becomes "127.0.0.1:41234".
func listenAddr(addr string, ln net.Listener) string {
	host, _, err := net.SplitHostPort(addr)
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if err != nil || !ok {
		return ln.Addr().String()
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

func runServe(ctx context.Context, o serveOptions, out io.Writer) error {
	// Usage errors first, before anything is bound or written.
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if err := checkLimits(o); err != nil {
		return err
	}
	if users, err := loadUsers(o, io.Discard); err != nil {
		return err
	} else if users.len() == 0 && !o.dev {
		return usagef("no users: give --users-file FILE or --user NAME:PASSWORD (or --dev to create one)")
	}
	if _, err := parsePublicHosts(o.publicHosts); err != nil {
		return err
	}
	if err := checkOAuthFlags(o); err != nil {
		return err
	}
	// SIGINT and SIGTERM shut down gracefully (and run the deferred
	// clean-up: the temporary --dev directory); caught from before the
	// address is printed, so that whoever waits for it may signal at once.
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	o.addr = listenAddr(o.addr, ln)
	srv, err := buildServer(o, out)
	if err != nil {
		return err
	}
	defer srv.close()
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	for name, pass := range srv.users {
		fmt.Fprintf(out, "vapisec: dev user %s password %s\n", name, pass)
		// Both are shell-safe (a user name of ours, a base64url password),
		// so the line can be pasted into another terminal as it is.
		fmt.Fprintf(out, "export VAPISEC_USER=%s VAPISEC_PASSWORD=%s\n", name, pass)
	}
	for _, line := range srv.oauthBanner {
		fmt.Fprintln(out, line)
	}
	fmt.Fprintf(out, "vapisec: listening on %s://%s\n", scheme, ln.Addr())
	if srv.hosts != nil {
		fmt.Fprintf(out, "vapisec: SIGN headers accepted for hosts %s (add names with --public-host)\n", strings.Join(srv.hosts, ", "))
	}

	hs := newHTTPServer(o, srv.echo)
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
