package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// publicHost is one --public-host: a host name or IP address, with a port
// when one was given.
type publicHost struct {
	host string // lower case, IPv6 without brackets
	port string // "" when not given
}

// parsePublicHosts reads the --public-host values: HOST or HOST:PORT, an IPv6
// address in brackets ("[2001:db8::1]:443").
func parsePublicHosts(vals []string) ([]publicHost, error) {
	var out []publicHost
	for _, v := range vals {
		host, port := v, ""
		if h, p, err := net.SplitHostPort(v); err == nil {
			host, port = h, p
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return nil, usagef("--public-host %.80q: bad port", v)
			}
		} else if strings.Count(v, ":") == 1 || (strings.HasPrefix(v, "[") && !strings.HasSuffix(v, "]")) {
			return nil, usagef("--public-host %.80q: want HOST or HOST:PORT", v)
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if host == "" || strings.ContainsAny(host, "/ \t@?#") {
			return nil, usagef("--public-host %.80q: want HOST or HOST:PORT", v)
		}
		out = append(out, publicHost{host: host, port: port})
	}
	return out, nil
}

// serveHosts returns the hosts "serve" accepts in signed SIGN headers
// (DESIGN Q21), for verifier.WithAllowedHosts: the host of --addr (o.addr
// holds the real port by now), plus the loopback names when it is a
// loopback address (all of them, and the loopback names, when it is a
// wildcard), the DNS names and IP addresses of --tls-cert, and each
// --public-host. Each derived name is bound to the listening port
// (name:port): a header signed for another port of the same name is
// refused. For port 443 name:80 is listed too, since a client that leaves
// ":443" out of Host signs port 80 (spec §8.2, govmomi). A --public-host with
// a port is bound to that port (and 80 for 443) — the port a load balancer
// in front receives —, one without a port is listed bare (any port).
func serveHosts(o serveOptions) ([]string, error) {
	host, port, err := net.SplitHostPort(o.addr)
	if err != nil {
		return nil, usagef("--addr %.80q: %v", o.addr, err)
	}
	var names []string
	host = strings.ToLower(strings.Trim(host, "[]"))
	ip := net.ParseIP(host)
	switch {
	case host == "" || (ip != nil && ip.IsUnspecified()):
		// Every interface: the names of the machine are unknown here;
		// loopback works, others need --public-host.
		names = append(names, "localhost", "127.0.0.1", "::1")
	case host == "localhost":
		names = append(names, "localhost", "127.0.0.1", "::1")
	case ip != nil && ip.IsLoopback():
		names = append(names, host, "localhost")
	default:
		names = append(names, host)
	}
	if o.tlsCert != "" {
		cert, err := readFirstCertificate(o.tlsCert)
		if err != nil {
			return nil, usagef("--tls-cert: %v", err)
		}
		for _, d := range cert.DNSNames {
			if d != "" && !strings.HasPrefix(d, "*") {
				names = append(names, strings.ToLower(d))
			}
		}
		for _, a := range cert.IPAddresses {
			names = append(names, a.String())
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	withPort := func(n, port string) {
		add(net.JoinHostPort(n, port))
		if port == "443" {
			add(net.JoinHostPort(n, "80"))
		}
	}
	for _, n := range names {
		withPort(n, port)
	}
	pubs, err := parsePublicHosts(o.publicHosts)
	if err != nil {
		return nil, err
	}
	for _, p := range pubs {
		if p.port == "" {
			add(p.host)
		} else {
			withPort(p.host, p.port)
		}
	}
	return out, nil
}

// readFirstCertificate reads the first CERTIFICATE block of a PEM file.
func readFirstCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%s: no CERTIFICATE block", path)
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}
