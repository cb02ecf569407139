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
	// ErrXMLLimit reports XML nested deeper than WithMaxXMLDepth or with more
	// elements than WithMaxXMLElements (also ErrMalformedToken).
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
	// ErrInvalidOption reports a misconfigured TokenVerifier (returned by
	// NewTokenVerifier and Reload, never by Verify).
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
// audience_mismatch, ErrMalformedToken (including ErrTokenTooLarge) →
// malformed. Any other non-nil error, including ErrBadSignature, maps to
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
	case errors.Is(err, ErrMalformedToken):
		return vapisec.ReasonMalformed
	default:
		return vapisec.ReasonBadSignature
	}
}

// quote quotes and truncates attacker-supplied text for an error message.
func quote(s string) string { return fmt.Sprintf("%.80q", s) }
