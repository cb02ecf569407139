package parser

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
)

// The HoK parameters of the spec §11.4 SIGN vector.
const (
	vectorNonce     = "1700000000000:1234567890"
	vectorBodyHash  = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	vectorSignature = "ezCCAuz4+FQhVI90WVfjeaNxigDA+ZoObQ0wizAgam/6MKXFScxjV1Qol7rVqytKM7rckUbp2B9St+tobs8tO/ztayO5AaspmE5xjn03v7LXX4ocoMNNUWypQPeXBWvyBo61wESg+9mdmTKOu1Mk1r2eHd1Om0XRGSvYWeXJTRxDPmq0zXq/nRgkSJKFiUK3rl/W2WnGoX7/0JKrekhfSfAmeZMhLfyIOW0m0k4DBjvAlfVaGmn8HD9KEDGZ8gzNLMaGna91gRIiuHPadsbJ2+uII5x4abZRMQHxsy2fpVWh93+uru2G0ba0Gx3Evj8H/0+SIg7Gso+Y2KGK70x7iw=="
)

// gzipBase64 encodes data the way govmomi encodes a SIGN token: gzip with
// Go's defaults, then standard base64 with padding.
func gzipBase64(tb testing.TB, data []byte) string {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// govmomiForm serializes s as govmomi's sts.Signer.SignRequest does: the
// present parameters in the order token, signature_alg, signature, nonce,
// bodyhash, quoted, joined by ", ", after "SIGN ".
func govmomiForm(s *SignHeader) string {
	var params []string
	for _, p := range []struct{ name, value string }{
		{"token", s.Token}, {"signature_alg", s.SignatureAlg}, {"signature", s.Signature},
		{"nonce", s.Nonce}, {"bodyhash", s.BodyHash},
	} {
		if p.value != "" {
			params = append(params, p.name+`="`+p.value+`"`)
		}
	}
	return "SIGN " + strings.Join(params, ", ")
}

// TestParseSign_GovmomiFixture builds the HoK SIGN header of spec §11.4
// around the vcf-sdk-java token and reads the exact token bytes back.
func TestParseSign_GovmomiFixture(t *testing.T) {
	xml, err := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(xml) != 6659 {
		t.Fatalf("fixture is %d bytes, expected 6659", len(xml))
	}
	token := gzipBase64(t, xml)
	value := `SIGN token="` + token + `", signature_alg="RSA-SHA256", signature="` + vectorSignature +
		`", nonce="` + vectorNonce + `", bodyhash="` + vectorBodyHash + `"`

	sh, err := ParseSign(http.Header{"Authorization": {value}})
	if err != nil {
		t.Fatal(err)
	}
	want := SignHeader{Token: token, SignatureAlg: "RSA-SHA256", Signature: vectorSignature, Nonce: vectorNonce, BodyHash: vectorBodyHash}
	if *sh != want {
		t.Fatalf("ParseSign = %+v\nexpected %+v", *sh, want)
	}
	if !sh.IsHoK() {
		t.Error("IsHoK = false for a HoK header")
	}
	if got := govmomiForm(sh); got != value {
		t.Errorf("re-serialized header differs:\n%s\n%s", got, value)
	}
	decoded, err := DecodeSignToken(sh.Token, DefaultMaxSignTokenSize)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(decoded, xml) {
		t.Fatalf("decoded token (%d bytes) differs from samlToken.xml", len(decoded))
	}

	// The bearer form: the token alone.
	sh, err = ParseSign(http.Header{"Authorization": {`SIGN token="` + token + `"`}})
	if err != nil {
		t.Fatal(err)
	}
	if sh.Token != token || sh.IsHoK() {
		t.Fatalf("bearer SIGN parsed as %+v, IsHoK %v", sh, sh.IsHoK())
	}
}

func TestParseSign(t *testing.T) {
	tests := []struct {
		name        string
		givenHeader http.Header
		expect      *SignHeader
		expectHoK   bool
		expectErr   []error
	}{
		{
			name:        "ok, bearer",
			givenHeader: http.Header{"Authorization": {`SIGN token="dG9rZW4="`}},
			expect:      &SignHeader{Token: "dG9rZW4="},
		},
		{
			name:        "ok, scheme in lower case, several spaces and tabs",
			givenHeader: http.Header{"Authorization": {"sign \t " + `token="dG9rZW4=",nonce="1:2"`}},
			expect:      &SignHeader{Token: "dG9rZW4=", Nonce: "1:2"},
			expectHoK:   true,
		},
		{
			name:        "ok, parameter names are case-insensitive, any order",
			givenHeader: http.Header{"Authorization": {`SIGN BodyHash="h=", TOKEN="t", Signature="s", Nonce="n", Signature_Alg="RSA-SHA512"`}},
			expect:      &SignHeader{Token: "t", SignatureAlg: "RSA-SHA512", Signature: "s", Nonce: "n", BodyHash: "h="},
			expectHoK:   true,
		},
		{
			name:        "ok, trailing spaces",
			givenHeader: http.Header{"Authorization": {`SIGN token="t"  `}},
			expect:      &SignHeader{Token: "t"},
		},
		{name: "nok, no Authorization header", givenHeader: http.Header{}, expectErr: []error{ErrAbsent}},
		{name: "nok, Basic", givenHeader: http.Header{"Authorization": {"Basic dTpw"}}, expectErr: []error{ErrAbsent}},
		{name: "nok, another scheme starting with sign", givenHeader: http.Header{"Authorization": {`Signature keyId="k",signature="s"`}}, expectErr: []error{ErrAbsent}},
		{
			name:        "nok, two Authorization headers",
			givenHeader: http.Header{"Authorization": {`SIGN token="t"`, `SIGN token="t"`}},
			expectErr:   []error{ErrMultipleAuthorization, ErrMalformed},
		},
		{name: "nok, empty header", givenHeader: http.Header{"Authorization": {"SIGN"}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, only spaces", givenHeader: http.Header{"Authorization": {"SIGN   "}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, unquoted value", givenHeader: http.Header{"Authorization": {`SIGN token=dG9rZW4=`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, unterminated value", givenHeader: http.Header{"Authorization": {`SIGN token="dG9rZW4=`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, missing =", givenHeader: http.Header{"Authorization": {`SIGN token"t"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, name without value", givenHeader: http.Header{"Authorization": {`SIGN token`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, space before =", givenHeader: http.Header{"Authorization": {`SIGN token ="t"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, space after =", givenHeader: http.Header{"Authorization": {`SIGN token= "t"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, garbage between params", givenHeader: http.Header{"Authorization": {`SIGN token="t" x, nonce="n"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, missing comma", givenHeader: http.Header{"Authorization": {`SIGN token="t" nonce="n"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, trailing comma", givenHeader: http.Header{"Authorization": {`SIGN token="t",`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, leading comma", givenHeader: http.Header{"Authorization": {`SIGN ,token="t"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, empty nonce", givenHeader: http.Header{"Authorization": {`SIGN token="t", nonce=""`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, escaped quote (quoted-pair smuggling)", givenHeader: http.Header{"Authorization": {`SIGN token="t\", nonce=\"n"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, comma inside a value", givenHeader: http.Header{"Authorization": {`SIGN token="a,b"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, space inside a value", givenHeader: http.Header{"Authorization": {`SIGN token="a b"`}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, non-ASCII inside a value", givenHeader: http.Header{"Authorization": {"SIGN token=\"a\xc3\xa9\""}}, expectErr: []error{ErrSignSyntax, ErrMalformed}},
		{name: "nok, duplicate param", givenHeader: http.Header{"Authorization": {`SIGN token="a", token="b"`}}, expectErr: []error{ErrSignDuplicateParam, ErrMalformed}},
		{name: "nok, duplicate param in another case", givenHeader: http.Header{"Authorization": {`SIGN token="a", nonce="1", NONCE="2"`}}, expectErr: []error{ErrSignDuplicateParam, ErrMalformed}},
		{name: "nok, unknown param", givenHeader: http.Header{"Authorization": {`SIGN token="a", ext="x"`}}, expectErr: []error{ErrSignUnknownParam, ErrMalformed}},
		{name: "nok, missing token", givenHeader: http.Header{"Authorization": {`SIGN nonce="1:2", signature="s"`}}, expectErr: []error{ErrSignMissingToken, ErrMalformed}},
		{name: "nok, empty token", givenHeader: http.Header{"Authorization": {`SIGN token=""`}}, expectErr: []error{ErrSignMissingToken, ErrMalformed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh, err := ParseSign(tc.givenHeader)
			checkErrs(t, err, tc.expectErr)
			if err != nil {
				if sh != nil {
					t.Errorf("error with a result %+v", sh)
				}
				return
			}
			if *sh != *tc.expect {
				t.Errorf("ParseSign = %+v, expected %+v", *sh, *tc.expect)
			}
			if sh.IsHoK() != tc.expectHoK {
				t.Errorf("IsHoK = %v, expected %v", sh.IsHoK(), tc.expectHoK)
			}
		})
	}
}

func TestParseSignValue(t *testing.T) {
	for _, v := range []string{`token="t", nonce="n"`, `SIGN token="t", nonce="n"`, `sign	token="t",nonce="n"`} {
		sh, err := ParseSignValue(v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if *sh != (SignHeader{Token: "t", Nonce: "n"}) {
			t.Errorf("%q: %+v", v, *sh)
		}
	}
	if _, err := ParseSignValue(""); !errors.Is(err, ErrSignSyntax) {
		t.Errorf("empty value: %v", err)
	}
}

func TestSignHeader_IsHoK(t *testing.T) {
	var nilHeader *SignHeader
	if nilHeader.IsHoK() {
		t.Error("nil header is HoK")
	}
	for _, s := range []SignHeader{{SignatureAlg: "x"}, {Signature: "x"}, {Nonce: "x"}, {BodyHash: "x"}} {
		if !s.IsHoK() {
			t.Errorf("%+v: IsHoK false", s)
		}
	}
	if (&SignHeader{Token: "t"}).IsHoK() {
		t.Error("token-only header is HoK")
	}
}

func FuzzParseSignValue(f *testing.F) {
	for _, s := range []string{
		`token="dG9rZW4="`,
		`SIGN token="a", signature_alg="RSA-SHA256", signature="s", nonce="1:2", bodyhash="h="`,
		`token=a`, `token="a", token="b"`, `token="a",,`, `x="y"`, `token="a"	,	nonce="b"  `, `"`, `=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		sh, err := ParseSignValue(value)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || sh != nil {
				t.Fatalf("error %v, result %+v", err, sh)
			}
			return
		}
		if sh.Token == "" {
			t.Fatalf("accepted without token: %q", value)
		}
		again, err := ParseSignValue(govmomiForm(sh))
		if err != nil {
			t.Fatalf("re-serialized %q: %v", govmomiForm(sh), err)
		}
		if *again != *sh {
			t.Fatalf("round trip: %+v, then %+v", *sh, *again)
		}
		// ParseSign on the full header value agrees.
		viaHeader, err := ParseSign(http.Header{"Authorization": {govmomiForm(sh)}})
		if err != nil || *viaHeader != *sh {
			t.Fatalf("ParseSign: %+v, %v", viaHeader, err)
		}
	})
}

func BenchmarkParseSign(b *testing.B) {
	xml, err := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	if err != nil {
		b.Fatal(err)
	}
	h := http.Header{"Authorization": {govmomiForm(&SignHeader{
		Token: gzipBase64(b, xml), SignatureAlg: "RSA-SHA256", Signature: vectorSignature, Nonce: vectorNonce, BodyHash: vectorBodyHash,
	})}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSign(h); err != nil {
			b.Fatal(err)
		}
	}
}
