package verifier

// CacheLen returns the number of cached tokens (tests only).
func CacheLen(v *TokenVerifier) int { return v.state.Load().cache.len() }

// AccessCacheLen returns the number of cached access tokens (tests only).
func AccessCacheLen(v *AccessTokenVerifier) int {
	v.cacheMu.RLock()
	defer v.cacheMu.RUnlock()
	return len(v.cache)
}
