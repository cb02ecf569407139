// Command vapisec is the command-line tool of the vapisec module: a demo vAPI
// server, offline signing and verification, token tools and the conformance
// suite. Run "vapisec help" for the list of commands.
//
// Exit codes: 0 success, 1 a runtime error or a rejected input, 2 a usage error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "devel"

// usageError marks an error caused by how the command was invoked (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "vapisec",
		Short:         "vAPI security: demo server, signing, verification and conformance tools",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		newVersionCmd(),
		newServeCmd(),
		newBenchCmd(),
		newTokenCmd(),
		newSTSCmd(),
		newOAuthCmd(),
		newCanonicalizeCmd(),
		newVerifyCmd(),
		newSignCmd(),
		newSignHeaderCmd(),
		newCallCmd(),
		newConformanceCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of vapisec",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "vapisec %s\n", version)
			return err
		},
	}
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetIn(stdin)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "vapisec: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		if cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return 2
	}
	return 1
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
