package verifier

// XML-DSig signature method identifiers (RFC 6931 §2.3) the verifier can
// accept. The default allow-list holds the three RSA ones (see
// WithSignatureAlgorithms to add ECDSA); SHA-1 and HMAC methods are never
// accepted, whatever the options say.
const (
	SignatureRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SignatureRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	SignatureRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	SignatureECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	SignatureECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	SignatureECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
)

// XML-DSig digest method identifiers (RFC 6931 §2.1) the verifier can
// accept. The default allow-list holds all three; SHA-1 is never accepted.
const (
	DigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	DigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// Algorithms the verifier pins and never lets the caller change: exclusive
// canonicalization without comments (for SignedInfo and the reference) and
// the enveloped-signature transform, exactly as vCenter's STS signs.
const (
	algExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped    = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	nsSAMLAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig          = "http://www.w3.org/2000/09/xmldsig#"
	nsXSI           = "http://www.w3.org/2001/XMLSchema-instance"
	nsRSASAML       = "http://www.rsa.com/names/2009/12/std-ext/SAML2.0"
	nsDelegation    = "urn:oasis:names:tc:SAML:2.0:conditions:delegation"
)

// SAML names vAPI tokens use.
const (
	// NameIDFormatUPN is the NameID format of vCenter STS subjects
	// ("user@domain").
	NameIDFormatUPN = "http://schemas.xmlsoap.org/claims/UPN"
	// AttributeGroupIdentity is the attribute whose values are the subject's
	// groups ("domain\group").
	AttributeGroupIdentity = "http://rsa.com/schemas/attr-names/2009/01/GroupIdentity"
	// AttributeIsSolution is the attribute whose single value ("true" or
	// "false") says whether the subject is a solution user.
	AttributeIsSolution = "http://vmware.com/schemas/attr-names/2011/07/isSolution"
)

// nameIDFormats are the NameID Format values a token may carry: the eight
// formats SAML 2.0 core (saml-core-2.0-os) §8.3 defines, under the URNs core
// gives them (SAML 1.1 URNs for the first four), plus vCenter's
// NameIDFormatUPN. An absent Format means unspecified (core §2.2.2).
var nameIDFormats = []string{
	"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
	"urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
	"urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
	NameIDFormatUPN,
}

// attributeNameFormats are the three Attribute NameFormat values SAML 2.0
// core §8.2 defines. An absent NameFormat means unspecified (core §2.7.3.1).
var attributeNameFormats = []string{
	"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
	"urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
	"urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
}

var (
	// allSignatureAlgorithms are the methods WithSignatureAlgorithms accepts.
	allSignatureAlgorithms = []string{SignatureRSASHA256, SignatureRSASHA384, SignatureRSASHA512, SignatureECDSASHA256, SignatureECDSASHA384, SignatureECDSASHA512}
	// defaultSignatureAlgorithms are RSA only: vCenter's STS signs with RSA,
	// and goxmldsig v1.6.1 encodes ECDSA XML signatures as ASN.1 DER rather
	// than the r||s form of RFC 4051, so ECDSA tokens from other issuers
	// would not interoperate. Enable them with WithSignatureAlgorithms.
	defaultSignatureAlgorithms = []string{SignatureRSASHA256, SignatureRSASHA384, SignatureRSASHA512}
	allDigestAlgorithms        = []string{DigestSHA256, DigestSHA384, DigestSHA512}
)
