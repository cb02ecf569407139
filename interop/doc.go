// Package interop runs real vAPI clients (govmomi's vapi/rest client and its
// keep-alive handler) against the vapisec server. It is a separate Go module
// so that govmomi never enters the dependency graph of the main module.
//
// The soap_*_test.go files run govmomi's vim25 clients on /sdk:
// session.Manager (Login, UserSession, SessionIsActive, AcquireCloneTicket,
// CloneSession, TerminateSession, Logout) against one server and against two
// instances sharing a real redis-server, and govc's session commands, built
// from govmomi's cli packages by internal/govc. soap_token_test.go runs
// session.Manager.LoginByToken with govmomi's sts.Signer (holder-of-key,
// another key refused, bearer only with --allow-bearer, serve --dev's own
// token, a signed envelope replayed to a second instance on one Redis) and
// govc session.login -token.
package interop
