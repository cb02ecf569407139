package verifier

// CacheLen returns the number of cached tokens (tests only).
func CacheLen(v *TokenVerifier) int { return v.state.Load().cache.len() }
