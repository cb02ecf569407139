package soap_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/vapisec/vapisec/soap"
)

// FuzzParseEnvelope: ParseEnvelope never panics; it either fails with an
// error matching ErrMalformed, or returns an envelope that, re-serialized,
// parses again to the same method with the same arguments (names by
// namespace URI, attributes, text).
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(call("RetrieveServiceContent", "ServiceInstance", "")))
	f.Add([]byte(loginBody("alice@vsphere.local", "s3cret")))
	f.Add([]byte(call("RetrievePropertiesEx", "PropertyCollector", `<specSet><propSet><type>SessionManager</type><pathSet>currentSession</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet><options/>`)))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><w:Security xmlns:w="urn:wsse" s:mustUnderstand="1"><![CDATA[x]]></w:Security></s:Header><s:Body><v:Logout xmlns:v="urn:vim25"><v:_this type="SessionManager">a&amp;b&#x41;</v:_this></v:Logout></s:Body></s:Envelope>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><Envelope/>`))
	f.Add([]byte(`<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := soap.ParseEnvelope(b)
		if err != nil {
			if !errors.Is(err, soap.ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		out, err := env.Doc.WriteToBytes()
		if err != nil {
			t.Fatalf("re-serializing: %v", err)
		}
		again, err := soap.ParseEnvelope(out)
		if err != nil {
			t.Fatalf("re-serialized envelope refused: %v\nin:  %q\nout: %q", err, b, out)
		}
		if again.Method != env.Method || flatten(again.Call) != flatten(env.Call) {
			t.Fatalf("round trip changed the call:\n%s\n%s", flatten(env.Call), flatten(again.Call))
		}
	})
}

// flatten describes el and its descendants: {namespace}name, the
// non-namespace attributes (sorted) and the text, one element per line.
func flatten(el *etree.Element) string {
	var sb strings.Builder
	var walk func(e *etree.Element, depth int)
	walk = func(e *etree.Element, depth int) {
		var attrs []string
		for _, a := range e.Attr {
			if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
				continue
			}
			attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.NamespaceURI(), a.Key, a.Value))
		}
		sort.Strings(attrs)
		var text strings.Builder
		for _, c := range e.Child {
			if cd, ok := c.(*etree.CharData); ok {
				text.WriteString(cd.Data)
			}
		}
		fmt.Fprintf(&sb, "%d {%s}%s %v %q\n", depth, e.NamespaceURI(), e.Tag, attrs, text.String())
		for _, c := range e.ChildElements() {
			walk(c, depth+1)
		}
	}
	walk(el, 0)
	return sb.String()
}
