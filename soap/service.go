package soap

import (
	"bytes"
	"errors"
	"time"

	"github.com/beevik/etree"

	"github.com/vapisec/vapisec/session"
)

// What RetrieveServiceContent reports in its AboutInfo: a vCenter (ApiType
// "VirtualCenter", so govmomi's IsVC is true) speaking APIVersion.
const (
	// APIVersion is the vim25 API version served (about.apiVersion and
	// vimServiceVersions.xml).
	APIVersion = "8.0.3.0"
	// InstanceUUID is about.instanceUuid: fixed, so that every instance
	// behind one load balancer reports the same service.
	InstanceUUID = "5b3f4c1e-2a9d-4e8b-9c7a-7d61a0c0ffee"
)

func (c *call) retrieveServiceContent(*session.Session) *fault {
	var b bytes.Buffer
	b.WriteString(`<returnval>`)
	b.WriteString(moRefXML("rootFolder", refRootFolder))
	b.WriteString(moRefXML("propertyCollector", refPropertyCollector))
	b.WriteString(`<about>`)
	for _, kv := range [][2]string{
		{"name", "VMware vCenter Server"},
		{"fullName", "VMware vCenter Server 8.0.3 (vapisec vim25 session subset)"},
		{"vendor", "VMware, Inc."},
		{"version", "8.0.3"},
		{"build", "0"},
		{"localeVersion", "INTL"},
		{"localeBuild", "000"},
		{"osType", "linux-x64"},
		{"productLineId", "vpx"},
		{"apiType", "VirtualCenter"},
		{"apiVersion", APIVersion},
		{"instanceUuid", InstanceUUID},
	} {
		b.WriteString(elem(kv[0], kv[1]))
	}
	b.WriteString(`</about>`)
	b.WriteString(moRefXML("sessionManager", refSessionManager))
	b.WriteString(`</returnval>`)
	writeResult(c.w, c.env.Method, b.Bytes())
	return nil
}

// currentTime answers ServiceInstance.CurrentTime (govc session.ls reads it
// to show idle times).
func (c *call) currentTime(*session.Session) *fault {
	writeResult(c.w, c.env.Method, []byte(elem("returnval", c.h.now().UTC().Format(time.RFC3339Nano))))
	return nil
}

// The SessionManager properties the PropertyCollector serves.
const (
	propCurrentSession = "currentSession"
	propSessionList    = "sessionList"
)

// vimChildren returns el's child elements named name in NamespaceVim25.
func vimChildren(el *etree.Element, name string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == name && c.NamespaceURI() == NamespaceVim25 {
			out = append(out, c)
		}
	}
	return out
}

// onlyChildren fails unless every child element of el is in NamespaceVim25
// and named in allowed.
func onlyChildren(el *etree.Element, allowed ...string) error {
	if err := onlyWhitespace(el); err != nil {
		return err
	}
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != NamespaceVim25 || !contains(allowed, c.Tag) {
			return &argError{name: c.Tag}
		}
	}
	return nil
}

// retrieveProperties answers RetrieveProperties and RetrievePropertiesEx
// for the SessionManager's currentSession and sessionList: the session of
// the caller, and the live sessions of the caller's user (keys, never ids).
// Other objects are NotImplemented, other properties InvalidProperty. The
// SessionManager is answered once, however many objectSets name it.
func (c *call) retrieveProperties(s *session.Session) *fault {
	specs := vimChildren(c.env.Call, "specSet")
	if len(specs) == 0 {
		return invalidArgument("specSet")
	}
	var paths []string
	objects := 0
	for _, spec := range specs {
		if err := onlyChildren(spec, "propSet", "objectSet", "reportMissingObjectsInResults"); err != nil {
			c.cause = err
			return invalidArgument("specSet")
		}
		for _, ps := range vimChildren(spec, "propSet") {
			if err := onlyChildren(ps, "type", "all", "pathSet"); err != nil {
				c.cause = err
				return invalidArgument("propSet")
			}
			typ, err := onlyText(ps, "type")
			if err != nil || typ != refSessionManager.Type {
				c.cause = errors.Join(err, errors.New("soap: property type outside the subset"))
				return notImplemented("Only the SessionManager's properties are served.")
			}
			all, err := onlyText(ps, "all")
			if err != nil {
				c.cause = err
				return invalidArgument("all")
			}
			if all == "true" || all == "1" {
				paths = appendNew(appendNew(paths, propCurrentSession), propSessionList)
			}
			for _, p := range vimChildren(ps, "pathSet") {
				name, err := textOf(p)
				if err != nil {
					c.cause = err
					return invalidArgument("pathSet")
				}
				if name != propCurrentSession && name != propSessionList {
					c.cause = errors.New("soap: property outside the subset")
					return methodFault(FaultInvalidProperty, "A specified property was invalid.", elem("name", name))
				}
				paths = appendNew(paths, name)
			}
		}
		for _, os := range vimChildren(spec, "objectSet") {
			if err := onlyChildren(os, "obj", "skip", "selectSet"); err != nil {
				c.cause = err
				return invalidArgument("objectSet")
			}
			objs := vimChildren(os, "obj")
			if len(objs) != 1 || len(vimChildren(os, "selectSet")) != 0 {
				c.cause = errors.New("soap: objectSet outside the subset")
				return notImplemented("Only the SessionManager object is served, without traversal.")
			}
			ref, err := moRef(objs[0])
			if err != nil || ref != refSessionManager {
				c.cause = errors.Join(err, errors.New("soap: object outside the subset"))
				return notImplemented("Only the SessionManager object is served.")
			}
			objects++
		}
	}
	if objects == 0 {
		return invalidArgument("objectSet")
	}
	var props bytes.Buffer
	for _, p := range paths {
		props.WriteString(`<propSet>`)
		props.WriteString(elem("name", p))
		switch p {
		case propCurrentSession:
			props.WriteString(`<val xsi:type="UserSession">`)
			userSession(&props, s.ID, s.Principal, s.Created, s.LastAccessed)
			props.WriteString(`</val>`)
		case propSessionList:
			infos, err := c.h.m.Sessions(c.r.Context(), s.Principal)
			if err != nil {
				return c.managerFault(err)
			}
			props.WriteString(`<val xsi:type="ArrayOfUserSession">`)
			for _, i := range infos {
				if i.Kind != session.KindSession && i.Kind != session.KindChild {
					continue
				}
				props.WriteString(`<UserSession>`)
				userSessionKey(&props, i.Key, i.Principal, i.Created, i.LastAccessed)
				props.WriteString(`</UserSession>`)
			}
			props.WriteString(`</val>`)
		}
		props.WriteString(`</propSet>`)
	}
	var b bytes.Buffer
	ex := c.env.Method == "RetrievePropertiesEx"
	if ex {
		b.WriteString(`<returnval>`)
	}
	// One ObjectContent for the one object, however many objectSets name
	// it: the simulator's PropertyCollector collects each object once
	// (retrieveResult.collected), and one answer per objectSet would let a
	// 256 KiB request of ~2,000 objectSets make the handler write the
	// caller's whole sessionList ~2,000 times.
	if ex {
		b.WriteString(`<objects>`)
	} else {
		b.WriteString(`<returnval>`)
	}
	b.WriteString(moRefXML("obj", refSessionManager))
	b.Write(props.Bytes())
	if ex {
		b.WriteString(`</objects>`)
	} else {
		b.WriteString(`</returnval>`)
	}
	if ex {
		b.WriteString(`</returnval>`)
	}
	writeResult(c.w, c.env.Method, b.Bytes())
	return nil
}

// onlyText returns the text of el's one child name ("" when absent).
func onlyText(el *etree.Element, name string) (string, error) {
	cs := vimChildren(el, name)
	switch len(cs) {
	case 0:
		return "", nil
	case 1:
		return textOf(cs[0])
	}
	return "", malformed(ErrMalformed, "%.40q repeated", name)
}

func appendNew(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
