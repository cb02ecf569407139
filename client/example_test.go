package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// exampleServer starts a vapisec server with the session endpoints and one
// protected route, /api/whoami.
func exampleServer() *httptest.Server {
	store, _ := session.NewMemoryStore()
	m, _ := session.NewManager(store)
	users, _ := middleware.NewStaticUsers(map[string]string{"administrator@vsphere.local": "s3cret"})
	cfg := middleware.Config{Manager: m, Authenticator: users}
	e := echo.New()
	_ = middleware.RegisterSessionEndpoints(e, cfg)
	chain, _ := middleware.Chain(cfg)
	e.GET("/api/whoami", func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.String())
	}, append(chain, middleware.Require())...)
	return httptest.NewServer(e)
}

// Log in with Basic credentials, call the server in the session and log out.
func ExampleNew() {
	srv := exampleServer()
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, client.WithBasicAuth("administrator@vsphere.local", "s3cret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx) // stops the keep-alive and logs out

	req, _ := c.NewRequest(ctx, http.MethodGet, "/api/whoami", nil)
	res, err := c.Do(req) // logs in first
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, string(b))
	// Output: 200 administrator@vsphere.local
}

// A refused login matches ErrLogin, and its message names the server's
// reason.
func ExampleClient_Login_errorChecking() {
	srv := exampleServer()
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithBasicAuth("administrator@vsphere.local", "wrong"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(context.Background())
	err = c.Login(context.Background())
	fmt.Println(errors.Is(err, client.ErrLogin))
	fmt.Println(err)
	// Output:
	// true
	// client: login failed: HTTP 401 (invalid_credentials)
}
