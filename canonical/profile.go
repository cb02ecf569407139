package canonical

import (
	"fmt"
	"strings"
)

// Profile selects whose canonical form is produced. The zero value is Java.
// See the package documentation for the differences.
type Profile int

const (
	// Java is the canonical form of the VMware vAPI Java runtime
	// (JsonCanonicalizer), i.e. what vCenter verifies (spec §6.3). Default.
	Java Profile = iota
	// GoSDK is the form of vsphere-automation-sdk-go's server
	// (canonicaljson-go on a UseNumber decode, spec §6.1 "Go").
	GoSDK
	// Python is the form of the vapi_runtime Python package
	// (JSONCanonicalizer with ensure_ascii and canonicalize_double, spec §6.1).
	Python
)

// String returns "java", "gosdk" or "python".
func (p Profile) String() string {
	switch p {
	case Java:
		return "java"
	case GoSDK:
		return "gosdk"
	case Python:
		return "python"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

func (p Profile) valid() bool { return p >= Java && p <= Python }

// ParseProfile returns the profile named s ("java", "gosdk" or "python",
// case-insensitive). Unknown names return an error matching
// [ErrUnknownProfile].
func ParseProfile(s string) (Profile, error) {
	switch strings.ToLower(s) {
	case "java":
		return Java, nil
	case "gosdk":
		return GoSDK, nil
	case "python":
		return Python, nil
	}
	return 0, fmt.Errorf("%w %.40q (want java, gosdk or python)", ErrUnknownProfile, s)
}
