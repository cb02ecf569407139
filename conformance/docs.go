package conformance

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// sectionTitles name the groups of case ids in the generated document.
var sectionTitles = map[string]string{
	"spec-3.1":   "Session id: header and cookie (spec §3.1)",
	"spec-3.2":   "HTTP Basic (spec §3.2)",
	"spec-3.4":   "vmware-use-header-authn and the session cookie (spec §3.4)",
	"spec-4":     "Session endpoints (spec §4)",
	"spec-5.2":   "Error bodies (spec §5.2)",
	"spec-5.3":   "Malformed credentials (spec §5.3)",
	"spec-7.1":   "JSON-RPC signature algorithms (spec §7.1)",
	"spec-7.2":   "Signed JSON-RPC requests (spec §7.2)",
	"spec-7.4":   "JSON-RPC signature verification (spec §7.4)",
	"spec-8.2":   "Authorization: SIGN (spec §8.2)",
	"spec-8.3":   "Authorization: SIGN parsing (spec §8.3)",
	"ext-whoami": "vapisec extension: whoami and the order between schemes",
	"ext-csrf":   "vapisec extension: CSRF protection of the session cookie",
	"ext-clone":  "vapisec extension: clone tickets and derived sessions",
}

// WriteMarkdown writes docs/conformance.md: the "Check an endpoint" guide,
// then every case of s grouped by section, with its level, the runtimes it
// matches and its rationale. go generate runs it; a test checks that the
// checked-in file is up to date.
func WriteMarkdown(w io.Writer, s *Suite) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(docsIntro)
	fmt.Fprintf(bw, "\n## Cases\n\n%d cases: %d `must`, %d `should`, %d `vapisec-extension`. ", len(s.Cases), count(s, LevelMust), count(s, LevelShould), count(s, LevelExtension))
	bw.WriteString("The ids name the spec section (`docs/protocol.md`, the spec's numbering) or the extension. " +
		"\"Matches\" lists the runtimes whose behaviour the expected outcome matches.\n")
	var section string
	for _, c := range s.Cases {
		sec, _, _ := strings.Cut(c.ID, "/")
		if sec != section {
			section = sec
			title := sectionTitles[sec]
			if title == "" {
				title = sec
			}
			fmt.Fprintf(bw, "\n### %s\n\n| case | level | matches | rationale |\n|---|---|---|---|\n", title)
		}
		why := c.Description
		if len(c.Requires) > 0 {
			why += " *Needs: " + strings.Join(c.Requires, ", ") + ".*"
		}
		if c.Skip != "" {
			why += " *Skipped: " + c.Skip + "*"
		}
		fmt.Fprintf(bw, "| `%s` | %s | %s | %s |\n", c.ID, c.Level, strings.Join(c.Matches, ", "), mdCell(why))
	}
	return bw.Flush()
}

func count(s *Suite, l Level) int {
	n := 0
	for _, c := range s.Cases {
		if c.Level == l {
			n++
		}
	}
	return n
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
