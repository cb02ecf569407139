package client

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vapisec/vapisec/internal/origin"
)

// Redirects and credentials.
//
// http.Client copies the first request's headers to every redirect hop. It
// drops Authorization and Cookie only when the new host name is neither the
// old one nor a subdomain of it, ignoring scheme and port, and it always
// copies custom headers such as vmware-api-session-id. So without help a 307
// from https://vc:443 to http://vc:8080, or to any other host, receives the
// session id or the login credentials. The Client therefore installs a
// CheckRedirect on its copy of the http.Client that refuses, with
// ErrCrossHostRedirect, every hop whose origin (scheme, host and port, RFC
// 6454) differs from the first request's, before the hop is sent.

// checkRedirect wraps next (which refuses other origins) with the re-signing
// of a SIGN login header that http.Client copied to a same-origin hop: the
// copy was signed for the first URL, which the server would refuse.
func (c *config) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if err := next(req, via); err != nil {
			return err
		}
		if c.token != nil && strings.HasPrefix(req.Header.Get("Authorization"), "SIGN ") {
			return c.token.SignRequest(req)
		}
		return nil
	}
}

// sameOriginRedirects returns a CheckRedirect that refuses a hop to
// another origin than the first request's (so every hop of a chain stays
// on it), then defers to next, or to http.Client's default (at most 10
// redirects) when next is nil.
func sameOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		if err := origin.Check(via[0].URL, req.URL); err != nil {
			return fmt.Errorf("%w: %w", ErrCrossHostRedirect, err)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("client: stopped after %d redirects", len(via))
		}
		return nil
	}
}
