// Package soap serves the vim25 SOAP session subset on /sdk (DESIGN §9
// Q23): enough of vCenter's SessionManager for govmomi's session.Manager,
// govc's session commands, pyVmomi and the vSphere Web Services SDK to log
// in, acquire and redeem clone tickets, and read the current session —
// over the same session.Manager as the REST session endpoints, so that one
// session model serves both protocols.
//
// Served, exactly:
//
//	ServiceInstance    RetrieveServiceContent, CurrentTime
//	SessionManager     Login, LoginByToken (WithTokenLogin), Logout,
//	                   AcquireCloneTicket, CloneSession, SessionIsActive,
//	                   TerminateSession (WithAdmins)
//	PropertyCollector  RetrieveProperties, RetrievePropertiesEx of the
//	                   SessionManager's currentSession and sessionList
//
// and GET <mount>/vimServiceVersions.xml. Every other method is answered
// with the NotImplemented fault.
//
// Input is read strictly (ParseEnvelope): the pre-checks the verifier runs
// on SAML tokens (no DOCTYPE or entities, bounded depth and element count,
// one root), then namespace-aware lookups, never by prefix. Faults are what
// govmomi's fault.Is, soap.IsSoapFault and soap.ToSoapFault decode: HTTP
// 500 with a detail element whose xsi:type names the vim25 fault
// (InvalidLogin, NotAuthenticated, NoPermission, InvalidArgument,
// NotImplemented, NotFound, InvalidProperty, SystemError). A request that is
// not a readable SOAP 1.1 call is answered 400 (413 too large, 415 not
// text/xml, 403 cross-site); a store that is down 503; a quota 429. No
// fault changes any state.
//
// The package imports no web framework: Handler is an http.Handler, which
// middleware.MountSOAP mounts on an Echo router.
package soap
