// Package conformance is a data-driven vAPI security conformance suite that
// runs against any HTTP endpoint: a vapisec server, govmomi's vcsim, a
// vendor's vAPI server or a real vCenter.
//
// The cases live in testdata/vectors.json (embedded, see [Default]). Each
// case names the spec section it checks in its id (e.g.
// "spec-3.1/cookie-before-header"), says what it expects and how sure the
// spec is about it (its [Level]), and lists the runtimes whose behaviour the
// expected outcome matches. A [Runner] sends each case's requests to the
// target — and only to the target: it never follows redirects — and reports
// PASS, FAIL or SKIP per case with a one-line reason. [Report] writes the
// result as a table, JSON or JUnit XML.
//
// Cases that need material the caller did not supply (a user and password,
// a holder-of-key key and token, the target's idle timeout) are skipped with
// a reason, never failed.
//
// docs/conformance.md is generated from the vectors by go generate:
//
//go:generate go run ./internal/gendoc -o ../docs/conformance.md
package conformance
