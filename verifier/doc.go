// Package verifier checks vAPI credentials in two halves: a TokenVerifier
// validates SAML 2.0 tokens, and a RequestVerifier, built on one, verifies
// the signed requests that carry them.
//
// # Tokens
//
// TokenVerifier validates SAML 2.0 tokens issued by a vCenter-style Security Token Service (spec
// §7.5–§7.6, DESIGN §7 rules 1–4, 8 and 9), the way the Java vAPI runtime
// does — and stricter. No other Go vAPI runtime checks the token's own
// signature.
//
// A TokenVerifier is built with functional options (trust anchors, clock,
// skew, audiences, limits, algorithm allow-lists, cache size) and its Verify
// method runs these steps, cheapest first:
//
//  1. size limit (WithMaxTokenSize);
//  2. cache lookup by SHA-256 of the token bytes;
//  3. a raw scan of the bytes: no DOCTYPE or other directive, no entity
//     other than the predefined ones, no processing instruction but one
//     leading XML declaration (UTF-8), no comment, one root and nothing but
//     whitespace around it, no attribute twice, depth and element limits;
//  4. etree parse, then namespace-aware structural checks: the root is a
//     SAML 2.0 Assertion with an ID, it has exactly one ds:Signature child
//     and there is no other signature, no nested Assertion and no other
//     element with the same ID; the signature uses exclusive
//     canonicalization, the enveloped-signature transform, a signature and
//     digest method from the allow-lists (never SHA-1 or HMAC) and one
//     Reference whose URI is "#" + the root ID;
//  5. the trust decision on the ds:KeyInfo certificates (pinned certificate
//     or chain to a configured root, at the injected clock);
//  6. goxmldsig Validate (>= v1.6.1) with the injected clock;
//  7. every field read only from the element Validate returned, matching
//     namespace URIs, never prefixes; exactly one SubjectConfirmation, and
//     for holder-of-key exactly one X509Certificate;
//  8. conditions: NotBefore − skew ≤ now < NotOnOrAfter + skew (DESIGN
//     Q14), audiences, unknown conditions rejected.
//
// Errors wrap the sentinels of errors.go (several at once, a specific one
// and a category); ReasonOf maps them to the root package's reason codes.
//
// Verified tokens are cached until NotOnOrAfter + skew; Reload swaps the
// trust anchors atomically and starts an empty cache.
//
// # Requests
//
// A RequestVerifier (NewRequestVerifier, functional RequestOptions) checks
// a request in Java's order and stricter (spec §7–§8, DESIGN §7), cheapest
// steps first and the replay check last, and returns a Result with the
// caller's vapisec.SecurityContext:
//
//   - VerifyJSONRPC: a JSON-RPC body whose params.ctx.securityCtx (the
//     fixed path only, DESIGN Q12) carries a SAML holder-of-key signature
//     or, with WithAllowBearer, a bearer token. The parser package parses
//     the body strictly, canonicalizes it and decodes the securityCtx in one
//     call (parser.JSONRPCParser); the verifier decides: scheme, timestamp
//     window (WithFutureSkew, WithPastSkew, WithMaxWindow), algorithm in
//     the allow-list bound to the key type (WithAlgorithms), the token, the
//     signature over the canonical bytes (canonical.Java, then
//     WithProfiles). Other schemes answer ErrOtherScheme, unsigned bodies
//     ErrNotSigned, for the caller to pass on.
//   - VerifySign: a REST request with "Authorization: SIGN" (spec §8): the
//     request's host and port must be in WithAllowedHosts (required unless
//     WithoutSIGN, DESIGN Q21), then nonce time, body hash, token and the
//     signature over the normalized request.
//   - VerifySOAPLogin: a vim25 SessionManager.LoginByToken SOAP envelope
//     with the WS-Security header govmomi's sts.Signer writes (the soap
//     package's LoginByToken, through middleware.SOAPTokenLogin): the
//     request's host in WithAllowedHosts (nothing signed names the
//     server), the raw scan of tokens and namespace-aware structure
//     checks, the wsu:Timestamp in the JSON-RPC window, then for
//     holder-of-key the ds:Signature — goxmldsig verifies enveloped
//     signatures only, so each detached Reference is resolved by a wsu:Id
//     unique in the document, must be the Envelope's own Body or the
//     Security header's own Timestamp, and its exclusive-c14n digest and
//     the RSA signature over the canonical SignedInfo are checked here,
//     with the token's holder-of-key key only — and the token; bearer only
//     WithAllowBearer.
//
// # Access tokens
//
// An AccessTokenVerifier (NewAccessTokenVerifier, functional
// AccessTokenOptions, DESIGN Q20) verifies OAuth 2.0 access tokens that are
// signed JWTs (RFC 7519, RFC 9068) with golang-jwt/jwt/v5 against the
// issuer's JWKS, from a file, a URL or OIDC discovery from the issuer:
// issuer and audience required, an algorithm allow-list bound to the key
// type, never none, HMAC only with an explicit secret, exp required, nbf
// and iat with a skew, a lifetime cap, crit/cty/enc/zip refused, jku, x5u
// and jwk never used. An unknown kid refreshes the keys at most once per
// interval; no key at all is ErrKeysUnavailable (fail closed). Verified
// tokens are cached by SHA-256 until exp + skew. See docs/oauth.md.
//
// Replay: an accepted signature (for WS-Security, its SignatureValue) is
// recorded in a ReplayCache (a MemoryReplayCache by default; redisstore
// shares one between instances) under its holder's certificate until it could no longer pass the time
// checks; a second use is ErrReplayed, and each holder-of-key certificate
// and each token subject (user, case-insensitive) gets at most its share of
// live entries (WithReplayShare, WithReplaySubjectShare, DESIGN Q22; beyond
// it ErrReplayQuota, failing closed), so one holder — or one user with many
// keys — cannot crowd out the others.
//
// One clock: the RequestVerifier judges requests at its TokenVerifier's
// clock (WithClock) unless WithRequestClock sets another, which is meant
// only for replaying dated fixtures. Tokens are verified through the
// TokenVerifier's cache and a wire-form cache (WithWireTokenCacheSize), so
// a repeated token costs a hash and a comparison.
package verifier
