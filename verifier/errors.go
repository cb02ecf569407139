package verifier

import (
	"errors"
	"fmt"

	vapisec "github.com/vapisec/vapisec"
)

// Category sentinels. Every error returned by Verify wraps exactly one of
// them (and usually a more specific sentinel as well), so that ReasonOf and
// errors.Is can classify it.
var (
	// ErrMalformedToken reports a token that is not a well-formed, safe SAML
	// 2.0 Assertion of the shape vAPI uses.
	ErrMalformedToken = errors.New("verifier: malformed token")
	// ErrBadSignature reports a token whose XML signature does not verify.
	ErrBadSignature = errors.New("verifier: bad token signature")
	// ErrUntrustedIssuer reports a token signed by a key that is not one of the
	// configured trust anchors (or does not chain to a configured root).
	ErrUntrustedIssuer = errors.New("verifier: token not signed by a trusted issuer")
	// ErrTokenExpired reports a token whose NotOnOrAfter (plus skew) has passed.
	ErrTokenExpired = errors.New("verifier: token expired")
	// ErrTokenNotYetValid reports a token whose NotBefore (minus skew) lies in
	// the future.
	ErrTokenNotYetValid = errors.New("verifier: token not yet valid")
	// ErrAudienceMismatch reports a token none of whose audiences (in some
	// AudienceRestriction) is accepted by the verifier.
	ErrAudienceMismatch = errors.New("verifier: token audience mismatch")
	// ErrUnsupportedAlgorithm reports a signature, digest, canonicalization
	// or transform algorithm outside the allow-list.
	ErrUnsupportedAlgorithm = errors.New("verifier: unsupported token algorithm")
)

// Specific sentinels; each is returned together with a category sentinel.
var (
	// ErrTokenTooLarge reports a token larger than WithMaxTokenSize (also
	// ErrMalformedToken).
	ErrTokenTooLarge = errors.New("verifier: token too large")
	// ErrUnsafeXML reports a DOCTYPE, an entity declaration or reference, a
	// processing instruction other than one leading XML declaration, a comment
	// or a non-UTF-8 encoding (also ErrMalformedToken).
	ErrUnsafeXML = errors.New("verifier: forbidden XML construct")
	// ErrInvalidXML reports bytes that are not well-formed XML (also
	// ErrMalformedToken).
	ErrInvalidXML = errors.New("verifier: invalid XML")
	// ErrXMLLimit reports XML nested deeper than WithMaxXMLDepth, with more
	// elements than WithMaxXMLElements, or with more than 64 attributes on
	// one element (also ErrMalformedToken).
	ErrXMLLimit = errors.New("verifier: XML limit exceeded")
	// ErrDuplicateAttribute reports an element with the same attribute twice
	// (also ErrMalformedToken).
	ErrDuplicateAttribute = errors.New("verifier: duplicate XML attribute")
	// ErrNotAssertion reports a document whose single root is not a SAML 2.0
	// Assertion, or that has more than one root (also ErrMalformedToken).
	ErrNotAssertion = errors.New("verifier: root is not a SAML 2.0 Assertion")
	// ErrSignatureStructure reports a token that does not carry exactly one
	// ds:Signature as a child of the root Assertion, referencing the root by
	// its ID, with the expected transforms, or that carries a signature or an
	// assertion anywhere else (signature wrapping; also ErrMalformedToken).
	ErrSignatureStructure = errors.New("verifier: unexpected signature structure")
	// ErrUnknownCondition reports a Conditions child the verifier does not
	// understand (also ErrMalformedToken).
	ErrUnknownCondition = errors.New("verifier: unknown token condition")
	// ErrSubjectConfirmation reports a Subject without exactly one supported
	// SubjectConfirmation, or a holder-of-key confirmation without exactly one
	// usable X509Certificate (also ErrMalformedToken).
	ErrSubjectConfirmation = errors.New("verifier: invalid subject confirmation")
	// ErrInvalidOption reports a misconfigured TokenVerifier,
	// RequestVerifier or MemoryReplayCache (returned by their constructors
	// and Reload, never by Verify).
	ErrInvalidOption = errors.New("verifier: invalid option")
	// ErrNoTrustAnchors reports a TokenVerifier configured without any trusted
	// certificate or root (also ErrInvalidOption).
	ErrNoTrustAnchors = errors.New("verifier: no trust anchors configured")
)

// newError wraps the given sentinels (all matched by errors.Is) with a detail
// message for logs.
func newError(detail string, errs ...error) error {
	format := "%w"
	args := []any{errs[0]}
	for _, e := range errs[1:] {
		format += ": %w"
		args = append(args, e)
	}
	if detail != "" {
		format += ": %s"
		args = append(args, detail)
	}
	return fmt.Errorf(format, args...)
}

// malformed returns an error wrapping ErrMalformedToken and specific.
func malformed(specific error, format string, args ...any) error {
	return newError(fmt.Sprintf(format, args...), specific, ErrMalformedToken)
}

// ReasonOf maps an error returned by this package onto the root package's
// reason codes: ErrTokenExpired → expired, ErrTokenNotYetValid →
// not_yet_valid, ErrUntrustedIssuer → untrusted_issuer,
// ErrUnsupportedAlgorithm → unsupported_algorithm, ErrAudienceMismatch →
// audience_mismatch, ErrMalformedToken (including ErrTokenTooLarge) and
// ErrMalformedRequest → malformed; for requests ErrReplayed → replayed,
// ErrStoreUnavailable → store_unavailable, ErrRequestExpired → expired,
// ErrRequestNotYetValid → not_yet_valid, ErrTimestampWindow → clock_skew,
// ErrRequestAlgorithm → unsupported_algorithm, ErrSchemeNotAllowed →
// scheme_not_allowed, ErrNotSigned/ErrOtherScheme → missing; for access
// tokens ErrKeysUnavailable → keys_unavailable (the other access token
// sentinels come with one of the categories above). Any other
// non-nil error, including ErrBadSignature, ErrRequestSignature,
// ErrBodyHash, ErrHostNotAllowed and ErrConfirmationMismatch, maps to
// bad_signature; nil maps to "".
func ReasonOf(err error) vapisec.Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTokenExpired):
		return vapisec.ReasonExpired
	case errors.Is(err, ErrTokenNotYetValid):
		return vapisec.ReasonNotYetValid
	case errors.Is(err, ErrUntrustedIssuer):
		return vapisec.ReasonUntrustedIssuer
	case errors.Is(err, ErrUnsupportedAlgorithm):
		return vapisec.ReasonUnsupportedAlgorithm
	case errors.Is(err, ErrAudienceMismatch):
		return vapisec.ReasonAudienceMismatch
	case errors.Is(err, ErrMalformedToken), errors.Is(err, ErrMalformedRequest):
		return vapisec.ReasonMalformed
	case errors.Is(err, ErrReplayed):
		return vapisec.ReasonReplayed
	case errors.Is(err, ErrStoreUnavailable):
		return vapisec.ReasonStoreUnavailable
	case errors.Is(err, ErrRequestExpired):
		return vapisec.ReasonExpired
	case errors.Is(err, ErrRequestNotYetValid):
		return vapisec.ReasonNotYetValid
	case errors.Is(err, ErrTimestampWindow):
		return vapisec.ReasonClockSkew
	case errors.Is(err, ErrRequestAlgorithm):
		return vapisec.ReasonUnsupportedAlgorithm
	case errors.Is(err, ErrSchemeNotAllowed):
		return vapisec.ReasonSchemeNotAllowed
	case errors.Is(err, ErrNotSigned), errors.Is(err, ErrOtherScheme):
		return vapisec.ReasonMissing
	case errors.Is(err, ErrKeysUnavailable):
		return vapisec.ReasonKeysUnavailable
	default:
		return vapisec.ReasonBadSignature
	}
}

// quote quotes and truncates attacker-supplied text for an error message.
func quote(s string) string { return fmt.Sprintf("%.80q", s) }

// Request verification (JSON-RPC HoK/bearer, spec §7; Authorization: SIGN,
// spec §8) sentinels. The two "not mine" sentinels tell the caller to let
// another scheme handle the request; the others reject it.
var (
	// ErrNotSigned reports a JSON-RPC request without a securityCtx, or with
	// a securityCtx without schemeId and signature: not a SAML request, the
	// caller passes it on to the other schemes.
	ErrNotSigned = errors.New("verifier: request carries no SAML credential")
	// ErrOtherScheme reports a JSON-RPC securityCtx of a non-SAML scheme
	// (session, user_pass, oauth, …): the caller passes it on.
	ErrOtherScheme = errors.New("verifier: request uses another security scheme")

	// ErrMalformedRequest is the category of a signed request that cannot
	// be read: bad envelope or securityCtx, wrong member types, bad
	// timestamps, bad base64, bad nonce, body too large (HTTP 400,
	// JSON-RPC -32600).
	ErrMalformedRequest = errors.New("verifier: malformed signed request")
	// ErrBodyTooLarge reports a body over WithMaxBodySize (also
	// ErrMalformedRequest).
	ErrBodyTooLarge = errors.New("verifier: request body too large")

	// ErrSchemeNotAllowed reports a bearer token (JSON-RPC or SIGN) while
	// WithAllowBearer is off (DESIGN Q10).
	ErrSchemeNotAllowed = errors.New("verifier: bearer tokens are not accepted")
	// ErrConfirmationMismatch reports a bearer token sent as holder-of-key,
	// or a holder-of-key token sent without its signature (as bearer).
	ErrConfirmationMismatch = errors.New("verifier: token confirmation method does not match the scheme")
	// ErrRequestAlgorithm reports a request signature algorithm outside the
	// allow-list (none, HS256, lower-case names, PS256, …) or one that does
	// not fit the key of the holder-of-key certificate.
	ErrRequestAlgorithm = errors.New("verifier: unsupported request signature algorithm")
	// ErrRequestSignature reports a request signature that does not verify.
	ErrRequestSignature = errors.New("verifier: bad request signature")
	// ErrBodyHash reports a SIGN bodyhash that is not the SHA-256 of the
	// body read, or a missing bodyhash with a non-empty body.
	ErrBodyHash = errors.New("verifier: body hash mismatch")
	// ErrHostNotAllowed reports a SIGN request whose Host is not in the
	// WithAllowedHosts list.
	ErrHostNotAllowed = errors.New("verifier: host not allowed")

	// ErrRequestExpired reports a JSON-RPC timestamp whose expires lies
	// more than the past skew before now.
	ErrRequestExpired = errors.New("verifier: signed request expired")
	// ErrRequestNotYetValid reports a JSON-RPC timestamp whose created lies
	// more than the future skew after now.
	ErrRequestNotYetValid = errors.New("verifier: signed request not yet valid")
	// ErrTimestampWindow reports created after expires, a window longer
	// than WithMaxWindow, or a SIGN nonce time outside now ± skew.
	ErrTimestampWindow = errors.New("verifier: timestamp outside the accepted window")

	// ErrReplayed reports a request (JSON-RPC canonical bytes, SIGN nonce or
	// WS-Security SignatureValue) already seen with the same holder-of-key
	// certificate.
	ErrReplayed = errors.New("verifier: request replayed")
	// ErrStoreUnavailable is the category of replay cache failures: the
	// request is refused (fail closed, HTTP 503).
	ErrStoreUnavailable = errors.New("verifier: replay cache unavailable")
	// ErrReplayCacheFull reports a memory replay cache with no room for a
	// live entry (also ErrStoreUnavailable). Entries are never evicted
	// before they expire.
	ErrReplayCacheFull = errors.New("verifier: replay cache full")

	// ErrNoAllowedHosts reports a RequestVerifier built for the SIGN scheme
	// without WithAllowedHosts (DESIGN Q21; also ErrInvalidOption).
	ErrNoAllowedHosts = errors.New("verifier: the SIGN scheme needs WithAllowedHosts (or WithoutSIGN)")
	// ErrSignDisabled reports a SIGN request to a verifier built with
	// WithoutSIGN (also ErrSchemeNotAllowed: reason scheme_not_allowed).
	ErrSignDisabled = errors.New("verifier: the SIGN scheme is disabled")
	// ErrReplayQuota reports a holder-of-key certificate or a token subject
	// that already holds its whole share of live replay entries
	// (WithReplayShare, WithReplaySubjectShare, DESIGN Q22; also
	// ErrStoreUnavailable: the request is refused, fail closed, HTTP 503).
	// Other holders and users are not affected.
	ErrReplayQuota = errors.New("verifier: replay share of the token holder exhausted")
	// ErrEncodedTokenTooLarge reports a request token whose wire form (SIGN
	// base64, samlToken JSON string) is longer than WithMaxEncodedTokenSize;
	// refused before any decoding (also ErrTokenTooLarge and
	// ErrMalformedToken).
	ErrEncodedTokenTooLarge = errors.New("verifier: encoded token too large")
	// ErrWSSecurityStructure reports a SOAP envelope (VerifySOAPLogin) that
	// is not a LoginByToken call with exactly one WS-Security header of the
	// expected shape, or whose signature References do not resolve to
	// exactly the Envelope's Body and the header's Timestamp (signature
	// wrapping, moved or duplicated Id; also ErrMalformedRequest).
	ErrWSSecurityStructure = errors.New("verifier: unexpected WS-Security structure")
)

// Token checks of issue 14 (the checks the Java runtime makes; trust in a
// signer under a CA root). Each is returned together with a category
// sentinel.
var (
	// ErrTokenTiming reports token instants that contradict each other or
	// the clock, as the Java runtime's InvalidTimingException: an
	// IssueInstant more than the skew after now (also ErrTokenNotYetValid),
	// or more than the skew after the Conditions' NotBefore or an
	// AuthnStatement's AuthnInstant, or an AuthnInstant more than the skew
	// after the IssueInstant (also ErrMalformedToken).
	ErrTokenTiming = errors.New("verifier: inconsistent token timing")
	// ErrNameIDFormat reports a NameID whose Format is not one of the
	// formats of SAML 2.0 core §8.3 or vCenter's UPN format (also
	// ErrMalformedToken).
	ErrNameIDFormat = errors.New("verifier: unsupported NameID format")
	// ErrAttributeNameFormat reports an Attribute whose NameFormat is not
	// one of the three of SAML 2.0 core §8.2 (also ErrMalformedToken).
	ErrAttributeNameFormat = errors.New("verifier: unsupported attribute NameFormat")
	// ErrNameIDWhitespace reports a NameID with leading or trailing
	// whitespace, which would make a principal that differs from a real one
	// only by spaces (also ErrMalformedToken).
	ErrNameIDWhitespace = errors.New("verifier: NameID with leading or trailing whitespace")
	// ErrUntrustedSigner reports a signing certificate that chains to a
	// trusted root but is not a configured signer: neither its subject
	// common name nor a DNS name is one of WithTrustedSignerNames, or its
	// public key is not one of WithTrustedSignerSPKIPins (also
	// ErrUntrustedIssuer).
	ErrUntrustedSigner = errors.New("verifier: signing certificate is not a trusted signer")
	// ErrSignerKeyUsage reports a signing certificate under a trusted root
	// whose KeyUsage extension lacks digitalSignature (also
	// ErrUntrustedIssuer).
	ErrSignerKeyUsage = errors.New("verifier: signing certificate not allowed to sign")
	// ErrNoTrustedSigner reports CA roots configured without a signer
	// identity (WithTrustedSignerNames or WithTrustedSignerSPKIPins; also
	// ErrInvalidOption).
	ErrNoTrustedSigner = errors.New("verifier: trusted roots without a trusted signer identity")
)

// OAuth 2.0 access token (JWT, DESIGN Q20) sentinels. Each is returned
// together with a category sentinel (ErrMalformedToken, ErrBadSignature,
// ErrUntrustedIssuer, ErrUnsupportedAlgorithm, ErrAudienceMismatch,
// ErrTokenExpired, ErrTokenNotYetValid), except ErrKeysUnavailable, which
// is its own category (HTTP 503, fail closed).
var (
	// ErrNoIssuer reports an AccessTokenVerifier built without WithAccessTokenIssuer
	// (also ErrInvalidOption): there is no accept-any default.
	ErrNoIssuer = errors.New("verifier: an access token issuer is required")
	// ErrNoAudience reports an AccessTokenVerifier built without
	// WithAccessTokenAudiences (also ErrInvalidOption).
	ErrNoAudience = errors.New("verifier: an access token audience is required")
	// ErrEncryptedToken reports a JWE (five parts, or an "enc" header) or a
	// nested JWT ("cty" header): only signed JWTs are accepted (also
	// ErrMalformedToken).
	ErrEncryptedToken = errors.New("verifier: encrypted or nested JWT not accepted")
	// ErrUnsupportedHeader reports a JOSE header the verifier does not
	// accept: a "crit" member (no extension is understood), a "zip", a
	// "typ" other than JWT or at+jwt (or, with WithRequireAccessTokenType,
	// other than at+jwt), a kid that is not a string (also
	// ErrMalformedToken).
	ErrUnsupportedHeader = errors.New("verifier: unsupported JWT header")
	// ErrMissingClaim reports a token without exp, iss, aud or the subject
	// claim, or a claim of the wrong type (also ErrMalformedToken).
	ErrMissingClaim = errors.New("verifier: missing or invalid claim")
	// ErrLifetimeTooLong reports a token whose lifetime exceeds
	// WithMaxAccessTokenLifetime (also ErrMalformedToken).
	ErrLifetimeTooLong = errors.New("verifier: token lifetime too long")
	// ErrIssuerMismatch reports an "iss" other than the configured issuer
	// (also ErrUntrustedIssuer).
	ErrIssuerMismatch = errors.New("verifier: token issuer is not the configured issuer")
	// ErrUnknownKey reports a kid (or, without kid, an algorithm) for which
	// the key set has no key, even after the refresh the interval allows
	// (also ErrUntrustedIssuer).
	ErrUnknownKey = errors.New("verifier: no trusted key for the token")
	// ErrKeyAlgorithmMismatch reports a token whose alg does not fit the
	// type of the key its kid names (an RSA key with ES256, an HMAC alg
	// with a JWKS key; also ErrUnsupportedAlgorithm).
	ErrKeyAlgorithmMismatch = errors.New("verifier: algorithm does not fit the key")
	// ErrKeysUnavailable reports that the JWKS (or the discovery document)
	// could not be fetched and no key is cached: the request is refused,
	// fail closed (HTTP 503, reason keys_unavailable).
	ErrKeysUnavailable = errors.New("verifier: signing keys unavailable")
	// ErrInvalidJWKS reports a JWKS or discovery document that cannot be
	// used (bad JSON, no usable key, issuer mismatch, too large); returned
	// by NewAccessTokenVerifier for a file or fixed set, and inside
	// ErrKeysUnavailable for fetched ones.
	ErrInvalidJWKS = errors.New("verifier: invalid JWKS")
)
