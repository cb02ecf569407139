package vapisec

// Reason is a machine-readable code saying why a request was not
// authenticated. The middleware sends it to the client as a second message
// with the id "vapisec.reason.<reason>" (unless turned off), so that a client
// knows whether authenticating again can help.
type Reason string

// The reason codes (DESIGN §5). Their strings are part of the public protocol
// of vapisec servers and must not change.
const (
	// ReasonMissing: no credential of an accepted scheme was sent.
	ReasonMissing Reason = "missing"
	// ReasonMalformed: a credential was sent but could not be parsed.
	ReasonMalformed Reason = "malformed"
	// ReasonInvalidCredentials: a well-formed user name and password were rejected.
	ReasonInvalidCredentials Reason = "invalid_credentials"
	// ReasonExpired: a session, token or signed request has expired.
	ReasonExpired Reason = "expired"
	// ReasonNotYetValid: a token or signed request is not valid yet.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonBadSignature: a signature did not verify.
	ReasonBadSignature Reason = "bad_signature"
	// ReasonUntrustedIssuer: a token was not signed by a trusted issuer.
	ReasonUntrustedIssuer Reason = "untrusted_issuer"
	// ReasonReplayed: a signed request or nonce was seen before.
	ReasonReplayed Reason = "replayed"
	// ReasonClockSkew: a timestamp lies outside the accepted window.
	ReasonClockSkew Reason = "clock_skew"
	// ReasonUnknownSession: the session id is not (or no longer) known.
	ReasonUnknownSession Reason = "unknown_session"
	// ReasonSchemeNotAllowed: the credential's scheme is not accepted by the operation.
	ReasonSchemeNotAllowed Reason = "scheme_not_allowed"
	// ReasonUnsupportedAlgorithm: a signature algorithm outside the allow-list.
	ReasonUnsupportedAlgorithm Reason = "unsupported_algorithm"
	// ReasonAudienceMismatch: a token is not meant for this service.
	ReasonAudienceMismatch Reason = "audience_mismatch"
	// ReasonStoreUnavailable: the session or replay store could not be reached;
	// the request was refused (fail closed).
	ReasonStoreUnavailable Reason = "store_unavailable"
	// ReasonSessionLimit: the user has reached the maximum number of sessions.
	ReasonSessionLimit Reason = "session_limit"
	// ReasonChannelLimit: the session holds the maximum number of channel
	// credentials (HTTP 429).
	ReasonChannelLimit Reason = "channel_credential_limit"
	// ReasonCloneTicketLimit: the session holds the maximum number of
	// outstanding clone tickets (HTTP 429).
	ReasonCloneTicketLimit Reason = "clone_ticket_limit"
	// ReasonChildSessionLimit: the session (with the sessions derived from
	// it) holds the maximum number of derived sessions (HTTP 429).
	ReasonChildSessionLimit Reason = "child_session_limit"
	// ReasonUserRecordLimit: the user holds the maximum number of records
	// (sessions, derived sessions, tickets, channel credentials) (HTTP 429).
	ReasonUserRecordLimit Reason = "user_record_limit"
	// ReasonKeysUnavailable: the keys that verify the credential (an OAuth
	// issuer's JWKS) could not be fetched and none is cached; the request
	// was refused (fail closed, HTTP 503).
	ReasonKeysUnavailable Reason = "keys_unavailable"
)

// ReauthenticationHelps reports whether a client that gets this reason should
// log in again (with its primary credential) and retry. It is true for an
// unknown or expired session or token.
func (r Reason) ReauthenticationHelps() bool {
	return r == ReasonUnknownSession || r == ReasonExpired
}

// MessageID returns the id of the message that carries the reason in a vAPI
// error body: "vapisec.reason.<reason>".
func (r Reason) MessageID() string { return "vapisec.reason." + string(r) }

// String returns the reason code.
func (r Reason) String() string { return string(r) }

// Description returns a short English sentence for the reason, used as the
// default message of the reason message in error bodies.
func (r Reason) Description() string {
	switch r {
	case ReasonMissing:
		return "No credential of an accepted scheme was provided."
	case ReasonMalformed:
		return "The credential is malformed."
	case ReasonInvalidCredentials:
		return "The user name or password is not valid."
	case ReasonExpired:
		return "The session, token or signed request has expired."
	case ReasonNotYetValid:
		return "The token or signed request is not valid yet."
	case ReasonBadSignature:
		return "The signature is not valid."
	case ReasonUntrustedIssuer:
		return "The token was not issued by a trusted issuer."
	case ReasonReplayed:
		return "The signed request was already used."
	case ReasonClockSkew:
		return "A timestamp lies outside the accepted window."
	case ReasonUnknownSession:
		return "The session is not known or has ended."
	case ReasonSchemeNotAllowed:
		return "The operation does not accept this authentication scheme."
	case ReasonUnsupportedAlgorithm:
		return "The signature algorithm is not accepted."
	case ReasonAudienceMismatch:
		return "The token is not meant for this service."
	case ReasonStoreUnavailable:
		return "The session store is unavailable; try again later."
	case ReasonSessionLimit:
		return "The user has reached the maximum number of sessions."
	case ReasonChannelLimit:
		return "The session holds the maximum number of channel credentials."
	case ReasonCloneTicketLimit:
		return "The session holds the maximum number of outstanding clone tickets."
	case ReasonChildSessionLimit:
		return "The session holds the maximum number of derived sessions."
	case ReasonUserRecordLimit:
		return "The user holds the maximum number of sessions, tickets and credentials."
	case ReasonKeysUnavailable:
		return "The token issuer's signing keys are unavailable; try again later."
	}
	return "Authentication failed."
}
