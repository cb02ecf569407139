package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// SOAPPath is where vim25 clients (govmomi's vim25.NewClient, govc,
// pyVmomi) send SOAP requests, as on vCenter.
const SOAPPath = "/sdk"

// MountSOAP mounts the vim25 SOAP session subset (package soap) on r at
// SOAPPath: POST SOAPPath for SOAP calls and GET
// SOAPPath+soap.VersionsPath for the service versions document. The handler
// is built over cfg.Manager, so a SOAP login is a session like any other
// and clone tickets are shared with the REST endpoints; Login checks
// passwords with cfg.Authenticator (ErrInvalidCredentials becomes the
// InvalidLogin fault); cfg.Admins may call TerminateSession; the
// vmware_soap_session cookie follows cfg.Cookie (Path, Secure unless
// InsecureNoSecureFlag); cfg.TrustedOrigins are the origins besides the
// request's own browsers may post from. opts come after those and may
// override them. With cfg.RequestVerifier, LoginByToken is enabled
// (SOAPTokenLogin: WS-Security SAML holder-of-key, bearer only when the
// verifier allows it); without it LoginByToken is the NotImplemented fault
// unless opts add soap.WithTokenLogin.
//
// The handler bounds its own bodies (soap.WithMaxBodySize, default
// soap.DefaultMaxBodySize) and writes SOAP faults, not vAPI error bodies:
// do not put the Session or Basic middleware on SOAPPath.
func MountSOAP(r Router, cfg Config, opts ...soap.Option) error {
	if r == nil {
		return fmt.Errorf("%w: nil router", ErrInvalidConfig)
	}
	if cfg.Manager == nil {
		return ErrNoManager
	}
	var base []soap.Option
	if cfg.Authenticator != nil {
		base = append(base, soap.WithAuthenticator(soapAuthenticator{cfg.Authenticator}))
	}
	if len(cfg.Admins) > 0 {
		admins := make([]vapisec.Principal, len(cfg.Admins))
		for i, a := range cfg.Admins {
			admins[i] = vapisec.ParsePrincipal(a)
		}
		base = append(base, soap.WithAdmins(admins...))
	}
	if cfg.Cookie.Path != "" {
		base = append(base, soap.WithCookiePath(cfg.Cookie.Path))
	}
	if cfg.Cookie.InsecureNoSecureFlag {
		base = append(base, soap.WithInsecureCookie())
	}
	if len(cfg.TrustedOrigins) > 0 {
		base = append(base, soap.WithTrustedOrigins(cfg.TrustedOrigins...))
	}
	if cfg.RequestVerifier != nil {
		base = append(base, soap.WithTokenLogin(SOAPTokenLogin(cfg.RequestVerifier)))
	}
	h, err := soap.NewHandler(cfg.Manager, append(base, opts...)...)
	if err != nil {
		return err
	}
	eh := echo.WrapHandler(h)
	r.Add(http.MethodPost, SOAPPath, eh)
	r.Add(http.MethodGet, SOAPPath+soap.VersionsPath, eh)
	return nil
}

// soapAuthenticator adapts an Authenticator to soap.Authenticator.
type soapAuthenticator struct{ a Authenticator }

func (s soapAuthenticator) Authenticate(ctx context.Context, username, password string) (session.Identity, error) {
	id, err := s.a.Authenticate(ctx, username, password)
	if errors.Is(err, ErrInvalidCredentials) {
		return session.Identity{}, soap.ErrInvalidLogin
	}
	if err != nil {
		return session.Identity{}, err
	}
	return session.Identity{Principal: id.Principal, Groups: id.Groups}, nil
}
