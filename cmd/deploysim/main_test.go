package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command in-process and returns its exit status and
// outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("deploysim %q: exit %d, stderr %q", args, code, errs)
	}
	if errs != "" {
		t.Errorf("deploysim %q: stderr not quiet off a terminal: %q", args, errs)
	}
	return out
}

func TestPresetsCommand(t *testing.T) {
	out := mustRun(t, "presets")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// A header and the 14 predefined configurations of reference aws.md.
	if len(lines) != 15 {
		t.Fatalf("%d lines, want 15:\n%s", len(lines), out)
	}
	for _, want := range []string{
		"1h30m0s",
		"90% at 1h20m, 100% at 1h30m",
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if f := strings.Fields(lines[1]); len(f) < 3 || f[0] != "CodeDeployDefault.LambdaCanary10Percent5Minutes" || f[1] != "Canary10Percent5Minutes" || f[2] != "5m0s" {
		t.Errorf("first preset line %q", lines[1])
	}
	if f := strings.Fields(lines[14]); len(f) < 2 || f[0] != "CodeDeployDefault.ECSAllAtOnce" || f[1] != "-" {
		t.Errorf("last preset line %q", lines[14])
	}
	// Aligned columns: the schedule column starts at the same offset on every line.
	col := strings.Index(lines[0], "SCHEDULE")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned line %q", l)
		}
	}
}

func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{nil, 2, "", "usage: deploysim"},
		{[]string{"help"}, 0, "presets", ""},
		{[]string{"--help"}, 0, "compare", ""},
		{[]string{"help", "sweep"}, 0, "--shard i/n", ""},
		{[]string{"help", "nope"}, 2, "", `unknown command "nope"`},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"presets", "extra"}, 2, "", `deploysim presets: unexpected argument "extra"`},
		{[]string{"presets", "-nope"}, 2, "", "deploysim presets: flag provided but not defined: -nope"},
		{[]string{"compare", "extra"}, 2, "", `deploysim compare: unexpected argument "extra"`},
		{[]string{"compare", "-nope"}, 2, "", "deploysim compare: flag provided but not defined: -nope"},
		{[]string{"sweep", "--shard"}, 2, "", "deploysim sweep: flag needs an argument: -shard"},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
			t.Errorf("run(%q) = %d, stdout %.80q, stderr %q; want %d, %q and %q", c.args, code, out, errs, c.code, c.out, c.err)
		}
		if code == 2 && c.args != nil && (strings.Count(strings.TrimSpace(errs), "\n") > 0 || out != "") {
			t.Errorf("run(%q): error is more than one line (%q) or stdout is not empty (%.80q)", c.args, errs, out)
		}
	}
}

// Every subcommand has --help with usage and examples, on stdout, exit 0.
func TestHelpEverySubcommand(t *testing.T) {
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		code, out, errs := runCLI(t, c.name, "--help")
		if code != 0 || errs != "" {
			t.Errorf("%s --help: exit %d, stderr %q", c.name, code, errs)
		}
		if strings.Count(out, "usage: deploysim "+c.name) != 1 || !strings.Contains(out, "example") {
			t.Errorf("%s --help lacks usage or examples:\n%s", c.name, out)
		}
	}
	// The scenario flags are documented where they apply.
	_, out, _ := runCLI(t, "compare", "-h")
	for _, f := range []string{"--strategies", "--rps", "--traffic", "--error-rate", "--baseline-error-rate",
		"--fault-onset", "--latency-p50", "--latency-p99", "--latency-regression", "--concurrency-limit",
		"--event-model", "--users", "--runs", "--seed", "--horizon", "--resolution", "--format", "--alarm",
		"--ingestion-delay", "--evaluation-interval", "--rollback-latency", "--policy", "--scenario"} {
		if !strings.Contains(out, f+" ") {
			t.Errorf("compare --help does not document %s", f)
		}
	}
}
