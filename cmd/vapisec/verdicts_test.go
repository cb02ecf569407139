package main

import (
	"bytes"
	"testing"
)

// TestBenchFromMissingFileFails: "bench --from" a report that is not there
// fails, with or without --no-verdicts. The rendering of --no-verdicts
// itself is tested in internal/bench (TestBenchNoVerdictsPrintsNoFAIL).
func TestBenchFromMissingFileFails(t *testing.T) {
	var b bytes.Buffer
	if code := run([]string{"bench", "--no-verdicts", "--from", "/nonexistent/report.json"}, nil, &b, &b); code == 0 {
		t.Errorf("--from a missing file: exit 0\n%s", b.String())
	}
}

// TestBenchBadServersIsAUsageError: a --servers that bench cannot use
// exits 2, like the other flag errors.
func TestBenchBadServersIsAUsageError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bench servers")
	}
	var b bytes.Buffer
	if code := run([]string{"bench", "--servers", "(", "--micro", "0"}, nil, &b, &b); code != 2 {
		t.Errorf("--servers (: exit %d, want 2\n%s", code, b.String())
	}
}
