package signer

import (
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// BearerToken returns the access token ts supplies now, for an
// "Authorization: Bearer" header (RFC 6750 §2.1) or a JSON-RPC
// "accessToken". It calls ts.Token once; wrap a source that fetches a new
// token on every call in oauth2.ReuseTokenSource (the sources of
// golang.org/x/oauth2's configs already reuse and refresh tokens). The
// token must be of type Bearer (an empty type counts as Bearer, as in
// oauth2.Token.Type), unexpired (oauth2.Token.Valid) and a b64token
// (letters, digits, "-._~+/", then any "="), so it cannot split a header
// or smuggle a second value. Errors match ErrTokenSource; a source's error
// is wrapped too.
func BearerToken(ts oauth2.TokenSource) (string, error) {
	if ts == nil {
		return "", fmt.Errorf("%w: nil token source", ErrTokenSource)
	}
	tok, err := ts.Token()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTokenSource, err)
	}
	if tok == nil || tok.AccessToken == "" {
		return "", fmt.Errorf("%w: empty access token", ErrTokenSource)
	}
	if typ := tok.Type(); !strings.EqualFold(typ, "Bearer") {
		return "", fmt.Errorf("%w: token type %.20q is not Bearer", ErrTokenSource, typ)
	}
	if !tok.Valid() {
		return "", fmt.Errorf("%w: access token expired at %s", ErrTokenSource, tok.Expiry.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if !isB64Token(tok.AccessToken) {
		return "", fmt.Errorf("%w: access token is not an RFC 6750 b64token", ErrTokenSource)
	}
	return tok.AccessToken, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
