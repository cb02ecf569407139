// Package vapisec holds the shared vocabulary of the vapisec module: the typed
// SecurityContext that the middleware attaches to every request, the vAPI
// security scheme identifiers exactly as they travel on the wire, the Principal
// type, the machine-readable reason codes that accompany every
// authentication failure, and the wire names both sides share: header and
// cookie names, the session and JSON-RPC paths and the timestamp layout
// (wire.go).
//
// The package uses only the standard library so that every other package of
// the module (parser, canonical, verifier, session, middleware, signer) can
// depend on it without pulling in anything else.
//
// The wire protocol is described in docs/protocol.md; the reason codes are
// listed in docs/errors.md.
package vapisec
