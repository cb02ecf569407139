package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseInfoCPU(t *testing.T) {
	tests := []struct {
		name      string
		given     string
		expect    time.Duration
		expectErr bool
	}{
		{"ok, redis 7", "# CPU\r\nused_cpu_sys:4.728221\r\nused_cpu_user:6.692823\r\nused_cpu_sys_children:0.000000\r\n", 11421044 * time.Microsecond, false},
		{"nok, one missing", "# CPU\r\nused_cpu_sys:1.5\r\n", 0, true},
		{"nok, not a number", "used_cpu_sys:x\nused_cpu_user:1\n", 0, true},
		{"nok, twice", "used_cpu_sys:1\nused_cpu_sys:1\nused_cpu_user:1\n", 0, true},
		{"nok, negative", "used_cpu_sys:-1\nused_cpu_user:1\n", 0, true},
		{"nok, NaN", "used_cpu_sys:NaN\nused_cpu_user:1\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInfoCPU(tt.given)
			if (err != nil) != tt.expectErr || (!tt.expectErr && (got-tt.expect).Abs() > time.Microsecond) {
				t.Fatalf("parseInfoCPU = %v, %v; want %v (error %v)", got, err, tt.expect, tt.expectErr)
			}
		})
	}
}

// FuzzParseInfoCPU: never panics; what it accepts is non-negative; and the
// two values Redis would print round-trip to their sum.
func FuzzParseInfoCPU(f *testing.F) {
	f.Add("used_cpu_sys:4.728221\r\nused_cpu_user:6.692823\r\n", 1.5, 2.25)
	f.Add("", 0.0, 0.0)
	f.Add("used_cpu_sys:1e308\nused_cpu_user:1\n", 1e6, 3.0)
	f.Fuzz(func(t *testing.T, info string, sys, user float64) {
		if d, err := parseInfoCPU(info); err == nil && d < 0 {
			t.Fatalf("parseInfoCPU(%q) = %v", info, d)
		}
		sys, user = math.Abs(math.Mod(sys, 1e6)), math.Abs(math.Mod(user, 1e6))
		if math.IsNaN(sys) || math.IsNaN(user) {
			return
		}
		text := fmt.Sprintf("# CPU\r\nused_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n", sys, user)
		d, err := parseInfoCPU(text)
		want := time.Duration((sys + user) * float64(time.Second))
		if err != nil || (d-want).Abs() > 2*time.Microsecond {
			t.Fatalf("parseInfoCPU(%q) = %v, %v; want %v", strings.TrimSpace(text), d, err, want)
		}
	})
}
