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
// store_unavailable, on JSON-RPC and on SIGN; never a 401 that invites a
// new login, never a 500.
func TestReplayQuotaIsServiceUnavailable(t *testing.T) {
	s := newSAMLServer(t, verifier.WithReplayShare(1))
	if rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS256.json")); rec.Code != http.StatusOK {
		t.Fatalf("first signed request: %d %s", rec.Code, rec.Body)
	}
	rec := s.post(t, "/api", nil, readVCF(t, "signed-request-RS384.json"))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), vapisec.ReasonStoreUnavailable.MessageID()) {
		t.Fatalf("JSON-RPC over the share: %d %s", rec.Code, rec.Body)
	}
	nonce := strconv.FormatInt(samlNow.UnixMilli(), 10) + ":quota"
	hdr := http.Header{"Authorization": {signHeader(t, "POST", "/api/session", "vc.example.com", nil, nonce)}}
	rec = s.post(t, "/api/session", hdr, nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), vapisec.ReasonStoreUnavailable.MessageID()) {
		t.Fatalf("SIGN over the share: %d %s", rec.Code, rec.Body)
	}
}
