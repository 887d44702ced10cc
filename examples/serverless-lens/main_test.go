package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// TestRun runs the example fast (4 runs per cell) and checks its tables
// against what the model and CloudWatch's rules imply, and its charts.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()

	// Reservations: 1.5 × (a + 4√a), a = λ·E[latency], E[latency] =
	// 200 ms · exp(σ²/2) with σ = ln 5 / 2.3263 (p99 = 5 × p50): 254 ms.
	sigma := math.Log(5) / 2.3263478740408408
	mean := 200 * math.Exp(sigma*sigma/2) / 1000
	limits := excheck.Table(t, s, "level", "req/s", "steady concurrency", "reserved concurrency")
	for _, l := range levels {
		a := l.rate * mean
		want := max(10, int(math.Ceil(1.5*(a+4*math.Sqrt(a)))))
		f := excheck.Row(t, limits, l.name)
		if f[3] != strconv.Itoa(want) {
			t.Errorf("%s: reserved %s, want %d", l.name, f[3], want)
		}
	}

	healthy := excheck.Table(t, s, "level", "strategy", "cold starts", "throttled", "worst minute p99 ms", "false rollbacks")
	bad := excheck.Table(t, s, "level", "strategy", "failed requests", "detected", "rollback s")
	num := func(f string) float64 {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, "%"), 64)
		if err != nil {
			t.Fatalf("not a number: %q", f)
		}
		return v
	}
	get := func(rows []string, level, strategy string) []string {
		t.Helper()
		f := excheck.Row(t, rows, append([]string{level}, strings.Fields(strategy)...)...)
		return f[1+len(strings.Fields(strategy)):]
	}
	for _, level := range []string{"medium", "high"} {
		// A green version with provisioned concurrency starts warm: fewer
		// cold starts than the same flip to a cold green.
		if w, c := num(get(healthy, level, "BlueGreen10Minutes, green pre-warmed")[0]), num(get(healthy, level, "BlueGreen10Minutes")[0]); w >= c {
			t.Errorf("%s: pre-warmed green has %v cold starts, cold green %v", level, w, c)
		}
		// 5 % errors against a 1 % alarm: minute 0 after the shift
		// breaches at any of these rates, its datapoint is visible at
		// 2:00 (60 s ingestion), CodeDeploy polls then, the alias flips
		// 5 s later: 125 s after the first shift, for every strategy
		// (Bake keeps the all-at-once ones watched).
		for _, d := range deployments {
			f := get(bad, level, d.name)
			if f[1] != "100%" || f[2] != "125" {
				t.Errorf("%s, %s: detected %s after %s s; want 100%% after 125", level, d.name, f[1], f[2])
			}
		}
		// Until then a canary exposes 10 % of the traffic, all-at-once
		// all of it: at least five times fewer failed requests.
		if c, a := num(get(bad, level, "Canary10Percent5Minutes")[0]), num(get(bad, level, "AllAtOnce")[0]); c > a/5 {
			t.Errorf("%s: canary %v failed requests, all-at-once %v: want at most a fifth", level, c, a)
		}
	}
	// A gradual shift at high concurrency never outgrows the reservation:
	// each step adds 50 req/s, about 25 environments busy initialising.
	for _, d := range []string{"Canary10Percent5Minutes", "Linear10PercentEvery1Minute", "BlueGreen10Minutes, green pre-warmed"} {
		if th := num(get(healthy, "high", d)[1]); th != 0 {
			t.Errorf("high, %s: %v throttled, want 0", d, th)
		}
	}
	excheck.Charts(t, dir, "healthy", "bad")
}
