package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// presetNames are the nine Lambda presets in the reference's order, with the
// minutes a healthy deployment takes under each (reference aws.md,
// "Deployment configurations": canaries promote at their interval; linears
// reach 100 % at (10-1) × interval; AllAtOnce at once).
var presetNames = []struct {
	name    string
	minutes string
}{
	{"Canary10Percent5Minutes", "5"},
	{"Canary10Percent10Minutes", "10"},
	{"Canary10Percent15Minutes", "15"},
	{"Canary10Percent30Minutes", "30"},
	{"Linear10PercentEvery1Minute", "9"},
	{"Linear10PercentEvery2Minutes", "18"},
	{"Linear10PercentEvery3Minutes", "27"},
	{"Linear10PercentEvery10Minutes", "90"},
	{"AllAtOnce", "0"},
}

// TestRun runs the example in its fast mode (20 runs per cell) and checks
// what it prints and writes.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()

	// The bad-candidate table: every preset at every rate.
	// Every preset at every rate, each row holding 20 bad runs and their 20
	// healthy twins.
	bad := excheck.Table(t, s, "strategy", "rps", "runs", "detected", "false rollbacks", "failures", "users hit", "duration (s)", "rollback (s)")
	for _, rate := range []string{"1", "100", "10000"} {
		for _, p := range presetNames {
			f := excheck.Row(t, bad, p.name, rate, "40")
			// CodeDeploy watches alarms only while a deployment runs and
			// AllAtOnce is over at t0, so it is never rolled back.
			if p.name == "AllAtOnce" && f != nil && f[3] != "0%" {
				t.Errorf("AllAtOnce at %s req/s detected %s, want 0%%: nothing watches it", rate, f[3])
			}
			// From 100 req/s a watched preset's first minute holds ~600
			// candidate requests failing at 5.1 %: its error rate is over
			// 1 % for certain, the datapoint is seen at 2:00 (the minute,
			// then 60 s of ingestion), and the alias flips 5 s later.
			if p.name != "AllAtOnce" && rate != "1" && f != nil {
				if f[3] != "100%" || f[len(f)-3] != "125" {
					t.Errorf("%s at %s req/s: detected %s, rollback after %s s; want 100%% after 125", p.name, rate, f[3], f[len(f)-3])
				}
			}
		}
	}

	// The healthy table: the release time is the reference's.
	healthy := excheck.Table(t, s, "strategy", "duration min", "false rollbacks @1", "false rollbacks @100", "false rollbacks @10000")
	for _, p := range presetNames {
		if f := excheck.Row(t, healthy, p.name); f != nil && f[1] != p.minutes {
			t.Errorf("%s: duration %s min, want %s (reference aws.md)", p.name, f[1], p.minutes)
		}
	}

	// The Pareto front of each rate holds AllAtOnce (the only preset with
	// release time 0, so nothing can beat it on both figures), and along a
	// front, failures fall as release time grows (else the slower point would
	// be dominated). A healthy run that completes takes its schedule's
	// duration, so the front's durations are the reference's.
	minutes := map[string]string{}
	for _, p := range presetNames {
		minutes[p.name] = p.minutes
	}
	front := excheck.Table(t, s, "rps", "strategy", "duration min", "candidate failures")
	for _, l := range front {
		if f := strings.Fields(l); len(f) == 4 && f[2] != minutes[f[1]] {
			t.Errorf("front row %q: duration %s min, want %s (reference aws.md)", l, f[2], minutes[f[1]])
		}
	}
	for _, rate := range []string{"1", "100", "10000"} {
		excheck.Row(t, front, rate, "AllAtOnce", "0")
		prevD, prevF := -1.0, math.Inf(1)
		for _, l := range front {
			f := strings.Fields(l)
			if len(f) != 4 || f[0] != rate {
				continue
			}
			d, err1 := strconv.ParseFloat(f[2], 64)
			c, err2 := strconv.ParseFloat(f[3], 64)
			if err1 != nil || err2 != nil {
				t.Errorf("front row %q: not numbers", l)
				continue
			}
			if d <= prevD || c >= prevF {
				t.Errorf("front at %s req/s: (%g min, %g failures) after (%g, %g): a front must trade one for the other", rate, d, c, prevD, prevF)
			}
			prevD, prevF = d, c
		}
	}

	excheck.Charts(t, dir, "pareto")
	excheck.Page(t, dir)
}
