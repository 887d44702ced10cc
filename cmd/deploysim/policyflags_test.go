package main

import (
	"strings"
	"testing"
)

// The command line names the policy flag the user gave, its value and the
// rule, never the rollback field it becomes (compare --policy compare
// --evaluation-interval 1ns blamed BaselineComparison.Period).
func TestPolicyFlagErrorsNameTheFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--policy", "compare", "--evaluation-interval", "1ns"}, "--evaluation-interval = 1ns: must be 0 (one minute) or a whole number of minutes"},
		{[]string{"--policy", "sequential", "--evaluation-interval", "15s"}, "--evaluation-interval = 15s: must be 0 (one minute) or a multiple of 10s"},
		{[]string{"--evaluation-interval", "1ns"}, "--evaluation-interval = 1ns: must be 0 (CloudWatch's cadence) or >= 1s"},
		{[]string{"--poll-interval", "1ns"}, "--poll-interval = 1ns: must be 0"},
		{[]string{"--policy", "burnrate", "--poll-interval", "1ns"}, "--poll-interval = 1ns: must be 0"},
		{[]string{"--policy", "none", "--evaluation-interval", "1m"}, "--evaluation-interval: applies only to --policy alarms, compare or sequential"},
		{[]string{"--slo", "0.99"}, "--slo: applies only to --policy burnrate"},
	} {
		code, out, errs := runCLI(t, append([]string{"compare", "-n", "1", "-s", "AllAtOnce"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errs, c.want)
		}
		for _, field := range []string{"Period", "Interval =", "Resolution", "BaselineComparison", "Sequential", "Alarms."} {
			if strings.Contains(errs, field) {
				t.Errorf("%q: stderr %q names %q, a field the user did not give", c.args, errs, field)
			}
		}
	}
}
