// Package doctest runs the shell recipes of README.md and docs/*.md as a
// test, so that a page whose recipe breaks fails "go test ./..." (and CI).
//
// A page takes part when it carries the marker
//
//	<!-- doctest: serve FLAGS… -->
//
// which names the "vapisec serve" flags the page expects. The test builds
// cmd/vapisec once, starts "vapisec serve FLAGS… --addr 127.0.0.1:0" for
// the page, reads the printed address, and runs every block fenced as
// "```sh run" of that page top to bottom in one bash with "set -e", the
// built vapisec first on PATH, the working directory a fresh temporary
// directory, every "127.0.0.1:8080" of the page replaced by the server's
// address and every other "8080" (PORT=8080) by its port. A --dev-dir of
// the marker is replaced, in the flags and in the blocks, by a temporary
// directory. A block fenced as plain "```sh" is not run (the page says why
// when it needs something the test cannot provide, such as a real vCenter,
// Redis or a second server).
//
// Inside a runnable block, comment lines that directly follow a command
// (no blank line between) are the output the page shows for it: the test
// compares them with the command's output, "…" matching any text. Other
// comments are prose. Each page is bounded by pageTimeout.
//
// The test needs bash and curl. Without them it skips, except with CI=true,
// where it fails. A page that needs other commands names them in
//
//	<!-- doctest-needs: openssl gzip -->
//
// and is skipped where one of them is missing.
package doctest
