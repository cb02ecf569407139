package main

import (
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
)

// bodyLimitBytes returns the number of bytes Echo's BodyLimit accepts for
// the --body-limit value s (Echo's size syntax: "1M" is 1,000,000 bytes,
// "1Mi" 1,048,576). It asks Echo's own middleware, by bisection over the
// declared Content-Length, so that the limit the JSON-RPC and SOAP
// handlers apply is exactly the one of every other route, whatever Echo's
// parser accepts. It returns -1 when s is not a size Echo accepts.
func bodyLimitBytes(s string) (n int64) {
	defer func() {
		if recover() != nil { // Echo panics on a limit it cannot parse
			n = -1
		}
	}()
	mw := echomw.BodyLimit(s)
	e := echo.New()
	accepts := func(size int64) bool {
		req := httptest.NewRequest(http.MethodPost, "/", http.NoBody)
		req.ContentLength = size
		err := mw(func(echo.Context) error { return nil })(e.NewContext(req, httptest.NewRecorder()))
		return err == nil
	}
	lo, hi := int64(0), int64(1)<<62 // accepts(lo) is true (no body), find the largest
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if accepts(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// protocolBody reports the requests whose handlers bound their own bodies
// and must refuse an oversized one in their own protocol: POST on the
// JSON-RPC endpoint (a JSON-RPC result.error, which VMware's clients
// decode, never Echo's REST {"message":…} body) and on /sdk (a SOAP
// fault). Echo's BodyLimit skips them; serve gives their handlers the
// same limit (middleware.Config.MaxBodySize, soap.WithMaxBodySize).
func protocolBody(c echo.Context) bool {
	req := c.Request()
	return req.Method == http.MethodPost && (req.URL.Path == vapisec.JSONRPCPath || req.URL.Path == middleware.SOAPPath)
}
