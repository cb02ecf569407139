package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	vapisec "github.com/vapisec/vapisec"
)

// AccessToken holds the facts of a verified OAuth 2.0 JWT access token
// (RFC 9068). A *AccessToken returned by Verify may be shared through the
// cache: it is read-only.
type AccessToken struct {
	// Issuer is the "iss" claim (equal to the configured issuer).
	Issuer string `json:"issuer"`
	// Subject is the value of the subject claim (WithSubjectClaim, "sub").
	Subject string `json:"subject"`
	// Principal is Subject split by vapisec.ParsePrincipal, with the domain
	// of WithDomainClaim when configured and present.
	Principal vapisec.Principal `json:"principal"`
	// Groups are the values of the group claims (WithGroupClaims), in
	// order, without duplicates.
	Groups []string `json:"groups,omitempty"`
	// Audiences are the values of "aud".
	Audiences []string `json:"audiences"`
	// ID is the "jti" claim, "" when absent.
	ID string `json:"id,omitempty"`
	// ClientID is "client_id" (RFC 9068), else "azp", "" when neither.
	ClientID string `json:"client_id,omitempty"`
	// Scopes are the space-separated values of "scope" (RFC 9068), or the
	// values of "scp" (an array or a string, as Entra ID and Okta send).
	Scopes []string `json:"scopes,omitempty"`
	// KeyID and Algorithm are the JOSE header's kid and alg.
	KeyID     string `json:"kid,omitempty"`
	Algorithm string `json:"alg"`
	// IssuedAt and NotBefore are zero when the claims are absent.
	IssuedAt  time.Time `json:"issued_at,omitzero"`
	NotBefore time.Time `json:"not_before,omitzero"`
	// Expiry is the "exp" claim.
	Expiry time.Time `json:"expiry"`
}

// Info maps the token onto the root package's TokenInfo: ID, Issuer,
// NotBefore (nbf, else iat) and NotOnOrAfter (exp).
func (t *AccessToken) Info() *vapisec.TokenInfo {
	nb := t.NotBefore
	if nb.IsZero() {
		nb = t.IssuedAt
	}
	return &vapisec.TokenInfo{ID: t.ID, Issuer: t.Issuer, NotBefore: nb, NotOnOrAfter: t.Expiry}
}

// SecurityContext returns the authenticated context of a request that
// carried the token in src: scheme vapisec.SchemeOAuth, the principal, a
// copy of the groups and the token facts.
func (t *AccessToken) SecurityContext(src vapisec.CredentialSource) *vapisec.SecurityContext {
	return &vapisec.SecurityContext{
		Scheme:        vapisec.SchemeOAuth,
		Authenticated: true,
		Principal:     t.Principal,
		Groups:        slices.Clone(t.Groups),
		Source:        src,
		Token:         t.Info(),
	}
}

// AccessTokenVerifier verifies OAuth 2.0 access tokens that are signed
// JWTs (RFC 7519, RFC 9068) issued by one configured issuer for one of the
// configured audiences (DESIGN Q20), with golang-jwt/jwt/v5 for parsing,
// signatures and the registered claims, and the issuer's keys from a JWKS
// (a file, a URL, or OIDC discovery from the issuer).
//
// An AccessTokenVerifier is safe for concurrent use.
type AccessTokenVerifier struct {
	cfg    accessConfig
	keys   *keySource // nil with only an HMAC secret
	parser *jwt.Parser

	cacheMu sync.RWMutex
	cache   map[[32]byte]accessEntry // nil when the cache is off
}

type accessEntry struct {
	token       *AccessToken
	from, until time.Time
	gen         uint64 // the key set generation it was verified under
}

// NewAccessTokenVerifier returns a verifier configured by opts. WithAccessTokenIssuer
// and WithAccessTokenAudiences are required (ErrNoIssuer, ErrNoAudience); the keys
// come from WithJWKSFile, WithJWKSURL, WithJWKS, or by default OIDC
// discovery from the issuer (which must then be an https URL, or http on
// a loopback host). A JWKS file or fixed set is read here; fetched keys
// are fetched on the first verification.
func NewAccessTokenVerifier(opts ...AccessTokenOption) (*AccessTokenVerifier, error) {
	cfg := defaultAccessConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	v := &AccessTokenVerifier{cfg: cfg}
	if cfg.source != keysNone {
		ks, err := newKeySource(&v.cfg)
		if err != nil {
			return nil, err
		}
		v.keys = ks
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(cfg.algs),
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.skew),
		jwt.WithTimeFunc(cfg.clock),
		jwt.WithIssuer(cfg.issuer),
		jwt.WithAudience(cfg.audiences...),
	)
	if cfg.cacheSize > 0 {
		v.cache = make(map[[32]byte]accessEntry, min(cfg.cacheSize, 1024))
	}
	return v, nil
}

// Issuer returns the configured issuer.
func (v *AccessTokenVerifier) Issuer() string { return v.cfg.issuer }

// Audiences returns a copy of the configured audiences.
func (v *AccessTokenVerifier) Audiences() []string { return slices.Clone(v.cfg.audiences) }

// Verify verifies token (the compact JWS serialization) and returns its
// facts. Steps, cheapest first:
//
//  1. size limit (WithMaxAccessTokenSize; ErrTokenTooLarge);
//  2. cache lookup by SHA-256 of the token (an entry verified under an
//     older key set, or under one due for a refresh, is verified again);
//  3. three parts, not five (a JWE is ErrEncryptedToken);
//  4. the JOSE header: alg in the allow-list (never none; HS* only with
//     WithHMACSecret), no crit, no cty (nested JWT), enc or zip, typ JWT or
//     at+jwt (WithRequireAccessTokenType: at+jwt only); jku, x5u, jwk and
//     x5c are ignored, no request ever goes to a URL a token names;
//  5. the key: the JWKS keys with the token's kid (all keys without kid)
//     whose type fits alg (and whose JWK alg, when present, is alg); an
//     unknown kid refreshes the JWKS, at most once per refresh interval;
//     no key set at all is ErrKeysUnavailable (fail closed);
//  6. the signature;
//  7. claims: exp required, exp/nbf/iat with the skew, iss equal to the
//     issuer, aud containing a configured audience, lifetime cap, the
//     subject claim a non-empty string, group claims strings.
//
// Errors wrap the sentinels of errors.go; ReasonOf maps them.
func (v *AccessTokenVerifier) Verify(ctx context.Context, token string) (*AccessToken, error) {
	if len(token) > v.cfg.maxSize {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(token), v.cfg.maxSize), ErrTokenTooLarge, ErrMalformedToken)
	}
	now := v.cfg.clock()
	var key [32]byte
	if v.cache != nil {
		key = tokenKey(token)
		v.cacheMu.RLock()
		e, ok := v.cache[key]
		v.cacheMu.RUnlock()
		if ok && v.keysCurrent(e.gen, now) {
			if now.Before(e.from) {
				return nil, newError("", ErrTokenNotYetValid)
			}
			if !now.Before(e.until) {
				v.cacheMu.Lock()
				delete(v.cache, key)
				v.cacheMu.Unlock()
				return nil, newError("", ErrTokenExpired)
			}
			return e.token, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch strings.Count(token, ".") {
	case 2:
	case 4:
		return nil, newError("five parts (JWE)", ErrEncryptedToken, ErrMalformedToken)
	default:
		return nil, newError("not a compact JWS of three parts", ErrMalformedToken)
	}
	var gen uint64
	if v.keys != nil {
		// Read before the keys are: a set stored meanwhile makes the
		// entry stale rather than wrongly current.
		gen = v.keys.gen.Load()
	}
	e, err := v.verifyCold(ctx, token, now)
	if err != nil {
		return nil, err
	}
	if v.cache != nil {
		e.gen = gen
		v.put(&key, e, now)
	}
	return e.token, nil
}

// tokenKeyStack is the token length up to which tokenKey hashes a copy on
// the stack: typical access tokens (1–3 KB) then cost no allocation on a
// cache hit, where []byte(token) would allocate a copy of the token.
const tokenKeyStack = 4 << 10

// tokenKey is the cache key of token: its SHA-256.
func tokenKey(token string) [32]byte {
	if len(token) <= tokenKeyStack {
		var buf [tokenKeyStack]byte
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// keysCurrent reports whether a cache entry verified under key set
// generation gen may be used at now: no key set has been stored since, and
// the set is not due for a refresh (WithJWKSMaxAge), so that a key removed
// at the provider stops being accepted from the cache once it is fetched
// again.
func (v *AccessTokenVerifier) keysCurrent(gen uint64, now time.Time) bool {
	if v.keys == nil {
		return true
	}
	if gen != v.keys.gen.Load() {
		return false
	}
	if v.cfg.source == keysStatic {
		return true
	}
	ks := v.keys.set.Load()
	return ks != nil && now.Sub(ks.fetched) < v.cfg.maxAge
}

// put stores a verified token in the cache.
func (v *AccessTokenVerifier) put(key *[32]byte, e accessEntry, now time.Time) {
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if _, ok := v.cache[*key]; !ok && len(v.cache) >= v.cfg.cacheSize {
		makeRoom(v.cache, now, func(e accessEntry) time.Time { return e.until })
	}
	v.cache[*key] = e
}

func (v *AccessTokenVerifier) verifyCold(ctx context.Context, token string, now time.Time) (accessEntry, error) {
	var keyErr error
	claims := jwt.MapClaims{}
	parsed, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		k, err := v.keyFor(ctx, t, now)
		keyErr = err
		return k, err
	})
	if err != nil {
		return accessEntry{}, v.mapError(parsed, claims, err, keyErr)
	}
	return v.readClaims(parsed, claims, now)
}

// keyFor applies the header rules and returns the verification key(s).
func (v *AccessTokenVerifier) keyFor(ctx context.Context, t *jwt.Token, now time.Time) (any, error) {
	h := t.Header
	for _, name := range []string{"crit", "zip"} {
		if _, ok := h[name]; ok {
			return nil, newError(fmt.Sprintf("header %q not understood", name), ErrUnsupportedHeader, ErrMalformedToken)
		}
	}
	if _, ok := h["enc"]; ok {
		return nil, newError(`header "enc" (JWE)`, ErrEncryptedToken, ErrMalformedToken)
	}
	if _, ok := h["cty"]; ok {
		return nil, newError(`header "cty" (nested JWT)`, ErrEncryptedToken, ErrMalformedToken)
	}
	if err := v.checkTyp(h); err != nil {
		return nil, err
	}
	alg := t.Method.Alg()
	a, ok := accessAlgorithms[alg]
	if !ok || !slices.Contains(v.cfg.algs, alg) {
		return nil, newError("alg "+quote(alg), ErrUnsupportedAlgorithm)
	}
	kid, hasKid := "", false
	if raw, ok := h["kid"]; ok {
		s, isString := raw.(string)
		if !isString {
			return nil, newError("kid is not a string", ErrUnsupportedHeader, ErrMalformedToken)
		}
		kid, hasKid = s, true
	}
	if a.kind == kindHMAC {
		if v.cfg.hmacSecret == nil {
			return nil, newError("alg "+alg+" without a shared secret", ErrUnsupportedAlgorithm)
		}
		return v.cfg.hmacSecret, nil
	}
	if v.keys == nil {
		return nil, newError("alg "+alg+": no public keys configured", ErrKeyAlgorithmMismatch, ErrUnsupportedAlgorithm)
	}
	ks, err := v.keys.current(ctx, now)
	if err != nil {
		return nil, err
	}
	keys, known := matchKeys(ks, kid, hasKid, alg, a.kind)
	if !known {
		// Unknown kid: the provider may have rotated. At most one fetch
		// per interval, whatever the kid (no refresh storm).
		v.keys.refresh(ctx, now, true)
		if ks2 := v.keys.set.Load(); ks2 != nil && ks2 != ks {
			keys, known = matchKeys(ks2, kid, hasKid, alg, a.kind)
		}
	}
	if !known {
		return nil, newError("kid "+quote(kid), ErrUnknownKey, ErrUntrustedIssuer)
	}
	if len(keys) == 0 {
		return nil, newError(fmt.Sprintf("alg %s with the key of kid %s", alg, quote(kid)), ErrKeyAlgorithmMismatch, ErrUnsupportedAlgorithm)
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// matchKeys returns the keys of ks usable for the token: with a kid, the
// keys of that kid (known reports whether the kid is in the set at all);
// without, every key (known when the set has a key of the algorithm's
// type). Only keys whose type is kind and whose JWK alg is empty or alg
// are returned.
func matchKeys(ks *keySet, kid string, hasKid bool, alg string, kind keyKind) (keys []jwt.VerificationKey, known bool) {
	cands := ks.all
	if hasKid {
		cands = ks.byKid[kid]
		known = len(cands) > 0
	}
	for _, k := range cands {
		if k.kind == kind && (k.alg == "" || k.alg == alg) {
			keys = append(keys, k.key)
		}
	}
	if !hasKid {
		known = len(keys) > 0
	}
	return keys, known
}

// checkTyp applies the typ rule.
func (v *AccessTokenVerifier) checkTyp(h map[string]any) error {
	raw, ok := h["typ"]
	if !ok {
		if v.cfg.requireATJWT {
			return newError(`no typ, "at+jwt" required`, ErrUnsupportedHeader, ErrMalformedToken)
		}
		return nil
	}
	s, _ := raw.(string)
	switch strings.ToLower(s) {
	case "at+jwt", "application/at+jwt":
		return nil
	case "jwt":
		if !v.cfg.requireATJWT {
			return nil
		}
	}
	return newError("typ "+quote(fmt.Sprint(raw)), ErrUnsupportedHeader, ErrMalformedToken)
}

// mapError turns a jwt/v5 error into this package's sentinels. The most
// useful reason comes first: whose token (issuer, audience) before when.
func (v *AccessTokenVerifier) mapError(t *jwt.Token, claims jwt.MapClaims, err, keyErr error) error {
	detail := err.Error()
	if keyErr != nil {
		return keyErr
	}
	if errors.Is(err, jwt.ErrTokenInvalidClaims) {
		// The signature verified; a missing iss or aud is a token of
		// another issuer or for another audience, not a malformed one.
		if iss, _ := claims["iss"].(string); iss != v.cfg.issuer {
			return newError(detail, ErrIssuerMismatch, ErrUntrustedIssuer)
		}
		if aud, _ := claims.GetAudience(); len(aud) == 0 {
			return newError(detail, ErrAudienceMismatch)
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return newError(detail, ErrMalformedToken)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// An alg jwt/v5 does not know.
		return newError(detail, ErrUnsupportedAlgorithm)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if t != nil && t.Method != nil && !slices.Contains(v.cfg.algs, t.Method.Alg()) {
			return newError("alg "+quote(t.Method.Alg()), ErrUnsupportedAlgorithm)
		}
		return newError(detail, ErrBadSignature)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return newError(detail, ErrIssuerMismatch, ErrUntrustedIssuer)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return newError(detail, ErrAudienceMismatch)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, jwt.ErrInvalidType):
		return newError(detail, ErrMissingClaim, ErrMalformedToken)
	case errors.Is(err, jwt.ErrTokenExpired):
		return newError(detail, ErrTokenExpired)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return newError(detail, ErrTokenNotYetValid)
	}
	return newError(detail, ErrMalformedToken)
}

// readClaims reads the verified claims.
func (v *AccessTokenVerifier) readClaims(t *jwt.Token, claims jwt.MapClaims, now time.Time) (accessEntry, error) {
	exp, _ := claims.GetExpirationTime()
	nbf, _ := claims.GetNotBefore()
	iat, _ := claims.GetIssuedAt()
	at := &AccessToken{Issuer: v.cfg.issuer, Algorithm: t.Method.Alg(), Expiry: exp.Time}
	at.KeyID, _ = t.Header["kid"].(string)
	if nbf != nil {
		at.NotBefore = nbf.Time
	}
	if iat != nil {
		at.IssuedAt = iat.Time
	}
	start := now
	switch {
	case iat != nil:
		start = iat.Time
	case nbf != nil:
		start = nbf.Time
	}
	if life := at.Expiry.Sub(start); life > v.cfg.maxLifetime {
		return accessEntry{}, newError(fmt.Sprintf("lifetime %s, limit %s", life.Round(time.Second), v.cfg.maxLifetime), ErrLifetimeTooLong, ErrMalformedToken)
	}
	aud, _ := claims.GetAudience()
	at.Audiences = []string(aud)
	sub, err := stringClaim(claims, v.cfg.subjectClaim)
	if err != nil {
		return accessEntry{}, err
	}
	if sub == "" {
		return accessEntry{}, newError(fmt.Sprintf("no %q claim", v.cfg.subjectClaim), ErrMissingClaim, ErrMalformedToken)
	}
	if !printable(sub) {
		return accessEntry{}, newError(fmt.Sprintf("%q claim with control characters", v.cfg.subjectClaim), ErrMissingClaim, ErrMalformedToken)
	}
	at.Subject, at.Principal = sub, vapisec.ParsePrincipal(sub)
	if v.cfg.domainClaim != "" {
		d, err := stringClaim(claims, v.cfg.domainClaim)
		if err != nil {
			return accessEntry{}, err
		}
		if d != "" {
			at.Principal.Domain = d
		}
	}
	for _, name := range v.cfg.groupClaims {
		gs, err := stringsClaim(claims, name)
		if err != nil {
			return accessEntry{}, err
		}
		for _, g := range gs {
			if g != "" && !slices.Contains(at.Groups, g) {
				at.Groups = append(at.Groups, g)
			}
		}
	}
	if at.ID, err = stringClaim(claims, "jti"); err != nil {
		return accessEntry{}, err
	}
	if at.ClientID, err = stringClaim(claims, "client_id"); err != nil {
		return accessEntry{}, err
	}
	if at.ClientID == "" {
		if at.ClientID, err = stringClaim(claims, "azp"); err != nil {
			return accessEntry{}, err
		}
	}
	if scope, err := stringClaim(claims, "scope"); err != nil {
		return accessEntry{}, err
	} else if scope != "" {
		at.Scopes = strings.Fields(scope)
	} else if at.Scopes, err = stringsClaim(claims, "scp"); err != nil {
		return accessEntry{}, err
	}
	from := start.Add(-v.cfg.skew)
	if nbf != nil && nbf.Time.After(start) {
		from = nbf.Time.Add(-v.cfg.skew)
	}
	return accessEntry{token: at, from: from, until: at.Expiry.Add(v.cfg.skew)}, nil
}

// stringClaim returns a string claim, "" when absent; another type is
// ErrMissingClaim.
func stringClaim(claims jwt.MapClaims, name string) (string, error) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return "", nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", newError(fmt.Sprintf("%q is not a string", name), ErrMissingClaim, ErrMalformedToken)
	}
	return s, nil
}

// stringsClaim returns a claim that is a string or an array of strings.
func stringsClaim(claims jwt.MapClaims, name string) ([]string, error) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return nil, nil
	}
	switch x := raw.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, newError(fmt.Sprintf("%q has a member that is not a string", name), ErrMissingClaim, ErrMalformedToken)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, newError(fmt.Sprintf("%q is not a string or an array of strings", name), ErrMissingClaim, ErrMalformedToken)
}

// printable reports valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
