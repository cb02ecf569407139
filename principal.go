package vapisec

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Principal is an authenticated identity: a user name and the identity
// domain it belongs to (for vCenter, e.g. "Administrator" in "vsphere.local").
//
// The zero Principal is the anonymous identity.
type Principal struct {
	// Name is the user name without the domain.
	Name string `json:"name"`
	// Domain is the identity domain; empty when the name carried none.
	Domain string `json:"domain,omitempty"`
}

// ParsePrincipal splits a user name into name and domain. It understands the
// UPN form "user@domain" (split at the last '@', as SAML UPN subjects are) and
// the down-level form "DOMAIN\user" (split at the first '\'). Any other string
// is returned as a name without a domain. ParsePrincipal never fails: it does
// not judge whether the name is acceptable, the authenticator does.
func ParsePrincipal(s string) Principal {
	if i := strings.IndexByte(s, '\\'); i > 0 && i < len(s)-1 {
		return Principal{Name: s[i+1:], Domain: s[:i]}
	}
	if i := strings.LastIndexByte(s, '@'); i > 0 && i < len(s)-1 {
		return Principal{Name: s[:i], Domain: s[i+1:]}
	}
	return Principal{Name: s}
}

// String returns the principal as "name@domain", or the bare name when it has
// no domain.
func (p Principal) String() string {
	if p.Domain == "" {
		return p.Name
	}
	return p.Name + "@" + p.Domain
}

// DownLevel returns the principal as "DOMAIN\name", the form vCenter reports
// in the "user" member of session information; the bare name when it has no
// domain.
func (p Principal) DownLevel() string {
	if p.Domain == "" {
		return p.Name
	}
	return strings.ToUpper(p.Domain) + `\` + p.Name
}

// IsZero reports whether p is the anonymous principal.
func (p Principal) IsZero() bool { return p.Name == "" && p.Domain == "" }

// FoldCase returns s case-folded the way vapisec compares user names (quotas,
// the administrator's per-user operations, replay shares): every rune mapped
// to the lower case of its upper case, so that the variants strings.EqualFold
// equates fold alike (the Kelvin sign and "k", "ſ" and "s"). A string that is
// folded already is returned as it is, without allocating; for ASCII it is
// the lower case.
func FoldCase(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
		}
	}
	return s
}
