package middleware

import (
	"context"
	"errors"

	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
	"github.com/vapisec/vapisec/verifier"
)

// SOAPTokenLogin returns the soap.TokenLogin that verifies
// SessionManager.LoginByToken with v (verifier.RequestVerifier.VerifySOAPLogin:
// the WS-Security header govmomi's sts.Signer writes, holder-of-key, or
// bearer with verifier.WithAllowBearer; the request's Host must be in
// verifier.WithAllowedHosts). MountSOAP uses it when Config.RequestVerifier
// is set.
//
// Every refusal — malformed or wrapped envelope, bad, expired, replayed or
// untrusted token or signature, foreign host — is the InvalidLogin fault
// (soap.ErrInvalidLogin, what vCenter and govmomi's simulator answer); a
// replay cache that cannot decide (verifier.ErrStoreUnavailable) is a 503
// system fault, failing closed.
func SOAPTokenLogin(v *verifier.RequestVerifier) soap.TokenLogin {
	return soapTokenLogin{v}
}

type soapTokenLogin struct{ v *verifier.RequestVerifier }

func (t soapTokenLogin) LoginByToken(ctx context.Context, req *soap.TokenRequest) (session.Identity, error) {
	res, err := t.v.VerifySOAPLogin(ctx, req.Body, req.Host)
	switch {
	case errors.Is(err, verifier.ErrStoreUnavailable):
		return session.Identity{}, err
	case err != nil:
		return session.Identity{}, errors.Join(soap.ErrInvalidLogin, err)
	}
	sc := res.SecurityContext
	return session.Identity{Principal: sc.Principal, Groups: sc.Groups, Scheme: sc.Scheme}, nil
}
