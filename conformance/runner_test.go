package conformance_test

import (
	"context"
	"os"
	"testing"

	"github.com/vapisec/vapisec/conformance"
)

// TestSuiteAgainstVapisec: every case that can run against a vapisec server
// passes; the rest are skipped only for missing signing material.
func TestSuiteAgainstVapisec(t *testing.T) {
	ts := newVapisecServer(t, nil)
	r, err := conformance.NewRunner(ts.URL, conformance.WithBasic(testUser, testPassword),
		conformance.WithLevel(conformance.LevelExtension), conformance.WithIdleTimeout(testIdle))
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Run(context.Background())
	if testing.Verbose() {
		_ = rep.Write(os.Stdout, conformance.FormatTable)
	}
	for _, c := range rep.Cases {
		if c.Status == conformance.StatusFail {
			t.Errorf("%s: %s", c.ID, c.Reason)
		}
	}
	if rep.Summary.Pass < 60 {
		t.Errorf("only %d cases passed", rep.Summary.Pass)
	}
}
