package origin_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/internal/origin"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name        string
		givenFrom   string
		givenTo     string
		expectOK    bool
		expectInMsg string
	}{
		{name: "ok, same origin, other path", givenFrom: "https://vc.example.com/a", givenTo: "https://vc.example.com/b?x=1", expectOK: true},
		{name: "ok, default port written out", givenFrom: "https://vc.example.com", givenTo: "https://vc.example.com:443/", expectOK: true},
		{name: "ok, host name case", givenFrom: "http://VC.example.com", givenTo: "http://vc.EXAMPLE.com:80", expectOK: true},
		{name: "nok, other port", givenFrom: "http://127.0.0.1:8080", givenTo: "http://127.0.0.1:8081", expectInMsg: "127.0.0.1:8081"},
		{name: "nok, other host", givenFrom: "https://vc.example.com", givenTo: "https://evil.example.com", expectInMsg: "evil.example.com:443"},
		{name: "nok, https to http", givenFrom: "https://vc.example.com", givenTo: "http://vc.example.com", expectInMsg: "https to http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := url.Parse(tt.givenFrom)
			to, _ := url.Parse(tt.givenTo)
			err := origin.Check(from, to)
			if (err == nil) != tt.expectOK {
				t.Fatalf("err %v, want ok %v", err, tt.expectOK)
			}
			if err != nil && !strings.Contains(err.Error(), tt.expectInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.expectInMsg)
			}
			if err != nil && (strings.Contains(err.Error(), "?x") || strings.Contains(err.Error(), "/b")) {
				t.Errorf("error %q names a path or query", err)
			}
		})
	}
	if origin.Check(nil, &url.URL{}) == nil {
		t.Error("unknown source accepted")
	}
}
