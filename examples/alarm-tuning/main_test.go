package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// TestBreachProbability checks the per-minute model on cases with a closed
// form of their own.
func TestBreachProbability(t *testing.T) {
	// A threshold just above 0 breaches on any failure: by Poisson thinning
	// the failures of a minute are Poisson(120 p), so P = 1 - exp(-120 p).
	for _, p := range []float64{0.001, 0.0209} {
		got, want := breachProbability(1e-9, p), 1-math.Exp(-120*p)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("breachProbability(0+, %g) = %g, want 1-exp(-120p) = %g", p, got, want)
		}
	}
	// Threshold 0 breaches whenever the minute has a request: 1 - exp(-120).
	if got, want := breachProbability(0, 0.01), 1-math.Exp(-120); math.Abs(got-want) > 1e-12 {
		t.Errorf("breachProbability(0, p) = %g, want %g", got, want)
	}
	// No failures, no breach.
	if got := breachProbability(0.01, 0); got != 0 {
		t.Errorf("breachProbability(1%%, 0) = %g, want 0", got)
	}
}

// TestFireProbability checks the run-of-N chain against hand-worked cases.
func TestFireProbability(t *testing.T) {
	// N = 1: fires unless all 9 minutes pass: 1 - (1-q)^9; minute m (from 0)
	// is seen at (m+2) min and the alias flips 5 s later.
	q := 0.3
	fired, mean := fireProbability(q, 1)
	if want := 1 - math.Pow(1-q, 9); math.Abs(fired-want) > 1e-12 {
		t.Errorf("N=1: P(fire) = %g, want %g", fired, want)
	}
	var num float64
	for m := 0; m < 9; m++ {
		num += q * math.Pow(1-q, float64(m)) * (float64(m+2)*60 + 5)
	}
	if want := num / (1 - math.Pow(1-q, 9)); math.Abs(mean-want) > 1e-9 {
		t.Errorf("N=1: mean = %g, want %g", mean, want)
	}
	// Every minute breaches, N = 3: fires at minute 2, seen at 4:00, flipped
	// at 4:05.
	if fired, mean := fireProbability(1, 3); fired != 1 || mean != 245 {
		t.Errorf("q=1, N=3: (%g, %g), want (1, 245)", fired, mean)
	}
	// Ten in a row cannot happen in nine minutes.
	if fired, _ := fireProbability(0.99, 10); fired != 0 {
		t.Errorf("N=10: P(fire) = %g, want 0", fired)
	}
	// N = 2 over 9 minutes: 1 - P(no two in a row); the strings of length 9
	// with no two consecutive breaches number F(11) = 89 when q = 1/2.
	if fired, _ := fireProbability(0.5, 2); math.Abs(fired-(1-89.0/512)) > 1e-12 {
		t.Errorf("q=1/2, N=2: P(fire) = %g, want 1-89/512", fired)
	}
}

// TestRun runs the example fast (60 runs per cell and scenario) and checks
// its tables, recommendation and charts.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	const runs = 60

	grid := excheck.Table(t, s, "strategy", "threshold", "N", "runs", "detected", "false rollbacks", "rollback (s)")
	closed := excheck.Table(t, s, "threshold", "N", "false rollbacks: closed", "sim", "detected: closed", "sim", "rollback s: closed", "sim")
	type cell struct {
		thr, n        string
		fr, det, roll float64
	}
	var cells []cell
	for _, n := range []string{"1", "2", "3", "5"} {
		for _, thr := range []string{"0.5%", "1%", "2%", "3%", "5%"} {
			excheck.Row(t, grid, preset, thr, n, strconv.Itoa(2*runs))
			f := excheck.Row(t, closed, thr, n)
			if len(f) != 8 {
				continue
			}
			// The simulated rates against the closed form: with 60 runs the
			// standard error is sqrt(p(1-p)/60); allow 4 of them, and at
			// least the error of p(1-p) = 0.02, so that a closed form near 0
			// tolerates a few runs by chance (7 %, 4 of 60).
			for _, pair := range [][2]string{{f[2], f[3]}, {f[4], f[5]}} {
				p, sim := pct(t, pair[0])/100, pct(t, pair[1])/100
				tol := 4 * math.Sqrt(math.Max(p*(1-p), 0.02)/runs)
				if math.Abs(sim-p) > tol {
					t.Errorf("threshold %s N %s: simulated %.3f, closed form %.3f, beyond %.3f", thr, n, sim, p, tol)
				}
			}
			roll := math.NaN()
			if f[7] != "-" {
				roll, _ = strconv.ParseFloat(f[7], 64)
			}
			cells = append(cells, cell{thr, n, pct(t, f[3]) / 100, pct(t, f[5]) / 100, roll})
		}
	}

	// The recommendation is the fastest rollback among the cells that meet
	// both constraints, by the numbers printed above.
	best := cell{roll: math.Inf(1)}
	for _, c := range cells {
		if c.fr <= maxFalseRB && c.det >= minDetected && c.roll < best.roll {
			best = c
		}
	}
	if best.thr == "" {
		t.Fatalf("no printed cell meets the constraints:\n%s", s)
	}
	want := "on the estimates: threshold " + best.thr + ", N = " + best.n + ":"
	if !strings.Contains(s, want) {
		t.Errorf("recommendation: want a line starting %q in\n%s", want, s)
	}
	excheck.Table(t, s, "threshold", "N", "reason")

	excheck.Charts(t, dir, "false-rollbacks", "time-to-rollback")
	excheck.Page(t, dir)
}

// pct parses "8.39%".
func pct(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Errorf("not a percentage: %q", s)
	}
	return v
}
