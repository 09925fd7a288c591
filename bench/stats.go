//go:build bench

package bench

import (
	"fmt"
	"math"
	"slices"
	"syscall"
	"time"
)

// Sample is one measurement over several runs.
type Sample []float64

func (s Sample) sorted() []float64 { c := slices.Clone(s); slices.Sort(c); return c }

// Median of the runs (the mean of the middle two for an even count).
func (s Sample) Median() float64 {
	c := s.sorted()
	if len(c) == 0 {
		return math.NaN()
	}
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// Min is the smallest of the runs (NaN without runs).
func (s Sample) Min() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Min(s)
}

// Max is the largest of the runs (NaN without runs).
func (s Sample) Max() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Max(s)
}

// Format prints "median (min–max)" with verb, e.g. "%.2f".
func (s Sample) Format(verb string) string {
	if len(s) == 1 {
		return fmt.Sprintf(verb, s[0])
	}
	return fmt.Sprintf(verb+" ("+verb+"–"+verb+")", s.Median(), s.Min(), s.Max())
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of xs.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	rank := int(math.Ceil(p / 100 * float64(len(c))))
	return c[min(max(rank, 1), len(c))-1]
}

// MiB converts bytes to MiB.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }

// processCPU is this process's user + system CPU time so far, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
