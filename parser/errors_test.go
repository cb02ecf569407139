package parser

import (
	"errors"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	malformed := []error{
		ErrConflict, ErrDuplicate, ErrTooLong, ErrInvalidCharacter, ErrMultipleAuthorization,
		ErrBasicScheme, ErrBasicBase64, ErrBasicUTF8, ErrBasicControl, ErrBasicEmptyUser, ErrBasicNoColon,
		ErrSignSyntax, ErrSignDuplicateParam, ErrSignUnknownParam, ErrSignMissingToken,
		ErrTokenBase64, ErrTokenGzip, ErrTokenTooLarge, ErrTokenTrailingData, ErrTokenMultipleMembers,
		ErrBearerMalformed,
	}
	for _, e := range malformed {
		if !errors.Is(e, ErrMalformed) {
			t.Errorf("%q does not match ErrMalformed", e)
		}
		if errors.Is(e, ErrAbsent) || errors.Is(e, ErrInvalidLookup) {
			t.Errorf("%q matches another category", e)
		}
		for _, other := range malformed {
			if other != e && errors.Is(e, other) {
				t.Errorf("%q matches %q", e, other)
			}
		}
	}
	for _, e := range []error{ErrAbsent, ErrInvalidLookup} {
		if errors.Is(e, ErrMalformed) {
			t.Errorf("%q matches ErrMalformed", e)
		}
	}
	for _, e := range append(malformed, ErrAbsent, ErrMalformed, ErrInvalidLookup) {
		if !strings.HasPrefix(e.Error(), "parser: ") {
			t.Errorf("message %q lacks the package prefix", e)
		}
	}
}
