package deploysim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Zero inputs that used to come back as a result without an error (an
// empty sweep, an --alarm string of zeros, --policy alarms with no alarm
// at all) are errors naming what is missing.
func TestZeroInputsAreErrors(t *testing.T) {
	ctx := context.Background()
	res, err := Sweep(ctx, sim.Scenario{}, nil, 1, EstimateOptions{})
	if err == nil || !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "Sweep points = []") {
		t.Errorf("Sweep(zero scenario, no point) = %v, %v; want an error naming the empty points", res, err)
	}
	_, err = Sweep(ctx, DefaultScenario(), Grid([]strategy.Strategy{strategy.AllAtOnce{}}, nil, Vary("rps", []float64{1}, nil)), 1, EstimateOptions{})
	if err == nil || !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "Changes[0] = nil") {
		t.Errorf("Sweep(Vary without set) = %v; want an error naming the nil change", err)
	}
	if tb := (*SweepResult)(nil).Table(); len(tb.Rows) != 0 {
		t.Errorf("nil SweepResult Table has %d rows", len(tb.Rows))
	}

	s, err := AlarmFlag(rollback.Alarm{})
	var ce *rollback.ConfigError
	if s != "" || !errors.As(err, &ce) || ce.Field != "Name" || !strings.HasPrefix(err.Error(), "deploysim: AlarmFlag: ") {
		t.Errorf("AlarmFlag(zero Alarm) = %q, %v; want \"\" and the alarm's validation error, wrapped", s, err)
	}
	if s, err := AlarmFlag(DefaultAlarm()); err != nil || !strings.Contains(s, "MetricName=ErrorRate") {
		t.Errorf("AlarmFlag(DefaultAlarm()) = %q, %v", s, err)
	}

	for _, c := range []struct {
		p     rollback.Policy
		field string
	}{
		{rollback.Alarms{}, "Alarms"}, // --policy alarms without --alarm runs the default alarm
		{rollback.CodeDeploy(rollback.Alarm{}), "Name"},
		{rollback.Sequential{}, "Alpha"}, // --sequential-alpha 0 is refused
	} {
		f := DescribePolicy(c.p)
		var ce *rollback.ConfigError
		if f.Args != nil || !errors.As(f.Err, &ce) || ce.Field != c.field {
			t.Errorf("DescribePolicy(%#v) = %+v; want no flags and an error naming %s", c.p, f, c.field)
		}
	}

	var cand *Candidate
	if _, err := cand.CompareArgs(); err == nil || !strings.Contains(err.Error(), "nil Candidate") {
		t.Errorf("nil Candidate CompareArgs = %v", err)
	}
	if cand.Feasible() || cand.Label() != "(no candidate)" {
		t.Errorf("nil Candidate: Feasible %v, Label %q", cand.Feasible(), cand.Label())
	}
	var rec *Recommendation
	if err := rec.WriteJSON(nil, nil); err == nil {
		t.Errorf("nil Recommendation WriteJSON: no error")
	}
	if err := rec.WriteText(nil); err == nil {
		t.Errorf("nil Recommendation WriteText: no error")
	}
	if WithBake(nil, 1) != nil {
		t.Errorf("WithBake(nil, 1) is not nil")
	}
}

// A -0 threshold in a space file, or a caller's alarm at -0, is written
// Threshold=0 in the recommended flags, not Threshold=-0.
func TestSpaceFileNegativeZero(t *testing.T) {
	_, sp, err := ParseSpaceFile("space.yaml", []byte("presets: false\nstrategies: [AllAtOnce]\nalarms:\n  metrics: [Errors]\n  thresholds: {Errors: [-0.0]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Policies) == 0 {
		t.Fatal("no policy in the space")
	}
	alarms := 0
	for _, p := range sp.Policies {
		f := DescribePolicy(p)
		if f.Policy != "alarms" {
			continue
		}
		alarms++
		if args := strings.Join(f.Args, " "); !strings.Contains(args, "Threshold=0,") || strings.Contains(args, "-0") {
			t.Errorf("flags %s: want Threshold=0", args)
		}
	}
	if alarms == 0 {
		t.Error("no alarm policy in the space")
	}
	a := DefaultAlarm()
	a.Threshold = math.Copysign(0, -1)
	if s, err := AlarmFlag(a); err != nil || !strings.Contains(s, "Threshold=0,") {
		t.Errorf("AlarmFlag(threshold -0) = %q, %v; want Threshold=0", s, err)
	}
}
