// Package middleware is the Echo face of vapisec: middlewares that turn vAPI
// credentials into a typed vapisec.SecurityContext, the vAPI session endpoints,
// and the vAPI error bodies. It is the only package of the module that imports
// Echo.
//
// # The chain
//
// Each middleware follows Echo's configuration shape: an XxxConfig whose first
// field is the Skipper and whose other fields say "Required." or "Default
// value …", a DefaultXxxConfig, Xxx(required), XxxWithConfig(config), which
// fills the empty fields from DefaultXxxConfig and panics on a configuration
// error, and XxxConfig.ToMiddleware, which returns that error instead.
//
//   - Session looks up the session id (cookie vmware-api-session-id first,
//     then the header of the same name) in a session.Manager.
//   - CSRF refuses cross-site unsafe requests that the session cookie (or
//     cached Basic credentials) authenticated.
//   - SAML verifies Authorization: SIGN and signed JSON-RPC bodies with a
//     verifier.RequestVerifier.
//   - OAuth verifies OAuth 2.0 access tokens (Authorization: Bearer,
//     csp-auth-token) with a verifier.AccessTokenVerifier.
//   - Basic decodes HTTP Basic credentials strictly and asks an Authenticator.
//   - Require enforces which schemes a route accepts, or lets it be anonymous.
//   - CloneTicket, Handoff and ChannelBasic are the session extensions: a
//     clone ticket as login, a clone ticket in a link, and a channel
//     credential as Basic credentials.
//
// The first middleware that finds a credential decides: a credential that is
// present but invalid is answered with 401 and never falls through to the next
// scheme. Chain builds the usual order from one Config; RegisterSessionEndpoints
// mounts the govmomi-compatible session endpoints (spec §4):
//
//	POST   /rest/com/vmware/cis/session              login, 200 {"value":"<id>"}
//	POST   /rest/com/vmware/cis/session?~action=get  200 {"value":{"user":…}}
//	DELETE /rest/com/vmware/cis/session              logout, 200 no body
//	POST   /api/session                              login, 201 "<id>"
//	GET    /api/session                              200 {"user":…}
//	DELETE /api/session                              logout, 204
//
// MountSOAP mounts the vim25 SOAP session subset of package soap on /sdk
// over the same Config (Manager, Authenticator, Admins, cookie settings), so
// that govmomi's session.Manager and govc log in, clone and log out against
// the same sessions as the REST endpoints.
//
// Handlers read the caller with SecurityContextFrom and never look at raw
// headers.
//
// # Errors
//
// Failures are returned as *echo.HTTPError whose Message is the vAPI error body
// and whose Internal is the cause (for logs; it never reaches the client). With
// Echo's default HTTPErrorHandler the client gets, on /api routes, the bare
// vAPI error structure
//
//	{"error_type":"UNAUTHENTICATED","messages":[{"args":[],"default_message":"Authentication required.","id":"com.vmware.vapi.endpoint.method.authentication.required"},
//	                                             {"args":[],"default_message":"The session is not known or has ended.","id":"vapisec.reason.unknown_session"}]}
//
// and on /rest routes the legacy wrapper {"type":"com.vmware.vapi.std.errors.unauthenticated","value":{…}}.
// Malformed credentials answer 400 INVALID_ARGUMENT, bad credentials 401
// UNAUTHENTICATED with a WWW-Authenticate header, an unreachable session store
// 503 SERVICE_UNAVAILABLE (fail closed). The second message carries the
// machine-readable reason (vapisec.Reason); ErrorsConfig.DisableReasons turns
// it off.
package middleware
