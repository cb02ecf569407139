// Command govc is govc built from govmomi v0.52.0's own command packages
// (github.com/vmware/govmomi/cli, the code of the govc binary) with the
// session commands only: session.login, session.ls, session.logout,
// session.rm. govc's main package is a nested module with a replace
// directive (go install …/govc@v0.52.0 fails), so the interop tests build
// this instead; the commands run exactly govc's code.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/session"
)

func main() {
	os.Exit(cli.Run(os.Args[1:]))
}
