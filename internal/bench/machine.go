package bench

import (
	"os"
	"strings"
)

// loadAverage is the one-minute load average from /proc/loadavg, or "" where
// there is none: other work on the machine skews every figure, and the
// report says how busy it was.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(raw)); len(f) > 0 {
		return f[0]
	}
	return ""
}
