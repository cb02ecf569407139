package main

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// benchRedisBar is DESIGN's bar for the distributed mode: the session
// middleware on Redis reaches at least half of its throughput on the memory
// store, with one Redis round trip per request.
const benchRedisBar = 0.5

// benchRedisScenario adds the session middleware on the Redis of --redis
// (the same server "serve --redis" uses), compared with the memory store.
func benchRedisScenario(o benchOptions, newEcho func() *echo.Echo, ok echo.HandlerFunc) ([]scenario, func(), error) {
	if o.redis == "" {
		return nil, func() {}, nil
	}
	shared, err := openSharedState(serveOptions{redisURL: o.redis})
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		if shared.client != nil {
			_ = shared.client.Close()
		}
	}
	manager, err := session.NewManager(shared.store)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	sess, err := manager.Create(context.Background(), session.Identity{Principal: vapisec.ParsePrincipal("bench-redis@vsphere.local"), Scheme: vapisec.SchemeUserPass})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	chain, err := middleware.Chain(middleware.Config{Manager: manager})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	e := newEcho()
	e.GET("/bench", ok, append(chain, middleware.Require())...)
	get := func(base string, _ int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, base+"/bench", nil)
		if err == nil {
			req.Header.Set("vmware-api-session-id", sess.ID)
		}
		return req, err
	}
	return []scenario{{name: "session on Redis", handler: e, newRequest: get, baseline: "session", bar: benchRedisBar}}, cleanup, nil
}
