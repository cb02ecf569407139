package signer

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
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
// The package therefore refuses, with ErrCrossHostRedirect, every redirect
// hop whose origin (scheme, host and port, RFC 6454) differs from the hop
// before it: the Transport before it signs the hop, the SessionClient in
// the CheckRedirect it installs on its http.Client, before the hop is sent.

// origin is the RFC 6454 origin of u: lower-case scheme and host, and the
// port, or the scheme's default port when u has none.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// checkSameOrigin returns nil when to has the origin of from, and an error
// matching ErrCrossHostRedirect that names both origins otherwise. Only
// origins are named: paths and queries may carry tickets.
func checkSameOrigin(from, to *url.URL) error {
	if from == nil || to == nil {
		return fmt.Errorf("%w: redirect source unknown", ErrCrossHostRedirect)
	}
	f, t := origin(from), origin(to)
	if f == t {
		return nil
	}
	if strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https") {
		return fmt.Errorf("%w: from %.200s to %.200s (https to %.10s)", ErrCrossHostRedirect, f, t, to.Scheme)
	}
	return fmt.Errorf("%w: from %.200s to %.200s", ErrCrossHostRedirect, f, t)
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

// sameOriginRedirects returns a CheckRedirect that refuses a hop to
// another origin than the first request's (so every hop of a chain stays
// on it), then defers to next, or to http.Client's default (at most 10
// redirects) when next is nil.
func sameOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		if err := checkSameOrigin(via[0].URL, req.URL); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("signer: stopped after %d redirects", len(via))
		}
		return nil
	}
}
