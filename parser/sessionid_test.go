package parser

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
)

// readRequest builds a request the way an HTTP server does, by parsing the
// raw request line and header lines with http.ReadRequest.
func readRequest(tb testing.TB, target string, headerLines ...string) *http.Request {
	tb.Helper()
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: vc.example.com\r\n")
	for _, l := range headerLines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		tb.Fatalf("ReadRequest: %v", err)
	}
	return r
}

func checkErrs(t *testing.T, err error, expectErr []error) {
	t.Helper()
	if len(expectErr) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("expected error matching %v, got nil", expectErr)
	}
	for _, e := range expectErr {
		if !errors.Is(err, e) {
			t.Errorf("error %q does not match %q", err, e)
		}
	}
}

func TestNewSessionIDExtractor(t *testing.T) {
	tests := []struct {
		name          string
		givenLookup   string
		givenOpts     []SessionIDOption
		expectLookups []sessionIDLookup
		expectMax     int
		expectErr     []error
	}{
		{
			name:        "ok, default",
			givenLookup: DefaultSessionIDLookup,
			expectLookups: []sessionIDLookup{
				{source: lookupCookie, name: "vmware-api-session-id"},
				{source: lookupHeader, name: "Vmware-Api-Session-Id"},
			},
			expectMax: DefaultMaxSessionIDLength,
		},
		{
			name:        "ok, header first, query opt-in, spaces around entries, custom length",
			givenLookup: " header:vmware-api-session-id , cookie:sid,query:session ",
			givenOpts:   []SessionIDOption{WithMaxSessionIDLength(64)},
			expectLookups: []sessionIDLookup{
				{source: lookupHeader, name: "Vmware-Api-Session-Id"},
				{source: lookupCookie, name: "sid"},
				{source: lookupQuery, name: "session"},
			},
			expectMax: 64,
		},
		{
			name:        "ok, same name in different sources",
			givenLookup: "cookie:x,header:x,query:x",
			expectLookups: []sessionIDLookup{
				{source: lookupCookie, name: "x"},
				{source: lookupHeader, name: "X"},
				{source: lookupQuery, name: "x"},
			},
			expectMax: DefaultMaxSessionIDLength,
		},
		{name: "nok, empty lookup", givenLookup: " ", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, unknown source", givenLookup: "form:vmware-api-session-id", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, source is case-sensitive", givenLookup: "Cookie:sid", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, empty name", givenLookup: "cookie:", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, no colon", givenLookup: "vmware-api-session-id", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, echo value prefix is not supported", givenLookup: "header:Authorization:Bearer ", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, name with a space", givenLookup: "cookie:my sid", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, trailing comma", givenLookup: "cookie:sid,", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, duplicate entry", givenLookup: "cookie:sid,cookie:sid", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, duplicate header in another case", givenLookup: "header:vmware-api-session-id,header:VMWARE-API-SESSION-ID", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, too many entries", givenLookup: "cookie:a,cookie:b,cookie:c,cookie:d,cookie:e", expectErr: []error{ErrInvalidLookup}},
		{name: "nok, zero length limit", givenLookup: DefaultSessionIDLookup, givenOpts: []SessionIDOption{WithMaxSessionIDLength(0)}, expectErr: []error{ErrInvalidLookup}},
		{name: "nok, negative length limit", givenLookup: DefaultSessionIDLookup, givenOpts: []SessionIDOption{WithMaxSessionIDLength(-1)}, expectErr: []error{ErrInvalidLookup}},
		{name: "nok, nil option", givenLookup: DefaultSessionIDLookup, givenOpts: []SessionIDOption{nil}, expectErr: []error{ErrInvalidLookup}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := NewSessionIDExtractor(tc.givenLookup, tc.givenOpts...)
			checkErrs(t, err, tc.expectErr)
			if err != nil {
				if errors.Is(err, ErrMalformed) {
					t.Errorf("configuration error %q matches ErrMalformed", err)
				}
				return
			}
			if len(x.lookups) != len(tc.expectLookups) {
				t.Fatalf("lookups = %+v, expected %+v", x.lookups, tc.expectLookups)
			}
			for i := range x.lookups {
				if x.lookups[i] != tc.expectLookups[i] {
					t.Errorf("lookup %d = %+v, expected %+v", i, x.lookups[i], tc.expectLookups[i])
				}
			}
			if x.maxLength != tc.expectMax {
				t.Errorf("maxLength = %d, expected %d", x.maxLength, tc.expectMax)
			}
		})
	}
}

func TestSessionIDExtractor_Extract(t *testing.T) {
	long := strings.Repeat("a", DefaultMaxSessionIDLength+1)
	atLimit := strings.Repeat("a", DefaultMaxSessionIDLength)
	tests := []struct {
		name          string
		givenLookup   string // default when empty
		givenTarget   string // "/" when empty
		givenHeaders  []string
		expectID      string
		expectSource  vapisec.CredentialSource
		expectErr     []error
		expectNoMatch []error // sentinels the error must not match
	}{
		{
			name:         "ok, nothing",
			expectSource: vapisec.SourceNone,
		},
		{
			name:         "ok, cookie",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "ok, cookie among others",
			givenHeaders: []string{"Cookie: theme=dark; vmware-api-session-id=abc123; lang=en"},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "ok, header",
			givenHeaders: []string{"vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, header name in upper case",
			givenHeaders: []string{"VMWARE-API-SESSION-ID: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, python quirk: unrelated cookie present, header still used",
			givenHeaders: []string{"Cookie: JSESSIONID=xyz; theme=dark", "vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, cookie and header equal, cookie reported",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123", "vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "ok, header first lookup order",
			givenLookup:  "header:vmware-api-session-id,cookie:vmware-api-session-id",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123", "vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, empty cookie counts as absent, header used",
			givenHeaders: []string{"Cookie: vmware-api-session-id=", "vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, empty header counts as absent",
			givenHeaders: []string{"vmware-api-session-id: "},
			expectSource: vapisec.SourceNone,
		},
		{
			name:         "ok, cookie name without value counts as absent",
			givenHeaders: []string{"Cookie: vmware-api-session-id; a=b"},
			expectSource: vapisec.SourceNone,
		},
		{
			name:         "ok, quoted cookie value is unquoted (as net/http does)",
			givenHeaders: []string{`Cookie: vmware-api-session-id="abc123"`},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "ok, spaces around cookie name and value",
			givenHeaders: []string{"Cookie: a=b ;  vmware-api-session-id = abc123 ;c=d"},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "ok, cookie with a longer name is not ours",
			givenHeaders: []string{"Cookie: vmware-api-session-idx=evil; xvmware-api-session-id=evil"},
			expectSource: vapisec.SourceNone,
		},
		{
			name:         "ok, cookie names are case-sensitive",
			givenHeaders: []string{"Cookie: VMWARE-API-SESSION-ID=evil", "vmware-api-session-id: abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, id at the length limit",
			givenHeaders: []string{"vmware-api-session-id: " + atLimit},
			expectID:     atLimit,
			expectSource: vapisec.SourceHeader,
		},
		{
			name:         "ok, query not read by default",
			givenTarget:  "/api?vmware-api-session-id=abc123",
			expectSource: vapisec.SourceNone,
		},
		{
			name:         "ok, query when listed",
			givenLookup:  "cookie:vmware-api-session-id,query:vmware-api-session-id",
			givenTarget:  "/api?x=1&vmware-api-session-id=abc%2B123",
			expectID:     "abc+123",
			expectSource: vapisec.SourceQuery,
		},
		{
			name:         "ok, query equal to cookie",
			givenLookup:  "cookie:vmware-api-session-id,query:vmware-api-session-id",
			givenTarget:  "/api?vmware-api-session-id=abc123",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123"},
			expectID:     "abc123",
			expectSource: vapisec.SourceCookie,
		},
		{
			name:         "nok, conflicting cookie and header",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123", "vmware-api-session-id: def456"},
			expectErr:    []error{ErrConflict, ErrMalformed},
		},
		{
			name:         "nok, conflicting cookie and query",
			givenLookup:  "cookie:vmware-api-session-id,query:vmware-api-session-id",
			givenTarget:  "/api?vmware-api-session-id=def456",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123"},
			expectErr:    []error{ErrConflict, ErrMalformed},
		},
		{
			name:         "nok, cookie tossing: duplicate cookies with different values",
			givenHeaders: []string{"Cookie: vmware-api-session-id=attacker; vmware-api-session-id=victim"},
			expectErr:    []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:         "nok, duplicate cookies with the same value",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123; vmware-api-session-id=abc123"},
			expectErr:    []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:         "nok, duplicate cookies in two Cookie header fields",
			givenHeaders: []string{"Cookie: vmware-api-session-id=abc123", "Cookie: vmware-api-session-id=abc123"},
			expectErr:    []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:         "nok, duplicate cookies, one empty",
			givenHeaders: []string{"Cookie: vmware-api-session-id=; vmware-api-session-id=abc123"},
			expectErr:    []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:         "nok, two header fields",
			givenHeaders: []string{"vmware-api-session-id: abc123", "Vmware-Api-Session-Id: abc123"},
			expectErr:    []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:        "nok, duplicate query parameter",
			givenLookup: "query:vmware-api-session-id",
			givenTarget: "/api?vmware-api-session-id=a&vmware-api-session-%69d=a",
			expectErr:   []error{ErrDuplicate, ErrMalformed},
		},
		{
			name:         "nok, oversized header",
			givenHeaders: []string{"vmware-api-session-id: " + long},
			expectErr:    []error{ErrTooLong, ErrMalformed},
		},
		{
			name:         "nok, oversized cookie",
			givenHeaders: []string{"Cookie: vmware-api-session-id=" + long},
			expectErr:    []error{ErrTooLong, ErrMalformed},
		},
		{
			name:        "nok, oversized query",
			givenLookup: "query:vmware-api-session-id",
			givenTarget: "/api?vmware-api-session-id=" + long,
			expectErr:   []error{ErrTooLong, ErrMalformed},
		},
		{
			name:         "nok, space inside header value",
			givenHeaders: []string{"vmware-api-session-id: abc 123"},
			expectErr:    []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:         "nok, non-ASCII in header value",
			givenHeaders: []string{"vmware-api-session-id: abc\xc3\xa9"},
			expectErr:    []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:         "nok, backslash in cookie value",
			givenHeaders: []string{`Cookie: vmware-api-session-id=abc\123`},
			expectErr:    []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:         "nok, quote inside cookie value",
			givenHeaders: []string{`Cookie: vmware-api-session-id=ab"c`},
			expectErr:    []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:         "nok, space inside cookie value",
			givenHeaders: []string{`Cookie: vmware-api-session-id=ab c`},
			expectErr:    []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:        "nok, escaped control character in query",
			givenLookup: "query:vmware-api-session-id",
			givenTarget: "/api?vmware-api-session-id=abc%00",
			expectErr:   []error{ErrInvalidCharacter, ErrMalformed},
		},
		{
			name:        "nok, broken escape in query",
			givenLookup: "query:vmware-api-session-id",
			givenTarget: "/api?vmware-api-session-id=abc%zz",
			expectErr:   []error{ErrInvalidCharacter, ErrMalformed},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lookup := tc.givenLookup
			if lookup == "" {
				lookup = DefaultSessionIDLookup
			}
			target := tc.givenTarget
			if target == "" {
				target = "/"
			}
			x, err := NewSessionIDExtractor(lookup)
			if err != nil {
				t.Fatal(err)
			}
			id, src, err := x.Extract(readRequest(t, target, tc.givenHeaders...))
			checkErrs(t, err, tc.expectErr)
			if errors.Is(err, ErrAbsent) {
				t.Errorf("Extract returned ErrAbsent: %v", err)
			}
			if id != tc.expectID {
				t.Errorf("id = %q, expected %q", id, tc.expectID)
			}
			if src != tc.expectSource {
				t.Errorf("source = %q, expected %q", src, tc.expectSource)
			}
		})
	}
}

// TestSessionIDExtractor_ControlCharacter covers bytes http.ReadRequest
// would refuse, set directly in the header map.
func TestSessionIDExtractor_ControlCharacter(t *testing.T) {
	x, err := NewSessionIDExtractor(DefaultSessionIDLookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"abc\x01", "abc\x7f", "ab\tc", "\x00"} {
		for _, h := range []http.Header{
			{"Vmware-Api-Session-Id": {v}},
			{"Cookie": {"vmware-api-session-id=" + v}},
		} {
			_, _, err := x.Extract(&http.Request{Header: h, URL: &url.URL{}})
			checkErrs(t, err, []error{ErrInvalidCharacter, ErrMalformed})
		}
	}
}

func TestSessionIDExtractor_NilURL(t *testing.T) {
	x, err := NewSessionIDExtractor("query:sid")
	if err != nil {
		t.Fatal(err)
	}
	id, src, err := x.Extract(&http.Request{Header: http.Header{}})
	if id != "" || src != vapisec.SourceNone || err != nil {
		t.Fatalf("Extract = %q, %q, %v; expected nothing", id, src, err)
	}
}

func FuzzSessionIDExtract(f *testing.F) {
	f.Add("vmware-api-session-id=abc", "abc", "vmware-api-session-id=abc", 16)
	f.Add("a=b; vmware-api-session-id=\"x\"", "", "", 8)
	f.Add("vmware-api-session-id=a; vmware-api-session-id=a", "b", "vmware-api-session-id=%41", 512)
	f.Add(";;=;vmware-api-session-id", " \t", "&&=&", 1)
	const lookup = "cookie:vmware-api-session-id,header:vmware-api-session-id,query:vmware-api-session-id"
	f.Fuzz(func(t *testing.T, cookie, header, query string, maxLen int) {
		maxLen = maxLen%1024 + 1
		if maxLen <= 0 {
			maxLen += 1024
		}
		x, err := NewSessionIDExtractor(lookup, WithMaxSessionIDLength(maxLen))
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{
			Header: http.Header{"Cookie": {cookie}, "Vmware-Api-Session-Id": {header}},
			URL:    &url.URL{RawQuery: query},
		}
		id, src, err := x.Extract(r)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q does not match ErrMalformed", err)
			}
			if id != "" || src != vapisec.SourceNone {
				t.Fatalf("error with a result: %q, %q", id, src)
			}
			return
		}
		if id == "" {
			if src != vapisec.SourceNone {
				t.Fatalf("no id but source %q", src)
			}
			return
		}
		if len(id) > maxLen || !visibleASCII(id) {
			t.Fatalf("accepted id %q (limit %d)", id, maxLen)
		}
		switch src {
		case vapisec.SourceCookie:
			if !strings.Contains(cookie, id) {
				t.Fatalf("cookie id %q not in %q", id, cookie)
			}
		case vapisec.SourceHeader:
			if id != strings.Trim(header, " \t") {
				t.Fatalf("header id %q from %q", id, header)
			}
		case vapisec.SourceQuery:
			// The unescaped value: nothing simple to compare with.
		default:
			t.Fatalf("id %q with source %q", id, src)
		}
	})
}

func BenchmarkSessionIDExtract(b *testing.B) {
	x, err := NewSessionIDExtractor(DefaultSessionIDLookup)
	if err != nil {
		b.Fatal(err)
	}
	const id = "hW3bqz1TqX8dS0vTzQ5cIY1rW1b2JcA0KkR6v0b9n2E"
	cases := []struct {
		name string
		r    *http.Request
	}{
		{"cookie", readRequest(b, "/api/vcenter/vm", "Cookie: vmware-api-session-id="+id)},
		{"header", readRequest(b, "/api/vcenter/vm", "vmware-api-session-id: "+id)},
		{"header with unrelated cookies", readRequest(b, "/api/vcenter/vm",
			"Cookie: _ga=GA1.2.3; theme=dark; JSESSIONID=0123456789abcdef; lang=en",
			"vmware-api-session-id: "+id)},
		{"absent", readRequest(b, "/api/vcenter/vm")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, _, err := x.Extract(c.r)
				if err != nil || (got != id && c.name != "absent") {
					b.Fatalf("Extract = %q, %v", got, err)
				}
			}
		})
	}
}
