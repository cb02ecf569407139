package middleware

import (
	"errors"

	"github.com/vapisec/vapisec/parser"
)

// parseSentinels lists the parser's specific sentinels, most specific first.
// Their messages are fixed strings without attacker bytes, so they are safe
// both for the client's error message and for logs.
var parseSentinels = [...]error{
	parser.ErrConflict,
	parser.ErrDuplicate,
	parser.ErrTooLong,
	parser.ErrInvalidCharacter,
	parser.ErrMultipleAuthorization,
	parser.ErrBasicScheme,
	parser.ErrBasicBase64,
	parser.ErrBasicUTF8,
	parser.ErrBasicControl,
	parser.ErrBasicEmptyUser,
	parser.ErrBasicNoColon,
	parser.ErrSignSyntax,
	parser.ErrSignDuplicateParam,
	parser.ErrSignUnknownParam,
	parser.ErrSignMissingToken,
	parser.ErrTokenBase64,
	parser.ErrTokenGzip,
	parser.ErrTokenTooLarge,
	parser.ErrTokenTrailingData,
	parser.ErrTokenMultipleMembers,
	parser.ErrBearerMalformed,
}

// redactParseError reduces a parser error to its fixed sentinel, dropping the
// quoted input the full error may carry (a password, a session id, a token):
// logs and clients get the category, never the credential.
func redactParseError(err error) error {
	for _, s := range parseSentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return parser.ErrMalformed
}
