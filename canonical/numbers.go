package canonical

import (
	"math"
	"strconv"
)

const (
	// maxDecimalExponent bounds the decimal exponent of a non-integer
	// literal in the GoSDK and Python profiles (beyond: ErrNumberOutOfRange).
	maxDecimalExponent = 999_999_999
	// maxGoSDKIntegerDigits bounds the digits of an integral non-integer
	// literal written out in full by the GoSDK profile (1e400 → 401 digits).
	maxGoSDKIntegerDigits = 4096
	// maxPythonIntegerDigits is CPython's default int_max_str_digits (3.11+):
	// json.loads fails on longer integer literals.
	maxPythonIntegerDigits = 4300
	// maxPythonAdjustedExponent: Python's canonicalize_double divides by
	// int(math.pow(10, n)), which is exact only up to 10^22.
	maxPythonAdjustedExponent = 21
)

// pow10Neg[k] is the float64 nearest to 10^-k.
var pow10Neg = [...]float64{1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6}

// number canonicalizes the number literal at s.pos.
func (s *state) number(dst []byte) ([]byte, error) {
	src := s.src
	start, i := s.pos, s.pos
	if src[i] == '-' {
		i++
	}
	intStart := i
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && src[i] >= '1' && src[i] <= '9':
		i, _ = digits(src, i+1)
	default:
		s.pos = i
		return dst, s.unexpected()
	}
	intEnd, fracEnd := i, i
	integer := true
	if i < len(src) && src[i] == '.' {
		integer = false
		var ok bool
		if i, ok = digits(src, i+1); !ok {
			s.pos = i
			return dst, s.unexpected()
		}
		fracEnd = i
	}
	expStart := i
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		integer = false
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(src, i); !ok {
			s.pos = i
			return dst, s.unexpected()
		}
	}
	s.pos = i
	lit := src[start:i]
	if integer {
		if intEnd-intStart == 1 && src[intStart] == '0' {
			return append(dst, '0'), nil // "0" and "-0"
		}
		if s.cfg.profile == Python && intEnd-intStart > maxPythonIntegerDigits {
			return dst, inputErr(ErrNumberOutOfRange, start, "(integer longer than Python's 4300-digit limit)")
		}
		return append(dst, lit...), nil
	}
	if s.cfg.profile == Java {
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil {
			return dst, inputErr(ErrNumberOutOfRange, start, quote(lit))
		}
		if s.validate {
			return dst, nil // representable: that is all a check needs
		}
		return appendJavaDouble(dst, f), nil
	}
	d, ok := s.decimal(src[start:intEnd], src[intEnd:fracEnd], src[expStart:i])
	if !ok {
		return dst, inputErr(ErrNumberOutOfRange, start, quote(lit))
	}
	if s.cfg.profile == GoSDK {
		if d.zero() || d.exp < 0 {
			return appendGoSDK(dst, d), nil
		}
		if int64(len(d.digits))+d.exp > maxGoSDKIntegerDigits {
			return dst, inputErr(ErrNumberOutOfRange, start, quote(lit))
		}
		return appendGoSDK(dst, d), nil
	}
	out, ok := appendPython(dst, d)
	if !ok {
		return dst, inputErr(ErrNumberOutOfRange, start, quote(lit))
	}
	return out, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits returns the end of the run of ASCII digits that starts at src[i],
// and whether the run is non-empty (JSON wants one digit at least after
// '.', after the exponent's sign and in the integer part).
func digits(src []byte, i int) (end int, ok bool) {
	end = i
	for end < len(src) && isDigit(src[end]) {
		end++
	}
	return end, end > i
}

// decimal is a number literal as exact decimal: value = ±digits × 10^exp,
// digits without leading or trailing zeros (empty for zero).
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
	// rawExp is the exponent of Python's Decimal(literal): the literal's
	// exponent minus its fraction length, before trailing zeros are removed.
	rawExp int64
}

func (d *decimal) zero() bool { return len(d.digits) == 0 }

// adjusted returns the exponent of the first significant digit.
func (d *decimal) adjusted() int64 { return d.exp + int64(len(d.digits)) - 1 }

// decimal parses the parts of a validated non-integer literal: intPart with
// its sign, frac with its '.', exp with its 'e'. It reports false if the
// exponent is beyond maxDecimalExponent.
func (s *state) decimal(intPart, frac, exp []byte) (decimal, bool) {
	var d decimal
	if intPart[0] == '-' {
		d.neg, intPart = true, intPart[1:]
	}
	if len(frac) > 0 {
		frac = frac[1:]
	}
	var e int64
	if len(exp) > 0 {
		exp = exp[1:]
		negExp := false
		if exp[0] == '+' || exp[0] == '-' {
			negExp, exp = exp[0] == '-', exp[1:]
		}
		for _, c := range exp {
			e = e*10 + int64(c-'0')
			if e > 4*maxDecimalExponent {
				return d, false
			}
		}
		if negExp {
			e = -e
		}
	}
	digits := s.num[:0]
	for _, part := range [2][]byte{intPart, frac} {
		for _, c := range part {
			if c != '0' || len(digits) > 0 {
				digits = append(digits, c)
			}
		}
	}
	d.rawExp = e - int64(len(frac))
	d.exp = d.rawExp
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		d.exp++
	}
	s.num = digits
	d.digits = digits
	if d.exp > maxDecimalExponent || d.exp < -maxDecimalExponent || d.rawExp < -maxDecimalExponent {
		return d, false
	}
	return d, true
}

// appendJavaDouble writes f as the Java runtime's DecimalFormat("0.0E0")
// does with Double.toString's digits (JDK 19+): shortest round-trip digits,
// at least two of them (the closest two-digit decimal when one would do),
// mantissa with a fraction digit, exponent without '+' or leading zeros.
func appendJavaDouble(dst []byte, f float64) []byte {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if b[0] == '-' {
		dst = append(dst, '-')
		b = b[1:]
	}
	if len(b) > 1 && b[1] == 'e' && f != 0 { // one significant digit
		var buf2 [32]byte
		b2 := strconv.AppendFloat(buf2[:0], math.Abs(f), 'e', 1, 64)
		if g, err := strconv.ParseFloat(string(b2), 64); err == nil && g == math.Abs(f) {
			b = append(buf[:0], b2...)
		}
	}
	e := 0
	for e < len(b) && b[e] != 'e' {
		e++
	}
	mant, exp := b[:e], b[e+1:]
	dst = append(dst, mant[0], '.')
	if len(mant) > 2 {
		dst = append(dst, mant[2:]...)
	} else {
		dst = append(dst, '0')
	}
	return appendExponent(dst, exp)
}

// appendExponent writes 'E' and a strconv exponent ("+07", "-324") without
// '+' and leading zeros.
func appendExponent(dst, exp []byte) []byte {
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}

// appendGoSDK writes d as canonicaljson-go does for a json.Number: integral
// values as plain digits, others as d.dddE<exp> with the exact digits.
func appendGoSDK(dst []byte, d decimal) []byte {
	if d.zero() {
		return append(dst, '0')
	}
	if d.neg {
		dst = append(dst, '-')
	}
	if d.exp >= 0 {
		dst = append(dst, d.digits...)
		for range d.exp {
			dst = append(dst, '0')
		}
		return dst
	}
	return appendScientific(dst, d.digits, 1, d.adjusted())
}

// appendScientific writes digits with intDigits of them before the point
// (padded with zeros), at least one after it, then 'E' and exp.
func appendScientific(dst, digits []byte, intDigits int, exp int64) []byte {
	for k := range intDigits {
		if k < len(digits) {
			dst = append(dst, digits[k])
		} else {
			dst = append(dst, '0')
		}
	}
	dst = append(dst, '.')
	if len(digits) > intDigits {
		dst = append(dst, digits[intDigits:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, exp, 10)
}

// appendPython writes d as vapi_runtime's canonicalize_double does on
// Decimal(literal) (PY jsonlib.py), including its bug for values whose float
// is an exact power of ten 10^-1..10^-6 written in plain notation by
// str(Decimal): 0.1 → 10.0E-2. It reports false for literals whose result
// Python computes inexactly (more than 22 integer digits in plain notation).
func appendPython(dst []byte, d decimal) ([]byte, bool) {
	if d.neg {
		dst = append(dst, '-')
	}
	if d.zero() {
		// str(Decimal) of a zero is plain ("0.000") when -7 < exp <= 0,
		// otherwise "0E<exp>"; the mantissa becomes "0.0".
		exp := d.rawExp
		if exp <= 0 && exp > -7 {
			exp = 0
		}
		dst = append(dst, "0.0E"...)
		return strconv.AppendInt(dst, exp, 10), true
	}
	adj := d.adjusted()
	plain := d.rawExp <= 0 && adj >= -6 // str(Decimal) without exponent
	if plain && adj > maxPythonAdjustedExponent {
		return dst, false
	}
	if plain && adj < 0 && isFloatPow10(d, adj) {
		// int(math.log10(float(m))) is exactly adj, and the code then
		// multiplies by one power of ten too many.
		return appendScientific(dst, d.digits, 2, adj-1), true
	}
	return appendScientific(dst, d.digits, 1, adj), true
}

// isFloatPow10 reports whether float64(d) (d in [10^adj, 10^(adj+1)),
// -6 <= adj < 0) is the float nearest to 10^adj.
func isFloatPow10(d decimal, adj int64) bool {
	if len(d.digits) == 1 && d.digits[0] == '1' {
		return true
	}
	buf := make([]byte, 0, len(d.digits)+24)
	buf = append(buf, d.digits...)
	buf = append(buf, 'e')
	buf = strconv.AppendInt(buf, d.exp, 10)
	f, err := strconv.ParseFloat(string(buf), 64)
	return err == nil && f == pow10Neg[-adj]
}
