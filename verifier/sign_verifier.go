package verifier

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
)

// VerifySign verifies a REST request carrying "Authorization: SIGN" (spec
// §8), whose header hdr was parsed with parser.ParseSign and whose body —
// the bytes actually read, which the handler will get — is body.
//
// A verifier built WithoutSIGN answers ErrSignDisabled. Bearer (a token only): accepted only with WithAllowBearer
// (ErrSchemeNotAllowed); the token must verify and be a bearer token.
//
// Holder-of-key, in this order:
//
//  1. body size; host and port of Host in WithAllowedHosts
//     (ErrHostNotAllowed; the list is required, DESIGN Q21);
//  2. signature_alg, signature and nonce present; signature_alg one of
//     RSA-SHA256, RSA-SHA384, RSA-SHA512 (exact case);
//  3. nonce "<time>:<random>", time in milliseconds (13 digits) or seconds
//     (10 digits, DESIGN Q8), within now − past skew … now + future skew;
//  4. bodyhash: required when the body is not empty; when present it must
//     be the standard base64 of SHA-256(body) (DESIGN Q9);
//  5. the token: at most WithMaxEncodedTokenSize bytes before anything is
//     done with it (ErrEncodedTokenTooLarge), then base64 gzip
//     (parser.DecodeSignToken), verifies (cached) and is a holder-of-key
//     token with an RSA key;
//  6. the signature over the normalized request rebuilt from r (spec §8.2):
//     nonce, method, URL.Path, lower-cased host, port (or "80"), each
//     followed by LF, then the raw SHA-256 of body and LF;
//  7. replay check, only now: key (certificate, nonce), TTL nonce time +
//     past skew − now, within the certificate's share and its subject's
//     (WithReplayShare, WithReplaySubjectShare, ErrReplayQuota).
func (v *RequestVerifier) VerifySign(ctx context.Context, r *http.Request, body []byte, hdr *parser.SignHeader) (*Result, error) {
	if hdr == nil || r == nil {
		return nil, malformedRequest("no SIGN header")
	}
	if len(body) > v.cfg.maxBody {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(body), v.cfg.maxBody), ErrBodyTooLarge, ErrMalformedRequest)
	}
	if v.cfg.noSign {
		return nil, newError("", ErrSignDisabled, ErrSchemeNotAllowed)
	}
	host, port := requestHostPort(r)
	if !v.cfg.hostAllowed(host, port) {
		return nil, newError(quote(host+":"+port), ErrHostNotAllowed)
	}
	if !hdr.IsHoK() {
		return v.verifySignBearer(ctx, hdr)
	}

	// 2. Parameters and algorithm.
	if hdr.SignatureAlg == "" || hdr.Signature == "" || hdr.Nonce == "" {
		return nil, malformedRequest("SIGN holder-of-key header without signature_alg, signature or nonce")
	}
	alg, ok := v.signAlgs[hdr.SignatureAlg]
	if !ok {
		return nil, newError(quote(hdr.SignatureAlg), ErrRequestAlgorithm)
	}
	// 3. Nonce.
	now := v.cfg.clock()
	nonceTime, err := v.signNonceTime(hdr.Nonce, now)
	if err != nil {
		return nil, err
	}
	// 4. Body hash.
	bodySum := sha256.Sum256(body)
	if err := checkBodyHash(hdr.BodyHash, len(body), &bodySum); err != nil {
		return nil, err
	}
	var sigBuf [1024]byte
	n, ok := decodeBase64String(sigBuf[:], hdr.Signature)
	if !ok || n == 0 {
		return nil, malformedRequest("signature is not base64")
	}
	sig := sigBuf[:n]
	// 5. Token.
	vt, err := v.signToken(ctx, hdr.Token)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationHolderOfKey || vt.token.HoKCertificate == nil {
		return nil, newError("bearer token sent with a signature", ErrConfirmationMismatch)
	}
	// 6. Normalized request.
	var nbuf [512]byte
	msg := appendNormalizedRequest(nbuf[:0], hdr.Nonce, r.Method, r.URL.Path, host, port, &bodySum)
	if err := alg.verify(vt.token.HoKCertificate.PublicKey, msg, sig); err != nil {
		return nil, err
	}
	// 7. Replay.
	if err := v.record(ctx, vt, signReplayKey(&vt.certSum, hdr.Nonce), nonceTime.Add(v.cfg.pastSkew).Sub(now)); err != nil {
		return nil, err
	}
	return v.result(vt, vapisec.SchemeSAMLHoK, vapisec.SourceAuthorization, nil, 0), nil
}

// verifySignBearer verifies a SIGN request that carries a token only.
func (v *RequestVerifier) verifySignBearer(ctx context.Context, hdr *parser.SignHeader) (*Result, error) {
	if !v.cfg.allowBearer {
		return nil, ErrSchemeNotAllowed
	}
	vt, err := v.signToken(ctx, hdr.Token)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationBearer {
		return nil, newError("holder-of-key token sent as bearer", ErrConfirmationMismatch)
	}
	return v.result(vt, vapisec.SchemeSAMLBearer, vapisec.SourceAuthorization, nil, 0), nil
}

// signNonceTime is step 3 of VerifySign: the nonce's time, within now −
// past skew … now + future skew.
func (v *RequestVerifier) signNonceTime(nonce string, now time.Time) (time.Time, error) {
	t, err := parseNonce(nonce)
	if err != nil {
		return t, err
	}
	if t.After(now.Add(v.cfg.futureSkew)) || t.Before(now.Add(-v.cfg.pastSkew)) {
		return t, newError(fmt.Sprintf("nonce time %s", t.UTC().Format(time.RFC3339)), ErrTimestampWindow)
	}
	return t, nil
}

// checkBodyHash is step 4 of VerifySign (DESIGN Q9): bodyhash is required
// for a non-empty body and, when present, is the standard base64 of
// bodySum, compared in constant time.
func checkBodyHash(bodyHash string, bodyLen int, bodySum *[sha256.Size]byte) error {
	if bodyHash == "" {
		if bodyLen > 0 {
			return newError("bodyhash missing for a non-empty body", ErrBodyHash)
		}
		return nil
	}
	var got [48]byte
	n, ok := decodeBase64String(got[:], bodyHash)
	if !ok || n != sha256.Size {
		return malformedRequest("bodyhash is not the base64 of a SHA-256")
	}
	if subtle.ConstantTimeCompare(got[:n], bodySum[:]) != 1 {
		return newError("", ErrBodyHash)
	}
	return nil
}

// appendNormalizedRequest appends the SIGN signed content (spec §8.2) to
// dst: nonce, method, path, host and port, each followed by LF, then the
// raw SHA-256 of the body and LF.
func appendNormalizedRequest(dst []byte, nonce, method, path, host, port string, bodySum *[sha256.Size]byte) []byte {
	for _, s := range [...]string{nonce, method, path, host, port} {
		dst = append(dst, s...)
		dst = append(dst, '\n')
	}
	dst = append(dst, bodySum[:]...)
	return append(dst, '\n')
}

// signToken verifies a SIGN token parameter; its length is checked before
// anything else is done with it (WithMaxEncodedTokenSize).
func (v *RequestVerifier) signToken(ctx context.Context, tok string) (*verifiedToken, error) {
	if len(tok) > v.cfg.maxWireToken {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(tok), v.cfg.maxWireToken), ErrEncodedTokenTooLarge, ErrTokenTooLarge, ErrMalformedToken)
	}
	return token(ctx, v, tok, func(wire string) ([]byte, error) {
		xml, err := parser.DecodeSignToken(wire, v.cfg.maxToken)
		if err != nil {
			return nil, newError(err.Error(), err, ErrMalformedToken)
		}
		return xml, nil
	})
}

// requestHostPort returns the host (lower case, IPv6 in brackets) and port
// (explicit or "80", spec §8.2) of the request's Host.
func requestHostPort(r *http.Request) (string, string) {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	return hostHeaderPort(h)
}

// hostHeaderPort returns the host (lower case, IPv6 in brackets) and port
// (explicit or "80", spec §8.2) of a Host header value.
func hostHeaderPort(h string) (string, string) {
	host, port := h, "80"
	if hh, pp, err := net.SplitHostPort(h); err == nil {
		host, port = hh, pp
		if port == "" {
			port = "80"
		}
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	return host, port
}

// parseNonce reads the time part of a SIGN nonce "<time>:<random>": 13
// digits are milliseconds, 10 digits seconds since the epoch (DESIGN Q8).
// The random part must not be empty; the whole nonce is at most 128 bytes.
func parseNonce(nonce string) (time.Time, error) {
	if len(nonce) > maxNonceLen {
		return time.Time{}, malformedRequest("nonce longer than %d bytes", maxNonceLen)
	}
	i := strings.IndexByte(nonce, ':')
	if i < 0 || i == len(nonce)-1 {
		return time.Time{}, malformedRequest("nonce %.40q is not <time>:<random>", nonce)
	}
	digits := nonce[:i]
	if len(digits) != 13 && len(digits) != 10 {
		return time.Time{}, malformedRequest("nonce time %.40q is neither 13 nor 10 digits", digits)
	}
	var x int64
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return time.Time{}, malformedRequest("nonce time %.40q is not a number", digits)
		}
		x = x*10 + int64(c-'0')
	}
	if len(digits) == 10 {
		return time.Unix(x, 0), nil
	}
	return time.UnixMilli(x), nil
}
