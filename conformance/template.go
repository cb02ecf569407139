package conformance

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Templates in paths, header values, bodies and body_not_contains:
//
//	{{basic}}                 "Basic " + base64(user ":" password)
//	{{basic-credentials}}     base64(user ":" password), without the scheme
//	{{basic-wrong-password}}  the runner's user with a random wrong password
//	{{basic-unknown-user}}    a random unknown user
//	{{wrong-password}}        that random wrong password
//	{{user}}                  the runner's user name
//	{{password}}              the runner's password
//	{{unknown-user}}          that random unknown user's name
//	{{json:NAME}}             the value of template NAME escaped for the
//	                          inside of a JSON string ({{json:password}})
//	{{xml-user}}              the user name escaped as XML text (SOAP Login)
//	{{xml-password}}          the password escaped as XML text (SOAP Login)
//	{{xml-wrong-password}}    the random wrong password escaped as XML text
//	{{origin}}                the target's scheme://host[:port]
//	{{unknown-session}}       a well-formed session id no server issued
//	{{b64:TEXT}}              base64(TEXT)
//	{{b64hex:HEX}}            base64 of the bytes HEX
//	{{repeat:C:N}}            the text C repeated N times (N ≤ 65536)
//	{{access-token:VARIANT}}  an OAuth 2.0 JWT access token, valid or broken (oauth.go)
//	{{<variable>}}            a value captured by an earlier step
//
// Templates needing the user and password make the case require "basic".
var builtinTemplates = map[string]bool{
	"basic": true, "basic-credentials": true, "basic-wrong-password": true, "basic-unknown-user": true, "wrong-password": true,
	"user": true, "password": true, "unknown-user": true, "origin": true, "unknown-session": true,
	"xml-user": true, "xml-password": true, "xml-wrong-password": true,
}

// basicTemplates need the runner's Basic credentials.
var basicTemplates = map[string]bool{"basic": true, "basic-credentials": true, "basic-wrong-password": true, "user": true, "password": true, "xml-user": true, "xml-password": true}

const maxRepeat = 1 << 16

// forEachTemplate calls f with the name and argument of each {{…}} in s. An
// unterminated template is an error.
func forEachTemplate(s string, f func(name, arg string) error) error {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return fmt.Errorf("unterminated template in %.60q", s)
		}
		name, arg, _ := strings.Cut(s[i+2:i+j], ":")
		if err := f(name, arg); err != nil {
			return err
		}
		s = s[i+j+2:]
	}
}

// checkTemplates validates the templates of s against the builtins and the
// variables captured so far.
func checkTemplates(s string, vars map[string]bool) error {
	return forEachTemplate(s, func(name, arg string) error {
		switch name {
		case "b64":
			return nil
		case "b64hex":
			_, err := hex.DecodeString(arg)
			return err
		case "repeat":
			_, err := parseRepeat(arg)
			return err
		case "access-token":
			if _, ok := oauthVariants[arg]; !ok {
				return fmt.Errorf("unknown access-token variant %q", arg)
			}
			return nil
		case "json":
			if builtinTemplates[arg] || vars[arg] {
				return nil
			}
			return fmt.Errorf("json template of unknown template or variable %q", arg)
		}
		if builtinTemplates[name] || vars[name] {
			return nil
		}
		return fmt.Errorf("unknown template or variable %q", name)
	})
}

// oauthNeeds returns the material the access-token templates of a step
// need: "oauth-key" for the minted variants, "oauth" for the others.
func oauthNeeds(st Step) []string {
	var need []string
	texts := append([]string{st.Path, st.Body}, headerTexts(st.Headers)...)
	for _, s := range texts {
		_ = forEachTemplate(s, func(name, arg string) error {
			if name == "access-token" {
				if oauthVariants[arg] {
					need = append(need, "oauth-key")
				} else {
					need = append(need, "oauth")
				}
			}
			return nil
		})
	}
	return need
}

// usesBasic reports whether s uses a template that needs Basic credentials.
func usesBasic(s string) bool {
	found := false
	_ = forEachTemplate(s, func(name, arg string) error {
		found = found || basicTemplates[name] || (name == "json" && basicTemplates[arg])
		return nil
	})
	return found
}

func parseRepeat(arg string) (string, error) {
	i := strings.LastIndexByte(arg, ':')
	if i < 1 {
		return "", fmt.Errorf("repeat template %q: want TEXT:N", arg)
	}
	n, err := strconv.Atoi(arg[i+1:])
	if err != nil || n < 1 || n > maxRepeat {
		return "", fmt.Errorf("repeat template %q: count out of range", arg)
	}
	return strings.Repeat(arg[:i], n), nil
}

// parseDuration reads a Wait duration: positive, at most a minute.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > time.Minute {
		return 0, fmt.Errorf("wait %q: want a duration in (0, 1m]", s)
	}
	return d, nil
}

// expand replaces the templates of s.
func (cr *caseRun) expand(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("%w: unterminated template", ErrInvalidSuite)
		}
		b.WriteString(s[:i])
		v, err := cr.value(s[i+2 : i+j])
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+j+2:]
	}
}

// value returns the value of one template.
func (cr *caseRun) value(t string) (string, error) {
	name, arg, _ := strings.Cut(t, ":")
	r := cr.r
	switch name {
	case "basic":
		return basicHeader(r.user, r.password), nil
	case "basic-credentials":
		return base64.StdEncoding.EncodeToString([]byte(r.user + ":" + r.password)), nil
	case "basic-wrong-password":
		return basicHeader(r.user, cr.wrongPassword), nil
	case "basic-unknown-user":
		return basicHeader(cr.unknownUser, cr.wrongPassword), nil
	case "wrong-password":
		return cr.wrongPassword, nil
	case "user":
		return r.user, nil
	case "password":
		return r.password, nil
	case "unknown-user":
		return cr.unknownUser, nil
	case "json":
		if strings.HasPrefix(arg, "json:") {
			return "", fmt.Errorf("%w: nested json template", ErrInvalidSuite)
		}
		v, err := cr.value(arg)
		if err != nil {
			return "", err
		}
		b, _ := json.Marshal(v)
		return string(b[1 : len(b)-1]), nil
	case "xml-user":
		return xmlText(r.user), nil
	case "xml-password":
		return xmlText(r.password), nil
	case "xml-wrong-password":
		return xmlText(cr.wrongPassword), nil
	case "origin":
		return r.origin, nil
	case "unknown-session":
		return cr.unknownSession, nil
	case "b64":
		return base64.StdEncoding.EncodeToString([]byte(arg)), nil
	case "b64hex":
		b, err := hex.DecodeString(arg)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidSuite, err)
		}
		return base64.StdEncoding.EncodeToString(b), nil
	case "repeat":
		return parseRepeat(arg)
	case "access-token":
		return cr.accessToken(arg)
	}
	if v, ok := cr.vars[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("%w: unknown template %q", ErrInvalidSuite, name)
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// xmlText escapes s as XML character data (the SOAP Login body).
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
