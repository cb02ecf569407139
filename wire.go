package vapisec

// The wire vocabulary: header and cookie names, paths and the timestamp
// layout that vAPI clients and servers share. They are defined here once,
// for the server packages (parser, middleware) and the client packages
// (signer, client) alike. The strings are part of the wire protocol and must
// not change. Header names are written as the spec writes them (lower case);
// HTTP header names are case-insensitive, so use them through http.Header's
// Get and Set, or canonicalize them before indexing an http.Header directly.

// Header and cookie names (spec §3).
const (
	// HeaderSessionID is the request header that carries a session id on
	// every call after login (spec §3.1).
	HeaderSessionID = "vmware-api-session-id"
	// CookieSessionID is the cookie that carries a session id in a browser
	// (spec §3.1). It has the same name as HeaderSessionID.
	CookieSessionID = "vmware-api-session-id"
	// HeaderUseHeaderAuthn is the request header with which a client asks
	// for no session cookie at login (spec §3.4). Its presence counts,
	// whatever its value; govmomi sends "true".
	HeaderUseHeaderAuthn = "vmware-use-header-authn"
	// HeaderCloneTicket is the request header that carries a clone ticket
	// on session create (vCenter's CloneSession; DESIGN §6).
	HeaderCloneTicket = "vmware-api-clone-ticket"
	// HeaderCSPAuthToken is the request header in which VMware's Go SDK
	// client sends an OAuth 2.0 access token instead of "Authorization:
	// Bearer" (spec §3.3). Its canonical form, the key of an http.Header,
	// is "Csp-Auth-Token".
	HeaderCSPAuthToken = "csp-auth-token"
	// HeaderVAPIError is the response header naming the vAPI error of a
	// failed call, e.g. "com.vmware.vapi.std.errors.unauthenticated" (spec
	// §1); the JSON-RPC replies of the middleware set it.
	HeaderVAPIError = "vapi-error"
)

// Paths (spec §1, §4).
const (
	// JSONRPCPath is where vAPI JSON-RPC 2.0 requests are POSTed (spec §1).
	JSONRPCPath = "/api"
	// SessionPath is the session resource of vCenter 7.0 and later (spec
	// §4): POST logs in and answers the id as a bare JSON string, GET reads
	// the session, DELETE logs out.
	SessionPath = "/api/session"
	// LegacySessionPath is the vAPI-REST session resource every vCenter
	// since 6.5 serves and the only one govmomi uses (spec §4): POST logs in
	// and answers {"value":"<id>"}, POST with "?~action=get" reads the
	// session, DELETE logs out.
	LegacySessionPath = "/rest/com/vmware/cis/session"
)

// TimestampLayout is the vAPI DateTime format in time.Format syntax: UTC,
// exactly three fractional digits, a literal "Z" (spec §7.3, e.g.
// "2012-10-26T12:24:18.941Z"). The created and expires members of a signed
// JSON-RPC request's timestamp (§7.3) and the times of a SessionInfo (§4)
// use it. Format a time.Time in UTC with it: the layout writes "Z" whatever
// the time's location is.
const TimestampLayout = "2006-01-02T15:04:05.000Z"
