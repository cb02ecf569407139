package conformance_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/vapisec/vapisec/conformance"
)

// skippedByDesign lists the cases TestSuiteAgainstVapisec may skip even
// with every material given, and why. None today: with STS and HoK
// material, Basic and the idle timeout every case can run.
var skippedByDesign = map[string]string{}

// TestSuiteAgainstVapisec: with the material "serve --dev-dir" would give
// (an STS the server trusts, a HoK key pair, an OAuth signing key, Basic
// credentials, the idle timeout) every case runs against a vapisec server that verifies SIGN
// for its own host:port, and every case passes: nothing is skipped but
// the cases in skippedByDesign, nothing fails.
func TestSuiteAgainstVapisec(t *testing.T) {
	ts := newVapisecServer(t, nil)
	r, err := conformance.NewRunner(ts.URL, append(append(signingOptions(t), oauthOptions(t)...), conformance.WithBasic(testUser, testPassword),
		conformance.WithLevel(conformance.LevelExtension), conformance.WithIdleTimeout(testIdle))...)
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Run(context.Background())
	if testing.Verbose() {
		_ = rep.Write(os.Stdout, conformance.FormatTable)
	}
	all, err := conformance.Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != len(all.Cases) {
		t.Errorf("%d cases ran, the suite has %d", len(rep.Cases), len(all.Cases))
	}
	for _, c := range rep.Cases {
		switch {
		case c.Status == conformance.StatusFail:
			t.Errorf("%s: FAIL: %s", c.ID, c.Reason)
		case c.Status == conformance.StatusSkip && skippedByDesign[c.ID] == "":
			t.Errorf("%s: skipped although the material is there: %s", c.ID, c.Reason)
		case c.Status == conformance.StatusPass && skippedByDesign[c.ID] != "":
			t.Errorf("%s: listed as skipped by design but ran", c.ID)
		}
	}
	// Where vapisec's own choice is one of several alternatives, it is the
	// one that matched.
	for _, c := range rep.Cases {
		if (c.ID == "spec-7.4/jsonrpc-bearer-not-allowed" || c.ID == "spec-8.2/sign-bearer-login") && c.Status == conformance.StatusPass && !slices.Equal(c.Matches, []string{"vapisec"}) {
			t.Errorf("%s: bearer is off, but matched %v", c.ID, c.Matches)
		}
	}
	if rep.Summary.Fail != 0 || rep.Summary.Skip != len(skippedByDesign) || rep.Summary.Pass != len(all.Cases)-len(skippedByDesign) {
		t.Errorf("summary %+v", rep.Summary)
	}
}
