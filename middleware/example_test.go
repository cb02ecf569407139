package middleware_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// Mount the vapisec chain and the session endpoints on an Echo server, log in
// with Basic credentials and call a protected route with the session id.
func Example() {
	store, err := session.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	manager, err := session.NewManager(store)
	if err != nil {
		panic(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "secret"})
	if err != nil {
		panic(err)
	}
	cfg := middleware.Config{Manager: manager, Authenticator: users}

	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		panic(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		panic(err)
	}
	api := e.Group("/api/vcenter", chain...)
	api.GET("/vm", func(c echo.Context) error {
		sc := middleware.SecurityContextFrom(c)
		return c.String(http.StatusOK, "VMs of "+sc.Principal.String()+" via "+string(sc.Scheme))
	}, middleware.Require())

	// Log in: POST /api/session with Basic credentials returns the id.
	req := httptest.NewRequest(http.MethodPost, "/api/session", nil)
	req.SetBasicAuth("alice@vsphere.local", "secret")
	req.Header.Set("vmware-use-header-authn", "true")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	id := strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)
	fmt.Println("login:", rec.Code)

	// Use the session.
	req = httptest.NewRequest(http.MethodGet, "/api/vcenter/vm", nil)
	req.Header.Set("vmware-api-session-id", id)
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// login: 201
	// 200 VMs of alice@vsphere.local via com.vmware.vapi.std.security.session_id
}

// An Authenticator reports wrong credentials by wrapping
// ErrInvalidCredentials (401); any other error means it could not decide and
// the request is refused with 503.
func ExampleAuthenticatorFunc() {
	directoryDown := errors.New("ldap: connection refused")
	// Secrets are compared in constant time (crypto/subtle), as the
	// Authenticator doc requires; a real authenticator would compare a hash.
	matches := func(got, want string) bool { return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 }
	auth := middleware.AuthenticatorFunc(func(_ context.Context, user, pass string) (middleware.Identity, error) {
		switch {
		case user == "ops" && matches(pass, "down"):
			return middleware.Identity{}, directoryDown
		case user == "ops" && matches(pass, "pw"):
			return middleware.Identity{Principal: vapisec.Principal{Name: "ops", Domain: "corp"}, Groups: []string{"admins"}}, nil
		}
		return middleware.Identity{}, middleware.ErrInvalidCredentials
	})
	e := echo.New()
	e.GET("/api/x", func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.String())
	}, middleware.Basic(auth), middleware.Require())

	for _, pass := range []string{"pw", "wrong", "down"} {
		req := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		req.SetBasicAuth("ops", pass)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Println(pass, rec.Code)
	}
	// Output:
	// pw 200
	// wrong 401
	// down 503
}

// Serve the JSON-RPC session service on POST /api and hand the calls of the
// application's own services to a JSONRPCCallHandler.
func ExampleJSONRPCSessionService() {
	store, err := session.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	manager, err := session.NewManager(store)
	if err != nil {
		panic(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "secret"})
	if err != nil {
		panic(err)
	}
	cfg := middleware.Config{Manager: manager, Authenticator: users}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		panic(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		panic(err)
	}
	vms := func(c echo.Context, call middleware.JSONRPCCall) error {
		out := call.ServiceID + "." + call.OperationID + " for " + middleware.SecurityContextFrom(c).Principal.String()
		return call.Reply(c, datavalue.String(out))
	}
	rpc, err := middleware.JSONRPCSessionService(cfg, vms)
	if err != nil {
		panic(err)
	}
	// AllowAnonymous: the handler answers a missing credential itself, as a
	// vAPI error in result.error (HTTP 200), as VMware's clients expect.
	e.POST(vapisec.JSONRPCPath, rpc, append(chain, middleware.AllowAnonymous())...)

	req := httptest.NewRequest(http.MethodPost, "/api/session", nil)
	req.SetBasicAuth("alice@vsphere.local", "secret")
	req.Header.Set("vmware-use-header-authn", "true")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	id := strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)

	call := `{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"com.example.vm","operationId":"list"}}`
	for _, sid := range []string{id, ""} {
		req = httptest.NewRequest(http.MethodPost, "/api", strings.NewReader(call))
		if sid != "" {
			req.Header.Set("vmware-api-session-id", sid)
		}
		rec = httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		var resp struct {
			Result struct {
				Output string
				Error  map[string]map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			panic(err)
		}
		for name := range resp.Result.Error["ERROR"] {
			fmt.Println(rec.Code, name, rec.Header().Get("vapi-error"))
		}
		if resp.Result.Output != "" {
			fmt.Println(rec.Code, resp.Result.Output)
		}
	}
	// Output:
	// 200 com.example.vm.list for alice@vsphere.local
	// 200 com.vmware.vapi.std.errors.unauthenticated com.vmware.vapi.std.errors.unauthenticated
}
