package main

import "strings"

// isCobraUsageError recognises the argument-validation errors cobra returns
// as plain errors (unknown command, wrong number of arguments), so that they
// exit with code 2 like flag errors do.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "unknown flag", "unknown shorthand", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
