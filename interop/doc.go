// Package interop runs real vAPI clients against the vapisec server:
// govmomi's vapi/rest client and its keep-alive handler, and VMware's
// vSphere Automation SDK for Go (github.com/vmware/vsphere-automation-sdk-go
// runtime and lib v0.8.0: its REST and JSON-RPC connectors, the generated
// com.vmware.cis.session binding, its HoK signer), over HTTP and HTTPS. The
// SDK's own server-side encoder and client decoder are also the oracle of
// vapisec's JSON-RPC replies (sdk_oracle_test.go). It is a separate Go
// module so that neither client enters the dependency graph of the main
// module.
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
