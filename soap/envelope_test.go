package soap_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/soap"
)

func TestParseEnvelope(t *testing.T) {
	const (
		open  = `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">`
		close = `</Envelope>`
		rsc   = `<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>`
	)
	tests := []struct {
		name         string
		givenBody    string
		expectMethod string
		expectHeader bool
		expectErr    []error
	}{
		{name: "ok, govmomi's shape", givenBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + open + `<Body>` + rsc + `</Body>` + close, expectMethod: "RetrieveServiceContent"},
		{name: "ok, prefixed envelope with a header", givenBody: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><operationID xmlns="urn:vim25">x</operationID></soapenv:Header><soapenv:Body><v:Logout xmlns:v="urn:vim25"><v:_this type="SessionManager">SessionManager</v:_this></v:Logout></soapenv:Body></soapenv:Envelope>`, expectMethod: "Logout", expectHeader: true},
		{name: "ok, whitespace around", givenBody: "\n " + open + "\n<Body>\n" + rsc + "\n</Body>\n" + close + "\n", expectMethod: "RetrieveServiceContent"},
		{name: "nok, DOCTYPE", givenBody: `<!DOCTYPE Envelope [<!ENTITY x "y">]>` + open + `<Body>` + rsc + `</Body>` + close, expectErr: []error{soap.ErrUnsafeXML, soap.ErrMalformed}},
		{name: "nok, entity reference", givenBody: open + `<Body><Login xmlns="urn:vim25"><_this type="SessionManager">&x;</_this></Login></Body>` + close, expectErr: []error{soap.ErrUnsafeXML}},
		{name: "nok, comment", givenBody: open + `<!-- c --><Body>` + rsc + `</Body>` + close, expectErr: []error{soap.ErrUnsafeXML}},
		{name: "nok, processing instruction", givenBody: open + `<?php x?><Body>` + rsc + `</Body>` + close, expectErr: []error{soap.ErrUnsafeXML}},
		{name: "nok, UTF-16 declaration", givenBody: `<?xml version="1.0" encoding="UTF-16"?>` + open + `<Body>` + rsc + `</Body>` + close, expectErr: []error{soap.ErrUnsafeXML}},
		{name: "nok, SOAP 1.2 envelope", givenBody: `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body>` + rsc + `</Body></Envelope>`, expectErr: []error{soap.ErrVersionMismatch, soap.ErrMalformed}},
		{name: "nok, unknown envelope namespace", givenBody: `<Envelope xmlns="urn:evil"><Body>` + rsc + `</Body></Envelope>`, expectErr: []error{soap.ErrVersionMismatch}},
		{name: "nok, envelope without namespace", givenBody: `<Envelope><Body>` + rsc + `</Body></Envelope>`, expectErr: []error{soap.ErrVersionMismatch}},
		{name: "nok, root is not Envelope", givenBody: `<Body xmlns="http://schemas.xmlsoap.org/soap/envelope/">` + rsc + `</Body>`, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, two bodies", givenBody: open + `<Body>` + rsc + `</Body><Body>` + rsc + `</Body>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, header after body", givenBody: open + `<Body>` + rsc + `</Body><Header/>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, no body", givenBody: open + `<Header/>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, two calls in the body", givenBody: open + `<Body>` + rsc + rsc + `</Body>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, empty body", givenBody: open + `<Body/>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, text in the body", givenBody: open + `<Body>x` + rsc + `</Body>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, method outside urn:vim25", givenBody: open + `<Body><RetrieveServiceContent xmlns="urn:vim26"/></Body>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, method by prefix only", givenBody: open + `<Body><vim25:Login/></Body>` + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, second root", givenBody: open + `<Body>` + rsc + `</Body>` + close + open + close, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, duplicate attribute", givenBody: open + `<Body><Login xmlns="urn:vim25" a="1" a="2"/></Body>` + close, expectErr: []error{soap.ErrDuplicateAttribute, soap.ErrMalformed}},
		{name: "nok, one attribute under two prefixes", givenBody: open + `<Body><Login xmlns="urn:vim25" xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/></Body>` + close, expectErr: []error{soap.ErrDuplicateAttribute}},
		{name: "nok, too deep", givenBody: open + `<Body><Login xmlns="urn:vim25">` + strings.Repeat("<a>", soap.MaxDepth) + strings.Repeat("</a>", soap.MaxDepth) + `</Login></Body>` + close, expectErr: []error{soap.ErrXMLLimit, soap.ErrMalformed}},
		{name: "nok, too many elements", givenBody: open + `<Body><Login xmlns="urn:vim25">` + strings.Repeat("<a/>", soap.MaxElements) + `</Login></Body>` + close, expectErr: []error{soap.ErrXMLLimit}},
		{name: "nok, unclosed", givenBody: open + `<Body>` + rsc, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, empty", givenBody: ``, expectErr: []error{soap.ErrMalformed}},
		{name: "nok, not XML", givenBody: `{"json":true}`, expectErr: []error{soap.ErrMalformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := soap.ParseEnvelope([]byte(tt.givenBody))
			if len(tt.expectErr) > 0 {
				if err == nil {
					t.Fatalf("parsed %q, want an error", env.Method)
				}
				for _, want := range tt.expectErr {
					if !errors.Is(err, want) {
						t.Errorf("error %v does not match %v", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.Method != tt.expectMethod || (env.Header != nil) != tt.expectHeader {
				t.Errorf("method %q header %v", env.Method, env.Header != nil)
			}
		})
	}
}

// TestEnvelopeArguments: arguments are found by namespace URI and local
// name, never by prefix, and repeated single arguments are refused.
func TestEnvelopeArguments(t *testing.T) {
	env, err := soap.ParseEnvelope([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><v:Login xmlns:v="urn:vim25" xmlns:o="urn:other"><v:_this type="SessionManager">SessionManager</v:_this><o:userName>evil</o:userName><v:userName>alice</v:userName></v:Login></s:Body></s:Envelope>`))
	if err != nil {
		t.Fatal(err)
	}
	if this, err := env.This(); err != nil || this.Type != "SessionManager" || this.Value != "SessionManager" {
		t.Fatalf("This: %+v %v", this, err)
	}
	if v, ok, err := env.Arg("userName"); err != nil || !ok || v != "alice" {
		t.Fatalf("userName: %q %v %v", v, ok, err)
	}
	if err := env.CheckArgs("_this", "userName"); err == nil {
		t.Fatal("an argument in another namespace passed CheckArgs")
	}
	env, err = soap.ParseEnvelope([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>a</userName><userName>b</userName></Login></s:Body></s:Envelope>`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Arg("userName"); !errors.Is(err, soap.ErrMalformed) {
		t.Fatalf("repeated userName: %v", err)
	}
}
