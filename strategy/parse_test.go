package strategy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	m := time.Minute
	cases := []struct {
		in   string
		want Strategy
	}{
		{"AllAtOnce", AllAtOnce{}},
		{"CodeDeployDefault.LambdaAllAtOnce", AllAtOnce{}},
		{"CodeDeployDefault.ECSAllAtOnce", AllAtOnce{Platform: ECS}},
		{"Canary10Percent5Minutes", Canary{Percent: 10, Interval: 5 * m}},
		{"  Canary10Percent5Minutes\n", Canary{Percent: 10, Interval: 5 * m}},
		{"Canary25Percent45Minutes", Canary{Percent: 25, Interval: 45 * m}},
		{"Canary25Percent1Minute", Canary{Percent: 25, Interval: m}},
		{"Canary25Percent1Minutes", Canary{Percent: 25, Interval: m}},
		{"Canary99Percent2880Minutes", Canary{Percent: 99, Interval: 2880 * m}},
		{"CodeDeployDefault.LambdaCanary10Percent30Minutes", Canary{Percent: 10, Interval: 30 * m}},
		{"CodeDeployDefault.ECSCanary10Percent15Minutes", Canary{Percent: 10, Interval: 15 * m, Platform: ECS}},
		{"Linear10PercentEvery1Minute", Linear{Percent: 10, Interval: m}},
		{"Linear10PercentEvery1Minutes", Linear{Percent: 10, Interval: m}},
		{"Linear20PercentEvery2Minutes", Linear{Percent: 20, Interval: 2 * m}},
		{"Linear30PercentEvery1Minute", Linear{Percent: 30, Interval: m}},
		// 1 % every 29 min: 99 gaps of 29 = 2871 <= 2880 minutes.
		{"Linear1PercentEvery29Minutes", Linear{Percent: 1, Interval: 29 * m}},
		{"CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", Linear{Percent: 10, Interval: 10 * m}},
		{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", Linear{Percent: 10, Interval: m, Platform: ECS}},
		{"CodeDeployDefault.ECSLinear10PercentEvery1Minute", Linear{Percent: 10, Interval: m, Platform: ECS}},
		{"BlueGreen10Minutes", BlueGreen{Validation: 10 * m}},
		{"BlueGreen1Minute", BlueGreen{Validation: m}},
		{"BlueGreen0Minutes", BlueGreen{}},
		{"BlueGreen153722867Minutes", BlueGreen{Validation: 153722867 * m}},
		{"BlueGreen:90s", BlueGreen{Validation: 90 * time.Second}},
		{"Canary:2.5%,90s", Canary{Percent: 2.5, Interval: 90 * time.Second}},
		{"Canary:100%,1h", Canary{Percent: 100, Interval: time.Hour}},
		{"Canary: 10% , 5m", Canary{Percent: 10, Interval: 5 * m}},
		{"Linear:33.5%,1m", Linear{Percent: 33.5, Interval: m}},
		{"Exponential:1%,x2,5m", Exponential{Start: 1, Factor: 2, Interval: 5 * m}},
		{"Exponential:0.5%,x1.5,30s", Exponential{Start: 0.5, Factor: 1.5, Interval: 30 * time.Second}},
		{"Steps:10%,5m,50%,10m", Steps{{SetWeight: 10}, {Pause: 5 * m}, {SetWeight: 50}, {Pause: 10 * m}}},
		{"Steps:0%,1h30m,100%", Steps{{SetWeight: 0}, {Pause: 90 * m}, {SetWeight: 100}}},
		{"Steps:", Steps{}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if !Equal(got, c.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in      string
		want    string // substring: names field, value and rule
		unknown bool   // wraps ErrUnknownName
	}{
		{"", "not a strategy name", true},
		{"Foo", "not a strategy name", true},
		{"MyCustomDeploymentConfig", "not a strategy name", true},
		{"CodeDeployDefault.OneAtATime", "compute platform must be Lambda or ECS", true},
		{"CodeDeployDefault.LambdaBlueGreen10Minutes", "not a strategy name", true},
		{"Frob:1,2", `family "Frob"`, true},
		{"Canary0Percent5Minutes", "Canary.Percent = 0: CodeDeploy needs a whole percent from 1 to 99", false},
		{"Canary100Percent5Minutes", "Canary.Percent = 100: CodeDeploy needs a whole percent from 1 to 99", false},
		{"Canary120Percent5Minutes", "Canary.Percent = 120: CodeDeploy needs a whole percent from 1 to 99", false},
		{"Canary10Percent0Minutes", "Canary.Interval = 0s: CodeDeploy needs whole minutes, at least 1", false},
		{"Canary10Percent2881Minutes", "Canary.Interval = 48h1m: CodeDeploy allows at most 2880 minutes", false},
		{"Linear10PercentEvery400Minutes", "Linear.Interval = 6h40m: CodeDeploy allows at most 2880 minutes between the first and the last shift; 10 increments of 10% span 3600 minutes", false},
		{"Linear1PercentEvery30Minutes", "span 2970 minutes", false},
		{"Canary2.5Percent5Minutes", `after Canary2 want "Percent", got ".5Percent5Minutes"`, false},
		{"Canary10Percent5Hours", `Canary.Interval: want unit "Minutes" or "Minute" at the end, got "Hours"`, false},
		{"Canary10Percent5", `got ""`, false},
		{"CanaryPercent5Minutes", "Canary.Percent: want a whole number", false},
		{"Canary-10Percent5Minutes", "Canary.Percent: want a whole number", false},
		{"Canary1234567890Percent5Minutes", "Canary.Percent = 1234567890: must have at most 9 digits", false},
		{"Linear10Percent1Minute", `want "PercentEvery"`, false},
		// 999,999,999 minutes do not fit in a time.Duration (max about 153.7 million minutes).
		{"BlueGreen999999999Minutes", "BlueGreen.Validation = 999999999 minutes: overflows time.Duration", false},
		{"Canary10Percent999999999Minutes", "Canary.Interval = 999999999 minutes: overflows time.Duration", false},
		{"BlueGreen153722868Minutes", "BlueGreen.Validation = 153722868 minutes: overflows", false},
		{"Canary:120%,5m", "Canary.Percent = 120: must be in (0, 100]", false},
		{"Canary:10,5m", "Canary.Percent: want a percent such as 10%", false},
		{"Canary:1e1%,5m", `Canary.Percent: want a decimal number such as 2.5, got "1e1"`, false},
		{"Canary:NaN%,5m", "want a decimal number", false},
		{"Canary:1.2.3%,5m", "want a decimal number", false},
		{"Canary:10%", "Canary: want 2 comma-separated values", false},
		{"Canary:10%,5 minutes", `Canary.Interval: want a duration such as 5m or 90s, got "5 minutes"`, false},
		{"Canary:10%,-5m", "Canary.Interval = -5m: must be > 0", false},
		{"Linear:0.000001%,1m", "Linear.Percent = 1e-06: needs 1e+08 increments", false},
		{"BlueGreen:-1m", "BlueGreen.Validation = -1m: must be >= 0", false},
		{"BlueGreen10Hours", "BlueGreen.Validation: want unit", false},
		{"Exponential:1%,2,5m", "Exponential.Factor: want x<factor> such as x2", false},
		{"Exponential:1%,x1,5m", "Exponential.Factor = 1: must be > 1 and finite", false},
		{"Exponential:1%,x2", "Exponential: want 3 comma-separated values", false},
		{"Steps:10%,pause,50%", "Steps[1].Pause = \"pause\": want a duration such as 5m; an indefinite pause needs an assumed delay", false},
		{"Steps:10%,,50%", `Steps[1].Pause = "": want a duration`, false},
		{"Steps:10%,0s", "Steps[1].Pause = 0s: must be > 0 (write 0% to set the weight to 0)", false},
		{"Steps:101%", "Steps[0].SetWeight = 101: must be in [0, 100]", false},
		{"Steps:10%,5x", `Steps[1].Pause: want a duration such as 5m or 90s, got "5x"`, false},
	}
	for _, c := range cases {
		s, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.in, s, c.want)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "strategy: parse ") || !strings.Contains(msg, c.want) {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", c.in, msg, c.want)
		}
		if strings.Count(msg, "strategy:") != 1 {
			t.Errorf("Parse(%q) error = %q: prefix repeated", c.in, msg)
		}
		if got := errors.Is(err, ErrUnknownName); got != c.unknown {
			t.Errorf("Parse(%q): errors.Is(err, ErrUnknownName) = %v, want %v", c.in, got, c.unknown)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Input != c.in {
			t.Errorf("Parse(%q) error is not a *ParseError with the input", c.in)
		}
	}
}

// TestNameForms pins the canonical names: the AWS form when CodeDeploy could
// hold the values, the compact form otherwise.
func TestNameForms(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		s    Strategy
		want string
	}{
		{Canary{Percent: 25, Interval: 45 * m}, "Canary25Percent45Minutes"},
		{Canary{Percent: 25, Interval: m}, "Canary25Percent1Minute"},
		{Canary{Percent: 100, Interval: m}, "Canary:100%,1m"},
		{Canary{Percent: 10, Interval: 3000 * m}, "Canary:10%,50h"},
		{Canary{Percent: 10, Interval: 90 * time.Second}, "Canary:10%,1m30s"},
		{Linear{Percent: 20, Interval: 2 * m}, "Linear20PercentEvery2Minutes"},
		{Linear{Percent: 10, Interval: 400 * m}, "Linear:10%,6h40m"},
		{Linear{Percent: 0.001, Interval: time.Second}, "Linear:0.001%,1s"},
		{Linear{Percent: 10, Interval: 3 * m, Platform: ECS}, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"},
		{Canary{Percent: 10, Interval: m, Platform: ECS}, "CodeDeployDefault.ECSCanary10Percent1Minutes"},
		{BlueGreen{Validation: time.Hour}, "BlueGreen60Minutes"},
		{BlueGreen{Validation: 1500 * time.Millisecond}, "BlueGreen:1.5s"},
		{Exponential{Start: 1, Factor: 2, Interval: 5 * m}, "Exponential:1%,x2,5m"},
		{Steps{{SetWeight: 10}, {Pause: 5 * m}, {SetWeight: 0}}, "Steps:10%,5m,0%"},
		{Steps{}, "Steps:"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.s, got, c.want)
		}
	}
}
