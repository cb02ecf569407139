package session_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/session"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		name    string
		givenID string
		expect  bool
	}{
		{name: "ok, all A", givenID: strings.Repeat("A", 43), expect: true},
		{name: "ok, whole alphabet", givenID: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn-_w", expect: true},
		{name: "ok, digits and symbols", givenID: "ABCDEFGHIJKLMNOPQRSTUVWXYZxyz0123456789-_Aw", expect: true},
		{name: "ok, last character with zero low bits", givenID: strings.Repeat("_", 42) + "8", expect: true},
		{name: "nok, last character with low bits set", givenID: strings.Repeat("_", 42) + "9"},
		{name: "nok, 42 characters", givenID: strings.Repeat("A", 42)},
		{name: "nok, 44 characters", givenID: strings.Repeat("A", 44)},
		{name: "nok, plus", givenID: "+" + strings.Repeat("A", 42)},
		{name: "nok, dot", givenID: strings.Repeat("A", 20) + "." + strings.Repeat("A", 22)},
		{name: "nok, empty", givenID: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := session.ValidID(tt.givenID); got != tt.expect {
				t.Fatalf("ValidID(%q) = %v, want %v", tt.givenID, got, tt.expect)
			}
		})
	}
}

func TestKeyOf(t *testing.T) {
	id := "AQID" + "BA" + strings.Repeat("A", 37) // tag 01 02 03 04
	k, err := session.KeyOf(id)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(id))
	if k.Tag() != (session.Tag{1, 2, 3, 4}) || k.Tag().String() != "01020304" {
		t.Fatalf("KeyOf does not start with the id's tag: %v", k)
	}
	if !bytes.Equal(k[session.TagBytes:], sum[:len(k)-session.TagBytes]) {
		t.Fatal("KeyOf is not the tag and SHA-256 of the id")
	}
	if k.IsZero() || !(session.Key{}).IsZero() {
		t.Fatal("IsZero")
	}
}

func TestParseKey(t *testing.T) {
	k := session.Key(sha256.Sum256([]byte("x")))
	tests := []struct {
		name      string
		givenKey  string
		expectKey session.Key
		expectErr []error
	}{
		{name: "ok, round trip", givenKey: k.String(), expectKey: k},
		{name: "ok, upper case", givenKey: strings.ToUpper(k.String()), expectKey: k},
		{name: "nok, too short", givenKey: k.String()[:62], expectErr: []error{session.ErrMalformedKey}},
		{name: "nok, not hex", givenKey: "zz" + k.String()[2:], expectErr: []error{session.ErrMalformedKey}},
		{name: "nok, a session id", givenKey: strings.Repeat("A", 43), expectErr: []error{session.ErrMalformedKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := session.ParseKey(tt.givenKey)
			expectErrs(t, err, tt.expectErr)
			if got != tt.expectKey {
				t.Fatalf("ParseKey = %v, want %v", got, tt.expectKey)
			}
		})
	}
}
