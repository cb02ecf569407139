package canonical

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sentinelByName maps the names used in testdata/output/*/*.err files.
var sentinelByName = map[string]error{
	"ErrSyntax":           ErrSyntax,
	"ErrDuplicateMember":  ErrDuplicateMember,
	"ErrInvalidUTF8":      ErrInvalidUTF8,
	"ErrLoneSurrogate":    ErrLoneSurrogate,
	"ErrTrailingData":     ErrTrailingData,
	"ErrTooDeep":          ErrTooDeep,
	"ErrTooLarge":         ErrTooLarge,
	"ErrNumberOutOfRange": ErrNumberOutOfRange,
}

var allProfiles = []Profile{Java, GoSDK, Python}

// TestGolden runs every testdata/input/NAME.json through every profile and
// compares with testdata/output/PROFILE/NAME.json, or expects the sentinel
// named in testdata/output/PROFILE/NAME.err.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/input/*.json")
	if err != nil || len(inputs) < 33 {
		t.Fatalf("golden inputs: %d files, err %v", len(inputs), err)
	}
	for _, p := range allProfiles {
		c, err := New(WithProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			name := strings.TrimSuffix(filepath.Base(in), ".json")
			t.Run(p.String()+"/"+name, func(t *testing.T) {
				src, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				got, gotErr := c.Canonicalize(src)
				base := filepath.Join("testdata", "output", p.String(), name)
				if want, err := os.ReadFile(base + ".json"); err == nil {
					if gotErr != nil {
						t.Fatalf("unexpected error %v", gotErr)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("got  %s\nwant %s", got, want)
					}
					return
				}
				errName, err := os.ReadFile(base + ".err")
				if err != nil {
					t.Fatalf("no expected output for %s: %v", base, err)
				}
				sentinel := sentinelByName[strings.TrimSpace(string(errName))]
				if sentinel == nil {
					t.Fatalf("unknown sentinel %q", errName)
				}
				if !errors.Is(gotErr, sentinel) || !errors.Is(gotErr, ErrInvalid) {
					t.Fatalf("got %q, %v; want %v", got, gotErr, sentinel)
				}
			})
		}
	}
}

// TestTestMessageSHA256 checks spec §11.2: the canonical testMessage.json
// has the published SHA-256 in every profile.
func TestTestMessageSHA256(t *testing.T) {
	src, err := os.ReadFile("../testdata/vcf-sdk-java/testMessage.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range allProfiles {
		got, err := Canonicalize(src, WithProfile(p))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(got)
		if h := hex.EncodeToString(sum[:]); h != "86a26bc100f7c9971877eb9d4f8dda640daa305cc49bc9a632a82625e1de9f53" {
			t.Errorf("%v: SHA-256 %s", p, h)
		}
	}
}

// TestSignedRequests checks spec §11.3: dropping the signature member of the
// signed fixtures and canonicalizing gives exactly the bytes that were signed.
func TestSignedRequests(t *testing.T) {
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		src, err := os.ReadFile("testdata/signed/signed-request-" + alg + ".json")
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("testdata/signed/signed-request-" + alg + ".canonical.txt")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range allProfiles {
			t.Run(alg+"/"+p.String(), func(t *testing.T) {
				c, err := New(WithProfile(p), WithoutMember("params", "ctx", "securityCtx", "signature"))
				if err != nil {
					t.Fatal(err)
				}
				res, err := c.AppendResult(nil, src)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(res.Canonical, want) {
					t.Fatalf("got  %s\nwant %s", res.Canonical, want)
				}
				if !res.Dropped || !bytes.HasPrefix(res.DroppedValue, []byte(`{`)) ||
					!bytes.Contains(res.DroppedValue, []byte(`"samlToken"`)) || !bytes.HasSuffix(res.DroppedValue, []byte(`}`)) {
					t.Fatalf("dropped %v %.60q", res.Dropped, res.DroppedValue)
				}
				// Without dropping, the signature stays in and the bytes differ.
				full, err := Canonicalize(src, WithProfile(p))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(full, want) || !bytes.Contains(full, []byte(`"signature":{"samlToken":`)) {
					t.Fatalf("full canonical form lost the signature: %.100s", full)
				}
			})
		}
	}
}
