package bench

import "errors"

// ErrFormat reports a report format other than table, json and svg.
var ErrFormat = errors.New("bench: unknown format")

// ConfigError reports a Config field that Run cannot use: the caller's
// mistake, not the machine's.
type ConfigError struct {
	// Field is the name of the Config field, such as "Servers".
	Field string
	// Err says what is wrong with it.
	Err error
}

func (e *ConfigError) Error() string { return "bench: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *ConfigError) Unwrap() error { return e.Err }
