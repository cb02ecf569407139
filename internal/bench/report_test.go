package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchNoVerdictsPrintsNoFAIL: the CI smoke run renders the bench
// report with --no-verdicts, so a passing CI on a noisy machine prints no
// FAIL row; without the flag a missed bar still says FAIL.
func TestBenchNoVerdictsPrintsNoFAIL(t *testing.T) {
	bar, pass := 0.9, false
	rep := &Report{
		Servers: []ServerResult{{Name: "bare", RPS: 1000, Ratio: 1}, {Name: "session", RPS: 500, Ratio: 0.5, Bar: &bar, Pass: &pass}},
		Ratios:  []RatioResult{{Name: "canonical vs json.Valid", Ratio: 9, Bar: 3, AtMost: true}},
	}
	for _, tc := range []struct {
		givenNoVerdicts bool
		expectIn        string
		expectNotIn     string
	}{{false, "FAIL", "not enforced"}, {true, "not enforced", "FAIL"}} {
		rep.NoVerdicts = tc.givenNoVerdicts
		var b bytes.Buffer
		if err := rep.Render(&b, FormatTable); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.expectIn) || strings.Contains(b.String(), tc.expectNotIn) {
			t.Errorf("noVerdicts %v: want %q and no %q in\n%s", tc.givenNoVerdicts, tc.expectIn, tc.expectNotIn, b.String())
		}
	}
}
