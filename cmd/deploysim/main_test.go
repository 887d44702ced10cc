package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPresetsCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"presets"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	// A header and the 14 predefined configurations of reference aws.md.
	if len(lines) != 15 {
		t.Fatalf("%d lines, want 15:\n%s", len(lines), out.String())
	}
	for _, want := range []string{
		"1h30m0s",
		"90% at 1h20m, 100% at 1h30m",
		"CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
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
		args []string
		code int
		err  string
	}{
		{nil, 2, "usage: deploysim"},
		{[]string{"help"}, 0, "presets"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"presets", "extra"}, 2, `deploysim presets: unexpected argument "extra"`},
		{[]string{"presets", "-nope"}, 2, "deploysim presets:"},
	} {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.err) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.err)
		}
		if code == 2 && strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 && c.args != nil {
			t.Errorf("run(%q): error is more than one line: %q", c.args, errb.String())
		}
	}
}
