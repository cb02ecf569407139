package main

import (
	"io"
	"os"
)

// openInput opens the file name, or stdin for "-" (Close then leaves stdin
// open). The error is os.Open's, for the caller to sort.
func openInput(stdin io.Reader, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// loadPEMFile reads the file name and decodes it with parse. Both failures
// are usage errors; a decoding error names the file.
func loadPEMFile[T any](name string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(name)
	if err != nil {
		return zero, usagef("%v", err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, usagef("%s: %v", name, err)
	}
	return v, nil
}
