// Package signer is the client half of vAPI security: it signs JSON-RPC
// request bodies with a SAML holder-of-key token (spec vapi-protocol.md
// §7.2–§7.3), builds "Authorization: SIGN" headers (§8), signs outgoing HTTP
// requests as an [http.RoundTripper], and keeps a vAPI session alive with
// re-login on expiry ([SessionClient]).
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
// # Transport and session client
//
// [Transport] signs every request it sends: JSON-RPC bodies with the JSON-RPC
// signer, other requests with a SIGN header. [SessionClient] logs in with
// Basic credentials or a SIGN header, sends the session id in the
// vmware-api-session-id header, keeps the session alive while idle, and logs
// in again and retries once when the server says the session is gone (the
// vapisec.reason.unknown_session and vapisec.reason.expired messages of
// vapisec servers, or a bare 401 from servers that send no reasons, such as
// vCenter).
//
// # Redirects
//
// Neither follows a redirect to another origin (scheme, host and port; https
// to http included): the Transport refuses such a hop before signing it,
// since a SIGN header or signed body made for the attacker's host could be
// relayed to the real server, and the SessionClient's http.Client refuses it
// before the session id, Basic credentials or SIGN login header are sent.
// Both fail the request with [ErrCrossHostRedirect]. Same-origin redirects
// are followed and signed for their own URL.
//
// Private keys are used through [crypto.Signer] only and never serialized.
// Everything in this package is safe for concurrent use once built.
package signer
