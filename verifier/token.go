package verifier

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"

	vapisec "github.com/vapisec/vapisec"
)

// Token holds the facts of a SAML 2.0 token, read only from the element its
// signature covers (DESIGN §7 rule 3).
//
// A *Token returned by TokenVerifier.Verify may be shared with other callers
// (it comes from the verified-token cache): it is read-only, callers must not
// modify it or the slices and certificate it refers to.
type Token struct {
	// ID is the Assertion's ID attribute.
	ID string `json:"id"`
	// Issuer is the text of the Assertion's Issuer.
	Issuer string `json:"issuer"`
	// Subject is the NameID split into name and domain (vapisec.ParsePrincipal).
	Subject vapisec.Principal `json:"subject"`
	// NameID is the NameID text as issued.
	NameID string `json:"name_id"`
	// NameIDFormat is the NameID's Format attribute (NameIDFormatUPN for
	// vCenter).
	NameIDFormat string `json:"name_id_format,omitempty"`
	// Confirmation is the subject confirmation method (bearer or holder-of-key).
	Confirmation vapisec.ConfirmationMethod `json:"confirmation"`
	// HoKCertificate is the holder-of-key certificate; nil for bearer tokens.
	HoKCertificate *x509.Certificate `json:"-"`
	// HoKCertificateSHA256 is the SHA-256 fingerprint of HoKCertificate as
	// colon-separated upper-case hex ("1A:8B:…"); empty for bearer tokens.
	HoKCertificateSHA256 string `json:"hok_certificate_sha256,omitempty"`
	// NotBefore and NotOnOrAfter are the token's Conditions.
	NotBefore    time.Time `json:"not_before"`
	NotOnOrAfter time.Time `json:"not_on_or_after"`
	// Audiences lists the Audience values of all AudienceRestrictions.
	Audiences []string `json:"audiences,omitempty"`
	// Delegable reports a ProxyRestriction whose Count is absent or positive.
	Delegable bool `json:"delegable"`
	// Renewable reports an RSA RenewRestriction condition with a positive
	// Count (the schema's default Count is 0).
	Renewable bool `json:"renewable"`
	// Groups are the values of the GroupIdentity attribute ("domain\group").
	Groups []string `json:"groups,omitempty"`
	// SolutionUser reports an isSolution attribute with the value "true".
	SolutionUser bool `json:"solution_user"`
}

// Info maps the token onto the root package's TokenInfo, for a
// SecurityContext.
func (t *Token) Info() *vapisec.TokenInfo {
	return &vapisec.TokenInfo{
		ID:                   t.ID,
		Issuer:               t.Issuer,
		NotBefore:            t.NotBefore,
		NotOnOrAfter:         t.NotOnOrAfter,
		Confirmation:         t.Confirmation,
		Delegable:            t.Delegable,
		Renewable:            t.Renewable,
		HoKCertificateSHA256: t.HoKCertificateSHA256,
	}
}

// Fingerprint returns the SHA-256 fingerprint of a DER certificate as
// colon-separated upper-case hex, the form of Token.HoKCertificateSHA256.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}
