package bench

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// benchRedisBar is the bar of issue 20 for the distributed mode: the
// session middleware on Redis reaches at least 0.6 of its throughput on the
// memory store, with one Redis command per request.
const benchRedisBar = 0.6

// benchRedisScenario adds the session middleware on cfg.Redis (the Redis
// store of "vapisec bench --redis", the one "serve --redis" uses), compared
// with the memory store, and one server per cfg.RedisVariants. It adds
// nothing for a nil cfg.Redis.
func benchRedisScenario(cfg Config, newEcho func() *echo.Echo, ok echo.HandlerFunc) ([]scenario, error) {
	if cfg.Redis == nil {
		return nil, nil
	}
	main, err := redisScenario("session on Redis", cfg.Redis, newEcho, ok)
	if err != nil {
		return nil, err
	}
	main.bar = benchRedisBar
	main.externalCPU = cfg.RedisCPU
	scenarios := []scenario{main}
	for _, v := range cfg.RedisVariants {
		sc, err := redisScenario("Redis option: "+v.Name, v.Store, newEcho, ok)
		if err != nil {
			return nil, err
		}
		sc.externalCPU = cfg.RedisCPU
		scenarios = append(scenarios, sc)
	}
	return scenarios, nil
}

// redisScenario is the session middleware on store, compared with the
// memory store, without a bar.
func redisScenario(name string, store session.Store, newEcho func() *echo.Echo, ok echo.HandlerFunc) (scenario, error) {
	manager, err := session.NewManager(store)
	if err != nil {
		return scenario{}, err
	}
	sess, err := manager.Create(context.Background(), session.Identity{Principal: vapisec.ParsePrincipal("bench-redis@vsphere.local"), Scheme: vapisec.SchemeUserPass})
	if err != nil {
		return scenario{}, err
	}
	chain, err := middleware.Chain(middleware.Config{Manager: manager})
	if err != nil {
		return scenario{}, err
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
	return scenario{name: name, handler: e, newRequest: get, baseline: "session"}, nil
}
