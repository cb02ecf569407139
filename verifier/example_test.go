package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

func ExampleTokenVerifier_Verify() {
	pemData, _ := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	token, _ := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	certs, err := verifier.LoadCertificatesPEM(pemData)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := verifier.NewTokenVerifier(
		verifier.WithTrustedCertificates(certs...),
		verifier.WithClock(func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := v.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Subject.Name, tok.Subject.Domain)
	fmt.Println(tok.HoKCertificateSHA256[:11])
	// Output:
	// root localos
	// 1A:8B:0E:C3
}

func ExampleReasonOf_errorChecking() {
	pemData, _ := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	token, _ := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	certs, _ := verifier.LoadCertificatesPEM(pemData)
	v, _ := verifier.NewTokenVerifier(
		verifier.WithTrustedCertificates(certs...),
		verifier.WithClock(func() time.Time { return time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC) }),
	)
	_, err := v.Verify(context.Background(), token)
	switch {
	case errors.Is(err, verifier.ErrTokenExpired):
		fmt.Println("expired:", verifier.ReasonOf(err), verifier.ReasonOf(err).ReauthenticationHelps())
	case err != nil:
		fmt.Println("rejected:", verifier.ReasonOf(err))
	}
	// Output:
	// expired: expired true
}

// A CA root alone is refused: every certificate the CA issued would be
// able to sign tokens. Name the signer, or better pin its key.
func ExampleWithTrustedRoots() {
	pemData, _ := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	certs, _ := verifier.LoadCertificatesPEM(pemData)
	_, err := verifier.NewTokenVerifier(verifier.WithTrustedRoots(certs...))
	fmt.Println(errors.Is(err, verifier.ErrNoTrustedSigner), errors.Is(err, verifier.ErrInvalidOption))

	v, err := verifier.NewTokenVerifier(
		verifier.WithTrustedRoots(certs...),
		verifier.WithTrustedSignerSPKIPins(verifier.SPKIPin(certs[0])),
		verifier.WithClock(func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _ := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	tok, err := v.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Subject.Name, tok.Subject.Domain)
	// Output:
	// true true
	// root localos
}
