package vapisec

import "time"

// CredentialSource says where in the request the credential that decided the
// authentication was found.
type CredentialSource string

// The credential sources.
const (
	// SourceNone: no credential (anonymous request).
	SourceNone CredentialSource = ""
	// SourceCookie: the vmware-api-session-id cookie.
	SourceCookie CredentialSource = "cookie"
	// SourceHeader: a request header other than Authorization (e.g. vmware-api-session-id, csp-auth-token).
	SourceHeader CredentialSource = "header"
	// SourceAuthorization: the Authorization header (Basic, SIGN, Bearer).
	SourceAuthorization CredentialSource = "authorization"
	// SourceQuery: a query parameter (only on routes that opt in).
	SourceQuery CredentialSource = "query"
	// SourceBody: the securityCtx of a JSON-RPC body.
	SourceBody CredentialSource = "body"
)

// ConfirmationMethod is the SAML 2.0 subject confirmation method of a token.
type ConfirmationMethod string

// The SAML 2.0 confirmation methods vAPI uses (SAML 2.0 core §3.2.2).
const (
	ConfirmationBearer      ConfirmationMethod = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	ConfirmationHolderOfKey ConfirmationMethod = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
)

// TokenInfo holds the facts of a verified SAML token that a handler may need.
type TokenInfo struct {
	// ID is the Assertion's ID attribute.
	ID string `json:"id,omitempty"`
	// Issuer is the Assertion's Issuer.
	Issuer string `json:"issuer,omitempty"`
	// NotBefore and NotOnOrAfter are the token's Conditions.
	NotBefore    time.Time `json:"not_before"`
	NotOnOrAfter time.Time `json:"not_on_or_after"`
	// Confirmation is the subject confirmation method.
	Confirmation ConfirmationMethod `json:"confirmation,omitempty"`
	// Delegable reports a ProxyRestriction with a positive count.
	Delegable bool `json:"delegable"`
	// Renewable reports a renewable token.
	Renewable bool `json:"renewable"`
	// HoKCertificateSHA256 is the SHA-256 fingerprint of the holder-of-key
	// certificate as colon-separated upper-case hex; empty for bearer tokens.
	HoKCertificateSHA256 string `json:"hok_certificate_sha256,omitempty"`
}

// SecurityContext is what vapisec knows about the caller of a request once the
// middleware has run. Handlers read it with middleware.SecurityContextFrom and
// never look at raw credentials.
//
// A SecurityContext is created per request and must not be modified by
// handlers; middleware that derives a new one makes a copy.
type SecurityContext struct {
	// Scheme is the scheme that authenticated the request, or
	// SchemeNoAuthentication.
	Scheme SchemeID `json:"scheme"`
	// Authenticated reports whether a credential was verified. It is false
	// for anonymous requests on routes that allow them.
	Authenticated bool `json:"authenticated"`
	// Principal is the authenticated identity (zero when anonymous).
	Principal Principal `json:"principal"`
	// Groups are the groups the principal belongs to, as far as the
	// credential says (SAML GroupIdentity attributes, authenticator results).
	Groups []string `json:"groups,omitempty"`
	// Source says where the deciding credential was found.
	Source CredentialSource `json:"source,omitempty"`
	// SessionID is the session id the request was authenticated with, or the
	// id created by a login. It is never serialized: it is a bearer secret.
	SessionID string `json:"-"`
	// SessionCreated and SessionLastAccessed are set for session requests.
	SessionCreated      time.Time `json:"session_created,omitzero"`
	SessionLastAccessed time.Time `json:"session_last_accessed,omitzero"`
	// Token holds the facts of the verified SAML token, nil for other schemes.
	Token *TokenInfo `json:"token,omitempty"`
	// VerifiedBody holds the exact request bytes whose signature was verified
	// (JSON-RPC HoK). Handlers must read the request from these bytes. It is
	// never serialized.
	VerifiedBody []byte `json:"-"`
}

// Anonymous returns the SecurityContext of an unauthenticated request.
func Anonymous() *SecurityContext {
	return &SecurityContext{Scheme: SchemeNoAuthentication}
}
