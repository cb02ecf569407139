// Package sts is a small Security Token Service for tests and local
// development: it issues real, signed SAML 2.0 bearer and holder-of-key
// assertions that look like the tokens of vCenter's STS (exclusive
// canonicalization, rsa-sha256, Reference URI "#<ID>", the ds:Signature right
// after the Issuer, a UPN NameID, RSA renew and proxy restrictions, the
// GroupIdentity and isSolution attributes), so that the verifier, the
// middleware, the signer and "vapisec serve --dev" can be exercised end to
// end without a vCenter.
//
// WARNING: this package is for tests and development only. It authenticates
// nobody: whoever calls Issue gets a token for any subject and group they
// ask for, signed by the configured key. Never trust its key in production.
package sts
