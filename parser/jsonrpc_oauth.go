package parser

import "fmt"

// AccessTokenValue returns the OAuth 2.0 access token of an oauth
// securityCtx ("accessToken", scheme com.vmware.vapi.std.security.oauth,
// spec §13.1) under the rules of a bearer header (ParseBearer): a
// non-empty JSON string of at most MaxBearerTokenLength bytes of visible
// ASCII. Errors match ErrSecurityCtxInvalid (missing, empty or not a
// string), ErrTooLong or ErrBearerMalformed, and ErrMalformed; they never
// quote the token. The token is not verified.
func (sc *SecurityCtx) AccessTokenValue() (string, error) {
	m := &sc.AccessToken
	if !m.IsString() || len(m.Value) == 0 {
		return "", fmt.Errorf("%w: accessToken is missing, empty or not a string", ErrSecurityCtxInvalid)
	}
	tok := string(m.Value)
	if err := checkBearer(tok, "accessToken"); err != nil {
		return "", err
	}
	return tok, nil
}
