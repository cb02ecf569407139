// Package bench is the engine of "vapisec bench": it measures what each
// vapisec scheme costs per request, compared with the same handler on bare
// Echo and with its cryptographic floor.
//
// Run starts, in this process and on 127.0.0.1 only, a bare Echo server and
// the same handler behind each vapisec middleware (session, Basic, HoK
// JSON-RPC with a cached and a cold token, a JSON-RPC call authenticated by
// session_id in its body, SIGN, and optionally sessions on Redis), each
// compared with bare Echo receiving the identical request (for HoK, the
// same signed bodies). It drives each with a bounded load generator (requests and time
// capped) in interleaved rounds, so that machine noise hits all of them
// alike, and reports req/s, p50/p99 latency, CPU time and allocations per
// request, and the median of the per-round ratios to each server's
// baseline. For the cached-token HoK server it also measures, after each of
// its slots, the CPU of one RSA-2048 verify, and reports the CPU the server
// adds per request over its bare baseline divided by it. It then runs in-process micro-benchmarks, each side by side with
// its floor (json.Valid, one SHA-256, etree + goxmldsig, one RSA verify).
// Every ratio is reported next to its bar (DESIGN §8) with PASS or FAIL.
//
// A Report renders as a table, as JSON (which ReadReport reads back) or as
// an SVG chart. No traffic leaves the machine. docs/performance.md
// describes the method and the results.
package bench
