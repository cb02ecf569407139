package session_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// TestUserNameSpellingsShareOneQuotaOverHTTP is the review's reproduction
// over HTTP: an Authenticator that accepts alice in any casing and returns
// no principal (so the middleware uses the name as typed), a session cap
// of 2, and five logins as alice, Alice, aLice, ALICE, alicE. Only two may
// succeed; the others answer 503 session_limit like any login beyond the
// cap, and the administrator's view lists the two under any spelling.
func TestUserNameSpellingsShareOneQuotaOverHTTP(t *testing.T) {
	store := newMemoryStore(t)
	m, err := session.NewManager(store, session.WithMaxSessionsPerUser(2))
	if err != nil {
		t.Fatal(err)
	}
	auth := middleware.AuthenticatorFunc(func(_ context.Context, user, pass string) (middleware.Identity, error) {
		if strings.EqualFold(user, "alice") && pass == "pw" { // test fixture, not a secret
			return middleware.Identity{}, nil
		}
		return middleware.Identity{}, middleware.ErrInvalidCredentials
	})
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, middleware.Config{Manager: m, Authenticator: auth}); err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, spelling := range []string{"alice", "Alice", "aLice", "ALICE", "alicE"} {
		req := httptest.NewRequest(http.MethodPost, "/api/session", nil)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(spelling+":pw")))
		req.Header.Set("Vmware-Use-Header-Authn", "true")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusCreated:
			created++
		case rec.Code == http.StatusServiceUnavailable && strings.Contains(rec.Body.String(), string(vapisec.ReasonSessionLimit)):
		default:
			t.Fatalf("login as %s: %d %s, want 201 or 503 session_limit", spelling, rec.Code, rec.Body)
		}
	}
	if created != 2 {
		t.Fatalf("five spellings of alice created %d sessions, want 2 (the cap)", created)
	}
	infos, err := m.Sessions(t.Context(), vapisec.Principal{Name: "ALICE"})
	if err != nil || len(infos) != 2 {
		t.Fatalf("Sessions(ALICE) = %d, %v, want 2", len(infos), err)
	}
	names := []string{infos[0].Identity.Principal.Name, infos[1].Identity.Principal.Name}
	slices.Sort(names)
	if !slices.Equal(names, []string{"Alice", "alice"}) {
		t.Fatalf("sessions of %v, want Alice and alice, as they logged in", names)
	}
}
