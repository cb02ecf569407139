package xmlscan_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/internal/xmlscan"
)

func TestScan(t *testing.T) {
	deep := strings.Repeat("<a>", 9) + strings.Repeat("</a>", 9)
	many := "<r>" + strings.Repeat("<a/>", 9) + "</r>"
	cases := []struct {
		name       string
		givenXML   string
		expectKind error // nil: accepted
	}{
		{name: "ok, one element", givenXML: `<a/>`},
		{name: "ok, declaration, whitespace, attributes, CDATA, references", givenXML: `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<a x="1" y='&lt;&#65;'><![CDATA[<&>]]>&amp;&#x41;</a>` + "\n"},
		{name: "ok, at the limits", givenXML: strings.Repeat("<a>", 8) + strings.Repeat("</a>", 8)},
		{name: "nok, empty", givenXML: ``, expectKind: xmlscan.ErrMalformed},
		{name: "nok, unterminated element", givenXML: `<a>text`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, unterminated declaration", givenXML: `<?xml version="1.0"`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, end tag first", givenXML: `</a><a/>`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, unquoted attribute", givenXML: `<a x=1/>`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, '<' in attribute", givenXML: `<a x="<"/>`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, stray slash", givenXML: `<a / x="1"/>`, expectKind: xmlscan.ErrMalformed},
		{name: "nok, text after the root", givenXML: `<a/>junk`, expectKind: xmlscan.ErrRoot},
		{name: "nok, second root", givenXML: `<a/><b/>`, expectKind: xmlscan.ErrRoot},
		{name: "nok, DOCTYPE", givenXML: `<!DOCTYPE a><a/>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, DOCTYPE inside", givenXML: `<a><!DOCTYPE a></a>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, comment", givenXML: `<a><!-- x --></a>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, processing instruction", givenXML: `<a><?pi x?></a>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, entity reference", givenXML: `<a>&xxe;</a>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, entity reference in attribute", givenXML: `<a x="&xxe;"/>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, other encoding", givenXML: `<?xml version="1.0" encoding="UTF-16"?><a/>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, declaration without version", givenXML: `<?xml ?><a/>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, CDATA outside the root", givenXML: `<![CDATA[x]]><a/>`, expectKind: xmlscan.ErrUnsafe},
		{name: "nok, too deep", givenXML: deep, expectKind: xmlscan.ErrLimit},
		{name: "nok, too many elements", givenXML: many, expectKind: xmlscan.ErrLimit},
		{name: "ok, 64 attributes", givenXML: "<a" + attrs(64) + "/>"},
		{name: "nok, 65 attributes", givenXML: "<a" + attrs(65) + "/>", expectKind: xmlscan.ErrLimit},
		{name: "nok, attribute twice", givenXML: `<a x="1" x="2"/>`, expectKind: xmlscan.ErrDuplicateAttribute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := xmlscan.Scan([]byte(tc.givenXML), 8, 9)
			if tc.expectKind == nil {
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				return
			}
			var e *xmlscan.Error
			if !errors.As(err, &e) || !errors.Is(err, tc.expectKind) || e.Kind != tc.expectKind || e.Detail == "" {
				t.Fatalf("Scan = %v, want an *Error of kind %v", err, tc.expectKind)
			}
		})
	}
}

// FuzzScan checks Scan against encoding/xml (a differential oracle): Scan
// never panics; every refusal is an *Error of one of the five kinds; and
// whatever Scan accepts and encoding/xml also reads contains no directive,
// comment or processing instruction but a leading XML declaration, one root,
// no entity encoding/xml would have to resolve, and stays within the limits.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`<a/>`, `<?xml version="1.0"?><a x="1">t&amp;<![CDATA[c]]><b/></a>`, `<!DOCTYPE a><a/>`, `<a><!--c--></a>`, `<a/><b/>`, `<a x="1" x="2"/>`, `<?xml ?><a/>`} {
		f.Add([]byte(s))
	}
	const maxDepth, maxElements = 6, 20
	kinds := []error{xmlscan.ErrMalformed, xmlscan.ErrRoot, xmlscan.ErrUnsafe, xmlscan.ErrLimit, xmlscan.ErrDuplicateAttribute}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := xmlscan.Scan(b, maxDepth, maxElements)
		if err != nil {
			var e *xmlscan.Error
			if !errors.As(err, &e) {
				t.Fatalf("refusal %v is not an *Error", err)
			}
			for _, k := range kinds {
				if e.Kind == k {
					return
				}
			}
			t.Fatalf("refusal of unknown kind %v", e.Kind)
		}
		d := xml.NewDecoder(bytes.NewReader(b))
		d.Strict = true
		depth, elements, roots := 0, 0, 0
		for i := 0; ; i++ {
			tok, err := d.RawToken()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // not well-formed: etree refuses it after Scan
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
				elements++
				if depth > maxDepth || elements > maxElements {
					t.Fatalf("accepted depth %d, %d elements", depth, elements)
				}
			case xml.EndElement:
				depth--
			case xml.Directive:
				t.Fatalf("accepted directive %q", tok)
			case xml.Comment:
				t.Fatalf("accepted comment %q", tok)
			case xml.ProcInst:
				if i != 0 || tok.Target != "xml" {
					t.Fatalf("accepted processing instruction %q", tok.Target)
				}
			case xml.CharData:
				if depth == 0 && len(bytes.TrimLeft(tok, " \t\r\n")) != 0 {
					t.Fatalf("accepted text %q outside the root", tok)
				}
			}
		}
		if roots > 1 {
			t.Fatalf("accepted %d roots", roots)
		}
	})
}

func TestScanAsMapsKindsToTheCallersSentinels(t *testing.T) {
	errMine, errUnsafe := errors.New("mine: malformed"), errors.New("mine: unsafe")
	m := map[error]error{xmlscan.ErrMalformed: errMine, xmlscan.ErrUnsafe: errUnsafe}
	wrap := func(s error, detail string) error { return fmt.Errorf("%w: %s", s, detail) }
	if err := xmlscan.ScanAs([]byte(`<a/>`), 4, 4, m, wrap); err != nil {
		t.Fatalf("accepted input: %v", err)
	}
	if err := xmlscan.ScanAs([]byte(`<!DOCTYPE a><a/>`), 4, 4, m, wrap); !errors.Is(err, errUnsafe) || !strings.Contains(err.Error(), "directive") {
		t.Fatalf("DOCTYPE: %v, want errUnsafe with the detail", err)
	}
	if err := xmlscan.ScanAs([]byte(`<a/><b/>`), 4, 4, m, wrap); !errors.Is(err, errMine) {
		t.Fatalf("second root (ErrRoot not in the map): %v, want errMine", err)
	}
}

func attrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d=""`, i)
	}
	return b.String()
}
