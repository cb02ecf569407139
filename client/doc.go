// Package client calls a vAPI server within a session: it logs in with HTTP
// Basic credentials, an "Authorization: SIGN" header from a SAML token
// (spec vapi-protocol.md §3.2, §8) or an OAuth 2.0 access token as
// "Authorization: Bearer" (§3.3, from an oauth2.TokenSource), sends the session id in the
// vmware-api-session-id header (§3.1), reads the session while idle to keep
// it alive, logs in again and retries once when the server says the session
// is gone, and logs out on Close (the session resources of §4).
//
//	c, err := client.New("https://vc.example.com",
//		client.WithBasicAuth("administrator@vsphere.local", pw)) // or client.WithTokenLogin(h)
//	if err != nil { … }
//	defer c.Close(ctx)
//	req, _ := c.NewRequest(ctx, http.MethodGet, "/api/vcenter/vm", nil)
//	res, err := c.Do(req)
//
// It supplies the session; package signer signs requests. The two meet
// where x/oauth2's TokenSource and Transport meet: [WithTokenLogin] takes a
// signer.HeaderSigner for the login, [WithTokenSource] an oauth2.TokenSource
// whose token logs in (asked again on every re-login, so a refreshing source
// keeps the client logged in), and [WithHTTPClient] may carry a
// signer.Transport that signs every call.
//
// # Re-login
//
// On a 401 the client logs in again and sends the request once more when the
// server's reason says re-authentication helps (the
// vapisec.reason.unknown_session and vapisec.reason.expired messages of
// vapisec servers) or when the server sends no reasons at all (vCenter), and
// when the body can be replayed. Concurrent requests that find the session
// gone trigger one login.
//
// # Redirects
//
// The client follows redirects only within the origin (scheme, host and
// port) of the request: a redirect elsewhere, https to http included, fails
// the request with [ErrCrossHostRedirect] before the next hop is sent, so the
// session id, Basic credentials, bearer token and SIGN login header never
// reach another host. A SIGN login moved by a same-origin redirect is signed again for its
// new URL.
//
// A [Client] is safe for concurrent use.
package client
