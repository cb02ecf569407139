package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status is the outcome of a case.
type Status string

// The outcomes.
const (
	StatusPass Status = "PASS"
	StatusFail Status = "FAIL"
	StatusSkip Status = "SKIP"
)

// Result is the outcome of one case.
type Result struct {
	ID     string `json:"id"`
	Level  Level  `json:"level"`
	Status Status `json:"status"`
	// Reason is one line: why the case failed or was skipped (empty when
	// it passed).
	Reason string `json:"reason"`
	// Matches lists the runtimes whose behaviour the outcome the target
	// showed matches (for a PASS) or the case expected (otherwise).
	Matches []string `json:"matches"`
	// Description of the case (not in the JSON report).
	Description string `json:"-"`
}

// Summary counts the outcomes.
type Summary struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is the outcome of a run.
type Report struct {
	Target  string   `json:"target"`
	Cases   []Result `json:"cases"`
	Summary Summary  `json:"summary"`
}

func (rep *Report) add(r Result) {
	if r.Matches == nil {
		r.Matches = []string{}
	}
	rep.Cases = append(rep.Cases, r)
	switch r.Status {
	case StatusPass:
		rep.Summary.Pass++
	case StatusFail:
		rep.Summary.Fail++
	default:
		rep.Summary.Skip++
	}
}

// OK reports whether no selected case failed (skipped cases do not count).
func (rep *Report) OK() bool { return rep.Summary.Fail == 0 }

// Failed returns the ids of the failed cases, in order.
func (rep *Report) Failed() []string {
	var out []string
	for _, c := range rep.Cases {
		if c.Status == StatusFail {
			out = append(out, c.ID)
		}
	}
	return out
}

// Formats of Write.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// Write writes the report in format: "table" (one line per case: status,
// id, level, reason), "json" or "junit" (JUnit XML, one testsuite).
// An unknown format returns an error matching ErrInvalidFormat.
func (rep *Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatTable:
		return rep.writeTable(w)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatJUnit:
		return rep.writeJUnit(w)
	}
	return fmt.Errorf("%w: %.20q (want table, json or junit)", ErrInvalidFormat, format)
}

func (rep *Report) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STATUS\tCASE\tLEVEL\tREASON\n")
	for _, c := range rep.Cases {
		reason := c.Reason
		if c.Status == StatusPass && len(c.Matches) > 0 {
			reason = "matches " + strings.Join(c.Matches, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Status, c.ID, c.Level, oneLine(reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s: %d passed, %d failed, %d skipped\n", rep.Target, rep.Summary.Pass, rep.Summary.Fail, rep.Summary.Skip)
	return err
}

// oneLine keeps a reason on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ", "\t", " ").Replace(s)
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
}

func (rep *Report) writeJUnit(w io.Writer) error {
	s := junitSuite{Name: "vapisec conformance " + rep.Target, Tests: len(rep.Cases), Failures: rep.Summary.Fail, Skipped: rep.Summary.Skip}
	for _, c := range rep.Cases {
		jc := junitCase{Name: c.ID, ClassName: "conformance." + string(c.Level)}
		switch c.Status {
		case StatusFail:
			jc.Failure = &junitMessage{Message: oneLine(c.Reason)}
		case StatusSkip:
			jc.Skipped = &junitMessage{Message: oneLine(c.Reason)}
		}
		s.Cases = append(s.Cases, jc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
