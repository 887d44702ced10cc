package strategy

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSchedules(t *testing.T) {
	m := time.Minute
	cases := []struct {
		name string
		s    Strategy
		want Schedule
	}{
		// Reference aws.md [assumed]: a percentage not dividing 100 ends with a partial increment.
		{"linear 30", Linear{Percent: 30, Interval: m}, steps(0, 30, 1, 60, 2, 90, 3, 100)},
		{"linear third", Linear{Percent: 100.0 / 3, Interval: m}, Schedule{{0, 1.0 / 3}, {m, 2.0 / 3}, {2 * m, 1}}},
		{"linear 100", Linear{Percent: 100, Interval: m}, steps(0, 100)},
		{"linear 99", Linear{Percent: 99, Interval: m}, steps(0, 99, 1, 100)},
		{"canary 100 keeps its bake time", Canary{Percent: 100, Interval: 5 * m}, steps(0, 100, 5, 100)},
		{"canary fraction", Canary{Percent: 2.5, Interval: 90 * time.Second}, steps(0, 2.5, 1.5, 100)},
		{"bluegreen", BlueGreen{Validation: 10 * m}, steps(0, 0, 10, 100)},
		{"bluegreen none", BlueGreen{}, steps(0, 100)},
		// 1·2^k: 1, 2, 4, 8, 16, 32, 64, then capped at 100.
		{"exponential x2", Exponential{Start: 1, Factor: 2, Interval: 5 * m},
			steps(0, 1, 5, 2, 10, 4, 15, 8, 20, 16, 25, 32, 30, 64, 35, 100)},
		// 10×10 = 100 exactly: no extra step.
		{"exponential x10", Exponential{Start: 10, Factor: 10, Interval: m}, steps(0, 10, 1, 100)},
		{"exponential 100", Exponential{Start: 100, Factor: 2, Interval: m}, steps(0, 100)},
		// Argo: setWeight 10, pause 5m, setWeight 50, pause 10m, then promotion.
		{"steps argo", Steps{{SetWeight: 10}, {Pause: 5 * m}, {SetWeight: 50}, {Pause: 10 * m}}, steps(0, 10, 5, 50, 15, 100)},
		{"steps down", Steps{{SetWeight: 50}, {Pause: m}, {SetWeight: 0}, {Pause: m}}, steps(0, 50, 1, 0, 2, 100)},
		{"steps same instant keeps last", Steps{{SetWeight: 10}, {SetWeight: 20}, {Pause: m}}, steps(0, 20, 1, 100)},
		{"steps last setWeight promoted at once", Steps{{SetWeight: 10}, {Pause: m}, {SetWeight: 40}}, steps(0, 10, 1, 100)},
		{"steps pause first", Steps{{Pause: m}, {SetWeight: 10}, {Pause: m}}, steps(1, 10, 2, 100)},
		{"steps empty", Steps{}, steps(0, 100)},
		{"steps nil", Steps(nil), steps(0, 100)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got := c.s.Schedule()
			if err := got.Validate(); err != nil {
				t.Fatalf("Schedule().Validate: %v", err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("Schedule = %v, want %v", got, c.want)
			}
			for i := range got {
				// 1e-12: the third and 2.5 % cases go through one division each.
				if got[i].At != c.want[i].At || math.Abs(got[i].Weight-c.want[i].Weight) > 1e-12 {
					t.Errorf("step %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// TestLinearTolerance: in float64, 100/(100/29) is 29.000000000000004; a
// plain ceil would add a 30th increment of about 1e-13 %. The documented 1e-9
// tolerance counts 100/29 as dividing 100: 29 increments, 100 % at 28 intervals.
func TestLinearTolerance(t *testing.T) {
	l := Linear{Percent: 100.0 / 29, Interval: time.Minute}
	s := l.Schedule()
	if len(s) != 29 || s.Duration() != 28*time.Minute {
		t.Fatalf("len %d, Duration %v; want 29 steps ending at 28m", len(s), s.Duration())
	}
	if w := s[27].Weight; math.Abs(w-28.0/29) > 1e-12 {
		t.Errorf("step 27 weight %v, want 28/29", w)
	}
}

func TestValidateErrors(t *testing.T) {
	m := time.Minute
	cases := []struct {
		s    Strategy
		want string // the whole message: field, value and rule
	}{
		{Canary{Percent: 120, Interval: m}, "strategy: Canary.Percent = 120: must be in (0, 100]"},
		{Canary{Percent: 0, Interval: m}, "strategy: Canary.Percent = 0: must be in (0, 100]"},
		{Canary{Percent: math.NaN(), Interval: m}, "strategy: Canary.Percent = NaN: must be in (0, 100]"},
		{Canary{Percent: 10}, "strategy: Canary.Interval = 0s: must be > 0"},
		{Canary{Percent: 10, Interval: m, Platform: 7}, "strategy: Canary.Platform = 7: must be Lambda (0) or ECS (1)"},
		{Canary{Percent: 2.5, Interval: m, Platform: ECS}, "strategy: Canary.Percent = 2.5: CodeDeploy needs a whole percent from 1 to 99"},
		{Canary{Percent: 10, Interval: 90 * time.Second, Platform: ECS}, "strategy: Canary.Interval = 1m30s: CodeDeploy needs whole minutes, at least 1"},
		{Linear{Percent: -1, Interval: m}, "strategy: Linear.Percent = -1: must be in (0, 100]"},
		{Linear{Percent: 1e-9, Interval: m}, "strategy: Linear.Percent = 1e-09: needs 1e+11 increments to reach 100%; at most MaxSteps = 10000"},
		{Linear{Percent: 10, Interval: -m}, "strategy: Linear.Interval = -1m: must be > 0"},
		{Linear{Percent: 1, Interval: 100 * 365 * 24 * time.Hour}, "strategy: Linear.Interval = 876000h: 100 increments overflow time.Duration (about 292 years)"},
		{Linear{Percent: 100, Interval: m, Platform: ECS}, "strategy: Linear.Percent = 100: CodeDeploy needs a whole percent from 1 to 99"},
		{AllAtOnce{Platform: 2}, "strategy: AllAtOnce.Platform = 2: must be Lambda (0) or ECS (1)"},
		{BlueGreen{Validation: -m}, "strategy: BlueGreen.Validation = -1m: must be >= 0"},
		{Exponential{Start: 0, Factor: 2, Interval: m}, "strategy: Exponential.Start = 0: must be in (0, 100]"},
		{Exponential{Start: 1, Factor: 1, Interval: m}, "strategy: Exponential.Factor = 1: must be > 1 and finite"},
		{Exponential{Start: 1, Factor: math.Inf(1), Interval: m}, "strategy: Exponential.Factor = +Inf: must be > 1 and finite"},
		{Exponential{Start: 1, Factor: 2}, "strategy: Exponential.Interval = 0s: must be > 0"},
		{Exponential{Start: 1, Factor: 1.0000001, Interval: m}, "strategy: Exponential.Factor = 1.0000001: from Start = 1% it needs more than MaxSteps = 10000 steps to reach 100%"},
		{Steps{{SetWeight: 10}, {Pause: -1}}, "strategy: Steps[1].Pause = -1ns: must be >= 0 (an indefinite pause needs an assumed delay, e.g. DefaultManualPromotion)"},
		{Steps{{SetWeight: 10, Pause: m}}, "strategy: Steps[0].SetWeight = 10: must be 0 in a pause step (Pause = 1m): a step either sets the weight or pauses"},
		{Steps{{SetWeight: 101}}, "strategy: Steps[0].SetWeight = 101: must be in [0, 100]"},
		{Steps{{Pause: math.MaxInt64}, {Pause: 1}}, "strategy: Steps[1].Pause = 1ns: total pause overflows time.Duration (about 292 years)"},
		{make(Steps, MaxSteps+1), "strategy: len(Steps) = 10001: must be at most MaxSteps = 10000"},
	}
	for _, c := range cases {
		err := c.s.Validate()
		if err == nil {
			t.Errorf("%#v.Validate() = nil, want %q", c.s, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%#v.Validate() = %q, want %q", c.s, err, c.want)
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%#v.Validate() = %T, want *FieldError", c.s, err)
		}
		if s := c.s.Schedule(); s != nil {
			t.Errorf("%#v.Schedule() = %v, want nil for an invalid strategy", c.s, s)
		}
		// Name must not panic on invalid values either.
		_ = c.s.Name()
	}
}

func TestScheduleMethods(t *testing.T) {
	s := steps(0, 10, 5, 100)
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{-1, 0}, {0, 0.1}, {5*time.Minute - 1, 0.1}, {5 * time.Minute, 1}, {time.Hour, 1}} {
		if got := s.WeightAt(c.at); got != c.want {
			t.Errorf("WeightAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	if got := s.String(); got != "10% at 0s, 100% at 5m" {
		t.Errorf("String() = %q", got)
	}
	if d := (Schedule{}).Duration(); d != 0 {
		t.Errorf("empty Duration = %v", d)
	}
	bad := []struct {
		s    Schedule
		want string
	}{
		{Schedule{{At: -1, Weight: 0}}, "Schedule[0].At = -1ns: must be >= 0"},
		{Schedule{{At: 0, Weight: 1.5}}, "Schedule[0].Weight = 1.5: must be in [0, 1]"},
		{Schedule{{At: 0, Weight: math.NaN()}}, "Schedule[0].Weight = NaN"},
		{Schedule{{At: 1, Weight: 0}, {At: 1, Weight: 1}}, "Schedule[1].At = 1ns: must be after Schedule[0].At = 1ns"},
	}
	for _, b := range bad {
		if err := b.s.Validate(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v.Validate() = %v, want it to contain %q", b.s, err, b.want)
		}
	}
}

func TestEqual(t *testing.T) {
	m := time.Minute
	if !Equal(Steps(nil), Steps{}) {
		t.Error("nil and empty Steps differ")
	}
	if Equal(Steps{{SetWeight: 10}}, Steps{{SetWeight: 20}}) || Equal(Steps{}, AllAtOnce{}) || Equal(AllAtOnce{}, Steps{}) {
		t.Error("different strategies compare equal")
	}
	if Equal(Canary{Percent: 10, Interval: 5 * m}, ECSCanary10Percent5Minutes) {
		t.Error("platform ignored")
	}
	if !Equal(Canary{Percent: 10, Interval: 5 * m}, LambdaCanary10Percent5Minutes) {
		t.Error("equal canaries differ")
	}
	if Equal(nil, AllAtOnce{}) || !Equal(nil, nil) {
		t.Error("nil handling")
	}
}

func TestCodeDeployName(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		s    Strategy
		want string
	}{
		{Canary{Percent: 25, Interval: 45 * m}, "CodeDeployDefault.LambdaCanary25Percent45Minutes"},
		{Canary{Percent: 25, Interval: m}, "CodeDeployDefault.LambdaCanary25Percent1Minute"},
		{Linear{Percent: 20, Interval: m, Platform: ECS}, "CodeDeployDefault.ECSLinear20PercentEvery1Minutes"},
		{Canary{Percent: 2.5, Interval: m}, ""},
		{Linear{Percent: 10, Interval: 400 * m}, ""}, // 3600 minutes > 2880
		{BlueGreen{}, ""},
		{Steps{}, ""},
	} {
		got, ok := CodeDeployName(c.s)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("CodeDeployName(%v) = %q, %v; want %q", c.s, got, ok, c.want)
		}
	}
}

// A Steps list of exactly MaxSteps steps is valid; one more is refused by
// Validate and by Parse, which must not build the schedule first.
func TestStepsMaxSteps(t *testing.T) {
	s := make(Steps, MaxSteps)
	for i := range s {
		if i%2 == 1 {
			s[i].Pause = time.Second
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%d steps: %v", MaxSteps, err)
	}
	// MaxSteps/2 pauses of 1 s after the last SetWeight: promoted at 5000 s.
	if d := s.Schedule().Duration(); d != MaxSteps/2*time.Second {
		t.Errorf("Duration() = %v, want %v", d, MaxSteps/2*time.Second)
	}
	in := "Steps:" + strings.Repeat("10%,1s,", MaxSteps/2) + "50%"
	_, err := Parse(in)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "len(Steps)" || fe.Value != "10001" {
		t.Errorf("Parse(%d steps) = %v, want a len(Steps) FieldError", MaxSteps+1, err)
	}
}

// A FieldError quotes at most 40 bytes of the value: Parse of a name with a
// hundred thousand digits gave a hundred-kilobyte message.
func TestFieldErrorClipsValue(t *testing.T) {
	in := "Canary" + strings.Repeat("1", 100_000) + "Percent5Minutes"
	_, err := Parse(in)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "Canary.Percent" || fe.Value != strings.Repeat("1", 40)+"…" || len(err.Error()) > 300 {
		t.Errorf("Parse(100,000 digits) = %.300v (%d bytes), want a Canary.Percent error quoting 40 digits", err, len(fmt.Sprint(err)))
	}
}
