package verifier

import "github.com/beevik/etree"

// VerifyWithoutCommentChecks verifies token like Verify (verifier's clock
// and anchors, no cache) except that the two pre-checks refusing comments
// (the byte scan and checkStructure) do not see the comments: checkStructure
// runs on a copy without them, and the steps after it get the root as
// parsed, comments included. Tests only: it lets a test present a root
// that differs from the element goxmldsig verifies, to check which one the
// fields are read from.
func VerifyWithoutCommentChecks(v *TokenVerifier, token []byte) (*Token, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(token); err != nil {
		return nil, err
	}
	clean := etree.NewDocument()
	clean.SetRoot(withoutComments(doc.Root().Copy()))
	_, keyInfo, err := checkStructure(clean, v.cfg.sigAlgs, v.cfg.digestAlgs)
	if err != nil {
		return nil, err
	}
	t, _, _, err := v.verifyElement(v.state.Load(), doc.Root(), keyInfo, v.cfg.clock())
	return t, err
}

func withoutComments(el *etree.Element) *etree.Element {
	for _, c := range append([]etree.Token(nil), el.Child...) {
		switch c := c.(type) {
		case *etree.Comment:
			el.RemoveChild(c)
		case *etree.Element:
			withoutComments(c)
		}
	}
	return el
}
