package signer

import "errors"

// Configuration errors: the caller built a signer or Transport wrongly.
var (
	// ErrInvalidOption reports a bad option or a missing required argument,
	// or a Transport with both Header and TokenSource set.
	ErrInvalidOption = errors.New("signer: invalid option")
	// ErrUnsupportedAlgorithm reports an algorithm name outside RS256,
	// RS384, RS512, ES256, ES384 and ES512 (names are case-sensitive), or
	// one the SIGN scheme cannot carry.
	ErrUnsupportedAlgorithm = errors.New("signer: unsupported algorithm")
	// ErrKeyMismatch reports a private key that cannot make signatures of
	// the chosen algorithm (an RSA key for ES256, a P-384 key for ES256, …).
	ErrKeyMismatch = errors.New("signer: key does not fit the algorithm")
	// ErrInvalidToken reports an empty or non-UTF-8 SAML token.
	ErrInvalidToken = errors.New("signer: invalid token")
)

// Request errors: the request to sign cannot be signed.
var (
	// ErrInvalidRequest reports a request that is not a JSON object with an
	// object "params" (and, when present, an object "params.ctx"), or that
	// the canonicalizer rejects (the canonical error is wrapped too).
	ErrInvalidRequest = errors.New("signer: invalid JSON-RPC request")
	// ErrBodyTooLarge reports a body beyond the configured limit.
	ErrBodyTooLarge = errors.New("signer: request body too large")
	// ErrInvalidNonce reports a nonce from the nonce source that could not
	// be sent in a SIGN header (empty, or with a character outside visible
	// ASCII other than '"', ',' and '\').
	ErrInvalidNonce = errors.New("signer: invalid nonce")
	// ErrSign reports a failure of the private key's Sign method.
	ErrSign = errors.New("signer: signing failed")
	// ErrCrossHostRedirect reports a redirect hop the Transport refused to
	// sign because it leads to another origin (scheme, host or port; https to
	// http included), where the signature or session credentials it would
	// carry could be relayed. The message names both origins. http.Client's
	// Do returns it wrapped in a *url.Error; errors.Is sees through that.
	ErrCrossHostRedirect = errors.New("signer: refused redirect to another host")
	// ErrTokenSource reports an OAuth 2.0 token source that failed or gave
	// a token that cannot be sent as a bearer token (empty, expired, not of
	// type Bearer, or not an RFC 6750 b64token). The request is not sent.
	// The source's own error, if any, is wrapped too.
	ErrTokenSource = errors.New("signer: OAuth token source")
)
