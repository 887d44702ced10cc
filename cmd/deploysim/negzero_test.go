package main

import (
	"regexp"
	"testing"
)

// A -0 typed on the command line is echoed as 0: the header of
// `compare --rps -0` once read "-0 req/s" and its JSON "rps": -0.
func TestNegativeZeroEchoedAsZero(t *testing.T) {
	negZero := regexp.MustCompile(`(^|[^0-9.eE])-0([^0-9.]|$)`)
	args := []string{"compare", "-n", "1", "-s", "AllAtOnce", "--horizon", "0",
		"--rps", "-0", "--baseline-error-rate", "-0", "--error-rate", "-0", "--users-exponent", "-0",
		"--alarm", "MetricName=Errors,Threshold=-0"}
	for _, format := range []string{"table", "json", "csv", "markdown"} {
		code, out, errs := runCLI(t, append(args, "-o", format)...)
		if code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", format, code, errs)
		}
		if m := negZero.FindString(out + errs); m != "" {
			t.Errorf("%s: output echoes a -0 (%q):\n%s%s", format, m, out, errs)
		}
	}
}
