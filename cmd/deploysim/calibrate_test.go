package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/scenario"
)

// calibrate writes a scenario file that --scenario reads back, for every
// test file format, and compare --from runs on each.
func TestCalibrateEveryFormat(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		files []string
		keys  []string // keys whose comment must be there
	}{
		{[]string{"get-metric-data.json"}, []string{"baseline_error_rate", "latency_p50", "concurrency_limit", "error_dispersion"}},
		{[]string{"get-metric-statistics.json"}, []string{"latency_p50"}},
		{[]string{"apigateway.json"}, []string{"baseline_error_rate", "latency_p50"}},
		{[]string{"prometheus.json"}, []string{"baseline_error_rate"}},
		{[]string{"per-minute.csv"}, []string{"rps"}},
		{[]string{"invocations_per_function_md.anon.d03.csv", "function_durations_percentiles.anon.d03.csv"}, []string{"latency_p50"}},
	} {
		var paths []string
		for _, f := range tc.files {
			paths = append(paths, filepath.Join("..", "..", "observe", "testdata", f))
		}
		code, out, errs := runCLI(t, append([]string{"calibrate", "--loop"}, paths...)...)
		if code != 0 {
			t.Fatalf("calibrate %v: exit %d: %s", tc.files, code, errs)
		}
		for _, k := range tc.keys {
			i := strings.Index(out, "\n"+k+":")
			if i < 0 || !strings.Contains(out[:i], "#") || out[strings.LastIndex(out[:i], "\n#")+1] != '#' {
				t.Errorf("%v: key %s has no comment above it", tc.files, k)
			}
		}
		path := filepath.Join(dir, "s.yaml")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := scenario.Load(path)
		if err != nil {
			t.Fatalf("%v: the output does not load: %v", tc.files, err)
		}
		if f.Traffic != "minutes" || len(f.PerMinute) == 0 || !f.TrafficLoop {
			t.Errorf("%v: traffic %q with %d minutes, loop %v", tc.files, f.Traffic, len(f.PerMinute), f.TrafficLoop)
		}
		for _, args := range [][]string{{"--scenario", path}, {"--from", strings.Join(paths, ",")}} {
			a := append([]string{"compare", "-n", "3", "-s", "Canary10Percent5Minutes", "--horizon", "0"}, args...)
			if code, _, errs := runCLI(t, a...); code != 0 {
				t.Errorf("compare %v: exit %d: %s", args, code, errs)
			}
		}
	}
}

// The calibrated mean is rps, and --rps on the command line rescales the
// profile: the per-minute CSV (mean 75 a minute) at --rps 2.5 doubles.
func TestCalibrateRPSOverride(t *testing.T) {
	p := filepath.Join("..", "..", "observe", "testdata", "per-minute.csv")
	out := mustRunQuietless(t, "calibrate", p)
	if !strings.Contains(out, "\nrps: 1.25\n") {
		t.Errorf("rps is not the profile's mean (75/60):\n%s", out)
	}
	code, out, errs := runCLI(t, "compare", "--from", p, "--rps", "2.5", "-n", "2", "-s", "AllAtOnce", "--horizon", "0", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"rps": 2.5`) {
		t.Errorf("--rps did not override the calibrated rate: %.300s", out)
	}
	for _, bad := range [][]string{{"calibrate"}, {"calibrate", "--scale", "0", p}, {"calibrate", "--start", "yesterday", p}, {"calibrate", "--function", "rank:0", p}, {"calibrate", "nope.json"}} {
		if code, _, _ := runCLI(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// mustRunQuietless runs a command that may warn on stderr and fails the
// test unless it exits 0.
func mustRunQuietless(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("deploysim %q: exit %d, stderr %q", args, code, errs)
	}
	return out
}
