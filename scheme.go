package vapisec

// SchemeID identifies a vAPI security scheme. Its value is the exact string
// that travels on the wire in the "schemeId" member of a JSON-RPC securityCtx.
type SchemeID string

// The vAPI security schemes (spec §2). The strings are part of the wire
// protocol and must not change.
const (
	// SchemeNoAuthentication marks an anonymous request.
	SchemeNoAuthentication SchemeID = "com.vmware.vapi.std.security.no_authentication"
	// SchemeSession is a session id sent in the vmware-api-session-id cookie or header.
	SchemeSession SchemeID = "com.vmware.vapi.std.security.session_id"
	// SchemeUserPass is a user name and password, on REST as HTTP Basic.
	SchemeUserPass SchemeID = "com.vmware.vapi.std.security.user_pass"
	// SchemeSAMLBearer is a SAML 2.0 bearer token.
	SchemeSAMLBearer SchemeID = "com.vmware.vapi.std.security.saml_bearer_token"
	// SchemeSAMLHoK is a SAML 2.0 holder-of-key token with a request signature.
	SchemeSAMLHoK SchemeID = "com.vmware.vapi.std.security.saml_hok_token"
	// SchemeOAuth is an OAuth 2.0 access token.
	SchemeOAuth SchemeID = "com.vmware.vapi.std.security.oauth"
)

// Schemes lists every scheme this package knows, in the order of spec §2.
func Schemes() []SchemeID {
	return []SchemeID{SchemeNoAuthentication, SchemeSession, SchemeUserPass, SchemeSAMLBearer, SchemeSAMLHoK, SchemeOAuth}
}

// Known reports whether s is one of the schemes of spec §2. The comparison is
// exact: the wire strings are case-sensitive.
func (s SchemeID) Known() bool {
	switch s {
	case SchemeNoAuthentication, SchemeSession, SchemeUserPass, SchemeSAMLBearer, SchemeSAMLHoK, SchemeOAuth:
		return true
	}
	return false
}

// String returns the wire string.
func (s SchemeID) String() string { return string(s) }
