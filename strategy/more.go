package strategy

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// BlueGreen is the serverless blue/green deployment: the new (green) version
// is validated with no customer traffic for Validation while the old (blue)
// one keeps serving and stays warm; then all traffic moves at once, and a
// rollback moves it back at once (docs/model.md, "Blue/green in the
// serverless sense"). Schedule: 0 % at 0, 100 % at Validation.
type BlueGreen struct {
	Validation time.Duration // time green is tested before it takes traffic; >= 0
}

// Name is BlueGreen10Minutes for whole minutes (BlueGreen0Minutes for no
// validation, BlueGreen1Minute for one) and BlueGreen:90s otherwise.
func (b BlueGreen) Name() string {
	if b.Validation >= 0 && b.Validation%time.Minute == 0 {
		m := int64(b.Validation / time.Minute)
		return fmt.Sprintf("BlueGreen%d%s", m, minuteWord(m))
	}
	return "BlueGreen:" + formatDuration(b.Validation)
}

// String is Name.
func (b BlueGreen) String() string { return b.Name() }

// Validate checks Validation >= 0.
func (b BlueGreen) Validate() error {
	if b.Validation < 0 {
		return fieldErr("BlueGreen.Validation", b.Validation, "must be >= 0")
	}
	return nil
}

// Schedule is 0 % at 0 and 100 % at Validation; with no validation it is
// AllAtOnce's schedule. Nil if Validate fails.
func (b BlueGreen) Schedule() Schedule {
	if b.Validate() != nil {
		return nil
	}
	if b.Validation == 0 {
		return Schedule{{At: 0, Weight: 1}}
	}
	return Schedule{{At: 0, Weight: 0}, {At: b.Validation, Weight: 1}}
}

// Exponential multiplies the candidate's share by Factor every Interval:
// Start % at 0, Start×Factor % at Interval, … capped at 100 % (1, 2, 4, …, 64,
// 100 for Start 1 and Factor 2). No AWS preset has this shape. Its point: the
// first minutes expose very few requests, which at high traffic is already
// enough for an alarm to see a bad candidate, so it detects at a lower exposure
// than a 10 % canary, while the later doublings still finish in a few steps.
//
// A share within 1e-9 (relative) of 100 % counts as 100 %, so floating-point
// products such as 10×10 do not leave a near-100 % step before the last.
type Exponential struct {
	Start    float64       // share at t0, in percent; in (0, 100]
	Factor   float64       // multiplier per interval; > 1
	Interval time.Duration // time between steps; > 0
}

// Name is the compact form Exponential:1%,x2,5m.
func (e Exponential) Name() string {
	return "Exponential:" + formatPercent(e.Start) + "%,x" + formatPercent(e.Factor) + "," + formatDuration(e.Interval)
}

// String is Name.
func (e Exponential) String() string { return e.Name() }

// steps counts the schedule's steps, stopping early past MaxSteps.
func (e Exponential) steps() int {
	w := e.Start
	for n := 1; ; n++ {
		if w >= 100*(1-1e-9) || n > MaxSteps {
			return n
		}
		w *= e.Factor
	}
}

// Validate checks Start in (0, 100], Factor > 1 and finite, Interval > 0, at
// most MaxSteps steps, and a last step that fits in a time.Duration.
func (e Exponential) Validate() error {
	if !(e.Start > 0 && e.Start <= 100) {
		return fieldErr("Exponential.Start", e.Start, "must be in (0, 100]")
	}
	if !(e.Factor > 1 && !math.IsInf(e.Factor, 1)) {
		return fieldErr("Exponential.Factor", e.Factor, "must be > 1 and finite")
	}
	if e.Interval <= 0 {
		return fieldErr("Exponential.Interval", e.Interval, "must be > 0")
	}
	n := e.steps()
	if n > MaxSteps {
		return fieldErr("Exponential.Factor", e.Factor, "from Start = %g%% it needs more than MaxSteps = %d steps to reach 100%%", e.Start, MaxSteps)
	}
	if n > 1 && e.Interval > maxDuration/time.Duration(n-1) {
		return fieldErr("Exponential.Interval", e.Interval, "%d steps overflow time.Duration (about 292 years)", n)
	}
	return nil
}

// Schedule is Start×Factor^k % at k×Interval until 100 % (nil if Validate
// fails).
func (e Exponential) Schedule() Schedule {
	if e.Validate() != nil {
		return nil
	}
	n := e.steps()
	s := make(Schedule, n)
	w := e.Start
	for k := range n {
		s[k] = Step{At: time.Duration(k) * e.Interval, Weight: w / 100}
		w *= e.Factor
	}
	s[n-1].Weight = 1
	return s
}

// DefaultManualPromotion is a suggested stand-in for Argo Rollouts'
// indefinite `pause: {}`, which waits for a human to promote. A simulation
// needs a time, and Steps holds only finite pauses; readers of Argo manifests
// (package manifest) write an indefinite pause as Pause: DefaultManualPromotion
// and say so in a warning. One hour is an assumption, not an observation:
// pass your own team's typical promotion delay instead.
const DefaultManualPromotion = time.Hour

// CanaryStep is one step of a Steps strategy, after Argo Rollouts' CanaryStep:
// a one-of, either set the candidate's weight or pause. A step with Pause > 0
// pauses; any other step sets the weight to SetWeight (so the zero CanaryStep
// sets it to 0 %). Setting both is an error.
type CanaryStep struct {
	SetWeight float64       // candidate share from now on, in percent (Argo setWeight)
	Pause     time.Duration // wait before the next step (Argo pause.duration); finite
}

// Steps is a list of weight and pause steps, as Argo Rollouts writes them:
//
//	strategy.Steps{{SetWeight: 10}, {Pause: 5 * time.Minute}, {SetWeight: 50}, {Pause: 10 * time.Minute}}
//
// Steps run in order from t0: SetWeight changes the weight at the current
// instant, Pause moves the instant on. Weights may go down as well as up.
// When the steps are done the rollout is promoted to 100 %, as Argo does once
// the last step completes; the example above is 10 % at 0, 50 % at 5m and
// 100 % at 15m. Several SetWeights at one instant leave the last one. An empty
// Steps promotes at once.
//
// Argo's indefinite `pause: {}` has no finite Steps form: write the delay you
// assume for manual promotion (see DefaultManualPromotion). Steps is a slice,
// so compare strategies with Equal rather than ==.
type Steps []CanaryStep

// Name is the compact form Steps:10%,5m,50%,10m: percents are SetWeight steps,
// durations are pauses. An empty Steps is "Steps:".
func (s Steps) Name() string {
	var b strings.Builder
	b.WriteString("Steps:")
	for i, st := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		if st.Pause > 0 {
			b.WriteString(formatDuration(st.Pause))
		} else {
			b.WriteString(formatPercent(st.SetWeight))
			b.WriteByte('%')
		}
	}
	return b.String()
}

// String is Name.
func (s Steps) String() string { return s.Name() }

// Validate checks each step: Pause >= 0, SetWeight in [0, 100], not both set,
// a total pause that fits in a time.Duration, and at most MaxSteps steps.
func (s Steps) Validate() error {
	if len(s) > MaxSteps {
		return fieldErr("len(Steps)", len(s), "must be at most MaxSteps = %d", MaxSteps)
	}
	var t time.Duration
	for i, st := range s {
		switch {
		case st.Pause < 0:
			return fieldErr(fmt.Sprintf("Steps[%d].Pause", i), st.Pause, "must be >= 0 (an indefinite pause needs an assumed delay, e.g. DefaultManualPromotion)")
		case st.Pause > 0 && st.SetWeight != 0:
			return fieldErr(fmt.Sprintf("Steps[%d].SetWeight", i), st.SetWeight, "must be 0 in a pause step (Pause = %s): a step either sets the weight or pauses", formatDuration(st.Pause))
		case !(st.SetWeight >= 0 && st.SetWeight <= 100):
			return fieldErr(fmt.Sprintf("Steps[%d].SetWeight", i), st.SetWeight, "must be in [0, 100]")
		}
		if st.Pause > maxDuration-t {
			return fieldErr(fmt.Sprintf("Steps[%d].Pause", i), st.Pause, "total pause overflows time.Duration (about 292 years)")
		}
		t += st.Pause
	}
	return nil
}

// Schedule runs the steps and appends the final promotion to 100 % (nil if
// Validate fails).
func (s Steps) Schedule() Schedule {
	if s.Validate() != nil {
		return nil
	}
	out := make(Schedule, 0, len(s)+1)
	set := func(at time.Duration, w float64) {
		if n := len(out); n > 0 && out[n-1].At == at {
			out[n-1].Weight = w
			return
		}
		out = append(out, Step{At: at, Weight: w})
	}
	var t time.Duration
	for _, st := range s {
		if st.Pause > 0 {
			t += st.Pause
			continue
		}
		set(t, st.SetWeight/100)
	}
	set(t, 1)
	return out
}
