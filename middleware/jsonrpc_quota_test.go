package middleware_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// TestJSONRPCLoginBeyondRecordQuotaIs429: a JSON-RPC session.create beyond
// the user's records bound is refused with the quota's own reason (429
// UNABLE_TO_ALLOCATE_RESOURCE, user_record_limit), as on REST, not with a
// misleading 503 store_unavailable.
func TestJSONRPCLoginBeyondRecordQuotaIs429(t *testing.T) {
	cert, err := sts.ParseCertificatePEM(readVCF(t, "sts.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return samlNow }
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(now), verifier.WithAllowedHosts("vc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, session.WithMaxRecordsPerUser(1))
	if err != nil {
		t.Fatal(err)
	}
	var cfg middleware.Config
	s := newTestServer(t, func(c *middleware.Config) { c.RequestVerifier = rv; c.Manager = m; cfg = *c })
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := middleware.JSONRPCSessionService(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.e.POST("/api", h, append(chain, middleware.AllowAnonymous())...)

	if rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS256.json")); rec.Code != http.StatusOK {
		t.Fatalf("first session.create: %d %s", rec.Code, rec.Body)
	}
	// On JSON-RPC the refusal is a result (spec §13.3): HTTP 200,
	// unable_to_allocate_resource with the quota's reason.
	rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS384.json"))
	r := expectRPCError(t, rec, "unable_to_allocate_resource", "vapisec.reason.user_record_limit")
	if len(r.MsgIDs) != 2 || r.MsgIDs[1] != "vapisec.reason.user_record_limit" {
		t.Fatalf("messages %v", r.MsgIDs)
	}
}
