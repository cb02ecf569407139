package signer_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/signer"
)

// Sign a JSON-RPC request with a holder-of-key token, as the Java SDK does.
func ExampleJSONRPCSigner_Sign() {
	pemKey, _ := os.ReadFile("../testdata/vcf-sdk-java/hok.key.pem")
	token, _ := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	key, err := vapisec.ParsePrivateKeyPEM(pemKey)
	if err != nil {
		panic(err)
	}
	s, err := signer.NewJSONRPCSigner(key, token,
		signer.WithClock(func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		panic(err)
	}
	out, err := s.Sign([]byte(`{"jsonrpc":"2.0","id":"1","method":"invoke","params":{"ctx":{"appCtx":{}}}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(out) > len(token))

	// Requests that are not JSON-RPC objects are refused with a sentinel.
	_, err = s.Sign([]byte(`[]`))
	fmt.Println(errors.Is(err, signer.ErrInvalidRequest))
	// Output:
	// true
	// true
}

// Sign REST requests with an Authorization: SIGN header, as govmomi does.
func ExampleHeaderSigner_SignRequest() {
	pemKey, _ := os.ReadFile("../testdata/vcf-sdk-java/hok.key.pem")
	token, _ := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	key, err := vapisec.ParsePrivateKeyPEM(pemKey)
	if err != nil {
		panic(err)
	}
	s, err := signer.NewHeaderSigner(key, token,
		signer.WithNonceSource(func() (string, error) { return "1700000000000:1234567890", nil }))
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "https://vc.example.com/rest/com/vmware/cis/session", nil)
	if err := s.SignRequest(req); err != nil {
		panic(err)
	}
	v := req.Header.Get("Authorization")
	fmt.Println(strings.HasPrefix(v, `SIGN token="H4sI`), v[strings.Index(v, "nonce="):])
	// Output:
	// true nonce="1700000000000:1234567890", bodyhash="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
}
