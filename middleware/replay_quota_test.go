package middleware_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/verifier"
)

// TestReplayQuotaIsServiceUnavailable: a token holder over its replay share
// (verifier.ErrReplayQuota) is refused fail closed, 503 with reason
// store_unavailable (on JSON-RPC service_unavailable in result.error) and on SIGN; never a 401 that invites a
// new login, never a 500.
func TestReplayQuotaIsServiceUnavailable(t *testing.T) {
	s := newSAMLServer(t, verifier.WithReplayShare(1))
	if rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS256.json")); rec.Code != http.StatusOK {
		t.Fatalf("first signed request: %d %s", rec.Code, rec.Body)
	}
	// On JSON-RPC: service_unavailable in result.error (HTTP 200, spec §13.3).
	rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS384.json"))
	expectRPCError(t, rec, "service_unavailable", vapisec.ReasonStoreUnavailable.MessageID())
	nonce := strconv.FormatInt(samlNow.UnixMilli(), 10) + ":quota"
	hdr := http.Header{"Authorization": {signHeader(t, "POST", "/api/session", "vc.example.com", nil, nonce)}}
	rec = s.post(t, "/api/session", hdr, nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), vapisec.ReasonStoreUnavailable.MessageID()) {
		t.Fatalf("SIGN over the share: %d %s", rec.Code, rec.Body)
	}
}
