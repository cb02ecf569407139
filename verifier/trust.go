package verifier

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"time"

	dsig "github.com/russellhaering/goxmldsig"
)

// TrustAnchors are the keys a TokenVerifier trusts to sign tokens (DESIGN
// Q16): pinned STS certificates, CA roots, or both.
type TrustAnchors struct {
	// Certificates are pinned STS signing certificates (see
	// WithTrustedCertificates).
	Certificates []*x509.Certificate
	// Roots are CA roots the ds:KeyInfo chain must lead to (see
	// WithTrustedRoots). Roots require SignerNames or SignerSPKIPins.
	Roots []*x509.Certificate
	// SignerNames are the subject common names or DNS names one of which a
	// signing certificate chained to Roots must carry (see
	// WithTrustedSignerNames).
	SignerNames []string
	// SignerSPKIPins are the SPKI SHA-256 pins (RFC 7469 pin-sha256, standard
	// base64) one of which the public key of a signing certificate chained to
	// Roots must match (see WithTrustedSignerSPKIPins).
	SignerSPKIPins []string
}

func (a TrustAnchors) empty() bool { return len(a.Certificates) == 0 && len(a.Roots) == 0 }

// SPKIPin returns the RFC 7469 pin-sha256 of cert: the standard base64 of
// the SHA-256 of its DER SubjectPublicKeyInfo, the form
// WithTrustedSignerSPKIPins takes. The same value is printed by
//
//	openssl x509 -pubkey -noout -in cert.pem | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// parseSPKIPin decodes a pin-sha256 value.
func parseSPKIPin(pin string) ([32]byte, error) {
	var out [32]byte
	b, err := base64.StdEncoding.DecodeString(pin)
	if err != nil || len(b) != len(out) {
		return out, newError(fmt.Sprintf("SPKI pin %.60q is not the base64 of a SHA-256", pin), ErrInvalidOption)
	}
	copy(out[:], b)
	return out, nil
}

// oidKeyUsage is the X.509 KeyUsage extension (RFC 5280 §4.2.1.3).
var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// trustState is an immutable snapshot of the trust anchors together with the
// token cache filled under them. Reload swaps the whole state, so a token
// verified with old anchors can never land in the cache of the new ones.
type trustState struct {
	pinned    []*x509.Certificate
	pinnedRaw [][]byte
	store     *dsig.MemoryX509CertificateStore
	roots     *x509.CertPool
	hasRoots  bool
	// signerNames and signerPins identify the certificates under roots
	// that may sign tokens; at least one list is set when hasRoots.
	signerNames []string
	signerPins  [][32]byte
	cache       *tokenCache
}

func newTrustState(a TrustAnchors, cacheSize int) (*trustState, error) {
	if a.empty() {
		return nil, newError("", ErrNoTrustAnchors, ErrInvalidOption)
	}
	s := &trustState{cache: newTokenCache(cacheSize)}
	for _, c := range a.Certificates {
		if c == nil {
			return nil, newError("nil trusted certificate", ErrInvalidOption)
		}
		s.pinned = append(s.pinned, c)
		s.pinnedRaw = append(s.pinnedRaw, c.Raw)
	}
	s.store = &dsig.MemoryX509CertificateStore{Roots: s.pinned}
	if len(a.Roots) > 0 {
		s.roots = x509.NewCertPool()
		for _, c := range a.Roots {
			if c == nil {
				return nil, newError("nil trusted root", ErrInvalidOption)
			}
			s.roots.AddCert(c)
		}
		s.hasRoots = true
	}
	for _, n := range a.SignerNames {
		if n == "" {
			return nil, newError("empty trusted signer name", ErrInvalidOption)
		}
		s.signerNames = append(s.signerNames, n)
	}
	for _, p := range a.SignerSPKIPins {
		pin, err := parseSPKIPin(p)
		if err != nil {
			return nil, err
		}
		s.signerPins = append(s.signerPins, pin)
	}
	hasSigner := len(s.signerNames) > 0 || len(s.signerPins) > 0
	switch {
	case s.hasRoots && !hasSigner:
		return nil, newError("WithTrustedRoots needs WithTrustedSignerNames or WithTrustedSignerSPKIPins: without them any certificate the CA issued could sign tokens", ErrNoTrustedSigner, ErrInvalidOption)
	case !s.hasRoots && hasSigner:
		return nil, newError("trusted signer names or SPKI pins without WithTrustedRoots", ErrInvalidOption)
	}
	return s, nil
}

// signingStore decides which certificate may have signed the token, from the
// DER certificates of its ds:KeyInfo (nil when the Signature has no KeyInfo),
// and returns a certificate store holding exactly that certificate for
// goxmldsig. It fails with ErrUntrustedIssuer.
func (s *trustState) signingStore(keyInfo [][]byte, now time.Time) (dsig.X509CertificateStore, error) {
	if len(keyInfo) == 0 {
		if len(s.pinned) == 1 && !s.hasRoots {
			if err := checkValidity(s.pinned[0], now); err != nil {
				return nil, err
			}
			return s.store, nil
		}
		return nil, newError("signature without ds:KeyInfo", ErrUntrustedIssuer)
	}
	for i, raw := range s.pinnedRaw {
		if bytes.Equal(raw, keyInfo[0]) {
			if err := checkValidity(s.pinned[i], now); err != nil {
				return nil, err
			}
			return &dsig.MemoryX509CertificateStore{Roots: s.pinned[i : i+1]}, nil
		}
	}
	if !s.hasRoots {
		return nil, newError("signing certificate is not a trusted certificate", ErrUntrustedIssuer)
	}
	certs := make([]*x509.Certificate, len(keyInfo))
	for i, der := range keyInfo {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, newError(fmt.Sprintf("ds:KeyInfo certificate %d: %v", i, err), ErrUntrustedIssuer)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         s.roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, newError(err.Error(), ErrUntrustedIssuer)
	}
	if err := s.checkSigner(certs[0]); err != nil {
		return nil, err
	}
	return &dsig.MemoryX509CertificateStore{Roots: certs[:1]}, nil
}

// checkSigner applies the rules for a signing certificate that chains to a
// trusted root: a KeyUsage extension, when present, must include
// digitalSignature; the certificate must carry one of the signer names (as
// its subject common name, exactly, or as a DNS SAN, ignoring case) when
// names are configured, and its public key must match one of the SPKI pins
// when pins are configured.
func (s *trustState) checkSigner(leaf *x509.Certificate) error {
	for _, ext := range leaf.Extensions {
		if ext.Id.Equal(oidKeyUsage) && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			return newError(fmt.Sprintf("certificate %s: KeyUsage without digitalSignature", quote(leaf.Subject.CommonName)), ErrSignerKeyUsage, ErrUntrustedIssuer)
		}
	}
	if len(s.signerNames) > 0 && !s.signerNamed(leaf) {
		return newError(fmt.Sprintf("certificate %s is not a trusted signer name", quote(leaf.Subject.CommonName)), ErrUntrustedSigner, ErrUntrustedIssuer)
	}
	if len(s.signerPins) > 0 && !s.signerPinned(leaf) {
		return newError(fmt.Sprintf("certificate %s: public key not pinned", quote(leaf.Subject.CommonName)), ErrUntrustedSigner, ErrUntrustedIssuer)
	}
	return nil
}

func (s *trustState) signerNamed(leaf *x509.Certificate) bool {
	for _, n := range s.signerNames {
		if leaf.Subject.CommonName == n {
			return true
		}
		for _, d := range leaf.DNSNames {
			if asciiEqualFold(d, n) {
				return true
			}
		}
	}
	return false
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case only
// (RFC 4343 for DNS names; scheme names on the wire): strings.EqualFold
// would also fold non-ASCII letters such as the Kelvin sign onto "k". a may
// be the request's bytes, compared without a copy.
func asciiEqualFold[A ~string | ~[]byte](a A, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (s *trustState) signerPinned(leaf *x509.Certificate) bool {
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	for i := range s.signerPins {
		if s.signerPins[i] == sum {
			return true
		}
	}
	return false
}

func checkValidity(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return newError(fmt.Sprintf("trusted certificate %q not valid at %s", c.Subject.CommonName, now.UTC().Format(time.RFC3339)), ErrUntrustedIssuer)
	}
	return nil
}

// LoadCertificatesPEM parses every CERTIFICATE block of PEM data. Blocks of
// other types are skipped; data without any certificate is an error.
func LoadCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, newError(err.Error(), ErrInvalidOption)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, newError("no PEM CERTIFICATE block", ErrInvalidOption)
	}
	return certs, nil
}
