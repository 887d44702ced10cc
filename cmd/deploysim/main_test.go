package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the command in-process and returns its exit status and
// outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLIIn(t, "", args...)
}

// runCLIIn is runCLI with stdin as the standard input.
func runCLIIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("deploysim %q: exit %d, stderr %q", args, code, errs)
	}
	// Off a terminal stderr has no progress: at most warnings (what the
	// scenario means, tested in TestNonsenseWarns).
	for _, l := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "warning: ") && !strings.HasPrefix(l, "note: ") {
			t.Errorf("deploysim %q: stderr not quiet off a terminal: %q", args, errs)
			break
		}
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
		{nil, 2, "", "Usage:"},
		{[]string{"help"}, 0, "presets", ""},
		{[]string{"--help"}, 0, "compare", ""},
		{[]string{"help", "sweep"}, 0, "--shard i/n", ""},
		{[]string{"help", "nope"}, 2, "", `deploysim help: unknown command "nope"`},
		{[]string{"frobnicate"}, 2, "", `deploysim: unknown command "frobnicate" (run "deploysim help")`},
		{[]string{"presets", "extra"}, 2, "", `deploysim presets: unexpected argument "extra"`},
		{[]string{"presets", "--nope"}, 2, "", "deploysim presets: unknown flag: --nope"},
		{[]string{"compare", "extra"}, 2, "", `deploysim compare: unexpected argument "extra"`},
		{[]string{"compare", "--nope"}, 2, "", "deploysim compare: unknown flag: --nope"},
		{[]string{"sweep", "--shard"}, 2, "", "deploysim sweep: flag needs an argument: --shard"},
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
	root := newRootCmd(streams{})
	for _, c := range root.Commands() {
		for _, args := range [][]string{{c.Name(), "--help"}, {"help", c.Name()}} {
			code, out, errs := runCLI(t, args...)
			if code != 0 || errs != "" {
				t.Errorf("%q: exit %d, stderr %q", args, code, errs)
			}
			if strings.Count(out, "Usage:\n  deploysim "+c.Name()) != 1 {
				t.Errorf("%q lacks its usage line:\n%s", args, out)
			}
			if !strings.Contains(out, "Examples:\n  deploysim "+c.Name()) && !strings.Contains(out, "Examples:\n  source <(deploysim "+c.Name()) {
				t.Errorf("%q lacks examples of the command:\n%s", args, out)
			}
		}
	}
	// The scenario flags are documented where they apply, with their
	// argument's kind.
	_, out, _ := runCLI(t, "compare", "-h")
	for _, f := range []string{"--strategies LIST", "--rps RATE", "--traffic SHAPE", "--error-rate P", "--baseline-error-rate P",
		"--fault-onset DURATION", "--latency-p50 DURATION", "--latency-p99 DURATION", "--latency-regression FACTOR", "--concurrency-limit N",
		"--event-model MODEL", "--users N", "-n, --runs N", "--seed N", "--horizon DURATION", "--resolution RES", "-o, --format FORMAT",
		"--alarm Key=Value,...", "--ingestion-delay DURATION", "--evaluation-interval DURATION", "--rollback-latency DURATION",
		"--policy POLICY", "--scenario FILE", "-s, --strategies"} {
		if !strings.Contains(out, f) {
			t.Errorf("compare --help does not document %s", f)
		}
	}
}
