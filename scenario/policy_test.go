package scenario

import (
	"strings"
	"testing"
)

// A policy setting that its policy refuses is named as the user gave it
// (the flag, or the file's key), with its value and the rule in the
// policy's own terms: --policy compare --evaluation-interval 1ns was
// refused as "BaselineComparison.Period = 0s", a field no flag sets.
func TestPolicySettingsNamedAsGiven(t *testing.T) {
	for _, c := range []struct {
		flags map[string]string
		want  string // the whole message
	}{
		{map[string]string{"policy": "compare", "evaluation_interval": "1ns"},
			"--evaluation-interval = 1ns: must be 0 (one minute) or a whole number of minutes for policy compare, which judges whole one-minute periods"},
		{map[string]string{"policy": "compare", "evaluation_interval": "90s"},
			"--evaluation-interval = 1m30s: must be 0 (one minute) or a whole number of minutes for policy compare, which judges whole one-minute periods"},
		{map[string]string{"policy": "sequential", "evaluation_interval": "15s"},
			"--evaluation-interval = 15s: must be 0 (one minute) or a multiple of 10s for policy sequential, which reads whole CloudWatch periods (10s, 20s, 30s or n·60s)"},
		{map[string]string{"policy": "alarms", "evaluation_interval": "1ns"},
			"--evaluation-interval = 1ns: must be 0 (CloudWatch's cadence) or >= 1s for policy alarms"},
		{map[string]string{"policy": "alarms", "poll_interval": "1ns"},
			"--poll-interval = 1ns: must be 0 (right after every evaluation) or >= 1s"},
		{map[string]string{"policy": "burnrate", "poll_interval": "999ms"},
			"--poll-interval = 999ms: must be 0 (right after every evaluation) or >= 1s"},
		// Given for a policy that ignores them, they were silently dropped.
		{map[string]string{"policy": "none", "evaluation_interval": "1m"},
			"--evaluation-interval: applies only to --policy alarms, compare or sequential (the policy is none)"},
		{map[string]string{"policy": "burnrate", "evaluation_interval": "1m"},
			"--evaluation-interval: applies only to --policy alarms, compare or sequential (the policy is burnrate)"},
		{map[string]string{"policy": "alarms", "slo": "0.99"},
			"--slo: applies only to --policy burnrate (the policy is alarms)"},
	} {
		f := Default()
		for k, v := range c.flags {
			f.MarkFlag(k)
			if err := f.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		err := f.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: Validate() = %v\nwant %s", c.flags, err, c.want)
		}
	}
	// Valid cadences pass, and a file's key is named with the file.
	for _, ok := range []map[string]string{
		{"policy": "compare", "evaluation_interval": "2m"},
		{"policy": "sequential", "evaluation_interval": "10s"},
		{"policy": "sequential", "evaluation_interval": "90s"},
		{"policy": "alarms", "evaluation_interval": "1500ms", "poll_interval": "1s"},
		{"policy": "burnrate", "slo": "0.99"},
	} {
		f := Default()
		for k, v := range ok {
			f.MarkFlag(k)
			f.Set(k, v)
		}
		if err := f.Validate(); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	f, err := Decode("s.yaml", []byte("policy: compare\nevaluation_interval: 30s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err == nil || !strings.HasPrefix(err.Error(), "s.yaml: evaluation_interval = 30s: ") {
		t.Errorf("file: Validate() = %v, want it to name s.yaml: evaluation_interval", err)
	}
}
