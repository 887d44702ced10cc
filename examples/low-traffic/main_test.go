package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
	"github.com/deploysim/deploysim/strategy"
)

// TestVisibleExposure checks E against the reference's schedules worked by
// hand: the last alarm look is at the end of the schedule, and a minute is
// visible 60 s after it ends, so the minutes up to end-60 s count.
func TestVisibleExposure(t *testing.T) {
	for _, c := range []struct {
		s    strategy.Strategy
		want float64
	}{
		{strategy.LambdaCanary10Percent5Minutes, 0.1 * 240},   // 10 % for minutes 0-3
		{strategy.LambdaCanary10Percent10Minutes, 0.1 * 540},  // minutes 0-8
		{strategy.LambdaCanary10Percent15Minutes, 0.1 * 840},  // minutes 0-13
		{strategy.LambdaCanary10Percent30Minutes, 0.1 * 1740}, // minutes 0-28
		// 100 % at 9 min; minutes 0-7 visible at 10 %, 20 %, …, 80 %.
		{strategy.LambdaLinear10PercentEvery1Minute, 60 * 3.6},
		// 100 % at 18 min; 2-minute steps of 10-80 %, then 1 minute at 90 %.
		{strategy.LambdaLinear10PercentEvery2Minutes, 120*3.6 + 60*0.9},
		{strategy.LambdaLinear10PercentEvery3Minutes, 180*3.6 + 120*0.9},
		{strategy.LambdaLinear10PercentEvery10Minutes, 600*3.6 + 540*0.9},
		{strategy.LambdaAllAtOnce, 0}, // over at t0: never watched
	} {
		if got := visibleExposure(c.s); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("visibleExposure(%s) = %g s, want %g", c.s.Name(), got, c.want)
		}
	}
}

// TestRun runs the example in its fast mode and checks its tables and chart.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()

	// Section 1: the closed form of the text, 1-exp(-λEp) with λ = 1,
	// E = 24 s, p = 1-(0.999)(0.95), and the simulation near it.
	p := 1 - 0.999*0.95
	closed := 1 - math.Exp(-24*p)
	worked := excheck.Table(t, s, "policy", "closed form", "simulated", "runs")
	if f := excheck.Row(t, worked, "ErrorRate", ">=", "1%", "(1", "of", "1)"); f != nil {
		if want := strconv.FormatFloat(100*closed, 'f', 1, 64) + "%"; f[6] != want {
			t.Errorf("closed form %s, want %s", f[6], want)
		}
		// 400 runs: the standard error of a 70.6 % rate is 2.3 points; 4
		// of them (9 points) would be exceeded by chance once in 15,000
		// seeds, and the seeds are fixed.
		if sim := percent(t, f[7]); math.Abs(sim-100*closed) > 9 {
			t.Errorf("simulated detection %.1f%%, closed form %.1f%%: more than 4 standard errors apart", sim, 100*closed)
		}
	}
	// The count alarm needs 5 failures among ~6 requests of one minute:
	// about 7 in 100,000 deployments; 400 runs should catch none, and more
	// than 1 % would contradict the closed form beyond doubt.
	if f := excheck.Row(t, worked, "Errors", "Sum", ">=", "5", "(1", "of", "1)"); f != nil && percent(t, f[8]) > 1 {
		t.Errorf("count alarm detected %s, want about 0.007%%", f[8])
	}

	// Section 2: every preset at every rate; AllAtOnce never detects.
	curve := excheck.Table(t, s, "strategy", "E s", "0.01 req/s", "10 req/s")
	for _, st := range strategy.LambdaPresets() {
		f := excheck.Row(t, curve, st.Name())
		if len(f) != 12 {
			t.Errorf("row %v: %d fields, want name, E and 10 rates", f, len(f))
			continue
		}
		if st.Name() == "AllAtOnce" && strings.Join(f[2:], " ") != strings.TrimSpace(strings.Repeat("0% ", 10)) {
			t.Errorf("AllAtOnce detects %v, want 0%% everywhere", f[2:])
		}
	}

	// Section 3: the bisection lands near ln 20 / (E p) for every preset.
	// In fast mode it stops at a bracket ratio of 1.15 with 200 runs per
	// point, whose 95 % rate has a standard error of 1.5 points, worth about
	// 10 % of the rate on the slope of 1-exp(-λEp) at 95 %; a factor 1.4
	// leaves room for both.
	lowest := excheck.Table(t, s, "strategy", "E s", "closed form req/s", "simulated req/s", "detected at it")
	for _, st := range strategy.LambdaPresets() {
		f := excheck.Row(t, lowest, st.Name())
		if f == nil {
			continue
		}
		if st.Name() == "AllAtOnce" {
			if f[2] != "never" || f[3] != "never" {
				t.Errorf("AllAtOnce: %v, want never", f)
			}
			continue
		}
		e := visibleExposure(st)
		want := math.Log(20) / (e * p)
		got, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			t.Errorf("%s: simulated rate %q", st.Name(), f[3])
			continue
		}
		if r := got / want; r > 1.4 || r < 1/1.4 {
			t.Errorf("%s: simulated λ95 = %g, closed form %g (ratio %.2f)", st.Name(), got, want, r)
		}
		if d := percent(t, f[4]); d < 95 {
			t.Errorf("%s: detected %.1f%% at the rate it reports, want >= 95%%", st.Name(), d)
		}
	}

	excheck.Charts(t, dir, "detection")
	excheck.Page(t, dir)
}

// percent parses "70.6%".
func percent(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Errorf("not a percentage: %q", s)
	}
	return v
}
