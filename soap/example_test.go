package soap_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// A Handler over a session Manager answers govmomi's first call,
// RetrieveServiceContent, without a session.
func ExampleNewHandler() {
	store, _ := session.NewMemoryStore()
	m, _ := session.NewManager(store)
	h, err := soap.NewHandler(m, soap.WithAuthenticator(users{"alice@vsphere.local": "s3cret"}))
	if err != nil {
		panic(err)
	}
	body := `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent></Body></Envelope>`
	req := httptest.NewRequest(http.MethodPost, "/sdk", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "<apiType>VirtualCenter</apiType>"))
	// Output: 200 true
}

// ParseEnvelope's errors all match ErrMalformed; refined sentinels say why.
func ExampleParseEnvelope_errorChecking() {
	for _, b := range []string{
		`<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"/>`,
	} {
		_, err := soap.ParseEnvelope([]byte(b))
		fmt.Println(errors.Is(err, soap.ErrMalformed), errors.Is(err, soap.ErrVersionMismatch), errors.Is(err, soap.ErrUnsafeXML))
	}
	// Output:
	// true true false
	// true false true
}
