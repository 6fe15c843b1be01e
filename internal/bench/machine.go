package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSample is a reading of the CPU time spent so far, by the whole machine
// (from /proc/stat, Linux) and by this process (the load generator).
type cpuSample struct {
	machineBusy, machineTotal uint64 // jiffies; both 0 where unknown
	self                      time.Duration
	selfOK                    bool
}

func sampleCPU() cpuSample {
	var s cpuSample
	s.machineBusy, s.machineTotal, _ = machineTimes()
	s.self, s.selfOK = processCPU()
	return s
}

// cpuUse is CPU time spent between two samples.
type cpuUse struct {
	machine, self time.Duration // -1 where unknown
}

func (a cpuSample) until(b cpuSample) cpuUse {
	u := cpuUse{machine: -1, self: -1}
	if a.machineTotal > 0 && b.machineTotal > a.machineTotal {
		// /proc/stat counts in USER_HZ, which is 100 on Linux.
		u.machine = time.Duration(b.machineBusy-a.machineBusy) * (time.Second / 100)
	}
	if a.selfOK && b.selfOK {
		u.self = b.self - a.self
	}
	return u
}

func (u cpuUse) add(v cpuUse) cpuUse {
	if u.machine < 0 || v.machine < 0 {
		u.machine = -1
	} else {
		u.machine += v.machine
	}
	if u.self < 0 || v.self < 0 {
		u.self = -1
	} else {
		u.self += v.self
	}
	return u
}

// idleShare samples /proc/stat for d and returns the share of CPU time the
// machine spent idle, or -1 where that cannot be read. Other work on the
// machine skews every figure, the ratio to the signing rate most: the
// report says how idle the machine was before the run.
func idleShare(ctx context.Context, d time.Duration) float64 {
	busy0, total0, ok := machineTimes()
	if !ok {
		return -1
	}
	select {
	case <-ctx.Done():
		return -1
	case <-time.After(d):
	}
	busy1, total1, ok := machineTimes()
	if !ok || total1 <= total0 {
		return -1
	}
	return 1 - float64(busy1-busy0)/float64(total1-total0)
}

// machineTimes reads the machine's busy (everything but idle and iowait)
// and total jiffies from /proc/stat.
func machineTimes() (busy, total uint64, ok bool) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, false
	}
	var idle uint64
	for i, v := range f[1:] {
		if i >= 8 { // guest time is already counted in user
			break
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return total - idle, total, true
}
