package verifier

import (
	"bytes"
	"crypto/x509"
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
	// WithTrustedRoots).
	Roots []*x509.Certificate
}

func (a TrustAnchors) empty() bool { return len(a.Certificates) == 0 && len(a.Roots) == 0 }

// trustState is an immutable snapshot of the trust anchors together with the
// token cache filled under them. Reload swaps the whole state, so a token
// verified with old anchors can never land in the cache of the new ones.
type trustState struct {
	pinned    []*x509.Certificate
	pinnedRaw [][]byte
	store     *dsig.MemoryX509CertificateStore
	roots     *x509.CertPool
	hasRoots  bool
	cache     *tokenCache
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
	return &dsig.MemoryX509CertificateStore{Roots: certs[:1]}, nil
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
