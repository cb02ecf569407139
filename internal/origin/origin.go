// Package origin compares the RFC 6454 origins of URLs, for the redirect
// checks of package signer (Transport) and package client (the session
// client's CheckRedirect): a redirect hop to another origin must not carry
// a signature or session credentials.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// errUnknownSource is the cause when the URL a redirect came from is unknown.
var errUnknownSource = errors.New("redirect source unknown")

// Of returns the RFC 6454 origin of u: lower-case scheme and host, and the
// port, or the scheme's default port when u has none.
func Of(u *url.URL) string {
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

// Check returns nil when to has the origin of from, and otherwise an error
// that names both origins (and says "https to http" for a downgrade). Only
// origins are named: paths and queries may carry tickets. Callers wrap the
// error with their own sentinel.
func Check(from, to *url.URL) error {
	if from == nil || to == nil {
		return errUnknownSource
	}
	f, t := Of(from), Of(to)
	if f == t {
		return nil
	}
	if strings.EqualFold(from.Scheme, "https") && !strings.EqualFold(to.Scheme, "https") {
		return fmt.Errorf("from %.200s to %.200s (https to %.10s)", f, t, to.Scheme)
	}
	return fmt.Errorf("from %.200s to %.200s", f, t)
}
