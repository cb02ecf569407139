package soap

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// The managed objects of the subset.
var (
	refServiceInstance   = MoRef{Type: "ServiceInstance", Value: "ServiceInstance"}
	refSessionManager    = MoRef{Type: "SessionManager", Value: "SessionManager"}
	refPropertyCollector = MoRef{Type: "PropertyCollector", Value: "propertyCollector"}
	refRootFolder        = MoRef{Type: "Folder", Value: "group-d1"}
)

// call is one method call being answered.
type call struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	env  *Envelope
	body []byte
	// cause is the internal reason of the fault dispatch returned, for the
	// error log.
	cause error
}

// method describes a served method: the object it is called on, the
// arguments it takes besides _this, whether it needs a session, and the
// code answering it.
type method struct {
	this    MoRef
	args    []string
	session bool
	serve   func(c *call, s *session.Session) *fault
}

var methods = map[string]method{
	"RetrieveServiceContent": {this: refServiceInstance, serve: (*call).retrieveServiceContent},
	"CurrentTime":            {this: refServiceInstance, serve: (*call).currentTime},
	"Login":                  {this: refSessionManager, args: []string{"userName", "password", "locale"}, serve: (*call).login},
	"LoginByToken":           {this: refSessionManager, args: []string{"locale"}, serve: (*call).loginByToken},
	"CloneSession":           {this: refSessionManager, args: []string{"cloneTicket"}, serve: (*call).cloneSession},
	"Logout":                 {this: refSessionManager, session: true, serve: (*call).logout},
	"AcquireCloneTicket":     {this: refSessionManager, session: true, serve: (*call).acquireCloneTicket},
	"SessionIsActive":        {this: refSessionManager, args: []string{"sessionID", "userName"}, session: true, serve: (*call).sessionIsActive},
	"TerminateSession":       {this: refSessionManager, args: []string{"sessionId"}, session: true, serve: (*call).terminateSession},
	"RetrieveProperties":     {this: refPropertyCollector, args: []string{"specSet"}, session: true, serve: (*call).retrieveProperties},
	"RetrievePropertiesEx":   {this: refPropertyCollector, args: []string{"specSet", "options"}, session: true, serve: (*call).retrieveProperties},
}

// dispatch answers the call; it returns the fault to write, or nil when it
// wrote a result.
func (c *call) dispatch() *fault {
	m, ok := methods[c.env.Method]
	if !ok {
		c.cause = errors.New("soap: method not in the served subset")
		return notImplemented("The method " + quote(c.env.Method) + " is not implemented by this server.")
	}
	this, err := c.env.This()
	if err != nil {
		c.cause = err
		return invalidArgument("_this")
	}
	if this != m.this {
		c.cause = errors.New("soap: method called on another object")
		return notImplemented("The method " + quote(c.env.Method) + " is implemented only on " + m.this.Type + ".")
	}
	if err := c.env.CheckArgs(append([]string{"_this"}, m.args...)...); err != nil {
		c.cause = err
		var ae *argError
		if errors.As(err, &ae) {
			return invalidArgument(quote(ae.name))
		}
		return invalidArgument(c.env.Method)
	}
	var s *session.Session
	if m.session {
		var f *fault
		if s, f = c.session(); f != nil {
			return f
		}
	}
	return m.serve(c, s)
}

// session looks up the caller's session from the vmware_soap_session
// cookie: NotAuthenticated without a live one, 400 for two such cookies,
// 503 when the store is down.
func (c *call) session() (*session.Session, *fault) {
	var id string
	n := 0
	for _, ck := range c.r.Cookies() {
		if ck.Name == CookieName {
			id = ck.Value
			n++
		}
	}
	switch {
	case n > 1:
		c.cause = errors.New("soap: duplicate session cookie")
		return nil, clientFault(http.StatusBadRequest, "soapenv:Client", "The request carries more than one session cookie.")
	case n == 0:
		c.cause = errors.New("soap: no session cookie")
		return nil, notAuthenticated("System.View")
	}
	s, err := c.h.m.Lookup(c.r.Context(), id)
	if err != nil {
		c.cause = err
		if errors.Is(err, session.ErrUnknownSession) {
			return nil, notAuthenticated("System.View")
		}
		return nil, systemError(http.StatusServiceUnavailable, "session store unavailable")
	}
	return s, nil
}

// managerFault maps a session.Manager error to the fault answering it.
func (c *call) managerFault(err error) *fault {
	c.cause = err
	switch {
	case errors.Is(err, session.ErrSessionLimit):
		return systemError(http.StatusServiceUnavailable, "too many sessions for this user")
	case errors.Is(err, session.ErrQuotaExceeded):
		return systemError(http.StatusTooManyRequests, "quota exceeded")
	case errors.Is(err, session.ErrDepthExceeded):
		return systemError(http.StatusInternalServerError, "session derivation too deep")
	case errors.Is(err, session.ErrUnknownSession):
		return notAuthenticated("System.View")
	}
	return systemError(http.StatusServiceUnavailable, "session store unavailable")
}

// login creates a session for identity and answers it (Login,
// LoginByToken).
func (c *call) startSession(id session.Identity) *fault {
	s, err := c.h.m.Create(c.r.Context(), id)
	if err != nil {
		return c.managerFault(err)
	}
	http.SetCookie(c.w, c.h.cookie(s.ID))
	c.writeUserSession(s)
	return nil
}

// writeUserSession answers with <returnval> holding s as a UserSession.
func (c *call) writeUserSession(s *session.Session) {
	var b bytes.Buffer
	b.WriteString("<returnval>")
	userSession(&b, s.ID, s.Principal, s.Created, s.LastAccessed)
	b.WriteString("</returnval>")
	writeResult(c.w, c.env.Method, b.Bytes())
}

// userSession writes the fields of a vim25 UserSession. Its key is the
// session's Key (the SHA-256 of the id, as the admin API shows it), never
// the id itself.
func userSession(b *bytes.Buffer, id string, p vapisec.Principal, created, last time.Time) {
	key, _ := session.KeyOf(id)
	userSessionKey(b, key, p, created, last)
}

func userSessionKey(b *bytes.Buffer, key session.Key, p vapisec.Principal, created, last time.Time) {
	b.WriteString(elem("key", key.String()))
	b.WriteString(elem("userName", p.DownLevel()))
	b.WriteString(elem("fullName", p.DownLevel()))
	b.WriteString(elem("loginTime", created.UTC().Format(time.RFC3339Nano)))
	b.WriteString(elem("lastActiveTime", last.UTC().Format(time.RFC3339Nano)))
	b.WriteString(elem("locale", "en"))
	b.WriteString(elem("messageLocale", "en"))
	b.WriteString(elem("extensionSession", "false"))
}

// loggedIn refuses a login (Login, LoginByToken) on a request whose
// vmware_soap_session cookie names a live session, as vCenter's simulator
// answers (govmomi simulator/session_manager.go: InvalidLogin whenever
// ctx.Session is set): the caller keeps that session, and no second one is
// made behind it. A cookie naming no live session (expired, logged out,
// made up) is ignored, as there; two session cookies are 400 and a store
// that cannot say 503, as for any other call. It returns nil when the login
// may go on.
func (c *call) loggedIn() *fault {
	if !slices.ContainsFunc(c.r.Cookies(), func(ck *http.Cookie) bool { return ck.Name == CookieName }) {
		return nil
	}
	s, f := c.session()
	switch {
	case s != nil:
		c.cause = errors.New("soap: login on a request that already has a session")
		return invalidLogin()
	case f.typ == FaultNotAuthenticated:
		c.cause = nil
		return nil
	}
	return f
}

func (c *call) login(*session.Session) *fault {
	if f := c.loggedIn(); f != nil {
		return f
	}
	user, okUser, err1 := c.env.Arg("userName")
	pass, okPass, err2 := c.env.Arg("password")
	switch {
	case err1 != nil || !okUser:
		c.cause = err1
		return invalidArgument("userName")
	case err2 != nil || !okPass:
		c.cause = err2
		return invalidArgument("password")
	}
	if c.h.cfg.auth == nil {
		c.cause = errors.New("soap: no Authenticator configured")
		return invalidLogin()
	}
	id, err := c.h.cfg.auth.Authenticate(c.r.Context(), user, pass)
	switch {
	case errors.Is(err, ErrInvalidLogin):
		// The cause names the category only: never the password.
		c.cause = ErrInvalidLogin
		return invalidLogin()
	case err != nil:
		c.cause = err
		return systemError(http.StatusServiceUnavailable, "the authenticator could not decide")
	}
	if id.Principal.IsZero() {
		id.Principal = vapisec.ParsePrincipal(user)
	}
	id.Scheme = vapisec.SchemeUserPass
	return c.startSession(id)
}

func (c *call) loginByToken(*session.Session) *fault {
	if c.h.cfg.token == nil {
		c.cause = errors.New("soap: LoginByToken without a TokenLogin")
		return notImplemented("LoginByToken is not enabled on this server.")
	}
	if f := c.loggedIn(); f != nil {
		return f
	}
	id, err := c.h.cfg.token.LoginByToken(c.r.Context(), &TokenRequest{Envelope: c.env, Body: c.body, HTTP: c.r, Host: c.r.Host})
	switch {
	case errors.Is(err, ErrInvalidLogin):
		c.cause = err
		return invalidLogin()
	case err != nil:
		c.cause = err
		return systemError(http.StatusServiceUnavailable, "the token verifier could not decide")
	case id.Principal.IsZero():
		c.cause = errors.New("soap: TokenLogin returned no principal")
		return invalidLogin()
	}
	return c.startSession(id)
}

func (c *call) logout(s *session.Session) *fault {
	if err := c.h.m.Delete(c.r.Context(), s.ID); err != nil && !errors.Is(err, session.ErrUnknownSession) {
		return c.managerFault(err)
	}
	http.SetCookie(c.w, c.h.cookie(""))
	writeResult(c.w, c.env.Method, nil)
	return nil
}

func (c *call) acquireCloneTicket(s *session.Session) *fault {
	ticket, err := c.h.m.AcquireCloneTicket(c.r.Context(), s.ID)
	if err != nil {
		return c.managerFault(err)
	}
	writeResult(c.w, c.env.Method, []byte(elem("returnval", ticket)))
	return nil
}

func (c *call) cloneSession(*session.Session) *fault {
	ticket, ok, err := c.env.Arg("cloneTicket")
	if err != nil || !ok {
		c.cause = err
		return invalidArgument("cloneTicket")
	}
	s, err := c.h.m.CloneSession(c.r.Context(), ticket)
	if err != nil {
		if errors.Is(err, session.ErrUnknownSession) {
			// Unknown, used, expired, or its parent ended: vCenter's answer.
			c.cause = err
			return invalidLogin()
		}
		return c.managerFault(err)
	}
	http.SetCookie(c.w, c.h.cookie(s.ID))
	c.writeUserSession(s)
	return nil
}

// isAdmin reports whether p is one of the configured administrators.
func (c *call) isAdmin(p vapisec.Principal) bool {
	return slices.Contains(c.h.cfg.admins, p)
}

// sessionIsActive answers whether the session with key sessionID of
// userName is alive. A user may ask about their own sessions; only an
// administrator about another user's (NoPermission otherwise).
func (c *call) sessionIsActive(s *session.Session) *fault {
	keyText, ok1, err1 := c.env.Arg("sessionID")
	user, ok2, err2 := c.env.Arg("userName")
	if err := errors.Join(err1, err2); err != nil || !ok1 || !ok2 {
		c.cause = err
		return invalidArgument("sessionID")
	}
	key, err := session.ParseKey(keyText)
	if err != nil {
		c.cause = err
		return invalidArgument("sessionID")
	}
	p := vapisec.ParsePrincipal(user)
	if session.UserKey(p) != session.UserKey(s.Principal) && !c.isAdmin(s.Principal) {
		c.cause = errors.New("soap: SessionIsActive about another user")
		return noPermission("Sessions.ValidateSession")
	}
	infos, err := c.h.m.Sessions(c.r.Context(), p)
	if err != nil {
		return c.managerFault(err)
	}
	active := slices.ContainsFunc(infos, func(i session.Info) bool {
		return i.Key == key && (i.Kind == session.KindSession || i.Kind == session.KindChild)
	})
	writeResult(c.w, c.env.Method, []byte(elem("returnval", boolText(active))))
	return nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// terminateSession ends the sessions with the given keys (administrators
// only: NoPermission otherwise, as vCenter answers without the
// Sessions.TerminateSession privilege). The caller's own session is
// InvalidArgument, as in vCenter, and so is a key given twice; every key is
// checked before any session ends.
func (c *call) terminateSession(s *session.Session) *fault {
	if !c.isAdmin(s.Principal) {
		c.cause = errors.New("soap: TerminateSession by a non-administrator")
		return noPermission("Sessions.TerminateSession")
	}
	texts, err := c.env.Args("sessionId")
	if err != nil || len(texts) == 0 {
		c.cause = err
		return invalidArgument("sessionId")
	}
	own, _ := session.KeyOf(s.ID)
	keys := make([]session.Key, len(texts))
	seen := make(map[session.Key]struct{}, len(texts))
	for i, t := range texts {
		k, err := session.ParseKey(t)
		if err != nil || k == own || hasKey(seen, k) {
			// A repeated key would end the session, then answer NotFound
			// for the repeat: a fault after a change.
			c.cause = errors.Join(err, errors.New("soap: TerminateSession of the caller's own, or a repeated, key"))
			return invalidArgument("sessionId")
		}
		keys[i] = k
		seen[k] = struct{}{}
	}
	for _, k := range keys {
		if err := c.h.m.Terminate(c.r.Context(), k); err != nil {
			if errors.Is(err, session.ErrUnknownSession) {
				c.cause = err
				return methodFault(FaultNotFound, "The object or item referred to could not be found.", "")
			}
			return c.managerFault(err)
		}
	}
	writeResult(c.w, c.env.Method, nil)
	return nil
}

func hasKey(set map[session.Key]struct{}, k session.Key) bool {
	_, ok := set[k]
	return ok
}
