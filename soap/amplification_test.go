package soap_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestManyObjectSetsDoNotMultiplyTheSessionList: one ordinary user with a
// few dozen sessions sends a RetrievePropertiesEx (or RetrieveProperties)
// naming the SessionManager in a thousand objectSets, asking for its
// sessionList. The answer holds the SessionManager once, as the simulator's
// PropertyCollector collects each object once; answering once per
// objectSet turned a ~60 KiB request into a response a thousand
// sessionLists long (with 550 sessions, the per-user cap, ~400 MB from one
// request within every body limit).
func TestManyObjectSetsDoNotMultiplyTheSessionList(t *testing.T) {
	s := newTestServer(t, nil)
	const sessions, objectSets = 30, 1000
	var id string
	for range sessions {
		id = s.login("alice@vsphere.local", "s3cret")
	}
	spec := `<specSet><propSet><type>SessionManager</type><pathSet>sessionList</pathSet></propSet>` +
		strings.Repeat(`<objectSet><obj type="SessionManager">SessionManager</obj></objectSet>`, objectSets) + `</specSet>`
	for _, tt := range []struct {
		name          string
		givenMethod   string
		givenArgs     string
		expectObjects string
	}{
		{name: "RetrievePropertiesEx, one specSet", givenMethod: "RetrievePropertiesEx", givenArgs: spec + `<options/>`, expectObjects: "<objects>"},
		{name: "RetrieveProperties, one specSet", givenMethod: "RetrieveProperties", givenArgs: spec, expectObjects: "<returnval>"},
		{name: "RetrievePropertiesEx, many specSets", givenMethod: "RetrievePropertiesEx", givenArgs: strings.Repeat(`<specSet><propSet><type>SessionManager</type><pathSet>sessionList</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet>`, 500) + `<options/>`, expectObjects: "<objects>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := call(tt.givenMethod, "PropertyCollector", tt.givenArgs)
			r := s.post(id, body)
			if r.status != http.StatusOK {
				t.Fatalf("got %d %.300s", r.status, r.body)
			}
			objects, listed := strings.Count(r.body, tt.expectObjects), strings.Count(r.body, "<UserSession>")
			if objects != 1 || listed != sessions {
				t.Fatalf("a %d-byte request got a %d-byte answer with %d objects and %d UserSessions; want the SessionManager once with its %d sessions",
					len(body), len(r.body), objects, listed, sessions)
			}
		})
	}
}
