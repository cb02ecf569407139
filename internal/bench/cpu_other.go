//go:build !unix

package bench

import "time"

// processCPU is not measured on this platform: bench reports no CPU
// figures.
func processCPU() (time.Duration, bool) { return 0, false }
