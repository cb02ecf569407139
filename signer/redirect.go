package signer

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/vapisec/vapisec/internal/origin"
)

// Redirects and credentials.
//
// http.Client follows a redirect by calling the Transport's RoundTrip again
// with a new request whose Response field is the redirect response (and
// Response.Request the hop that received it); it copies the first request's
// headers to the new hop first. It drops Authorization and Cookie only when
// the new host name is neither the old one nor a subdomain of it, ignoring
// scheme and port, and it always copies custom headers such as
// vmware-api-session-id. So without help a 307 from https://vc:443 to
// http://vc:8080, or to any other host, receives the caller's credentials.
//
// The Transport therefore refuses, with ErrCrossHostRedirect, every redirect
// hop whose origin (scheme, host and port, RFC 6454) differs from the hop
// before it, before it signs the hop. (The session client of package client
// does the same in the CheckRedirect it installs on its http.Client.)

// checkSameOrigin returns nil when to has the origin of from, and an error
// matching ErrCrossHostRedirect that names both origins otherwise.
func checkSameOrigin(from, to *url.URL) error {
	if err := origin.Check(from, to); err != nil {
		return fmt.Errorf("%w: %w", ErrCrossHostRedirect, err)
	}
	return nil
}

// checkRedirectHop is the check for a request a RoundTripper receives:
// when req is a redirect hop (req.Response set), its origin must be the
// origin of the hop that received the redirect.
func checkRedirectHop(req *http.Request) error {
	if req.Response == nil {
		return nil
	}
	var from *url.URL
	if req.Response.Request != nil {
		from = req.Response.Request.URL
	}
	return checkSameOrigin(from, req.URL)
}
