package sim

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// A looped trace integrates over any span in closed form: whole replays add
// the trace's total (1+2+3 = 6), the rest is prorated second by second.
func TestTraceIntegralLongLoop(t *testing.T) {
	tr := Trace{Counts: []float64{1, 2, 3}, Loop: true}
	half := 500 * time.Millisecond
	for _, c := range []struct {
		a, b time.Duration
		want float64
	}{
		{0, 3 * time.Second, 6},
		{half, half + 300*time.Second, 600},                        // 100 replays from mid-second 0
		{half, half + 301*time.Second, 600 + 0.5*1 + 0.5*2},        // plus [0.5, 1.5) of the trace
		{0, 3_000_000_000 * time.Second, 6e9},                      // 1e9 replays, answered at once
		{math.MaxInt64 - 3*time.Second, math.MaxInt64, 6},          // three seconds at the very end
		{math.MaxInt64 - 1500*time.Millisecond, math.MaxInt64, -1}, // checked below
	} {
		got := tr.Integral(c.a, c.b)
		if c.want < 0 {
			// 1.5 s ending at MaxInt64 (…775807 ns): finite and at most
			// 1.5 × the largest count.
			if !(got > 0 && got <= 1.5*3) {
				t.Errorf("Integral(%v, %v) = %v, want in (0, 4.5]", c.a, c.b, got)
			}
			continue
		}
		if math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("Integral(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	// The closed form agrees with adding the span piece by piece (pieces
	// shorter than two replays take the second-by-second path).
	a, b := 1234*time.Millisecond, 987654321*time.Millisecond
	sum := 0.0
	for s := a; s < b; s += 5 * time.Second {
		sum += tr.Integral(s, min(s+5*time.Second, b))
	}
	if got := tr.Integral(a, b); math.Abs(got-sum) > 1e-9*sum {
		t.Errorf("Integral(%v, %v) = %v, pieces add to %v", a, b, got, sum)
	}
}

// Validate runs before every run, so a valid trace must cost no allocation
// per second of trace (it formatted each field name, 0.17 s per run of a
// million-second trace); an invalid count is still named.
func TestTraceValidateNoAllocs(t *testing.T) {
	tr := Trace{Counts: make([]float64, 100000)}
	if a := testing.AllocsPerRun(3, func() {
		if err := tr.Validate(); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Trace.Validate of 100,000 seconds: %v allocations, want 0", a)
	}
	tr.Counts[777] = math.NaN()
	if err := tr.Validate(); err == nil || err.Error() != "sim: Trace.Counts[777] = NaN: must be finite and >= 0" {
		t.Errorf("Validate() = %v, want the Counts[777] error", err)
	}
}

// ParseTrace's errors are one readable line: a megabyte of binary junk is
// quoted clipped to 40 bytes; and a counts-only trace is held to the 50 days
// a "second,count" trace is (it read any number of lines into memory).
func TestParseTraceHostile(t *testing.T) {
	junk := strings.Repeat("\xf4\xd3^", 300_000) + "\n"
	_, err := ParseTrace(strings.NewReader(junk), "junk.bin")
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "…") || !strings.HasPrefix(err.Error(), "sim: junk.bin:1: count = ") {
		t.Errorf("junk: error of %d bytes %.200q, want a clipped count error", len(fmt.Sprint(err)), fmt.Sprint(err))
	}
	long := strings.Repeat("0\n", maxTraceSeconds+2)
	if _, err := ParseTrace(strings.NewReader(long), "long.csv"); err == nil || !strings.Contains(err.Error(), "more than 4320001 counts") {
		t.Errorf("%d counts: error %v, want the 50-day bound", maxTraceSeconds+2, err)
	}
	if tr, err := ParseTrace(strings.NewReader(strings.Repeat("0\n", maxTraceSeconds+1)), "max.csv"); err != nil || len(tr.Counts) != maxTraceSeconds+1 {
		t.Errorf("%d counts: %v, want accepted", maxTraceSeconds+1, err)
	}
}
