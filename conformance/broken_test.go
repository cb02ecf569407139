package conformance_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/conformance"
)

// headerWriter lets a broken server rewrite the status and headers of an
// answer, and drop its body.
type headerWriter struct {
	http.ResponseWriter
	req       *http.Request
	rewrite   func(req *http.Request, status int, h http.Header) (int, bool)
	dropBody  bool
	wroteHead bool
}

func (w *headerWriter) WriteHeader(status int) {
	if w.wroteHead {
		return
	}
	w.wroteHead = true
	status, w.dropBody = w.rewrite(w.req, status, w.Header())
	if w.dropBody {
		w.Header().Del("Content-Type")
		w.Header().Del("Content-Length")
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *headerWriter) Write(b []byte) (int, error) {
	if !w.wroteHead {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropBody {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// rewriteAnswers breaks the answers of a server.
func rewriteAnswers(f func(req *http.Request, status int, h http.Header) (int, bool)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&headerWriter{ResponseWriter: w, req: r, rewrite: f}, r)
		})
	}
}

// jsonrpcNeverRefused breaks a server's JSON-RPC refusals: a vAPI error in
// result.error (spec §13.3) becomes a successful session create.
func jsonrpcNeverRefused(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if bytes.Contains(body, []byte(`"result":{"error":`)) {
			body = []byte(`{"id":"1","jsonrpc":"2.0","result":{"output":"broken-session"}}`)
			rec.Header().Del("vapi-error")
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// rewriteRequests breaks what a server reads.
func rewriteRequests(f func(*http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f(r)
			next.ServeHTTP(w, r)
		})
	}
}

// TestBrokenServers: a server broken in one way fails exactly the cases that
// check that behaviour, and no other.
func TestBrokenServers(t *testing.T) {
	tests := []struct {
		name         string
		givenBreak   func(http.Handler) http.Handler
		expectFailed []string
	}{
		{
			name: "nok, header read before cookie (vcsim's order)",
			givenBreak: rewriteRequests(func(r *http.Request) {
				if r.Header.Get("vmware-api-session-id") != "" && strings.Contains(r.Header.Get("Cookie"), "vmware-api-session-id=") {
					r.Header.Del("Cookie")
				}
			}),
			expectFailed: []string{"spec-3.1/cookie-before-header", "spec-3.1/cookie-header-conflict"},
		},
		{
			name: "nok, no WWW-Authenticate",
			givenBreak: rewriteAnswers(func(_ *http.Request, status int, h http.Header) (int, bool) {
				h.Del("WWW-Authenticate")
				return status, false
			}),
			expectFailed: []string{"spec-3.2/basic-wrong-password-challenge", "spec-5.2/www-authenticate-on-401"},
		},
		{
			name: "nok, vmware-use-header-authn ignored",
			givenBreak: rewriteRequests(func(r *http.Request) {
				r.Header.Del("vmware-use-header-authn")
			}),
			expectFailed: []string{"spec-3.4/header-authn-true-no-cookie", "spec-3.4/header-authn-any-value-no-cookie"},
		},
		{
			name: "nok, legacy logout answers 204 (Python runtime)",
			givenBreak: rewriteAnswers(func(r *http.Request, status int, _ http.Header) (int, bool) {
				if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/rest/") && status == http.StatusOK {
					return http.StatusNoContent, false
				}
				return status, false
			}),
			expectFailed: []string{"spec-4/legacy-delete"},
		},
		{
			name: "nok, empty 401 bodies (vcsim)",
			givenBreak: rewriteAnswers(func(_ *http.Request, status int, _ http.Header) (int, bool) {
				return status, status == http.StatusUnauthorized
			}),
			expectFailed: []string{
				"spec-4/api-delete-ends-session", "spec-4/api-get-unknown-session",
				"spec-5.2/api-401-body", "spec-5.2/legacy-401-body", "spec-5.2/legacy-401-wrong-password-body",
				"spec-5.2/api-401-wrong-password-body", "spec-5.2/error-content-type", "spec-5.2/unknown-session-legacy-body",
				"ext-whoami/invalid-session-no-fallthrough", "ext-whoami/anonymous-401",
				"ext-clone/acquire-requires-session", "ext-clone/single-use", "ext-clone/ticket-is-not-a-session",
				"ext-clone/cascade-on-logout", "ext-clone/unknown-ticket",
			},
		},
		{
			name: "nok, malformed Basic answered 401 (vcsim, Python)",
			givenBreak: rewriteAnswers(func(_ *http.Request, status int, _ http.Header) (int, bool) {
				if status == http.StatusBadRequest {
					return http.StatusUnauthorized, false
				}
				return status, false
			}),
			expectFailed: []string{
				"spec-3.1/cookie-header-conflict", "spec-3.1/duplicate-session-cookie", "spec-3.1/duplicate-session-header",
				"spec-3.2/basic-bad-base64", "spec-3.2/basic-no-colon", "spec-3.2/basic-empty-user", "spec-3.2/basic-invalid-utf8",
				"spec-3.2/basic-control-character", "spec-3.2/basic-c1-control", "spec-3.2/basic-missing-padding",
				"spec-3.2/basic-two-spaces", "spec-3.2/basic-no-credentials", "spec-3.2/basic-no-space",
				"spec-3.2/basic-space-inside", "spec-3.2/basic-url-safe-alphabet", "spec-3.2/basic-several-authorization-headers",
				"spec-5.3/malformed-api-body", "ext-clone/ticket-with-other-credential",
				"ext-soap/doctype-refused", "ext-soap/soap12-refused",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newVapisecServer(t, tc.givenBreak)
			r, err := conformance.NewRunner(ts.URL, conformance.WithBasic(testUser, testPassword),
				conformance.WithLevel(conformance.LevelExtension), conformance.WithRun(`^(spec-[345]|ext-)`))
			if err != nil {
				t.Fatal(err)
			}
			rep := r.Run(context.Background())
			got := rep.Failed()
			want := slices.Clone(tc.expectFailed)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				for _, c := range rep.Cases {
					if c.Status == conformance.StatusFail {
						t.Logf("%s: %s", c.ID, c.Reason)
					}
				}
				t.Errorf("failed cases\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestBrokenSigningServers: the signed-request cases catch a server that
// lets a bad signed request through, and only the cases that check it.
func TestBrokenSigningServers(t *testing.T) {
	tests := []struct {
		name            string
		givenBreak      func(http.Handler) http.Handler
		givenExtraHosts []string
		expectFailed    []string
	}{
		{
			name:            "nok, SIGN accepted for another server's host (no host binding, DESIGN Q21)",
			givenExtraHosts: []string{"relay.example", "relay.example:{port}"},
			expectFailed:    []string{"spec-8.2/sign-hok-relayed-host"},
		},
		{
			name: "nok, signed requests never refused",
			givenBreak: func(h http.Handler) http.Handler {
				return rewriteAnswers(func(r *http.Request, status int, _ http.Header) (int, bool) {
					if strings.HasPrefix(r.Header.Get("Authorization"), "SIGN") && status == http.StatusUnauthorized {
						return http.StatusOK, false
					}
					return status, false
				})(jsonrpcNeverRefused(h))
			},
			expectFailed: []string{
				"spec-8.2/sign-hok-wrong-host", "spec-8.2/sign-hok-wrong-path", "spec-8.2/sign-hok-wrong-body",
				"spec-8.2/sign-hok-wrong-key", "spec-8.2/sign-hok-untrusted-sts", "spec-8.2/sign-hok-token-altered",
				"spec-8.2/sign-hok-forged-confirmation", "spec-8.2/sign-hok-relayed-host", "spec-8.2/sign-hok-stale-nonce",
				"spec-8.2/sign-hok-replayed-nonce", "spec-8.2/sign-bearer-login",
				"spec-7.4/jsonrpc-hok-tampered", "spec-7.4/jsonrpc-hok-expired", "spec-7.4/jsonrpc-hok-future",
				"spec-7.1/jsonrpc-hok-wrong-algorithm", "spec-7.4/jsonrpc-bearer-as-hok", "spec-7.4/jsonrpc-hok-wrong-key",
				"spec-7.4/jsonrpc-hok-untrusted-sts", "spec-7.4/jsonrpc-hok-token-altered", "spec-7.4/jsonrpc-hok-forged-confirmation",
				"spec-7.4/jsonrpc-hok-replayed", "spec-8.3/sign-garbage-token",
				// Not spec-7.4/jsonrpc-bearer-not-allowed: a bearer login that
				// succeeds is Java's answer, which that case accepts (and
				// TestSuiteAgainstVapisec checks that vapisec's is vapisec's).
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newVapisecServer(t, tc.givenBreak, tc.givenExtraHosts...)
			r, err := conformance.NewRunner(ts.URL, append(signingOptions(t), conformance.WithBasic(testUser, testPassword),
				conformance.WithLevel(conformance.LevelExtension), conformance.WithRun(`^spec-[78]`))...)
			if err != nil {
				t.Fatal(err)
			}
			rep := r.Run(context.Background())
			got := rep.Failed()
			want := slices.Clone(tc.expectFailed)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				for _, c := range rep.Cases {
					if c.Status == conformance.StatusFail {
						t.Logf("%s: %s", c.ID, c.Reason)
					}
				}
				t.Errorf("failed cases\n got %q\nwant %q", got, want)
			}
			if rep.Summary.Skip != 0 {
				t.Errorf("%d cases skipped", rep.Summary.Skip)
			}
		})
	}
}
