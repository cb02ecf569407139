// Package demoserver is the in-process server the client, plugin-backend and
// multi-instance examples run against: the wiring of examples/server (session
// endpoints, middleware.Chain, GET /api/example/hello) on a session store of
// the caller's choice, without the printing. Read examples/server for the
// wiring explained; this package only saves the other examples from repeating
// it.
package demoserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// User and Password are the one user of the server.
const (
	User     = "alice@vsphere.local"
	Password = "secret"
)

// HelloPath is the server's REST route: 200 {"hello":"<principal>"} for any
// authenticated caller.
const HelloPath = "/api/example/hello"

// Server is a running demo server.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	errc chan error
}

// Start serves the demo server on addr ("127.0.0.1:0" picks a free port)
// with its sessions in store.
func Start(addr string, store session.Store) (*Server, error) {
	manager, err := session.NewManager(store)
	if err != nil {
		return nil, err
	}
	users, err := middleware.NewStaticUsers(map[string]string{User: Password})
	if err != nil {
		return nil, err
	}
	// WARNING: InsecureNoSecureFlag only because the examples run on
	// http://127.0.0.1.
	cfg := middleware.Config{Manager: manager, Authenticator: users,
		Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}
	e.GET(HelloPath, func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"hello": middleware.SecurityContextFrom(c).Principal.String()})
	}, append(chain, middleware.Require())...)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{srv: &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}, ln: ln, errc: make(chan error, 1)}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close shuts the server down.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-s.errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
