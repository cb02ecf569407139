package parser

import (
	"fmt"
	"unicode/utf8"
)

// maxUserPassLength bounds userName plus password of a JSON-RPC user_pass
// securityCtx: the decoded size MaxBasicCredentialsLength allows for Basic.
const maxUserPassLength = MaxBasicCredentialsLength / 4 * 3

// UserPass returns the userName and password members of a
// com.vmware.vapi.std.security.user_pass securityCtx, checked exactly as
// ParseBasic checks decoded Basic credentials (DESIGN Q2, Q19), so that the
// body is no way around Basic's strictness: both members present and JSON
// strings (a missing password is not an empty one), together at most the
// decoded size of MaxBasicCredentialsLength (ErrTooLong), valid UTF-8
// (ErrBasicUTF8), no control characters (C0, DEL, C1: ErrBasicControl, so
// no "\u0000" either), a non-empty user name (ErrBasicEmptyUser) without ':'
// (ErrBasicNoColon: Basic cannot carry one, so no authenticator has ever
// seen one). An empty password is, as in Basic, for the authenticator to
// judge. Every error matches ErrMalformed.
func (sc *SecurityCtx) UserPass() (user, password string, err error) {
	if !sc.UserName.IsString() {
		return "", "", fmt.Errorf("%w: userName is missing or not a string", ErrSecurityCtxInvalid)
	}
	if !sc.Password.IsString() {
		return "", "", fmt.Errorf("%w: password is missing or not a string", ErrSecurityCtxInvalid)
	}
	u, p := sc.UserName.Value, sc.Password.Value
	if len(u)+len(p) > maxUserPassLength {
		return "", "", fmt.Errorf("%w: user_pass credentials of %d bytes (limit %d)", ErrTooLong, len(u)+len(p), maxUserPassLength)
	}
	if len(u) == 0 {
		return "", "", ErrBasicEmptyUser
	}
	for _, s := range [2][]byte{u, p} {
		if err := checkCredentialText(s); err != nil {
			return "", "", err
		}
	}
	for _, c := range u {
		if c == ':' {
			return "", "", fmt.Errorf("%w: ':' in the user name", ErrBasicNoColon)
		}
	}
	return string(u), string(p), nil
}

// checkCredentialText applies Basic's character rules: UTF-8, no C0, DEL
// or C1 control characters.
func checkCredentialText(b []byte) error {
	if !utf8.Valid(b) {
		return ErrBasicUTF8
	}
	for i, c := range b {
		switch {
		case c < 0x20 || c == 0x7f:
			return ErrBasicControl
		case c == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			return ErrBasicControl
		}
	}
	return nil
}

// SessionIDValue returns the sessionId member of a
// com.vmware.vapi.std.security.session_id securityCtx, checked as the
// SessionIDExtractor checks a header value: a non-empty JSON string
// (ErrSecurityCtxInvalid otherwise) of at most maxLength bytes (ErrTooLong;
// maxLength ≤ 0 means DefaultMaxSessionIDLength), visible ASCII only
// (ErrInvalidCharacter). Every error matches ErrMalformed.
func (sc *SecurityCtx) SessionIDValue(maxLength int) (string, error) {
	if maxLength <= 0 {
		maxLength = DefaultMaxSessionIDLength
	}
	m := &sc.SessionID
	switch {
	case !m.IsString() || len(m.Value) == 0:
		return "", fmt.Errorf("%w: sessionId is missing, empty or not a string", ErrSecurityCtxInvalid)
	case len(m.Value) > maxLength:
		return "", fmt.Errorf("%w: sessionId of %d bytes (limit %d)", ErrTooLong, len(m.Value), maxLength)
	}
	// One copy (bounded by maxLength), checked and returned: converting
	// for the check and again for the result cost two.
	id := string(m.Value)
	if !visibleASCII(id) {
		return "", fmt.Errorf("%w: sessionId", ErrInvalidCharacter)
	}
	return id, nil
}
