package bench

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

// benchRedisScenario adds the session middleware on cfg.Redis (the Redis
// store of "vapisec bench --redis", the one "serve --redis" uses), compared
// with the memory store. It adds nothing when cfg.Redis is nil.
func benchRedisScenario(cfg Config, newEcho func() *echo.Echo, ok echo.HandlerFunc) ([]scenario, error) {
	if cfg.Redis == nil {
		return nil, nil
	}
	manager, err := session.NewManager(cfg.Redis)
	if err != nil {
		return nil, err
	}
	sess, err := manager.Create(context.Background(), session.Identity{Principal: vapisec.ParsePrincipal("bench-redis@vsphere.local"), Scheme: vapisec.SchemeUserPass})
	if err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(middleware.Config{Manager: manager})
	if err != nil {
		return nil, err
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
	return []scenario{{name: "session on Redis", handler: e, newRequest: get, baseline: "session", bar: benchRedisBar}}, nil
}
