package signer_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/vapisec/vapisec/signer"
)

func BenchmarkJSONRPCSignRS256(b *testing.B) {
	s, err := signer.NewJSONRPCSigner(hokKey(b), readFixture(b, "samlToken.xml"))
	if err != nil {
		b.Fatal(err)
	}
	req := readFixture(b, "signed-request-RS256.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeaderSignRS256(b *testing.B) {
	s, err := signer.NewHeaderSigner(hokKey(b), readFixture(b, "samlToken.xml"))
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("https://vc.example.com/api/vcenter/vm")
	body := []byte(`{"spec":{"name":"vm-1"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authorization(http.MethodPost, u, body); err != nil {
			b.Fatal(err)
		}
	}
}
