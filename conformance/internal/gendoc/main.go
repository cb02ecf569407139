// Command gendoc writes docs/conformance.md from the embedded vectors
// (run by go generate in package conformance).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/vapisec/vapisec/conformance"
)

func main() {
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	s, err := conformance.Default()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var b bytes.Buffer
	if err := conformance.WriteMarkdown(&b, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *out == "" {
		_, err = os.Stdout.Write(b.Bytes())
	} else {
		err = os.WriteFile(*out, b.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
