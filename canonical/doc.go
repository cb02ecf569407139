// Package canonical produces the vAPI canonical JSON form over which
// JSON-RPC request signatures are computed (spec vapi-protocol.md §6), and
// rejects documents whose meaning is ambiguous.
//
// The canonical form decides whether a signature made by a Java, Python or
// Go vAPI client verifies, and the three runtimes disagree. vCenter is Java,
// so the [Java] profile is the default (DESIGN.md Q5); [GoSDK] and [Python]
// reproduce the other SDKs so a verifier can accept their signatures as
// additional variants when configured to.
//
// # Common rules
//
// No insignificant whitespace; arrays keep their order; object members are
// sorted by name; true, false and null verbatim; integer literals (no '.',
// 'e' or 'E') are copied digit for digit at any length, "-0" becomes "0".
//
// # Java profile (vAPI Java runtime JsonCanonicalizer, spec §6.3)
//
//   - Member names sorted by UTF-16 code units (String.compareTo): U+E000..
//     U+FFFF sort after the supplementary planes, so the names "z", "é",
//     "😀", "Ａ" come out in that order.
//   - Strings as raw UTF-8; only '"', '\\' and U+0000..U+001F are escaped
//     (\b \t \n \f \r, else \u00XX with upper-case hex). '/', U+007F,
//     U+2028/2029 and all non-ASCII characters are raw.
//   - Non-integer literals are parsed to float64 and written as
//     d.dddE<exp> from the shortest round-trip digits (Double.toString,
//     JDK 19+ rules: at least two digits): 1.0 → 1.0E0, 100.0 → 1.0E2,
//     -0.0 → -0.0E0, 3.14159265358979323846 → 3.141592653589793E0,
//     5e-324 → 4.9E-324. A literal beyond the float64 range (1e400) is
//     rejected with [ErrNumberOutOfRange], as Java fails on Infinity.
//     Older JDKs' Double.toString digit anomalies are not reproduced.
//
// # GoSDK profile (vsphere-automation-sdk-go server: canonicaljson-go v1.0.3 on a UseNumber decode)
//
//   - Member names sorted by code point (UTF-8 bytes): "z", "é", "Ａ", "😀".
//   - Strings exactly as in the Java profile.
//   - Numbers from the exact literal, never through float64: an integral
//     value is written as plain digits whatever the literal (1.0 → 1,
//     1E+2 → 100, 1e400 → 1 followed by 400 zeros, -0.0 → 0); any other
//     value as d.dddE<exp> with the literal's significant digits
//     (3.14159265358979323846 → 3.14159265358979323846E0, 0.1 → 1.0E-1).
//     Bounds: an integral value longer than 4096 digits, or a decimal
//     exponent beyond ±999999999, is rejected with [ErrNumberOutOfRange].
//
// # Python profile (vapi_runtime JSONCanonicalizer, ensure_ascii=True)
//
//   - Member names sorted by code point, like GoSDK.
//   - Strings in ASCII: '"', '\\', the short escapes, and every other
//     character outside U+0020..U+007E as \uxxxx with lower-case hex,
//     astral characters as surrogate pairs: "é" → "\u00e9",
//     "😀" → "\ud83d\ude00", U+007F → "\u007f", U+001F → "\u001f".
//   - Non-integer literals from the exact literal through
//     canonicalize_double (XML Schema double form): 1.0 → 1.0E0,
//     -0.0 → -0.0E0, 1e400 → 1.0E400, 3.14159265358979323846 →
//     3.14159265358979323846E0, and its bug for powers of ten written in
//     plain notation: 0.1 → 10.0E-2, 0.01 → 10.0E-3, 0.001 → 10.0E-4.
//     A zero with an exponent keeps Python's quirk (0e5 → 0.0E5, and
//     0.0E5 → 0.0E4), so this profile is not idempotent for such zeros.
//     Bounds: integer literals longer than 4300 digits (CPython's
//     int_max_str_digits), non-integers with more than 22 integer digits in
//     plain notation (Python divides inexactly), and decimal exponents
//     beyond ±999999999 are rejected with [ErrNumberOutOfRange].
//
// # Strictness (all profiles)
//
// The runtimes silently keep the last of duplicate members and disagree on
// lone surrogates; this package rejects instead (DESIGN.md Q6, §7.5): every
// rejection is an [*InputError] matching [ErrInvalid] and one of
// [ErrSyntax], [ErrDuplicateMember] (names compared after unescaping),
// [ErrInvalidUTF8], [ErrLoneSurrogate] (escaped or raw), [ErrTrailingData],
// [ErrTooDeep], [ErrTooLarge] or [ErrNumberOutOfRange]. Input is bounded
// before any work ([WithMaxSize], default 1 MiB; [WithMaxDepth], default 128).
//
// # Performance
//
// One pass over the input writes the output directly; each object's members
// are recorded as (name, output span) and the object's output is rewritten
// in sorted order only if its members were out of order. No tree, no
// interface values, integers are never parsed, and scratch buffers are
// pooled per [Canonicalizer]. Reordering sorts indices into the members,
// not the members. The member left out by [WithoutMember] is checked but
// never written. [Canonicalizer.Validate] runs the same pass with every
// rule and error but keeps no output: no string copies, no reordering, no
// number formatting.
//
// # Verifying a JSON-RPC signature
//
// Build a Canonicalizer once with
// WithoutMember("params", "ctx", "securityCtx", "signature") and use
// [Canonicalizer.AppendResult]: it returns the bytes that were signed and
// reports whether (and with what raw value) the signature member was present.
// When the body may carry no signature at all (an unsigned scheme), use
// [Canonicalizer.AppendIfDropped]: it only validates, and canonicalizes when
// the signature member turns out to be present.
package canonical
