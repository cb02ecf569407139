package middleware_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCredentials drives every credential rule through a real Echo server and
// checks the exact status, the WWW-Authenticate header and the body (golden
// files). "{SID}" in a header value is replaced by a fresh session id.
func TestCredentials(t *testing.T) {
	const sid = "{SID}"
	tests := []struct {
		name              string
		givenMethod       string
		givenPath         string
		givenHeader       http.Header
		expectStatus      int
		expectGolden      string // body golden file; "" = do not compare
		expectChallenge   bool
		expectBodyContain string
	}{
		// --- sessions
		{name: "ok, session by header", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {sid}}, expectStatus: 200, expectBodyContain: `"source":"header"`},
		{name: "ok, session by cookie", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Cookie": {"vmware-api-session-id=" + sid}}, expectStatus: 200, expectBodyContain: `"source":"cookie"`},
		{name: "ok, cookie and header agree", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Cookie": {"vmware-api-session-id=" + sid}, "Vmware-Api-Session-Id": {sid}}, expectStatus: 200, expectBodyContain: `"source":"cookie"`},
		{name: "ok, python quirk: unrelated cookie does not hide the header", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Cookie": {"theme=dark; JSESSIONID=abc"}, "Vmware-Api-Session-Id": {sid}}, expectStatus: 200, expectBodyContain: `"source":"header"`},
		{name: "nok, cookie and header disagree", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Cookie": {"vmware-api-session-id=" + sid}, "Vmware-Api-Session-Id": {"other"}}, expectStatus: 400, expectGolden: "session-conflict"},
		{name: "nok, duplicate session cookies", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Cookie": {"vmware-api-session-id=" + sid + "; vmware-api-session-id=" + sid}}, expectStatus: 400, expectGolden: "session-duplicate-cookie"},
		{name: "nok, two session headers", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {sid, sid}}, expectStatus: 400},
		{name: "nok, oversized session id", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {strings.Repeat("a", 10000)}}, expectStatus: 400},
		{name: "nok, unknown session on /api", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}, expectStatus: 401, expectGolden: "unknown-session-api", expectChallenge: true},
		{name: "nok, unknown session on /rest", givenMethod: "GET", givenPath: "/rest/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {"not-a-session"}}, expectStatus: 401, expectGolden: "unknown-session-rest", expectChallenge: true},
		{name: "nok, unknown session is not rescued by valid Basic", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Vmware-Api-Session-Id": {"not-a-session"}, "Authorization": {basic("bob", "pw")}}, expectStatus: 401, expectChallenge: true},
		{name: "ok, empty session header is absent", givenMethod: "GET", givenPath: "/api/anonymous", givenHeader: http.Header{"Vmware-Api-Session-Id": {""}}, expectStatus: 200, expectBodyContain: `"authenticated":false`},
		// --- Basic
		{name: "ok, basic", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {basic("bob", "pw")}}, expectStatus: 200, expectBodyContain: `"scheme":"com.vmware.vapi.std.security.user_pass"`},
		{name: "ok, lowercase basic", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"basic " + b64("bob:pw")}}, expectStatus: 200},
		{name: "ok, password with colons, upn user", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {basic("alice@vsphere.local", "s3cret:with:colons")}}, expectStatus: 200, expectBodyContain: `"domain":"vsphere.local"`},
		{name: "nok, wrong password on /api", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {basic("bob", "nope")}}, expectStatus: 401, expectGolden: "basic-wrong-password-api", expectChallenge: true},
		{name: "nok, wrong password on /rest", givenMethod: "GET", givenPath: "/rest/whoami", givenHeader: http.Header{"Authorization": {basic("bob", "nope")}}, expectStatus: 401, expectGolden: "basic-wrong-password-rest", expectChallenge: true},
		{name: "nok, unknown user", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {basic("mallory", "pw")}}, expectStatus: 401, expectChallenge: true},
		{name: "nok, Basic:xxx", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic:" + b64("bob:pw")}}, expectStatus: 400},
		{name: "nok, BasicXxxx", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic" + b64("bob:pw")}}, expectStatus: 400},
		{name: "nok, bad base64 on /api", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic !!!!"}}, expectStatus: 400, expectGolden: "basic-bad-base64-api"},
		{name: "nok, bad base64 on /rest", givenMethod: "GET", givenPath: "/rest/whoami", givenHeader: http.Header{"Authorization": {"Basic !!!!"}}, expectStatus: 400, expectGolden: "basic-bad-base64-rest"},
		{name: "nok, missing padding", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + strings.TrimRight(b64("bob:pw1"), "=")}}, expectStatus: 400},
		{name: "nok, invalid UTF-8", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + b64("bob\xff:pw")}}, expectStatus: 400},
		{name: "nok, control character", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + b64("bob\x00:pw")}}, expectStatus: 400},
		{name: "nok, empty user", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + b64(":pw")}}, expectStatus: 400},
		{name: "nok, no colon", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + b64("bobpw")}}, expectStatus: 400},
		{name: "nok, two Authorization headers", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {basic("bob", "pw"), basic("bob", "pw")}}, expectStatus: 400},
		{name: "nok, oversized Basic credential", givenMethod: "GET", givenPath: "/api/whoami", givenHeader: http.Header{"Authorization": {"Basic " + b64("bob:"+strings.Repeat("p", 100000))}}, expectStatus: 400},
		// --- policy
		{name: "nok, no credential on /api", givenMethod: "GET", givenPath: "/api/whoami", expectStatus: 401, expectGolden: "missing-api", expectChallenge: true},
		{name: "nok, no credential on /rest", givenMethod: "GET", givenPath: "/rest/whoami", expectStatus: 401, expectGolden: "missing-rest", expectChallenge: true},
		{name: "ok, anonymous route", givenMethod: "GET", givenPath: "/api/anonymous", expectStatus: 200, expectBodyContain: `"scheme":"com.vmware.vapi.std.security.no_authentication"`},
		{name: "nok, anonymous route still rejects a bad credential", givenMethod: "GET", givenPath: "/api/anonymous", givenHeader: http.Header{"Authorization": {basic("bob", "nope")}}, expectStatus: 401, expectChallenge: true},
		{name: "nok, session on a Basic-only route", givenMethod: "GET", givenPath: "/api/basic-only", givenHeader: http.Header{"Vmware-Api-Session-Id": {sid}}, expectStatus: 401, expectGolden: "scheme-not-allowed", expectChallenge: true},
		{name: "ok, other Authorization scheme passes to the policy", givenMethod: "GET", givenPath: "/api/anonymous", givenHeader: http.Header{"Authorization": {"Negotiate abc"}}, expectStatus: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			id := s.login(t)
			h := http.Header{}
			for k, vs := range tc.givenHeader {
				for _, v := range vs {
					h.Add(k, strings.ReplaceAll(v, sid, id))
				}
			}
			rec := s.do(t, tc.givenMethod, tc.givenPath, h)
			if rec.Code != tc.expectStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.expectStatus, rec.Body)
			}
			if rec.Code >= 400 {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
				if strings.Contains(rec.Body.String(), id) {
					t.Errorf("error body leaks the session id: %s", rec.Body)
				}
			}
			if got := rec.Header().Get("WWW-Authenticate"); (got != "") != tc.expectChallenge {
				t.Errorf("WWW-Authenticate = %q, want present=%v", got, tc.expectChallenge)
			} else if tc.expectChallenge && got != `Basic realm="vapisec"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if tc.expectGolden != "" {
				golden(t, tc.expectGolden, rec.Body.Bytes())
			}
			if tc.expectBodyContain != "" && !strings.Contains(rec.Body.String(), tc.expectBodyContain) {
				t.Errorf("body %s lacks %s", rec.Body, tc.expectBodyContain)
			}
		})
	}
}
