package vapisec

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParsePrivateKeyPEM returns the one private key in PEM data (RFC 7468) as a
// crypto.Signer, for package signer (the holder-of-key key) and package sts
// (the token signing key) alike. It accepts exactly one of these blocks:
//
//   - "PRIVATE KEY": PKCS#8 (RFC 5958) holding an RSA or ECDSA key;
//   - "RSA PRIVATE KEY": PKCS#1 (RFC 8017);
//   - "EC PRIVATE KEY": SEC 1 (RFC 5915), as openssl ecparam -genkey writes it.
//
// Other blocks (CERTIFICATE, EC PARAMETERS, …) and text outside blocks
// (RFC 7468 §2 explanatory text) are skipped, so a file holding a key and its
// certificate chain works. It refuses, with an error matching
// ErrInvalidKeyPEM: data without a private key block; a second private key
// block (which key was meant is ambiguous); an encrypted key ("ENCRYPTED
// PRIVATE KEY" or an RFC 1421 "Proc-Type: 4,ENCRYPTED" header: decrypt it
// first, e.g. with openssl pkey); a block whose DER does not parse; and a key
// other than *rsa.PrivateKey or *ecdsa.PrivateKey (Ed25519, X25519, …), which
// no vAPI signature algorithm uses (spec §7.1). Whether an RSA key is long
// enough or an ECDSA curve fits the chosen algorithm is checked by the caller
// (signer, sts).
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	var found crypto.Signer
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if !isPrivateKeyBlock(b.Type) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w: more than one private key block (block %d is a second %q)", ErrInvalidKeyPEM, n, b.Type)
		}
		key, err := parsePrivateKeyBlock(b)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d (%s): %w", ErrInvalidKeyPEM, n, b.Type, err)
		}
		found = key
	}
	if found == nil {
		return nil, fmt.Errorf("%w: no private key block", ErrInvalidKeyPEM)
	}
	return found, nil
}

// errEncryptedKey is the cause for an encrypted private key block.
var errEncryptedKey = errors.New("encrypted keys are not supported")

// isPrivateKeyBlock reports whether a PEM block type names a private key,
// supported or not, so that an unsupported one is an error rather than
// skipped.
func isPrivateKeyBlock(typ string) bool {
	return strings.HasSuffix(typ, "PRIVATE KEY")
}

// parsePrivateKeyBlock decodes one private key block.
func parsePrivateKeyBlock(b *pem.Block) (crypto.Signer, error) {
	if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errEncryptedKey
	}
	var key any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return nil, errEncryptedKey
	default:
		return nil, errors.New("unsupported block type")
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", key)
}
