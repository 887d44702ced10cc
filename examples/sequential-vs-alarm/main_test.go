package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// TestDoubled checks the fault that doubles a version's error probability:
// failing by its own draw or the fault's, independently, gives 2p.
func TestDoubled(t *testing.T) {
	for _, p := range []float64{0.001, 0.005, 0.2} {
		f := doubled(p).ErrorProb
		if got := 1 - (1-p)*(1-f); math.Abs(got-2*p) > 1e-15 {
			t.Errorf("doubled(%g): combined error probability %g, want %g", p, got, 2*p)
		}
	}
}

// TestRun runs the example fast (40 runs per policy and scenario) and checks
// its tables and charts, and the sequential test's guarantee.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	const runs = 40
	// Ville's inequality bounds a healthy candidate's false-rollback
	// probability by α, whatever the traffic or the length of the watch. A
	// simulated rate over 40 runs may exceed α by chance; 4 standard
	// errors of a rate equal to α, sqrt(α(1-α)/40), are beyond chance.
	limit := func(a float64) float64 { return 100 * (a + 4*math.Sqrt(a*(1-a)/runs)) }

	all := excheck.Table(t, s, "strategy", "runs", "detected", "false rollbacks", "rollback (s)")
	for _, a := range alphas {
		label := "sequential(α=" + strconv.FormatFloat(a, 'g', -1, 64) + ")"
		if f := excheck.Row(t, all, label, strconv.Itoa(2*runs)); f != nil {
			if fr := pct(t, f[4]); fr > limit(a) { // label, runs, detected, its interval, false rollbacks
				t.Errorf("%s: %.1f%% false rollbacks, beyond α = %g", label, fr, a)
			}
		}
	}
	for _, n := range periods {
		for _, f := range factors {
			excheck.Row(t, all, alarm(f*errorProb, n).Name, strconv.Itoa(2*runs))
		}
	}

	// The matched pair: the alarm has no more false rollbacks than the
	// sequential test, unless the example says none qualified.
	matched := excheck.Table(t, s, "policy", "false rollbacks", "detected", "rollback s mean", "p50", "p95", "failed requests (bad) mean")
	if len(matched) != 2 {
		t.Fatalf("matched comparison has %d rows, want 2", len(matched))
	}
	seq, best := strings.Fields(matched[0]), strings.Fields(matched[1])
	if seq[0] != "sequential(α=0.05)" || !strings.HasPrefix(best[0], "alarm(") {
		t.Errorf("matched rows %q and %q, want the sequential test then an alarm", seq[0], best[0])
	}
	if !strings.Contains(s, "none qualifies") && pct(t, best[1]) > pct(t, seq[1]) {
		t.Errorf("best alarm has %s false rollbacks, more than the sequential test's %s", best[1], seq[1])
	}

	// Off the tuning point: four variations; the sequential test keeps its
	// bound in each, and "as tuned" repeats the matched comparison's healthy
	// runs (same scenario, same seeds), so it prints the same rates.
	off := excheck.Table(t, s, "variation", "sequential(α=0.05)", best[0])
	for _, v := range [][]string{{"as", "tuned"}, {"10", "req/s"}, {"both", "versions", "fail", "1%"}, {"Linear10PercentEvery10Minutes"}} {
		f := excheck.Row(t, off, v...)
		if len(f) < len(v)+6 {
			continue
		}
		seqFR, alarmFR := f[len(v)], f[len(v)+3]
		if fr := pct(t, seqFR); fr > limit(alpha) {
			t.Errorf("%s: sequential test %.1f%% false rollbacks, beyond α = %g", strings.Join(v, " "), fr, alpha)
		}
		if v[0] == "as" && (seqFR != seq[1] || alarmFR != best[1]) {
			t.Errorf("as tuned: %s and %s, want the matched comparison's %s and %s", seqFR, alarmFR, seq[1], best[1])
		}
	}

	excheck.Charts(t, dir, "tradeoff", "rollback-cdf")
	excheck.Page(t, dir)
}

// pct parses "0.7%".
func pct(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Errorf("not a percentage: %q", s)
	}
	return v
}
