package session_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

func ExampleManager() {
	ctx := context.Background()
	store, err := session.NewMemoryStore(session.WithMaxEntries(100_000))
	if err != nil {
		fmt.Println("config:", err)
		return
	}
	m, err := session.NewManager(store, session.WithIdleTimeout(30*time.Minute))
	if err != nil {
		fmt.Println("config:", err)
		return
	}

	// Login: the credential was verified elsewhere (Basic, SAML).
	s, err := m.Create(ctx, session.Identity{
		Principal: vapisec.ParsePrincipal(`VSPHERE.LOCAL\Administrator`),
		Scheme:    vapisec.SchemeUserPass,
	})
	switch {
	case errors.Is(err, session.ErrSessionLimit):
		fmt.Println("503: log out of another session first")
		return
	case err != nil:
		fmt.Println("503:", err)
		return
	}
	fmt.Println("id length:", len(s.ID))

	// Every request: the id from the cookie or header.
	got, err := m.Lookup(ctx, s.ID)
	if err != nil {
		fmt.Println("lookup:", err)
		return
	}
	fmt.Println("user:", got.Principal.DownLevel())

	// Logout, then the id is worthless.
	if err := m.Delete(ctx, s.ID); err != nil {
		fmt.Println("logout:", err)
		return
	}
	_, err = m.Lookup(ctx, s.ID)
	switch {
	case errors.Is(err, session.ErrUnknownSession): // expired ones match too
		reason, _ := session.ReasonOf(err)
		fmt.Println("401:", reason)
	case errors.Is(err, session.ErrStoreUnavailable):
		fmt.Println("503")
	}
	// Output:
	// id length: 43
	// user: VSPHERE.LOCAL\Administrator
	// 401: unknown_session
}
