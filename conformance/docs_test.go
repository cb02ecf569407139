package conformance_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/vapisec/vapisec/conformance"
)

// TestDocsUpToDate fails when docs/conformance.md differs from what
// go generate ./conformance writes.
func TestDocsUpToDate(t *testing.T) {
	s, err := conformance.Default()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := conformance.WriteMarkdown(&want, s); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../docs/conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("docs/conformance.md is out of date: run go generate ./conformance")
	}
	for _, c := range s.Cases {
		if !bytes.Contains(got, []byte("`"+c.ID+"`")) {
			t.Errorf("docs/conformance.md does not list %s", c.ID)
		}
	}
}
