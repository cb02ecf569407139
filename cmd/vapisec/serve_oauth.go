package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// Paths of the development OAuth issuer that serve --dev runs on itself.
const (
	devIssuerPath     = "/vapisec/oauth"
	devDiscoveryPath  = devIssuerPath + "/.well-known/openid-configuration"
	devJWKSPath       = devIssuerPath + "/jwks.json"
	devOAuthIssuerTxt = "oauth-issuer.txt" // in --dev-dir: the issuer URL, for "vapisec oauth token"
)

// checkOAuthFlags refuses inconsistent OAuth flags before anything is
// bound: an issuer needs an audience (no accept-any default) and the
// audience and JWKS flags need an issuer (or --dev, whose issuer they
// then refine).
func checkOAuthFlags(o serveOptions) error {
	if o.oauthIssuer != "" && len(o.oauthAudiences) == 0 {
		return usagef("--oauth-issuer needs --oauth-audience (the audience this server accepts)")
	}
	if o.oauthIssuer == "" && !o.dev && (len(o.oauthAudiences) > 0 || o.oauthJWKS != "") {
		return usagef("--oauth-audience and --oauth-jwks need --oauth-issuer")
	}
	if o.oauthIssuer == "" && o.oauthJWKS != "" {
		return usagef("--oauth-jwks needs --oauth-issuer")
	}
	return nil
}

// accessTokenVerifier builds the OAuth verifier of "serve": for
// --oauth-issuer with its audiences and keys (--oauth-jwks FILE or URL,
// default OIDC discovery from the issuer); with --dev and no
// --oauth-issuer, for the development issuer served on this server
// (issuer <scheme>://<addr>/vapisec/oauth, audience vmware-tes:vapi plus
// --oauth-audience), signing with the development STS key. It returns nil
// when OAuth is off, and the development issuer when one runs.
func accessTokenVerifier(o serveOptions, srv *devServer) (*verifier.AccessTokenVerifier, *sts.AccessTokenIssuer, error) {
	if err := checkOAuthFlags(o); err != nil {
		return nil, nil, err
	}
	if o.oauthIssuer != "" {
		opts := []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(o.oauthIssuer), verifier.WithAccessTokenAudiences(o.oauthAudiences...)}
		source := "discovery from the issuer"
		switch j := o.oauthJWKS; {
		case strings.HasPrefix(j, "https://"), strings.HasPrefix(j, "http://"):
			opts, source = append(opts, verifier.WithJWKSURL(j)), "JWKS "+j
		case j != "":
			opts, source = append(opts, verifier.WithJWKSFile(j)), "JWKS file "+j
		}
		v, err := verifier.NewAccessTokenVerifier(opts...)
		if err != nil {
			return nil, nil, usagef("--oauth-issuer: %v", err)
		}
		srv.oauthBanner = append(srv.oauthBanner, fmt.Sprintf("vapisec: OAuth access tokens of %s for audience %s accepted (keys: %s)", o.oauthIssuer, strings.Join(o.oauthAudiences, ", "), source))
		return v, nil, nil
	}
	if !o.dev || srv.devKey == nil {
		return nil, nil, nil
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	issuerURL := scheme + "://" + o.addr + devIssuerPath
	iss, err := sts.NewAccessTokenIssuer(srv.devKey, issuerURL, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(srv.devDir, devOAuthIssuerTxt), []byte(issuerURL+"\n"), 0o600); err != nil {
		return nil, nil, err
	}
	auds := append([]string{sts.DefaultAccessTokenAudience}, o.oauthAudiences...)
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(issuerURL), verifier.WithAccessTokenAudiences(auds...), verifier.WithJWKS(iss.JWKS()))
	if err != nil {
		return nil, nil, err
	}
	srv.oauthBanner = append(srv.oauthBanner,
		fmt.Sprintf("vapisec: dev OAuth issuer %s (audience %s; discovery %s%s)", issuerURL, strings.Join(auds, ", "), scheme+"://"+o.addr, devDiscoveryPath),
		fmt.Sprintf(`curl -H "Authorization: Bearer $(vapisec oauth token --dev-dir %s --subject dev@vsphere.local)" %s://%s/api/vapisec/whoami`, srv.devDir, scheme, o.addr))
	return v, iss, nil
}

// mountDevIssuer serves the development issuer's discovery document and
// JWKS (public, unauthenticated, as an OpenID provider serves them).
func mountDevIssuer(e *echo.Echo, iss *sts.AccessTokenIssuer) {
	doc := iss.DiscoveryDocument(strings.TrimSuffix(iss.Issuer(), devIssuerPath) + devJWKSPath)
	jwks := iss.JWKS()
	e.GET(devDiscoveryPath, func(c echo.Context) error { return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc) })
	e.GET(devJWKSPath, func(c echo.Context) error { return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, jwks) })
}
