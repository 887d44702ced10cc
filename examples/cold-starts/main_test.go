package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// TestRun runs the example fast (20 runs per row) and checks its tables
// against what the model and CloudWatch's rules imply, and its charts.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()

	// One deployment: the five canary minutes.
	byMin := excheck.Table(t, s, "minute", "candidate requests", "p99 ms, cold", "p99 ms, 5 provisioned")
	for m := 0; m < 5; m++ {
		excheck.Row(t, byMin, strconv.Itoa(m))
	}

	rows := excheck.Table(t, s, "setting", "false rollbacks", "cold starts", "candidate p99 ms", "detected", "rollback s")
	get := func(label string) []string {
		t.Helper()
		f := excheck.Row(t, rows, strings.Fields(label)...)
		n := len(strings.Fields(label))
		if len(f) != n+7 {
			t.Fatalf("row %q: %d fields, want %d", label, len(f), n+7)
		}
		return f[n:] // false rollbacks, [lo, hi], cold starts, p99, detected, rollback s
	}

	// Always warm: a minute's p99 reaches 1 s only if 4 of its ~300
	// requests exceed it, each with probability 1-Φ(ln 10/0.692) = 0.04 %:
	// about 1e-5 per minute, so no false rollback in 20 runs. A 3x slower
	// candidate exceeds 1 s on 4 % of requests, a dozen a minute: minute 0
	// breaches, is seen at 2:00 and the alias flips at 2:05.
	warm := get("always warm (no execution model)")
	if warm[0] != "0.0%" || warm[3] != "0.0" {
		t.Errorf("always warm: false rollbacks %s, cold starts %s; want 0.0%% and 0.0", warm[0], warm[3])
	}
	if warm[5] != "100.0%" || warm[6] != "125" {
		t.Errorf("always warm, 3x slower: detected %s after %s s; want 100.0%% after 125", warm[5], warm[6])
	}

	// A new version starts with no environment [doc]: every run has cold
	// starts, and they raise the false rollbacks above the warm ones.
	cold := get("cold candidate")
	if c, _ := strconv.ParseFloat(cold[3], 64); c < 1 {
		t.Errorf("cold candidate: %s cold starts per run, want >= 1 (the first request)", cold[3])
	}
	if pct(t, cold[0]) <= pct(t, warm[0]) {
		t.Errorf("cold candidate: %s false rollbacks, not above always warm's %s", cold[0], warm[0])
	}
	if p5 := get("provisioned 5"); pct(t, p5[0]) >= pct(t, cold[0]) {
		t.Errorf("provisioned 5: %s false rollbacks, not below the cold candidate's %s", p5[0], cold[0])
	}

	// EvaluateLowSampleCountPercentile = ignore: a p99 datapoint needs
	// 10/(1-0.99) = 1,000 samples [doc]; a canary minute has ~300, so the
	// alarm never leaves INSUFFICIENT_DATA: nothing is ever rolled back.
	ign := get("cold, low-sample percentile ignored")
	if ign[0] != "0.0%" || ign[5] != "0.0%" {
		t.Errorf("low-sample ignored: false rollbacks %s, detected %s; want 0.0%% and 0.0%%", ign[0], ign[5])
	}
	// Two of two: a 3x slower candidate breaches minutes 0 and 1; minute 1
	// is seen at 3:00, the alias flips at 3:05.
	if two := get("cold, 2 of 2 periods"); two[5] != "100.0%" || two[6] != "185" {
		t.Errorf("2 of 2, 3x slower: detected %s after %s s; want 100.0%% after 185", two[5], two[6])
	}

	excheck.Charts(t, dir, "p99-by-minute", "provisioned")
	excheck.Page(t, dir)
}

// pct parses "11.4%".
func pct(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Errorf("not a percentage: %q", s)
	}
	return v
}
