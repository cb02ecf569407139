package soap

import "github.com/vapisec/vapisec/internal/xmlscan"

// scanSentinels maps the kinds of internal/xmlscan's refusals onto this
// package's sentinels (all of which match ErrMalformed).
var scanSentinels = map[error]error{
	xmlscan.ErrMalformed:          ErrMalformed,
	xmlscan.ErrRoot:               ErrMalformed,
	xmlscan.ErrUnsafe:             ErrUnsafeXML,
	xmlscan.ErrLimit:              ErrXMLLimit,
	xmlscan.ErrDuplicateAttribute: ErrDuplicateAttribute,
}

// scanXML runs the strict pre-scan the verifier also runs over SAML tokens
// (internal/xmlscan.Scan: no DOCTYPE, directive, comment or processing
// instruction but one leading UTF-8 XML declaration with its version, only
// the predefined entities, no attribute twice, one root, bounded depth and
// element count) and returns a refusal as this package's sentinel.
func scanXML(b []byte, maxDepth, maxElements int) error {
	return xmlscan.ScanAs(b, maxDepth, maxElements, scanSentinels, func(s error, detail string) error {
		return malformed(s, "%s", detail)
	})
}
