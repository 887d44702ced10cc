package strategy

import (
	"testing"
	"time"
)

// steps builds a schedule from (minutes, percent) pairs, the way the
// reference's table writes them.
func steps(pairs ...float64) Schedule {
	s := make(Schedule, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		s = append(s, Step{At: time.Duration(pairs[i] * float64(time.Minute)), Weight: pairs[i+1] / 100})
	}
	return s
}

// linearTable writes "+10 % every m minutes from 0" out longhand.
func linearTable(m float64) Schedule {
	return steps(0, 10, m, 20, 2*m, 30, 3*m, 40, 4*m, 50, 5*m, 60, 6*m, 70, 7*m, 80, 8*m, 90, 9*m, 100)
}

// TestPresets checks every predefined configuration against the table in
// docs/model.md ("CodeDeploy deployments and presets", from AWS's "Working with
// deployment configurations in CodeDeploy"): its names and
// its whole schedule, written from the reference, not from the code.
func TestPresets(t *testing.T) {
	want := []struct {
		name       string // Name(): SAM type for Lambda, CodeDeploy name for ECS
		codeDeploy string
		schedule   Schedule
		duration   time.Duration
	}{
		{"Canary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent5Minutes", steps(0, 10, 5, 100), 5 * time.Minute},
		{"Canary10Percent10Minutes", "CodeDeployDefault.LambdaCanary10Percent10Minutes", steps(0, 10, 10, 100), 10 * time.Minute},
		{"Canary10Percent15Minutes", "CodeDeployDefault.LambdaCanary10Percent15Minutes", steps(0, 10, 15, 100), 15 * time.Minute},
		{"Canary10Percent30Minutes", "CodeDeployDefault.LambdaCanary10Percent30Minutes", steps(0, 10, 30, 100), 30 * time.Minute},
		{"Linear10PercentEvery1Minute", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
			steps(0, 10, 1, 20, 2, 30, 3, 40, 4, 50, 5, 60, 6, 70, 7, 80, 8, 90, 9, 100), 9 * time.Minute},
		{"Linear10PercentEvery2Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes", linearTable(2), 18 * time.Minute},
		{"Linear10PercentEvery3Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", linearTable(3), 27 * time.Minute},
		{"Linear10PercentEvery10Minutes", "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
			steps(0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 60, 60, 70, 70, 80, 80, 90, 90, 100), 90 * time.Minute},
		{"AllAtOnce", "CodeDeployDefault.LambdaAllAtOnce", steps(0, 100), 0},
		{"CodeDeployDefault.ECSCanary10Percent5Minutes", "CodeDeployDefault.ECSCanary10Percent5Minutes", steps(0, 10, 5, 100), 5 * time.Minute},
		{"CodeDeployDefault.ECSCanary10Percent15Minutes", "CodeDeployDefault.ECSCanary10Percent15Minutes", steps(0, 10, 15, 100), 15 * time.Minute},
		{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", linearTable(1), 9 * time.Minute},
		{"CodeDeployDefault.ECSLinear10PercentEvery3Minutes", "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", linearTable(3), 27 * time.Minute},
		{"CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.ECSAllAtOnce", steps(0, 100), 0},
	}
	got := Presets()
	if len(got) != len(want) {
		t.Fatalf("Presets() has %d entries, want %d (9 Lambda + 5 ECS)", len(got), len(want))
	}
	for i, w := range want {
		s := got[i]
		t.Run(w.name, func(t *testing.T) {
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if s.Name() != w.name || s.String() != w.name {
				t.Errorf("Name() = %q, String() = %q, want %q", s.Name(), s.String(), w.name)
			}
			if cd, ok := CodeDeployName(s); !ok || cd != w.codeDeploy {
				t.Errorf("CodeDeployName = %q, %v; want %q", cd, ok, w.codeDeploy)
			}
			sch := s.Schedule()
			if len(sch) != len(w.schedule) {
				t.Fatalf("schedule %v, want %v", sch, w.schedule)
			}
			for j := range sch {
				// Weights are k×10/100, which the code and the table both compute
				// as the float nearest k/10, so exact equality is the right test.
				if sch[j] != w.schedule[j] {
					t.Errorf("step %d = %+v, want %+v", j, sch[j], w.schedule[j])
				}
			}
			if d := sch.Duration(); d != w.duration {
				t.Errorf("Duration = %v, want %v", d, w.duration)
			}
			for _, in := range []string{w.name, w.codeDeploy} {
				p, err := Parse(in)
				if err != nil {
					t.Fatalf("Parse(%q): %v", in, err)
				}
				// The Lambda CodeDeploy name parses to the same Lambda value.
				if !Equal(p, s) {
					t.Errorf("Parse(%q) = %#v, want %#v", in, p, s)
				}
			}
		})
	}
	lambda := LambdaPresets()
	if len(lambda) != 9 {
		t.Fatalf("LambdaPresets() has %d entries, want 9", len(lambda))
	}
	for i := range lambda {
		if !Equal(lambda[i], got[i]) {
			t.Errorf("LambdaPresets()[%d] = %v, want %v", i, lambda[i], got[i])
		}
	}
	// A fresh slice each call: changing one must not change the next.
	got[0] = AllAtOnce{}
	if Presets()[0] != LambdaCanary10Percent5Minutes {
		t.Error("Presets() returned a shared slice")
	}
}
