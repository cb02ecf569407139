package main

import (
	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/middleware"
)

// demoChannel is the channel name of the demo ChannelBasic route.
const demoChannel = "demo"

// mountSessionDemos mounts the demo routes of the session extensions:
//
//	GET /ui/vapisec/handoff-demo[?ticket=…]  hand-off: redeems a clone ticket
//	                                         into a cookie, redirects, then
//	                                         shows the SecurityContext
//	GET /channel/vapisec/whoami              Basic with the user name and
//	                                         password of a channel credential
//	                                         of channel "demo"
func mountSessionDemos(e *echo.Echo, cfg middleware.Config, chain []echo.MiddlewareFunc, whoami echo.HandlerFunc) error {
	handoff, err := middleware.HandoffConfig{Manager: cfg.Manager, Cookie: cfg.Cookie}.ToMiddleware()
	if err != nil {
		return err
	}
	e.GET("/ui/vapisec/handoff-demo", whoami, append(append([]echo.MiddlewareFunc{handoff}, chain...), middleware.Require())...)
	channel, err := middleware.ChannelBasicConfig{Manager: cfg.Manager, Channel: demoChannel}.ToMiddleware()
	if err != nil {
		return err
	}
	e.GET("/channel/vapisec/whoami", whoami, channel, middleware.Require())
	return nil
}

// demoJSONRPC answers every JSON-RPC call outside com.vmware.cis.session
// (which middleware.JSONRPCSessionService serves) with the caller's
// SecurityContext as the operation output, a vAPI structure
// com.vmware.vapisec.security_context (scheme, authenticated, principal,
// source, groups) that VMware's SDK clients decode: the JSON-RPC twin of
// /api/vapisec/whoami, for trying signed requests against "serve".
func demoJSONRPC(c echo.Context, call middleware.JSONRPCCall) error {
	sc := middleware.SecurityContextFrom(c)
	groups := make(datavalue.List, len(sc.Groups))
	for i, g := range sc.Groups {
		groups[i] = datavalue.String(g)
	}
	return call.Reply(c, datavalue.Structure{Name: "com.vmware.vapisec.security_context", Fields: []datavalue.Field{
		{Name: "authenticated", Value: datavalue.Boolean(sc.Authenticated)},
		{Name: "groups", Value: groups},
		{Name: "principal", Value: datavalue.String(sc.Principal.String())},
		{Name: "scheme", Value: datavalue.String(sc.Scheme)},
		{Name: "source", Value: datavalue.String(sc.Source)},
	}})
}
