package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/conformance"
)

func TestDefaultSuite(t *testing.T) {
	s, err := conformance.Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 60 {
		t.Errorf("%d cases, want at least 60", len(s.Cases))
	}
	for _, c := range s.Cases {
		if len(c.Matches) == 0 {
			t.Errorf("%s: no matches", c.ID)
		}
	}
	if n, all := len(s.Select(conformance.LevelMust, nil)), len(s.Select(conformance.LevelExtension, nil)); n == 0 || n >= all || all != len(s.Cases) {
		t.Errorf("select: must %d, all %d of %d", n, all, len(s.Cases))
	}
	if got := s.Select(conformance.LevelExtension, regexp.MustCompile(`^spec-3\.4/`)); len(got) != 5 {
		t.Errorf("select spec-3.4: %d cases", len(got))
	}
}

func TestParseSuite(t *testing.T) {
	const okStep = `{"method":"GET","path":"/api/session","expect":{"status":[401]}}`
	suite := func(caseJSON string) string { return `{"version":1,"cases":[` + caseJSON + `]}` }
	kase := func(id, level, steps string) string {
		return `{"id":"` + id + `","description":"d","level":"` + level + `","steps":[` + steps + `]}`
	}
	tests := []struct {
		name      string
		givenJSON string
		expectErr []error
	}{
		{name: "ok, one case", givenJSON: suite(kase("spec-4/x", "must", okStep))},
		{name: "ok, login and variables", givenJSON: suite(kase("spec-4/x", "must", `{"login":"s"},{"method":"GET","path":"/api/session","headers":[["vmware-api-session-id","{{s}}"]],"expect":{"status":[200]}}`))},
		{name: "nok, version", givenJSON: `{"version":2,"cases":[]}`, expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown field", givenJSON: `{"version":1,"cases":[],"extra":1}`, expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, bad id", givenJSON: suite(kase("session/x", "must", okStep)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, duplicate id", givenJSON: suite(kase("spec-4/x", "must", okStep) + "," + kase("spec-4/x", "must", okStep)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown level", givenJSON: suite(kase("spec-4/x", "may", okStep)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, no steps", givenJSON: suite(kase("spec-4/x", "must", "")), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown variable", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/x","headers":[["a","{{nope}}"]],"expect":{"status":[200]}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, variable used before capture", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/{{s}}","expect":{"status":[200]}},{"login":"s"}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unterminated template", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/{{basic","expect":{"status":[200]}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown body kind", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/x","expect":{"status":[200],"body":"xml"}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, no status", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/x","expect":{}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, no expectation", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/x"}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, two step kinds", givenJSON: suite(kase("spec-4/x", "must", `{"login":"s","wait":"1s"}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, bad json pattern", givenJSON: suite(kase("spec-4/x", "must", `{"method":"GET","path":"/x","expect":{"status":[200],"json":{"a":"("}}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown runtime", givenJSON: suite(`{"id":"spec-4/x","description":"d","level":"must","matches":["jython"],"steps":[` + okStep + `]}`), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, repeat of unknown step", givenJSON: suite(kase("spec-4/x", "must", `{"repeat":"first","expect":{"status":[200]}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, wait too long", givenJSON: suite(kase("spec-4/x", "must", `{"wait":"2h"}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, unknown sign kind", givenJSON: suite(kase("spec-4/x", "must", `{"method":"POST","path":"/x","sign":{"kind":"hmac"},"expect":{"status":[200]}}`)), expectErr: []error{conformance.ErrInvalidSuite}},
		{name: "nok, not JSON", givenJSON: `{"version":1,`, expectErr: []error{conformance.ErrInvalidSuite}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.ParseSuite([]byte(tc.givenJSON))
			if len(tc.expectErr) == 0 && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
			}
		})
	}
}

func TestNewRunnerOptions(t *testing.T) {
	tests := []struct {
		name        string
		givenTarget string
		givenOpts   []conformance.Option
		expectErr   []error
	}{
		{name: "ok, http", givenTarget: "http://127.0.0.1:1"},
		{name: "ok, https with prefix", givenTarget: "https://vc.example.com/prefix/"},
		{name: "nok, ftp", givenTarget: "ftp://x", expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, credentials in the URL", givenTarget: "http://u:p@x", expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, query", givenTarget: "http://x/?a=1", expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, empty", givenTarget: "", expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, level", givenTarget: "http://x", givenOpts: []conformance.Option{conformance.WithLevel("may")}, expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, run", givenTarget: "http://x", givenOpts: []conformance.Option{conformance.WithRun("(")}, expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, empty user", givenTarget: "http://x", givenOpts: []conformance.Option{conformance.WithBasic("", "p")}, expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, idle timeout too long", givenTarget: "http://x", givenOpts: []conformance.Option{conformance.WithIdleTimeout(3600e9)}, expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, HoK without cert", givenTarget: "http://x", givenOpts: []conformance.Option{conformance.WithHoK(nil, nil)}, expectErr: []error{conformance.ErrInvalidOption}},
		{name: "nok, nil option", givenTarget: "http://x", givenOpts: []conformance.Option{nil}, expectErr: []error{conformance.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conformance.NewRunner(tc.givenTarget, tc.givenOpts...)
			if len(tc.expectErr) == 0 && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
			}
		})
	}
}

// TestRunnerStaysOnTarget: a redirect to another host is not followed.
func TestRunnerStaysOnTarget(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere++ }))
	t.Cleanup(other.Close)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(target.Close)
	r, err := conformance.NewRunner(target.URL, conformance.WithBasic("u", "p"), conformance.WithLevel(conformance.LevelExtension))
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Run(context.Background())
	if elsewhere != 0 {
		t.Errorf("%d requests left the target", elsewhere)
	}
	if rep.Summary.Pass != 0 || rep.Summary.Fail == 0 {
		t.Errorf("a redirecting server: %+v", rep.Summary)
	}
}

func TestReportFormats(t *testing.T) {
	ts := newVapisecServer(t, nil)
	r, err := conformance.NewRunner(ts.URL, conformance.WithBasic(testUser, testPassword), conformance.WithRun(`^spec-(4/api-create|7\.2/)`))
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Run(context.Background())
	var b bytes.Buffer
	if err := rep.Write(&b, conformance.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Target string `json:"target"`
		Cases  []struct {
			ID      string   `json:"id"`
			Level   string   `json:"level"`
			Status  string   `json:"status"`
			Reason  string   `json:"reason"`
			Matches []string `json:"matches"`
		} `json:"cases"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Target != ts.URL || len(got.Cases) != 2 || got.Summary["pass"] != 1 || got.Summary["skip"] != 1 || got.Summary["fail"] != 0 {
		t.Fatalf("json report %s", b.String())
	}
	if c := got.Cases[0]; c.ID != "spec-4/api-create" || c.Status != "PASS" || c.Level != "must" || len(c.Matches) == 0 {
		t.Errorf("first case %+v", c)
	}
	b.Reset()
	if err := rep.Write(&b, conformance.FormatTable); err != nil || !strings.Contains(b.String(), "SKIP    spec-7.2/jsonrpc-hok-valid") || !strings.Contains(b.String(), "1 passed, 0 failed, 1 skipped") {
		t.Errorf("table report %v:\n%s", err, b.String())
	}
	b.Reset()
	if err := rep.Write(&b, conformance.FormatJUnit); err != nil || !strings.Contains(b.String(), `<skipped message="needs HoK material`) {
		t.Errorf("junit report %v:\n%s", err, b.String())
	}
	if err := rep.Write(&b, "yaml"); !errors.Is(err, conformance.ErrInvalidFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

func FuzzParseSuite(f *testing.F) {
	s, err := conformance.Default()
	if err != nil {
		f.Fatal(err)
	}
	small, _ := json.Marshal(&conformance.Suite{Version: 1, Cases: s.Cases[:3]})
	f.Add(small)
	f.Add([]byte(`{"version":1,"cases":[]}`))
	f.Add([]byte(`{"version":1,"cases":[{"id":"spec-4/x","description":"d","level":"must","steps":[{"method":"GET","path":"/{{repeat:a:3}}","expect":{"status":[1]}}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := conformance.ParseSuite(data)
		if err != nil {
			if !errors.Is(err, conformance.ErrInvalidSuite) {
				t.Fatalf("error %v does not match ErrInvalidSuite", err)
			}
			return
		}
		// Round trip: an accepted suite re-encodes to an accepted suite.
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conformance.ParseSuite(again); err != nil {
			t.Fatalf("re-encoded suite rejected: %v", err)
		}
	})
}
