// Package signer is the request-signing half of the client side of vAPI
// security: it signs JSON-RPC request bodies with a SAML holder-of-key token
// (spec vapi-protocol.md §7.2–§7.3), builds "Authorization: SIGN" headers (§8) and signs outgoing
// HTTP requests as an [http.RoundTripper]. It signs requests only: the
// session client (login, keep-alive, re-login and retry, logout) is package
// github.com/vapisec/vapisec/client, which uses a [HeaderSigner] for token
// logins, as x/oauth2 separates what supplies credentials from the
// Transport that puts them on the wire.
//
// # JSON-RPC
//
// A [JSONRPCSigner] sets params.ctx.securityCtx of a request to exactly
//
//	{"schemeId":"com.vmware.vapi.std.security.saml_hok_token","signatureAlgorithm":<alg>,
//	 "timestamp":{"created":<now>,"expires":<now+validity>}}
//
// (replacing whatever securityCtx the request had: a client-local privateKey
// can never leak), canonicalizes the request with the Java profile of package
// canonical (what vCenter verifies, DESIGN.md Q5), signs those bytes with the
// holder-of-key private key and adds
// "signature":{"samlToken":<token XML>,"value":<base64>}. RS256 (the default),
// RS384 and RS512 are RSASSA-PKCS1-v1_5; ES256, ES384 and ES512 are ECDSA
// with an ASN.1 DER signature (Java's encoding, not JOSE's r‖s) on P-256,
// P-384 and P-521. The default validity is Java's 10 minutes. The bearer
// variant ([NewBearerJSONRPCSigner]) sends the token without a signature.
//
// # SIGN
//
// A [HeaderSigner] produces the Authorization value govmomi's
// sts.Signer.SignRequest produces, byte for byte for the same nonce: the
// token as base64(gzip(XML)) with Go's default gzip writer, and for a HoK
// token signature_alg, signature, nonce and bodyhash over govmomi's
// normalized request (§8.2: nonce, method, path, lower-case host, port or
// "80", raw SHA-256 of the body, each followed by a line feed). Its
// SignRequest method satisfies govmomi's rest.Signer interface.
//
// # Transport
//
// [Transport] signs every request it sends: JSON-RPC bodies with the JSON-RPC
// signer, other requests with a SIGN header.
//
// # Redirects
//
// The Transport does not sign a redirect hop to another origin (scheme, host
// and port; https to http included): it refuses the hop with
// [ErrCrossHostRedirect] before signing it, since a SIGN header or signed
// body made for the attacker's host could be relayed to the real server.
// Same-origin redirects are followed and signed for their own URL.
//
// Private keys are used through [crypto.Signer] only and never serialized.
// Everything in this package is safe for concurrent use once built.
package signer
