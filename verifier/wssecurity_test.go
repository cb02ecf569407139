package verifier_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/verifier"
)

// govmomiFixtureNow lies inside the Timestamp of
// testdata/wssecurity/govmomi-loginbytoken-hok.xml (see its README).
var govmomiFixtureNow = time.Date(2026, 12, 1, 12, 1, 0, 0, time.UTC)

// TestVerifySOAPLogin_govmomiFixture verifies an envelope written by
// govmomi v0.52.0's sts.Signer around the Java SDK's HoK token.
func TestVerifySOAPLogin_govmomiFixture(t *testing.T) {
	env := readWSFixture(t, "govmomi-loginbytoken-hok.xml")
	rv, err := verifier.NewRequestVerifier(fixtureVerifier(t), verifier.WithRequestClock(fixedClock(govmomiFixtureNow)), verifier.WithAllowedHosts(wsHost))
	if err != nil {
		t.Fatal(err)
	}
	res, err := rv.VerifySOAPLogin(context.Background(), env, wsHost)
	if err != nil {
		t.Fatal(err)
	}
	sc := res.SecurityContext
	if sc.Scheme != vapisec.SchemeSAMLHoK || !sc.Authenticated || sc.Principal.Name != "root" || sc.Principal.Domain != "localos" {
		t.Fatalf("security context %+v", sc)
	}
	if _, err := rv.VerifySOAPLogin(context.Background(), env, wsHost); !errors.Is(err, verifier.ErrReplayed) {
		t.Fatalf("second use: %v, want ErrReplayed", err)
	}
}

func TestVerifySOAPLogin(t *testing.T) {
	e := getReqEnv(t)
	tests := []struct {
		name        string
		givenReq    wsReq
		givenOpts   []verifier.RequestOption
		givenHost   string
		givenEdit   func(env []byte) []byte
		expectErr   error
		expectOK    vapisec.SchemeID
		expectUser  string
		expectGroup string
	}{
		{name: "HoK RSA-SHA256", expectOK: vapisec.SchemeSAMLHoK, expectUser: "Administrator", expectGroup: `vsphere.local\Administrators`},
		{name: "HoK RSA-SHA384 digest SHA-384", givenReq: wsReq{sigAlg: verifier.SignatureRSASHA384, digest: verifier.DigestSHA384}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "HoK RSA-SHA512 digest SHA-512", givenReq: wsReq{sigAlg: verifier.SignatureRSASHA512, digest: verifier.DigestSHA512}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "HoK vim25 namespace", givenReq: wsReq{call: `<LoginByToken xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this></LoginByToken>`}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "HoK with XML declaration and whitespace", givenEdit: func(b []byte) []byte {
			s := strings.Replace(string(b), "<soap:Header>", "\n  <soap:Header>\n", 1)
			return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + s + "\n")
		}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "HoK pyVmomi shape: RSA-SHA512, Timestamp after the token, prefixed Security", givenReq: wsReq{sigAlg: verifier.SignatureRSASHA512, digest: verifier.DigestSHA512}, givenEdit: func(b []byte) []byte {
			ts := between(t, b, "<wsu:Timestamp", "</wsu:Timestamp>")
			s := strings.Replace(string(b), ts, "", 1)
			s = strings.Replace(s, "</saml2:Assertion><ds:Signature", "</saml2:Assertion>"+ts+"<ds:Signature", 1)
			s = strings.Replace(s, "<wsse:Security xmlns:wsse=", "<ns6:Security xmlns=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512\" xmlns:ns6=\""+wsWSSE+"\" xmlns:wsse=", 1)
			return []byte(strings.Replace(s, "</wsse:Security>", "</ns6:Security>", 1))
		}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "bearer allowed", givenReq: wsReq{token: e.bearer, bearer: true}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectOK: vapisec.SchemeSAMLBearer},
		{name: "HoK token without signature", givenReq: wsReq{bearer: true}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectErr: verifier.ErrConfirmationMismatch},
		{name: "bearer token with a signature", givenReq: wsReq{token: e.bearer}, expectErr: verifier.ErrConfirmationMismatch},
		{name: "host with port allowed", givenHost: "VC.example.com:443", expectOK: vapisec.SchemeSAMLHoK},
		{name: "no Security header", givenEdit: func(b []byte) []byte {
			return []byte(`<soap:Envelope xmlns:soap="` + wsSOAP + `"><soap:Header/><soap:Body>` + wsLogin + `</soap:Body></soap:Envelope>`)
		}, expectErr: verifier.ErrNotSigned},
		{name: "LoginByToken with an unbound prefix", givenReq: wsReq{call: `<x:LoginByToken><_this type="SessionManager">SessionManager</_this></x:LoginByToken>`}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "LoginByToken in another namespace", givenReq: wsReq{call: `<LoginByToken xmlns="urn:evil"><_this type="SessionManager">SessionManager</_this></LoginByToken>`}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "SOAP 1.2 envelope", givenEdit: func(b []byte) []byte {
			return []byte(strings.ReplaceAll(string(b), wsSOAP, "http://www.w3.org/2003/05/soap-envelope"))
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "not XML", givenEdit: func([]byte) []byte { return []byte("<soap:Envelope") }, expectErr: verifier.ErrMalformedRequest},
		{name: "comment", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "<soap:Header>", "<soap:Header><!-- x -->", 1))
		}, expectErr: verifier.ErrUnsafeXML},
		{name: "second Security header", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "</soap:Header>", `<wsse:Security xmlns:wsse="`+wsWSSE+`"/></soap:Header>`, 1))
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "UsernameToken in Security", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "<wsu:Timestamp", "<wsse:UsernameToken/><wsu:Timestamp", 1))
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "ds:Object in Signature", givenEdit: func(b []byte) []byte {
			return replaceLast(b, "</ds:KeyInfo>", "</ds:KeyInfo><ds:Object/>")
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "Timestamp without Expires", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), between(t, b, "<wsu:Expires>", "</wsu:Expires>"), "", 1))
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "body edited after signing", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), "en_US", "de_DE", 1))
		}, expectErr: verifier.ErrRequestSignature},
		{name: "timestamp edited after signing", givenEdit: func(b []byte) []byte {
			created := testNow.UTC().Format(wsTime)
			return []byte(strings.Replace(string(b), "<wsu:Created>"+created, "<wsu:Created>"+testNow.Add(time.Second).UTC().Format(wsTime), 1))
		}, expectErr: verifier.ErrRequestSignature},
		{name: "SignedInfo edited after signing", givenEdit: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `<ds:SignedInfo xmlns:ds="`+wsDSig+`">`, `<ds:SignedInfo xmlns:ds="`+wsDSig+`" Id="x">`, 1))
		}, expectErr: verifier.ErrRequestSignature},
		{name: "signature value not base64", givenEdit: func(b []byte) []byte {
			i := strings.LastIndex(string(b), "<ds:SignatureValue>")
			v := between(t, b[i:], "<ds:SignatureValue>", "</ds:SignatureValue>")
			return replaceLast(b, v, "<ds:SignatureValue>!!</ds:SignatureValue>")
		}, expectErr: verifier.ErrMalformedRequest},
		{name: "transform with InclusiveNamespaces", givenEdit: func(b []byte) []byte {
			return replaceLast(b, `<ds:Transform Algorithm="`+wsExcC14+`"></ds:Transform>`,
				`<ds:Transform Algorithm="`+wsExcC14+`"><ec:InclusiveNamespaces xmlns:ec="`+wsExcC14+`" PrefixList="soap"/></ds:Transform>`)
		}, expectErr: verifier.ErrRequestAlgorithm},
		{name: "Reference to the Assertion instead of the Body", givenEdit: func(b []byte) []byte {
			_, id, _ := strings.Cut(string(e.hokToken), ` ID="`)
			id, _, _ = strings.Cut(id, `"`)
			return replaceLast(b, `URI="#`+wsBodyID+`"`, `URI="#`+id+`"`)
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "external Reference URI", givenEdit: func(b []byte) []byte {
			return replaceLast(b, `URI="#`+wsBodyID+`"`, `URI="http://evil.example/body.xml"`)
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "empty Reference URI (the whole document)", givenEdit: func(b []byte) []byte {
			return replaceLast(b, `URI="#`+wsBodyID+`"`, `URI=""`)
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "both References to the Body", givenEdit: func(b []byte) []byte {
			return replaceLast(b, `URI="#`+wsTSID+`"`, `URI="#`+wsBodyID+`"`)
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "third Reference", givenEdit: func(b []byte) []byte {
			ref := between(t, b[strings.LastIndex(string(b), `<ds:Reference URI="#`+wsBodyID):], "<ds:Reference", "</ds:Reference>")
			return replaceLast(b, "</ds:SignedInfo>", ref+"</ds:SignedInfo>")
		}, expectErr: verifier.ErrWSSecurityStructure},
		{name: "SignatureMethod with HMACOutputLength", givenEdit: func(b []byte) []byte {
			return replaceLast(b, `</ds:SignatureMethod>`, `<ds:HMACOutputLength>0</ds:HMACOutputLength></ds:SignatureMethod>`)
		}, expectErr: verifier.ErrRequestAlgorithm},
		{name: "no KeyInfo", givenEdit: func(b []byte) []byte {
			i := strings.LastIndex(string(b), "<ds:KeyInfo>")
			return replaceLast(b, between(t, b[i:], "<ds:KeyInfo>", "</ds:KeyInfo>"), "")
		}, expectOK: vapisec.SchemeSAMLHoK},
		{name: "created after expires", givenReq: wsReq{ttl: -time.Second}, expectErr: verifier.ErrTimestampWindow},
		{name: "window longer than MaxWindow", givenReq: wsReq{ttl: 2 * time.Hour}, expectErr: verifier.ErrTimestampWindow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := signEnvelope(t, e, tc.givenReq)
			if tc.givenEdit != nil {
				env = tc.givenEdit(env)
			}
			host := tc.givenHost
			if host == "" {
				host = wsHost
			}
			rv := newRequestVerifier(t, e, tc.givenOpts...)
			res, err := rv.VerifySOAPLogin(context.Background(), env, host)
			if tc.expectErr != nil {
				if !errors.Is(err, tc.expectErr) {
					t.Fatalf("err = %v, want %v", err, tc.expectErr)
				}
				if verifier.ReasonOf(err) == "" {
					t.Fatalf("no reason for %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sc := res.SecurityContext
			if sc.Scheme != tc.expectOK || !sc.Authenticated || string(sc.VerifiedBody) != string(env) {
				t.Fatalf("security context %+v", sc)
			}
			if tc.expectUser != "" && sc.Principal.Name != tc.expectUser {
				t.Fatalf("principal %+v", sc.Principal)
			}
			if tc.expectGroup != "" && (len(sc.Groups) != 1 || sc.Groups[0] != tc.expectGroup) {
				t.Fatalf("groups %v", sc.Groups)
			}
		})
	}
}

// TestVerifySOAPLogin_withoutSIGN: a verifier built WithoutSIGN has no
// allowed hosts, so it cannot bind an envelope to this server and refuses
// every SOAP token login.
func TestVerifySOAPLogin_withoutSIGN(t *testing.T) {
	e := getReqEnv(t)
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(e.stsCert), verifier.WithClock(fixedClock(testNow)))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithoutSIGN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.VerifySOAPLogin(context.Background(), signEnvelope(t, e, wsReq{}), wsHost); !errors.Is(err, verifier.ErrHostNotAllowed) {
		t.Fatalf("err = %v, want ErrHostNotAllowed", err)
	}
}
