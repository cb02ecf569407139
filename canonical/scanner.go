package canonical

import (
	"bytes"
	"slices"
)

// maxPooledScratch is the largest scratch footprint (bytes) a state may keep
// when it goes back to the pool; bigger ones are left to the GC.
const maxPooledScratch = 1 << 20

// state is one canonicalization in progress: a single pass over src that
// writes the output directly, sorting each object's members when it closes.
type state struct {
	cfg *config
	src []byte
	pos int

	// members holds the members of every open object, innermost last.
	members []member
	// keys holds the unescaped names of members whose names had escapes.
	keys []byte
	// scratch holds an object's output while its members are reordered.
	scratch []byte
	// num holds the digits of the number being formatted.
	num []byte
	// order is the sorted order of an object's members (reorder).
	order []int32

	dropped            bool
	dropStart, dropEnd int

	// validate makes the pass check only: every rule is applied as when
	// canonicalizing, but no canonical output is kept (each member's and
	// element's output is dropped as soon as it is complete, objects are
	// not rewritten in order and non-integers are not formatted).
	validate bool
	// stopAtDrop ends a validating pass with errNeedCanonical as soon as
	// the member named by WithoutMember is found.
	stopAtDrop bool
	// vbuf is the scratch output of a validating pass.
	vbuf []byte
}

// member is one object member: where its unescaped name is, and the span of
// its `"name":value` text in the output.
type member struct {
	// key is the unescaped name: a sub-slice of the input, or of state.keys
	// when the name had escapes (an earlier backing array of keys stays
	// valid if keys grows later).
	key        []byte
	pos        int  // input offset of the name, for errors
	start, end int  // output span, without the separating comma
	dropped    bool // member removed by WithoutMember
}

func (s *state) reset(cfg *config, src []byte) {
	s.cfg, s.src, s.pos = cfg, src, 0
	s.members, s.keys, s.scratch, s.num = s.members[:0], s.keys[:0], s.scratch[:0], s.num[:0]
	s.dropped, s.dropStart, s.dropEnd = false, 0, 0
	s.validate, s.stopAtDrop = false, false
}

// release drops the references to caller memory before pooling.
func (s *state) release() {
	s.cfg, s.src = nil, nil
	clear(s.members[:cap(s.members)])
}

func (s *state) size() int {
	return cap(s.members)*56 + cap(s.keys) + cap(s.scratch) + cap(s.num) + cap(s.vbuf) + 4*cap(s.order)
}

// document canonicalizes the whole input.
func (s *state) document(dst []byte) ([]byte, error) {
	start := len(dst)
	s.skipWS()
	level := -1
	if len(s.cfg.drop) > 0 {
		level = 0
	}
	out, err := s.value(dst, 0, level)
	if err != nil {
		return dst[:start], err
	}
	s.skipWS()
	if s.pos != len(s.src) {
		return dst[:start], inputErr(ErrTrailingData, s.pos, quote(s.src[s.pos:]))
	}
	return out, nil
}

func (s *state) skipWS() {
	src, i := s.src, s.pos
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			s.pos = i
			return
		}
	}
	s.pos = i
}

func (s *state) syntax(offset int, detail string) error {
	return inputErr(ErrSyntax, offset, detail)
}

func (s *state) unexpected() error {
	if s.pos >= len(s.src) {
		return s.syntax(s.pos, "unexpected end of input")
	}
	return s.syntax(s.pos, "unexpected "+quote(s.src[s.pos:s.pos+1]))
}

// value canonicalizes the value at s.pos. depth is the nesting depth of the
// enclosing container; level is the index into cfg.drop that this value's
// members are matched against, or -1 when the value is off that path.
func (s *state) value(dst []byte, depth, level int) ([]byte, error) {
	if s.pos >= len(s.src) {
		return dst, s.unexpected()
	}
	switch c := s.src[s.pos]; c {
	case '{':
		return s.object(dst, depth+1, level)
	case '[':
		return s.array(dst, depth+1)
	case '"':
		out, _, err := s.str(dst)
		return out, err
	case 't':
		return s.literal(dst, "true")
	case 'f':
		return s.literal(dst, "false")
	case 'n':
		return s.literal(dst, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return s.number(dst)
		}
		return dst, s.unexpected()
	}
}

func (s *state) literal(dst []byte, lit string) ([]byte, error) {
	if !bytes.HasPrefix(s.src[s.pos:], []byte(lit)) {
		return dst, s.syntax(s.pos, "invalid literal "+quote(s.src[s.pos:min(len(s.src), s.pos+len(lit))]))
	}
	s.pos += len(lit)
	return append(dst, lit...), nil
}

func (s *state) array(dst []byte, depth int) ([]byte, error) {
	if depth > s.cfg.maxDepth {
		return dst, inputErr(ErrTooDeep, s.pos, "")
	}
	s.pos++ // '['
	dst = append(dst, '[')
	s.skipWS()
	if s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		return append(dst, ']'), nil
	}
	var err error
	elem := len(dst)
	for {
		if dst, err = s.value(dst, depth, -1); err != nil {
			return dst, err
		}
		if s.validate {
			dst = dst[:elem]
		}
		s.skipWS()
		if s.pos >= len(s.src) {
			return dst, s.unexpected()
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.skipWS()
			dst = append(dst, ',')
		case ']':
			s.pos++
			return append(dst, ']'), nil
		default:
			return dst, s.unexpected()
		}
	}
}

// compare orders member names for the profile: UTF-16 code units for Java,
// code points (= UTF-8 bytes) for GoSDK and Python.
func (s *state) compare(a, b []byte) int {
	if s.cfg.profile == Java {
		return compareUTF16(a, b)
	}
	return bytes.Compare(a, b)
}

func (s *state) object(dst []byte, depth, level int) ([]byte, error) {
	if depth > s.cfg.maxDepth {
		return dst, inputErr(ErrTooDeep, s.pos, "")
	}
	s.pos++ // '{'
	dst = append(dst, '{')
	body := len(dst)
	base, keyBase := len(s.members), len(s.keys)
	s.skipWS()
	if s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		return append(dst, '}'), nil
	}
	emitted, ordered := 0, true
	var err error
	for {
		if s.pos >= len(s.src) || s.src[s.pos] != '"' {
			return dst, s.unexpected()
		}
		memberStart := len(dst)
		if emitted > 0 {
			dst = append(dst, ',')
		}
		m := member{pos: s.pos, start: len(dst)}
		var esc bool
		if dst, esc, err = s.str(dst); err != nil {
			return dst, err
		}
		if esc {
			k := len(s.keys)
			s.keys = unescape(s.keys, s.src[m.pos+1:s.pos-1])
			m.key = s.keys[k:len(s.keys):len(s.keys)]
		} else {
			m.key = s.src[m.pos+1 : s.pos-1 : s.pos-1]
		}
		s.skipWS()
		if s.pos >= len(s.src) || s.src[s.pos] != ':' {
			return dst, s.unexpected()
		}
		s.pos++
		dst = append(dst, ':')
		s.skipWS()

		child := -1
		if level >= 0 && string(m.key) == s.cfg.drop[level] {
			if level+1 == len(s.cfg.drop) {
				if s.stopAtDrop {
					return dst, errNeedCanonical
				}
				m.dropped = true
			} else {
				child = level + 1
			}
		}
		valStart := s.pos
		// A dropped value (a HoK signature: the SAML token, KiB of
		// escaped XML) is checked as strictly but never written: its
		// output would be cut right after.
		checkOnly := s.validate
		s.validate = checkOnly || m.dropped
		dst, err = s.value(dst, depth, child)
		s.validate = checkOnly
		if err != nil {
			return dst, err
		}
		if m.dropped {
			dst = dst[:memberStart]
			s.dropped, s.dropStart, s.dropEnd = true, valStart, s.pos
		} else {
			emitted++
		}
		m.end = len(dst)
		if s.validate {
			// Only the names are needed (order and duplicates): the
			// member's output goes, and so does its comma.
			dst, emitted = dst[:body], 0
		}
		if len(s.members) > base {
			switch c := s.compare(s.members[len(s.members)-1].key, m.key); {
			case c == 0:
				return dst, inputErr(ErrDuplicateMember, m.pos, quote(m.key))
			case c > 0:
				ordered = false
			}
		}
		s.members = append(s.members, m)

		s.skipWS()
		if s.pos >= len(s.src) {
			return dst, s.unexpected()
		}
		if c := s.src[s.pos]; c == ',' {
			s.pos++
			s.skipWS()
			continue
		} else if c != '}' {
			return dst, s.unexpected()
		}
		s.pos++
		break
	}
	if !ordered {
		if dst, err = s.reorder(dst, body, base); err != nil {
			return dst, err
		}
	}
	s.members, s.keys = s.members[:base], s.keys[:keyBase]
	return append(dst, '}'), nil
}

// reorder sorts the members of the object whose output starts at body and
// rewrites that output in sorted order. It sorts indices into the members,
// not the members: moving an int32 is cheaper than moving a member, whose
// key slice costs a write barrier on every move while the GC runs.
func (s *state) reorder(dst []byte, body, base int) ([]byte, error) {
	ms := s.members[base:]
	cmp := bytes.Compare
	if s.cfg.profile == Java {
		cmp = compareUTF16
	}
	order := s.order[:0]
	for i := range ms {
		order = append(order, int32(i))
	}
	s.order = order
	sortMembers(order, ms, cmp)
	for i := 1; i < len(order); i++ {
		a, b := &ms[order[i-1]], &ms[order[i]]
		if cmp(a.key, b.key) == 0 {
			m := b
			if a.pos > m.pos {
				m = a
			}
			return dst, inputErr(ErrDuplicateMember, m.pos, quote(m.key))
		}
	}
	if s.validate {
		return dst, nil // no output to rewrite
	}
	s.scratch = append(s.scratch[:0], dst[body:]...)
	dst = dst[:body]
	first := true
	for _, k := range order {
		m := &ms[k]
		if m.dropped {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, s.scratch[m.start-body:m.end-body]...)
	}
	return dst, nil
}

// sortMembers sorts order, indices into ms, by the members' names:
// insertion sort for the small objects vAPI bodies are made of, pdqsort
// beyond.
func sortMembers(order []int32, ms []member, cmp func(a, b []byte) int) {
	if len(order) > 16 {
		slices.SortFunc(order, func(a, b int32) int { return cmp(ms[a].key, ms[b].key) })
		return
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && cmp(ms[order[j-1]].key, ms[order[j]].key) > 0; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
}
