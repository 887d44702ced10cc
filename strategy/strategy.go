// Package strategy describes how a deployment moves traffic from the baseline
// version to the candidate.
//
// The model: a Strategy produces a Schedule, a piecewise-constant list of
// (instant, candidate weight) steps measured from t0, the moment traffic
// shifting starts (for CodeDeploy: right after the BeforeAllowTraffic hook
// succeeded). Before the first step the candidate gets nothing; from each step
// on it gets that step's weight until the next step. Every strategy in this
// package promotes: when nothing rolls it back its schedule ends at weight 1,
// and the instant of that last step is the deployment's duration. What rolls a
// deployment back is not the strategy's business (see package rollback); the
// simulator (package sim) follows the schedule until a policy says otherwise.
//
// The strategies are the shapes AWS CodeDeploy runs for Lambda and ECS
// (AllAtOnce, Canary, Linear; docs/model.md, cited in these
// comments, gives the AWS documents each behaviour comes from), the serverless
// blue/green deployment (BlueGreen), Argo Rollouts' list of setWeight and pause
// steps (Steps), and a doubling-style schedule no AWS preset offers
// (Exponential). Every CodeDeploy predefined configuration is an exported value
// (LambdaCanary10Percent5Minutes, ECSAllAtOnce, …; Presets lists them in order).
//
// Strategies have canonical names that Parse reads back: the names users
// already write in SAM templates (Canary10Percent5Minutes) and CodeDeploy
// (CodeDeployDefault.LambdaLinear10PercentEvery1Minute), and a compact form for
// everything else (Steps:10%,5m,50%,10m). See Parse for the grammar.
//
// Percent fields are in percent (10 means 10 %), schedule weights are fractions
// (0.1). Durations are simulated time; nothing here reads the clock.
package strategy

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Step says that from At (time since the deployment started) the candidate
// version receives Weight (between 0 and 1) of the traffic.
type Step struct {
	At     time.Duration
	Weight float64
}

// Schedule is a list of steps sorted by At. Before the first step the
// candidate's weight is 0; from each step on it is that step's Weight, until
// the next step (right-continuous, piecewise constant).
type Schedule []Step

// WeightAt returns the candidate's share of traffic at instant t: the weight
// of the last step at or before t, 0 before the first. It binary-searches, so
// a 10,000-step schedule costs 14 comparisons; the schedule must be sorted
// (Validate).
func (s Schedule) WeightAt(t time.Duration) float64 {
	lo, hi := 0, len(s) // invariant: s[:lo] are at or before t, s[hi:] after
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m].At > t {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 {
		return 0
	}
	return s[lo-1].Weight
}

// Duration returns the instant of the last step (0 for an empty schedule).
func (s Schedule) Duration() time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].At
}

// Validate reports whether s is sorted with distinct instants, starts at or
// after 0 and keeps every weight in [0, 1].
func (s Schedule) Validate() error {
	for i, st := range s {
		if st.At < 0 {
			return fmt.Errorf("strategy: Schedule[%d].At = %v: must be >= 0", i, st.At)
		}
		if !(st.Weight >= 0 && st.Weight <= 1) { // also rejects NaN
			return fmt.Errorf("strategy: Schedule[%d].Weight = %v: must be in [0, 1]", i, st.Weight)
		}
		if i > 0 && st.At <= s[i-1].At {
			return fmt.Errorf("strategy: Schedule[%d].At = %v: must be after Schedule[%d].At = %v (sorted, no duplicate instants)", i, st.At, i-1, s[i-1].At)
		}
	}
	return nil
}

// String lists the steps as "10% at 0s, 100% at 5m", the form tables print.
// Weights are rounded to 3 decimals of a percent for reading; use the steps
// themselves for exact values.
func (s Schedule) String() string {
	var b strings.Builder
	for i, st := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(displayPercent(st.Weight * 100))
		b.WriteString("% at ")
		b.WriteString(formatDuration(st.At))
	}
	return b.String()
}

// Strategy is a way of shifting traffic to a candidate version.
type Strategy interface {
	// Name is the strategy's canonical name; Parse(Name()) returns an equal strategy.
	Name() string
	// Schedule is the weight schedule the strategy follows when nothing rolls it back.
	Schedule() Schedule
	// Validate reports a parameter outside its rule, naming field, value and rule.
	Validate() error
	fmt.Stringer
}

// MaxSteps bounds the length of a generated schedule (Linear, Exponential)
// and of a Steps list. A 0.01 % linear increment still fits; the bound exists
// so that a typo such as Linear{Percent: 1e-9} is an error rather than a
// billion-step schedule (a million Steps took seconds per simulated run).
const MaxSteps = 10000

// FieldError is a strategy parameter outside its rule. Its message reads
// "strategy: Canary.Percent = 120: must be in (0, 100]".
type FieldError struct {
	Field string // e.g. "Canary.Percent", "Steps[2].Pause"
	Value string // the offending value as written
	Rule  string // what the value must satisfy, and why if not obvious
}

// Error reads "strategy: <Field> = <Value>: <Rule>".
func (e *FieldError) Error() string {
	return "strategy: " + e.Field + " = " + e.Value + ": " + e.Rule
}

func fieldErr(field string, value any, rule string, args ...any) error {
	var v string
	switch x := value.(type) {
	case float64:
		v = strconv.FormatFloat(x, 'g', -1, 64)
	case time.Duration:
		v = formatDuration(x)
	default:
		v = fmt.Sprint(x)
	}
	// A value comes from user input (Parse): a hundred thousand digits must
	// not make a hundred-kilobyte message.
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return &FieldError{Field: field, Value: v, Rule: fmt.Sprintf(rule, args...)}
}

// Equal reports whether a and b are the same strategy with the same
// parameters. Use it rather than == when either may be a Steps: Steps is a
// slice, and comparing two interfaces holding slices panics. A nil and an
// empty Steps are equal (both promote at once).
func Equal(a, b Strategy) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := a.(Steps); ok {
		y, ok := b.(Steps)
		return ok && slices.Equal(x, y)
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb {
		return false
	}
	if !ta.Comparable() {
		return reflect.DeepEqual(a, b)
	}
	return a == b
}
