package soap

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vapisec/vapisec/session"
)

// CookieName is the cookie the vim25 session travels in (govmomi's
// soap.SessionCookieName).
const CookieName = "vmware_soap_session"

// VersionsPath is the path, below the handler's mount point, of the
// service versions document govmomi's UseServiceVersion (and so govc) reads
// before its first call.
const VersionsPath = "/vimServiceVersions.xml"

// Handler serves the vim25 SOAP session subset on /sdk (DESIGN §9 Q23):
// ServiceInstance.RetrieveServiceContent and CurrentTime;
// SessionManager.Login, LoginByToken, Logout, AcquireCloneTicket,
// CloneSession, SessionIsActive, TerminateSession; and
// PropertyCollector.RetrieveProperties / RetrievePropertiesEx of the
// SessionManager's currentSession and sessionList. Every other method is
// answered with the NotImplemented fault.
//
// Sessions are those of the session.Manager it is built over, so a SOAP
// login is a session like a REST one (timeouts, caps, quotas, admin list,
// Redis), and a clone ticket from either side is redeemed once on either.
// The session id travels in the vmware_soap_session cookie (HttpOnly,
// SameSite=Strict, Secure unless WithInsecureCookie).
//
// A Handler is safe for concurrent use. It is a plain net/http handler;
// middleware.MountSOAP mounts it on an Echo router.
type Handler struct {
	m   *session.Manager
	cfg config
	now func() time.Time
}

// NewHandler returns a Handler over m configured by opts. It fails with
// ErrConfig when m or an option is nil or an option's value is unusable.
func NewHandler(m *session.Manager, opts ...Option) (*Handler, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil session Manager", ErrConfig)
	}
	c := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	return &Handler{m: m, cfg: c, now: time.Now}, nil
}

// ServeHTTP answers one request: POST of a SOAP 1.1 envelope, or GET of
// VersionsPath. The steps, each refusing before the next runs:
//
//  1. a browser's cross-site marker (Sec-Fetch-Site other than same-origin
//     or none; or an Origin that is "null" or neither the request's own nor
//     trusted): 403, before any credential or cookie is read;
//  2. Content-Type text/xml (charset UTF-8 if given): SOAP 1.2's
//     application/soap+xml is 400 VersionMismatch, anything else 415 (a
//     cross-site page can post text/plain or a form without a preflight;
//     text/xml it cannot);
//  3. the body, at most WithMaxBodySize bytes: 413 beyond;
//  4. ParseEnvelope: 400 with a Client (or VersionMismatch) fault;
//  5. the method: a vim25 result (200) or fault (500), 503 when the store
//     or an authenticator cannot decide, 429 for a quota.
//
// No fault changes any state.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, VersionsPath) {
		h.versions(w)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		clientFault(http.StatusMethodNotAllowed, "soapenv:Client", "Only POST is served here.").write(w)
		return
	}
	if h.crossSite(r) {
		h.refuse(w, r, clientFault(http.StatusForbidden, "soapenv:Client", "Cross-site requests are not allowed."), ErrCrossSite)
		return
	}
	if f, err := contentType(r); f != nil {
		h.refuse(w, r, f, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.refuse(w, r, clientFault(http.StatusRequestEntityTooLarge, "soapenv:Client", "The request body is too large."), ErrTooLarge)
			return
		}
		h.refuse(w, r, clientFault(http.StatusBadRequest, "soapenv:Client", "The request body could not be read."), err)
		return
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		code := "soapenv:Client"
		if errors.Is(err, ErrVersionMismatch) {
			code = "soapenv:VersionMismatch"
		}
		h.refuse(w, r, clientFault(http.StatusBadRequest, code, "The request is not a well-formed SOAP 1.1 vim25 envelope."), err)
		return
	}
	c := &call{h: h, w: w, r: r, env: env, body: body}
	if f := c.dispatch(); f != nil {
		h.refuse(w, r, f, c.cause)
	}
}

// refuse writes f and logs cause.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, f *fault, cause error) {
	if h.cfg.errorLog != nil && cause != nil {
		h.cfg.errorLog(r, cause)
	}
	f.write(w)
}

// crossSite applies the origin rule the Basic login uses
// (middleware.CSRFConfig): a request a browser marks as cross-site is
// refused; one without Sec-Fetch-Site and Origin (every non-browser client)
// passes.
func (h *Handler) crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "same-origin" && site != "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if origin == "null" {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return origin != scheme+"://"+r.Host && !slices.Contains(h.cfg.trusted, origin)
}

// contentType checks the request's Content-Type (step 2 of ServeHTTP).
func contentType(r *http.Request) (*fault, error) {
	values := r.Header.Values("Content-Type")
	if len(values) != 1 {
		return clientFault(http.StatusUnsupportedMediaType, "soapenv:Client", "Content-Type must be text/xml."), ErrContentType
	}
	mt, params, err := mime.ParseMediaType(values[0])
	switch {
	case err != nil:
		return clientFault(http.StatusUnsupportedMediaType, "soapenv:Client", "Content-Type must be text/xml."), ErrContentType
	case mt == "application/soap+xml":
		return clientFault(http.StatusBadRequest, "soapenv:VersionMismatch", "Only SOAP 1.1 (text/xml) is served."), ErrVersionMismatch
	case mt != "text/xml":
		return clientFault(http.StatusUnsupportedMediaType, "soapenv:Client", "Content-Type must be text/xml."), ErrContentType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return clientFault(http.StatusUnsupportedMediaType, "soapenv:Client", "The charset must be UTF-8."), ErrContentType
	}
	return nil, nil
}

// versions answers GET <mount>/vimServiceVersions.xml.
func (h *Handler) versions(w http.ResponseWriter) {
	const doc = `<?xml version="1.0" encoding="UTF-8" ?>
<namespaces version="1.0">
  <namespace>
    <name>urn:vim25</name>
    <version>` + APIVersion + `</version>
  </namespace>
</namespaces>
`
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, doc)
}

// cookie returns the session cookie for id; an empty id clears it.
func (h *Handler) cookie(id string) *http.Cookie {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    id,
		Path:     h.cfg.cookiePath,
		HttpOnly: true,
		Secure:   !h.cfg.insecureCookie,
		SameSite: http.SameSiteStrictMode,
	}
	if id == "" {
		c.MaxAge = -1
	}
	return c
}
