package vapisec

import "errors"

// ErrInvalidKeyPEM reports PEM data that ParsePrivateKeyPEM cannot turn
// into a signing key: no private key block, an encrypted key, a block that
// does not parse, more than one private key, or a key other than RSA and
// ECDSA. The message says which, and never contains key material.
var ErrInvalidKeyPEM = errors.New("vapisec: invalid private key PEM")
