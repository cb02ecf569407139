package soap_test

import (
	"encoding/xml"
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

// FuzzHandler: whatever the body, the handler never panics and answers 200
// (a well-formed envelope), 400 (unreadable), 413, or 500/429/503 with a
// vim25 fault; a request that is not answered 200 changes no session.
func FuzzHandler(f *testing.F) {
	f.Add([]byte(loginBody("alice@vsphere.local", "s3cret")), false)
	f.Add([]byte(call("AcquireCloneTicket", "SessionManager", "")), true)
	f.Add([]byte(call("TerminateSession", "SessionManager", "<sessionId>00</sessionId>")), true)
	f.Add([]byte(call("SessionIsActive", "SessionManager", "<sessionID>x</sessionID><userName>bob</userName>")), true)
	f.Add([]byte(call("RetrievePropertiesEx", "PropertyCollector", `<specSet><propSet><type>SessionManager</type><all>true</all></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet>`)), true)
	f.Add([]byte(call("CloneSession", "SessionManager", "<cloneTicket>cst-</cloneTicket>")), false)
	f.Fuzz(func(t *testing.T, body []byte, withSession bool) {
		s := newTestServer(t, nil)
		sid := ""
		if withSession {
			sid = s.loginQuiet()
		}
		before := s.sessionsOf("alice@vsphere.local") + s.sessionsOf("bob@vsphere.local")
		r := s.post(sid, string(body))
		switch r.status {
		case 200:
			var v struct{}
			if err := xml.Unmarshal([]byte(r.body), &v); err != nil {
				t.Fatalf("200 with a malformed envelope: %v\n%s", err, r.body)
			}
			return
		case 400, 413:
		case 500, 429, 503:
			if !strings.Contains(r.body, `xsi:type="`) {
				t.Fatalf("%d without a vim25 fault: %s", r.status, r.body)
			}
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if after := s.sessionsOf("alice@vsphere.local") + s.sessionsOf("bob@vsphere.local"); after != before || r.cookie != nil {
			t.Fatalf("a refused request changed sessions: %d → %d, cookie %v", before, after, r.cookie)
		}
	})
}
