// Package verifier checks vAPI credentials. This part of it validates SAML
// 2.0 tokens issued by a vCenter-style Security Token Service (spec
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
package verifier
