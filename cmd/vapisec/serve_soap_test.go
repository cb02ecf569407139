package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestServeMountsSOAP: serve answers vim25 SOAP on /sdk by default, and
// --soap=false leaves /sdk out (404).
func TestServeMountsSOAP(t *testing.T) {
	const body = `<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent></Body></Envelope>`
	for _, tc := range []struct {
		soap   bool
		status int
	}{{true, http.StatusOK}, {false, http.StatusNotFound}} {
		ts := newDevServer(t, serveOptions{dev: true, users: []string{"a:b"}, noSOAP: !tc.soap})
		res, err := http.Post(ts.URL+"/sdk", "text/xml; charset=utf-8", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("--soap=%v: POST /sdk %d, want %d", tc.soap, res.StatusCode, tc.status)
		}
	}
	if f := newServeCmd().Flags().Lookup("soap"); f == nil || f.DefValue != "true" {
		t.Fatalf("--soap flag: %+v", f)
	}
}
