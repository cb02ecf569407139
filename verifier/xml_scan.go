package verifier

import "github.com/vapisec/vapisec/internal/xmlscan"

// scanSentinels maps the kinds of internal/xmlscan's refusals onto this
// package's sentinels (each also matches ErrMalformedToken).
var scanSentinels = map[error]error{
	xmlscan.ErrMalformed:          ErrInvalidXML,
	xmlscan.ErrRoot:               ErrNotAssertion,
	xmlscan.ErrUnsafe:             ErrUnsafeXML,
	xmlscan.ErrLimit:              ErrXMLLimit,
	xmlscan.ErrDuplicateAttribute: ErrDuplicateAttribute,
}

// scanXML is the first line of defence (DESIGN §7 rules 1 and 2): the
// strict pre-scan of internal/xmlscan.Scan over the raw token bytes, before
// any XML parser sees them (no DOCTYPE or other directive, no entity but
// the predefined ones, no processing instruction but one leading UTF-8 XML
// declaration with its version, no comment, no attribute twice, one root,
// at most maxDepth deep and maxElements elements). A refusal comes back as
// this package's sentinel wrapped with ErrMalformedToken.
func scanXML(b []byte, maxDepth, maxElements int) error {
	return xmlscan.ScanAs(b, maxDepth, maxElements, scanSentinels, func(s error, detail string) error {
		return malformed(s, "%s", detail)
	})
}
