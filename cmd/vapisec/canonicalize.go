package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec/canonical"
)

func newCanonicalizeCmd() *cobra.Command {
	var profile string
	var maxSize int
	cmd := &cobra.Command{
		Use:   "canonicalize [--profile java|gosdk|python] [FILE|-]",
		Short: "Print the vAPI canonical JSON form of a document",
		Long: "Read a JSON document from FILE (or stdin when FILE is - or absent) and write its vAPI " +
			"canonical form (spec §6) to stdout, without a trailing newline. The java profile (default) " +
			"is what vCenter verifies; gosdk and python reproduce those SDKs. Duplicate members, invalid " +
			"UTF-8, lone surrogates, trailing data and excessive nesting are rejected (exit 1).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := canonical.ParseProfile(profile)
			if err != nil {
				return usagef("canonicalize: --profile: %v", err)
			}
			if maxSize <= 0 {
				return usagef("canonicalize: --max-size must be positive")
			}
			c, err := canonical.New(canonical.WithProfile(p), canonical.WithMaxSize(maxSize))
			if err != nil {
				return usagef("canonicalize: %v", err)
			}
			src, err := readCanonicalizeInput(cmd, args, maxSize)
			if err != nil {
				return err
			}
			out, err := c.Canonicalize(src)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "java", "canonical form: java, gosdk or python")
	cmd.Flags().IntVar(&maxSize, "max-size", canonical.DefaultMaxSize, "largest accepted input in bytes")
	return cmd
}

// readCanonicalizeInput reads FILE or stdin ("-" or no argument), at most limit+1 bytes
// so that the canonicalizer reports an oversized input itself.
func readCanonicalizeInput(cmd *cobra.Command, args []string, limit int) ([]byte, error) {
	name := "-"
	if len(args) == 1 {
		name = args[0]
	}
	r, err := openInput(cmd.InOrStdin(), name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	src, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("canonicalize: reading input: %w", err)
	}
	return src, nil
}
