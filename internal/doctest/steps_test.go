package doctest

import (
	"reflect"
	"testing"
)

func TestSteps(t *testing.T) {
	tests := []struct {
		name        string
		givenBlock  string
		expectSteps []step
	}{
		{
			name:        "comment after a command is its output, after a blank line prose",
			givenBlock:  "# log in\nID=$(curl -s x | tr -d '\"')\ncurl y\n# {\"a\":1}\n\n# prose\ncurl z",
			expectSteps: []step{{cmd: "ID=$(curl -s x | tr -d '\"')"}, {cmd: "curl y", want: []string{`{"a":1}`}}, {cmd: "curl z"}},
		},
		{
			name:        "backslash continuation and several output lines",
			givenBlock:  "curl a \\\n  b\n# 403\n# more",
			expectSteps: []step{{cmd: "curl a \\\n  b", want: []string{"403", "more"}}},
		},
		{
			name:        "open $( and quotes continue the command; a trailing comment does not",
			givenBlock:  "SIG=$( { printf 'x';\n  printf \"y\"; } |\n  openssl dgst)   # why\ncurl -si \"u\" -H \"a\n b\"\n# HTTP/1.1 201 Created",
			expectSteps: []step{{cmd: "SIG=$( { printf 'x';\n  printf \"y\"; } |\n  openssl dgst)   # why"}, {cmd: "curl -si \"u\" -H \"a\n b\"", want: []string{"HTTP/1.1 201 Created"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := steps(tc.givenBlock); !reflect.DeepEqual(got, tc.expectSteps) {
				t.Errorf("steps\n got %q\nwant %q", got, tc.expectSteps)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		givenWant, givenGot string
		expect              bool
	}{
		{`{"a":…,"b":2}`, `{"a":{"x":1},"b":2}`, true},
		{`401`, `401`, true},
		{`401`, `4010`, false},
		{`{"a":…}`, "{\"a\":\n1}", true},
		{`a.b`, `axb`, false},
	}
	for _, tc := range tests {
		if got := matches(tc.givenWant, tc.givenGot); got != tc.expect {
			t.Errorf("matches(%q, %q) = %v, want %v", tc.givenWant, tc.givenGot, got, tc.expect)
		}
	}
}
