package canonical

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"
)

// jsonRPCBody returns a JSON-RPC request of about size bytes shaped like
// what vAPI clients send: members in insertion (unsorted) order, a
// securityCtx, and an input structure holding a list of records with
// strings, integers, doubles in vAPI's x.yE<n> form, booleans and nulls.
// With withToken, the signed securityCtx of the fixture (6.6 KB SAML
// assertion in a JSON string full of escapes) is included.
func jsonRPCBody(tb testing.TB, size int, withToken bool) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","method":"invoke","id":"1a2b3c","params":{"serviceId":"com.vmware.vcenter.vm","operationId":"list","ctx":{"appCtx":{"opId":"op-1234","actId":"act-9"},"securityCtx":{"schemeId":"com.vmware.vapi.std.security.saml_hok_token","signatureAlgorithm":"RS256","timestamp":{"created":"2024-01-01T00:00:00.000Z","expires":"2024-01-01T00:20:00.000Z"}`)
	if withToken {
		src, err := os.ReadFile("testdata/signed/signed-request-RS256.json")
		if err != nil {
			tb.Fatal(err)
		}
		var req struct {
			Params struct {
				Ctx struct {
					SecurityCtx struct {
						Signature json.RawMessage `json:"signature"`
					} `json:"securityCtx"`
				} `json:"ctx"`
			} `json:"params"`
		}
		if err := json.Unmarshal(src, &req); err != nil {
			tb.Fatal(err)
		}
		b.WriteString(`,"signature":`)
		b.Write(req.Params.Ctx.SecurityCtx.Signature)
	}
	b.WriteString(`}},"input":{"STRUCTURE":{"operation-input":{"filter":{"OPTIONAL":null},"items":{"LIST":[`)
	for i := 0; b.Len() < size-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		n := strconv.Itoa(i)
		b.WriteString(`{"STRUCTURE":{"com.vmware.vcenter.VM.summary":{"vm":"vm-` + n + `","name":"web-server-` + n + `","power_state":"POWERED_ON","cpu_count":` + strconv.Itoa(i%16+1) + `,"memory_size_MiB":` + strconv.Itoa(1024*(i%8+1)) + `,"load":` + strconv.Itoa(i%9+1) + `.25E-1,"tags":["prod","eu-west",null],"template":false}}}`)
	}
	b.WriteString(`]}}}}}}`)
	if !json.Valid(b.Bytes()) {
		tb.Fatal("benchmark body is not valid JSON")
	}
	return b.Bytes()
}

// benchmarkRatio times json.Valid and Canonicalizer.Append on the same body
// in one run, interleaved per iteration so that load from other processes
// hits both alike, and reports both and their ratio ("x-json.Valid"). Allocations
// reported are those of both loops together (json.Valid allocates nothing
// when warm).
func benchmarkRatio(b *testing.B, body []byte, opts ...Option) {
	c, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 2*len(body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	var valid, canon time.Duration
	for range b.N {
		t0 := time.Now()
		ok := json.Valid(body)
		t1 := time.Now()
		dst, err = c.Append(dst[:0], body)
		t2 := time.Now()
		if !ok || err != nil {
			b.Fatal(ok, err)
		}
		valid += t1.Sub(t0)
		canon += t2.Sub(t1)
	}
	b.ReportMetric(float64(valid.Nanoseconds())/float64(b.N), "ns-json.Valid/op")
	b.ReportMetric(float64(canon.Nanoseconds())/float64(b.N), "ns-canonical/op")
	b.ReportMetric(float64(canon)/float64(valid), "x-json.Valid")
}

func BenchmarkVsJSONValid1KiB(b *testing.B) { benchmarkRatio(b, jsonRPCBody(b, 1<<10, false)) }

func BenchmarkVsJSONValid64KiB(b *testing.B) { benchmarkRatio(b, jsonRPCBody(b, 64<<10, true)) }

func BenchmarkVsJSONValid64KiBWithoutSignature(b *testing.B) {
	benchmarkRatio(b, jsonRPCBody(b, 64<<10, true), WithoutMember("params", "ctx", "securityCtx", "signature"))
}

// BenchmarkCanonicalize1KiB measures the allocating convenience path a
// verifier would use: a new output slice per call.
func BenchmarkCanonicalize1KiB(b *testing.B) {
	body := jsonRPCBody(b, 1<<10, false)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Canonicalize(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProfiles64KiB(b *testing.B) {
	body := jsonRPCBody(b, 64<<10, true)
	for _, p := range allProfiles {
		b.Run(p.String(), func(b *testing.B) {
			c, err := New(WithProfile(p))
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]byte, 0, 2*len(body))
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if dst, err = c.Append(dst[:0], body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
