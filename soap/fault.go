package soap

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// The vim25 fault types the handler answers with (govmomi's types.<Name>;
// fault.Is matches them by the detail element's xsi:type).
const (
	FaultInvalidLogin     = "InvalidLogin"
	FaultNotAuthenticated = "NotAuthenticated"
	FaultNoPermission     = "NoPermission"
	FaultInvalidArgument  = "InvalidArgument"
	FaultNotImplemented   = "NotImplemented"
	FaultNotFound         = "NotFound"
	FaultInvalidProperty  = "InvalidProperty"
	FaultSystemError      = "SystemError"
)

// fault is one SOAP fault response.
type fault struct {
	// status is the HTTP status: 500 for vim25 method faults (what vCenter
	// sends and govmomi decodes), 400/413/415/403 where the request could not
	// be read as a call at all, 503/429 when the store or a quota refuses.
	status int
	// code is the faultcode: ServerFaultCode for vim25 faults,
	// soapenv:Client or soapenv:VersionMismatch for unreadable requests.
	code string
	// msg is the faultstring: fixed text, never attacker bytes or internal
	// detail.
	msg string
	// typ is the vim25 fault type of the detail element; "" for none.
	typ string
	// detail is the XML inside the detail element (already escaped).
	detail string
}

// methodFault returns a vim25 method fault (HTTP 500, ServerFaultCode).
func methodFault(typ, msg, detail string) *fault {
	return &fault{status: http.StatusInternalServerError, code: "ServerFaultCode", msg: msg, typ: typ, detail: detail}
}

// clientFault returns a fault for a request that is not a readable call.
func clientFault(status int, code, msg string) *fault {
	return &fault{status: status, code: code, msg: msg}
}

func invalidLogin() *fault {
	return methodFault(FaultInvalidLogin, "Cannot complete login due to an incorrect user name or password.", "")
}

// notAuthenticated is vCenter's answer to a call that needs a session
// without one (NotAuthenticated extends NoPermission: object, privilegeId).
func notAuthenticated(privilege string) *fault {
	return methodFault(FaultNotAuthenticated, "The session is not authenticated.",
		moRefXML("object", refSessionManager)+elem("privilegeId", privilege))
}

func noPermission(privilege string) *fault {
	return methodFault(FaultNoPermission, "Permission to perform this operation was denied.",
		moRefXML("object", refSessionManager)+elem("privilegeId", privilege))
}

func invalidArgument(property string) *fault {
	return methodFault(FaultInvalidArgument, "A specified parameter was not correct: "+property, elem("invalidProperty", property))
}

func notImplemented(msg string) *fault {
	return methodFault(FaultNotImplemented, msg, "")
}

// systemError is a vim25 SystemError (a RuntimeFault) with the given HTTP
// status: 503 for a store that is down, 429 for a quota.
func systemError(status int, reason string) *fault {
	f := methodFault(FaultSystemError, "A general system error occurred: "+reason, elem("reason", reason))
	f.status = status
	return f
}

// write writes the fault envelope.
func (f *fault) write(w http.ResponseWriter) {
	var b bytes.Buffer
	b.WriteString(`<soapenv:Fault><faultcode>`)
	b.WriteString(f.code)
	b.WriteString(`</faultcode><faultstring>`)
	escape(&b, f.msg)
	b.WriteString(`</faultstring>`)
	if f.typ != "" {
		b.WriteString(`<detail><`)
		b.WriteString(f.typ)
		b.WriteString(`Fault xmlns="urn:vim25" xsi:type="`)
		b.WriteString(f.typ)
		b.WriteString(`">`)
		b.WriteString(f.detail)
		b.WriteString(`</`)
		b.WriteString(f.typ)
		b.WriteString(`Fault></detail>`)
	}
	b.WriteString(`</soapenv:Fault>`)
	writeEnvelope(w, f.status, b.Bytes())
}

// envelopeStart and envelopeEnd wrap every response body.
const (
	envelopeStart = xml.Header + `<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="` + NamespaceSOAP11 + `" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="` + nsXSI + `"><soapenv:Body>`
	envelopeEnd   = `</soapenv:Body></soapenv:Envelope>`
)

// writeEnvelope writes body inside a SOAP 1.1 envelope with status.
func writeEnvelope(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", `text/xml; charset=utf-8`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(envelopeStart)+len(body)+len(envelopeEnd)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(envelopeStart))
	_, _ = w.Write(body)
	_, _ = w.Write([]byte(envelopeEnd))
}

// writeResult writes the 200 response of method with inner as the content
// of its <MethodResponse> element.
func writeResult(w http.ResponseWriter, method string, inner []byte) {
	var b bytes.Buffer
	b.WriteString(`<`)
	b.WriteString(method)
	b.WriteString(`Response xmlns="urn:vim25">`)
	b.Write(inner)
	b.WriteString(`</`)
	b.WriteString(method)
	b.WriteString(`Response>`)
	writeEnvelope(w, http.StatusOK, b.Bytes())
}

// escape writes s as XML character data.
func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

// elem returns <name>text</name>, text escaped.
func elem(name, text string) string {
	var b bytes.Buffer
	b.WriteString("<" + name + ">")
	escape(&b, text)
	b.WriteString("</" + name + ">")
	return b.String()
}

// moRefXML returns a managed object reference element.
func moRefXML(name string, r MoRef) string {
	var b bytes.Buffer
	b.WriteString("<" + name + ` type="`)
	escape(&b, r.Type)
	b.WriteString(`">`)
	escape(&b, r.Value)
	b.WriteString("</" + name + ">")
	return b.String()
}
