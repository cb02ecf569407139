package sts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Defaults of the STS options and requests.
const (
	// DefaultPrefix is the namespace prefix of the SAML elements, as vCenter
	// writes them.
	DefaultPrefix = "saml2"
	// DefaultIssuer is the Issuer of the tokens.
	DefaultIssuer = "https://localhost/websso/SAML2/Metadata/vsphere.local"
	// DefaultLifetime is the lifetime of a token when the request sets none.
	DefaultLifetime = time.Hour
	// DefaultRestrictionCount is the Count written in ProxyRestriction and
	// RenewRestriction for delegable and renewable tokens (vCenter's value).
	DefaultRestrictionCount = 10
)

// Names written into the tokens.
const (
	nsSAML        = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsXS          = "http://www.w3.org/2001/XMLSchema"
	nsXSI         = "http://www.w3.org/2001/XMLSchema-instance"
	nsRSA         = "http://www.rsa.com/names/2009/12/std-ext/SAML2.0"
	formatUPN     = "http://schemas.xmlsoap.org/claims/UPN"
	formatEntity  = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	cmBearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	cmHolderOfKey = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
	attrURI       = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	attrGroup     = "http://rsa.com/schemas/attr-names/2009/01/GroupIdentity"
	attrSubject   = "http://rsa.com/schemas/attr-names/2009/01/SubjectType"
	attrSolution  = "http://vmware.com/schemas/attr-names/2011/07/isSolution"
	subjectUser   = "http://www.rsa.com/names/2009/12/std-ext/SAML2.0/subjects/user"
	authnPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	rsaSHA256     = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	timeLayout    = "2006-01-02T15:04:05.000Z"
)

// STS issues signed SAML 2.0 assertions with one key. It is safe for
// concurrent use.
//
// WARNING: for tests and development only (see the package documentation).
type STS struct {
	key  crypto.Signer
	cert *x509.Certificate
	config
}

// config is what the options set.
type config struct {
	chain  [][]byte
	prefix string
	issuer string
	clock  func() time.Time
}

// Option configures an STS; New applies them in order and fails with the
// first error (ErrInvalidOption).
type Option func(*config) error

// WithPrefix sets the namespace prefix of the SAML elements. Default:
// DefaultPrefix ("saml2"). An empty prefix makes SAML the default namespace.
func WithPrefix(prefix string) Option {
	return func(s *config) error {
		if prefix == "ds" || prefix == "xs" || prefix == "xsi" || prefix == "xmlns" {
			return fmt.Errorf("%w: prefix %q is reserved", ErrInvalidOption, prefix)
		}
		s.prefix = prefix
		return nil
	}
}

// WithIssuer sets the Issuer written into tokens. Default: DefaultIssuer.
func WithIssuer(issuer string) Option {
	return func(s *config) error {
		if issuer == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidOption)
		}
		s.issuer = issuer
		return nil
	}
}

// WithClock sets the clock that dates tokens whose request has no NotBefore.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		s.clock = now
		return nil
	}
}

// WithIntermediates appends certificates after the signing certificate in
// the signature's ds:KeyInfo, for verifiers that check a chain to a CA root.
// Default: none (only the signing certificate).
func WithIntermediates(certs ...*x509.Certificate) Option {
	return func(s *config) error {
		for _, c := range certs {
			if c == nil {
				return fmt.Errorf("%w: nil intermediate", ErrInvalidOption)
			}
			s.chain = append(s.chain, c.Raw)
		}
		return nil
	}
}

// New returns an STS that signs with key (an RSA key) and publishes cert, the
// certificate of key, in every signature's ds:KeyInfo.
func New(key crypto.Signer, cert *x509.Certificate, opts ...Option) (*STS, error) {
	if key == nil || cert == nil {
		return nil, fmt.Errorf("%w: key and certificate are required", ErrInvalidOption)
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key.Public())
	}
	if !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%w: certificate does not match the key", ErrInvalidOption)
	}
	s := &STS{key: key, cert: cert, config: config{chain: [][]byte{cert.Raw}, prefix: DefaultPrefix, issuer: DefaultIssuer, clock: time.Now}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&s.config); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Certificate returns the STS signing certificate, the trust anchor of its
// tokens.
func (s *STS) Certificate() *x509.Certificate { return s.cert }

// IssueRequest describes the token to issue.
type IssueRequest struct {
	// Subject is the NameID, in UPN form "user@domain". Required.
	Subject string
	// Groups are written as GroupIdentity values ("domain\group").
	Groups []string
	// NotBefore starts the validity; zero means the STS clock's now.
	NotBefore time.Time
	// Lifetime is NotOnOrAfter − NotBefore; zero means DefaultLifetime.
	Lifetime time.Duration
	// Audience lists the audiences of one AudienceRestriction; empty means
	// no AudienceRestriction.
	Audience []string
	// HoKCertificate makes a holder-of-key token confirmed by this
	// certificate; nil makes a bearer token.
	HoKCertificate *x509.Certificate
	// Delegable adds a ProxyRestriction with Count DefaultRestrictionCount.
	Delegable bool
	// Renewable adds an RSA RenewRestriction with Count
	// DefaultRestrictionCount.
	Renewable bool
	// SolutionUser sets the isSolution attribute to true (false otherwise).
	SolutionUser bool
}

// Issue builds and signs a token (the Assertion XML, no XML declaration).
func (s *STS) Issue(req IssueRequest) ([]byte, error) {
	if req.Subject == "" {
		return nil, fmt.Errorf("%w: empty subject", ErrInvalidRequest)
	}
	if req.Lifetime < 0 {
		return nil, fmt.Errorf("%w: negative lifetime", ErrInvalidRequest)
	}
	root, err := s.Build(req)
	if err != nil {
		return nil, err
	}
	if err := s.Sign(root); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	return doc.WriteToBytes()
}

// Build returns the unsigned Assertion element for req. Together with Sign
// it lets tests alter a token before signing it.
func (s *STS) Build(req IssueRequest) (*etree.Element, error) {
	nb := req.NotBefore
	if nb.IsZero() {
		nb = s.clock()
	}
	nb = nb.UTC().Truncate(time.Millisecond)
	life := req.Lifetime
	if life == 0 {
		life = DefaultLifetime
	}
	noa := nb.Add(life)
	var idb [16]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	a := assertionBuilder{prefix: s.prefix}
	root := etree.NewElement("Assertion")
	root.Space = a.prefix
	if a.prefix == "" {
		root.CreateAttr("xmlns", nsSAML)
	} else {
		root.CreateAttr("xmlns:"+a.prefix, nsSAML)
	}
	root.CreateAttr("xmlns:ds", dsig.Namespace)
	root.CreateAttr("xmlns:xs", nsXS)
	root.CreateAttr("xmlns:xsi", nsXSI)
	root.CreateAttr("ID", "_"+hex.EncodeToString(idb[:]))
	root.CreateAttr("IssueInstant", nb.Format(timeLayout))
	root.CreateAttr("Version", "2.0")

	issuer := a.el(root, "Issuer")
	issuer.CreateAttr("Format", formatEntity)
	issuer.SetText(s.issuer)
	a.subject(root, req, noa)
	a.conditions(root, req, nb, noa)
	a.statements(root, req, nb)
	return root, nil
}

// assertionBuilder adds the SAML elements of an assertion under prefix.
type assertionBuilder struct{ prefix string }

// el adds a SAML element tag to parent.
func (a assertionBuilder) el(parent *etree.Element, tag string) *etree.Element {
	e := parent.CreateElement(tag)
	e.Space = a.prefix
	return e
}

// subject adds the Subject: the NameID and its confirmation, holder-of-key
// when req has a certificate, bearer (valid until noa) otherwise.
func (a assertionBuilder) subject(root *etree.Element, req IssueRequest, noa time.Time) {
	subject := a.el(root, "Subject")
	nameID := a.el(subject, "NameID")
	nameID.CreateAttr("Format", formatUPN)
	nameID.SetText(req.Subject)
	conf := a.el(subject, "SubjectConfirmation")
	data := a.el(conf, "SubjectConfirmationData")
	if req.HoKCertificate != nil {
		conf.CreateAttr("Method", cmHolderOfKey)
		data.CreateAttr("xsi:type", qname(a.prefix, "KeyInfoConfirmationDataType"))
		ki := data.CreateElement("ds:KeyInfo")
		x := ki.CreateElement("ds:X509Data")
		x.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(req.HoKCertificate.Raw))
	} else {
		conf.CreateAttr("Method", cmBearer)
		data.CreateAttr("NotOnOrAfter", noa.Format(timeLayout))
	}
}

// conditions adds the Conditions: the validity window [nb, noa), and the
// delegation, renewal and audience restrictions req asks for.
func (a assertionBuilder) conditions(root *etree.Element, req IssueRequest, nb, noa time.Time) {
	cond := a.el(root, "Conditions")
	cond.CreateAttr("NotBefore", nb.Format(timeLayout))
	cond.CreateAttr("NotOnOrAfter", noa.Format(timeLayout))
	if req.Delegable {
		a.el(cond, "ProxyRestriction").CreateAttr("Count", fmt.Sprint(DefaultRestrictionCount))
	}
	if req.Renewable {
		c := a.el(cond, "Condition")
		c.CreateAttr("xmlns:rsa", nsRSA)
		c.CreateAttr("Count", fmt.Sprint(DefaultRestrictionCount))
		c.CreateAttr("xsi:type", "rsa:RenewRestrictionType")
	}
	if len(req.Audience) > 0 {
		ar := a.el(cond, "AudienceRestriction")
		for _, aud := range req.Audience {
			a.el(ar, "Audience").SetText(aud)
		}
	}
}

// statements adds the AuthnStatement (password authentication at nb) and
// the AttributeStatement: subject type, groups and isSolution.
func (a assertionBuilder) statements(root *etree.Element, req IssueRequest, nb time.Time) {
	authn := a.el(root, "AuthnStatement")
	authn.CreateAttr("AuthnInstant", nb.Format(timeLayout))
	a.el(a.el(authn, "AuthnContext"), "AuthnContextClassRef").SetText(authnPassword)

	stmt := a.el(root, "AttributeStatement")
	attribute := func(friendly, name string, values ...string) {
		attr := a.el(stmt, "Attribute")
		attr.CreateAttr("FriendlyName", friendly)
		attr.CreateAttr("Name", name)
		attr.CreateAttr("NameFormat", attrURI)
		for _, v := range values {
			av := a.el(attr, "AttributeValue")
			av.CreateAttr("xsi:type", "xs:string")
			av.SetText(v)
		}
	}
	attribute("Subject Type", attrSubject, subjectUser)
	if len(req.Groups) > 0 {
		attribute("Group", attrGroup, req.Groups...)
	}
	attribute("isSolution", attrSolution, fmt.Sprint(req.SolutionUser))
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// Sign signs the Assertion root in place: it computes an enveloped XML
// signature (exclusive canonicalization, rsa-sha256, SHA-256 digest,
// Reference URI "#<ID>") and inserts the ds:Signature right after the Issuer,
// as vCenter does (at the start when there is no Issuer).
func (s *STS) Sign(root *etree.Element) error {
	ctx, err := dsig.NewSigningContext(s.key, s.chain)
	if err != nil {
		return err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(rsaSHA256); err != nil {
		return err
	}
	// ConstructSignature canonicalizes its argument in place: give it a copy
	// so that the document keeps its namespace declarations as written.
	sig, err := ctx.ConstructSignature(root.Copy(), true)
	if err != nil {
		return err
	}
	at := 0
	for i, t := range root.Child {
		if e, ok := t.(*etree.Element); ok && e.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	root.InsertChildAt(at, sig)
	return nil
}
