// Command server is the smallest complete vapisec server: the middleware
// chain (middleware.Chain), the vAPI session endpoints, one REST route that
// reads the caller's SecurityContext and one JSON-RPC operation served next to
// com.vmware.cis.session by middleware.JSONRPCSessionService. Its one user is
// alice@vsphere.local with the password "secret".
//
// Run it with
//
//	go run ./examples/server              # -addr 127.0.0.1:0 picks a free port
//	go run ./examples/server -addr 127.0.0.1:8080
//
// It prints the address it listens on ("listening on http://…"), one line per
// call of its own route and operation, and "shut down" after SIGINT or
// SIGTERM. Try it with curl (header mode, no cookie):
//
//	ID=$(curl -s -X POST -u alice@vsphere.local:secret -H 'vmware-use-header-authn: 1' http://127.0.0.1:8080/api/session | tr -d '"')
//	curl -s -H "vmware-api-session-id: $ID" http://127.0.0.1:8080/api/example/hello
//	curl -s -H "vmware-api-session-id: $ID" -d '{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"com.example.hello","operationId":"greet"}}' http://127.0.0.1:8080/api
//	curl -s -o /dev/null -w '%{http_code}\n' -X DELETE -H "vmware-api-session-id: $ID" http://127.0.0.1:8080/api/session
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	flag.Parse()
	if err := run(*addr, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves on addr until SIGINT or SIGTERM.
func run(addr string, out io.Writer) error {
	h, err := newHandler(out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(out, "shut down")
	return nil
}

// newHandler builds the Echo server. Every line it prints goes to out.
func newHandler(out io.Writer) (http.Handler, error) {
	// The session store: memory for one process (redisstore.New for
	// several, see examples/multi-instance), and the manager that owns the
	// sessions (idle 30 min, absolute 12 h).
	store, err := session.NewMemoryStore()
	if err != nil {
		return nil, err
	}
	manager, err := session.NewManager(store)
	if err != nil {
		return nil, err
	}
	// StaticUsers is a development helper; in production implement
	// middleware.Authenticator over your directory.
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "secret"})
	if err != nil {
		return nil, err
	}
	cfg := middleware.Config{
		Manager:       manager,
		Authenticator: users,
		// WARNING: plain http:// only for this local example; over a network
		// keep the cookie's Secure flag and serve HTTPS.
		Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true},
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)

	// POST/DELETE /rest/com/vmware/cis/session, POST/GET/DELETE /api/session,
	// and the clone ticket and channel credential resources.
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	// Session (with CSRF), then Basic: the first credential found decides.
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}

	// A REST route: any authenticated caller; the handler reads the typed
	// SecurityContext, never a header.
	e.GET("/api/example/hello", func(c echo.Context) error {
		sc := middleware.SecurityContextFrom(c)
		fmt.Fprintf(out, "GET /api/example/hello: %s by %s\n", sc.Principal, sc.Scheme)
		return c.JSON(http.StatusOK, map[string]string{"hello": sc.Principal.String()})
	}, append(chain, middleware.Require())...)

	// JSON-RPC on POST /api: com.vmware.cis.session is served by the
	// library, every other call comes to this handler once authenticated.
	rpc, err := middleware.JSONRPCSessionService(cfg, func(c echo.Context, call middleware.JSONRPCCall) error {
		sc := middleware.SecurityContextFrom(c)
		if call.ServiceID != "com.example.hello" || call.OperationID != "greet" {
			// A vAPI error is a result (HTTP 200), which VMware's clients
			// turn into their typed error (here errors.OperationNotFound).
			return call.ReplyError(c, datavalue.StdError{Kind: "operation_not_found", Messages: []datavalue.Message{
				{ID: "com.example.operation.not_found", DefaultMessage: "No such operation: " + call.OperationID, Args: []string{call.OperationID}},
			}})
		}
		fmt.Fprintf(out, "JSON-RPC %s.%s: %s by %s\n", call.ServiceID, call.OperationID, sc.Principal, sc.Scheme)
		// The output in the vAPI DataValue form (a string here).
		return call.Reply(c, datavalue.String("hello "+sc.Principal.String()))
	})
	if err != nil {
		return nil, err
	}
	// AllowAnonymous: the JSON-RPC handler answers a missing credential
	// itself, as the vAPI error unauthenticated in result.error.
	e.POST(vapisec.JSONRPCPath, rpc, append(chain, middleware.AllowAnonymous())...)
	return e, nil
}
