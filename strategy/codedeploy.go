package strategy

import (
	"fmt"
	"math"
	"time"
)

// Platform is the CodeDeploy compute platform a configuration belongs to. It
// changes the strategy's name and the rules it must follow, never its
// schedule: AWS gives the ECS configurations "the same shapes" as the Lambda
// ones (docs/model.md, "Deployment configurations").
type Platform uint8

const (
	// Lambda is the default: names read as SAM DeploymentPreference.Type
	// values (Canary10Percent5Minutes), and parameters may be any float percent
	// and any positive duration, beyond what CodeDeploy itself accepts.
	Lambda Platform = iota
	// ECS names read as CodeDeploy ECS configurations
	// (CodeDeployDefault.ECSCanary10Percent5Minutes); ECS has no SAM shorthand,
	// so an ECS strategy must also satisfy CodeDeploy's custom-config limits
	// (whole percent 1–99, whole minutes).
	ECS
)

// String is the platform as CodeDeploy names spell it: "Lambda" or "ECS".
func (p Platform) String() string {
	switch p {
	case Lambda:
		return "Lambda"
	case ECS:
		return "ECS"
	}
	return fmt.Sprintf("Platform(%d)", uint8(p))
}

func (p Platform) validate(family string) error {
	if p > ECS {
		return fieldErr(family+".Platform", uint8(p), "must be Lambda (0) or ECS (1)")
	}
	return nil
}

// maxSpan is CodeDeploy's limit on the time between the first and the last
// traffic shift of a custom configuration (docs/model.md: "at most 2,880
// minutes between the first and last shift").
const maxSpan = 2880 * time.Minute

// maxDuration is the longest time.Duration.
const maxDuration = time.Duration(math.MaxInt64)

// AllAtOnce shifts all traffic to the candidate at t0: CodeDeploy's
// LambdaAllAtOnce and ECSAllAtOnce ("100% at 0", docs/model.md). Fast, and
// every caller meets a bad candidate before any alarm can fire.
type AllAtOnce struct {
	Platform Platform
}

// Name is "AllAtOnce" (the SAM type) for Lambda and
// "CodeDeployDefault.ECSAllAtOnce" for ECS.
func (a AllAtOnce) Name() string {
	if a.Platform == ECS {
		return "CodeDeployDefault.ECSAllAtOnce"
	}
	return "AllAtOnce"
}

// String is Name.
func (a AllAtOnce) String() string { return a.Name() }

// Validate checks the platform.
func (a AllAtOnce) Validate() error { return a.Platform.validate("AllAtOnce") }

// Schedule is 100 % at 0 (nil if Validate fails).
func (a AllAtOnce) Schedule() Schedule {
	if a.Validate() != nil {
		return nil
	}
	return Schedule{{At: 0, Weight: 1}}
}

// Canary is CodeDeploy's TimeBasedCanary: Percent of the traffic moves to the
// candidate at t0 ("the percentage is shifted in the first increment"), the
// rest after Interval (docs/model.md, "Custom configs"). Schedule:
// Percent at 0, 100 % at Interval.
//
// CodeDeploy accepts whole percents up to 99 and whole minutes; this type
// accepts any Percent in (0, 100] and any Interval > 0 so that what-if
// comparisons are not limited to what AWS sells. Parse enforces the integer
// forms for CodeDeploy and SAM names; ECS strategies must keep to them.
type Canary struct {
	Percent  float64       // share moved at t0, in percent: 10 means 10 %
	Interval time.Duration // time from t0 to the shift of the remaining traffic
	Platform Platform      // only changes the name; zero is Lambda
}

// Name is the SAM type (Canary10Percent5Minutes) when Percent and Interval
// are a valid CodeDeploy custom config, the CodeDeploy name for ECS
// (CodeDeployDefault.ECSCanary10Percent5Minutes), and otherwise the compact
// form Canary:2.5%,90s.
func (c Canary) Name() string {
	if awsRule("Canary", c.Percent, c.Interval, false) == nil {
		p, m := int64(c.Percent), int64(c.Interval/time.Minute)
		switch c.Platform {
		case Lambda:
			return fmt.Sprintf("Canary%dPercent%d%s", p, m, minuteWord(m))
		case ECS:
			return fmt.Sprintf("CodeDeployDefault.ECSCanary%dPercent%dMinutes", p, m)
		}
	}
	return "Canary:" + formatPercent(c.Percent) + "%," + formatDuration(c.Interval)
}

// String is Name.
func (c Canary) String() string { return c.Name() }

// Validate checks Percent in (0, 100], Interval > 0, and for ECS the
// CodeDeploy limits.
func (c Canary) Validate() error {
	if err := c.Platform.validate("Canary"); err != nil {
		return err
	}
	if !(c.Percent > 0 && c.Percent <= 100) {
		return fieldErr("Canary.Percent", c.Percent, "must be in (0, 100]")
	}
	if c.Interval <= 0 {
		return fieldErr("Canary.Interval", c.Interval, "must be > 0")
	}
	if c.Platform == ECS {
		return awsRule("Canary", c.Percent, c.Interval, false)
	}
	return nil
}

// Schedule is Percent at 0 and 100 % at Interval (nil if Validate fails). A
// 100 % canary keeps both steps: the second marks the end of the bake time.
func (c Canary) Schedule() Schedule {
	if c.Validate() != nil {
		return nil
	}
	return Schedule{{At: 0, Weight: c.Percent / 100}, {At: c.Interval, Weight: 1}}
}

// Linear is CodeDeploy's TimeBasedLinear: Percent is "the percentage of
// traffic that is shifted at the start of each increment", with Interval
// between increments (docs/model.md). The first increment is at t0, so the
// candidate has Percent at 0, 2×Percent at Interval, … and 100 % at
// (ceil(100/Percent) − 1) × Interval: 90 minutes for 10 % every 10 minutes.
// That follows CodeDeploy's limits, stated as minutes "between the first and
// last traffic shift", and ECS linear, which applies no wait after the final
// shift. One SAM document reads Linear10PercentEvery10Minutes as completing
// "in 100 minutes" (counting a wait after the last increment); we do not.
//
// A Percent that does not divide 100 ends with a partial increment: 30 gives
// 30, 60, 90, 100 (an assumption, docs/model.md; AWS does not document
// it). Percent is deemed to divide 100 when 100/Percent is within 1e-9 of an
// integer, so 100.0/3 gives three increments, not a fourth of 1e-14 %.
//
// As with Canary, any Percent in (0, 100] and Interval > 0 is accepted (at
// most MaxSteps increments); Parse enforces CodeDeploy's integer forms.
type Linear struct {
	Percent  float64       // share added at each increment, in percent
	Interval time.Duration // time between increments
	Platform Platform      // only changes the name; zero is Lambda
}

// increments is ceil(100/p) with the tolerance documented on Linear; it is a
// float so that tiny p gives +Inf rather than an overflowed int.
func increments(p float64) float64 { return math.Ceil(100/p - 1e-9) }

// Name is the SAM type (Linear10PercentEvery1Minute) when Percent and
// Interval are a valid CodeDeploy custom config, the CodeDeploy name for ECS
// (CodeDeployDefault.ECSLinear10PercentEvery1Minutes, with AWS's plural), and
// otherwise the compact form Linear:2.5%,90s.
func (l Linear) Name() string {
	if awsRule("Linear", l.Percent, l.Interval, true) == nil {
		p, m := int64(l.Percent), int64(l.Interval/time.Minute)
		switch l.Platform {
		case Lambda:
			return fmt.Sprintf("Linear%dPercentEvery%d%s", p, m, minuteWord(m))
		case ECS:
			return fmt.Sprintf("CodeDeployDefault.ECSLinear%dPercentEvery%dMinutes", p, m)
		}
	}
	return "Linear:" + formatPercent(l.Percent) + "%," + formatDuration(l.Interval)
}

// String is Name.
func (l Linear) String() string { return l.Name() }

// Validate checks Percent in (0, 100] with at most MaxSteps increments,
// Interval > 0, a last increment that fits in a time.Duration, and for ECS
// the CodeDeploy limits.
func (l Linear) Validate() error {
	if err := l.Platform.validate("Linear"); err != nil {
		return err
	}
	if !(l.Percent > 0 && l.Percent <= 100) {
		return fieldErr("Linear.Percent", l.Percent, "must be in (0, 100]")
	}
	n := increments(l.Percent)
	if n > MaxSteps {
		return fieldErr("Linear.Percent", l.Percent, "needs %g increments to reach 100%%; at most MaxSteps = %d", n, MaxSteps)
	}
	if l.Interval <= 0 {
		return fieldErr("Linear.Interval", l.Interval, "must be > 0")
	}
	if n > 1 && l.Interval > maxDuration/time.Duration(n-1) {
		return fieldErr("Linear.Interval", l.Interval, "%g increments overflow time.Duration (about 292 years)", n)
	}
	if l.Platform == ECS {
		return awsRule("Linear", l.Percent, l.Interval, true)
	}
	return nil
}

// Schedule is Percent×k at (k−1)×Interval for k = 1 … ceil(100/Percent), the
// last one 100 % (nil if Validate fails).
func (l Linear) Schedule() Schedule {
	if l.Validate() != nil {
		return nil
	}
	n := int(increments(l.Percent))
	s := make(Schedule, n)
	for k := range n {
		// (k+1)*p is exact for whole percents, so 30/100 is the float nearest 0.3.
		s[k] = Step{At: time.Duration(k) * l.Interval, Weight: min(1, float64(k+1)*l.Percent/100)}
	}
	s[n-1].Weight = 1
	return s
}

// awsRule reports whether percent and interval make a CodeDeploy custom
// config (docs/model.md, "Custom config limits"): whole percent 1–99,
// whole minutes >= 1, and at most 2,880 minutes between the first and the
// last shift.
func awsRule(family string, percent float64, interval time.Duration, linear bool) error {
	if !(percent >= 1 && percent <= 99) || percent != math.Trunc(percent) {
		return fieldErr(family+".Percent", percent, "CodeDeploy needs a whole percent from 1 to 99")
	}
	if interval < time.Minute || interval%time.Minute != 0 {
		return fieldErr(family+".Interval", interval, "CodeDeploy needs whole minutes, at least 1")
	}
	span := interval
	if linear {
		n := int64(increments(percent)) // at most 100
		m := int64(interval / time.Minute)
		if m > int64(maxSpan/time.Minute) { // avoids overflow below
			return fieldErr(family+".Interval", interval, "CodeDeploy allows at most 2880 minutes between the first and the last shift")
		}
		span = time.Duration((n-1)*m) * time.Minute
		if span > maxSpan {
			return fieldErr(family+".Interval", interval, "CodeDeploy allows at most 2880 minutes between the first and the last shift; %d increments of %g%% span %d minutes", n, percent, (n-1)*m)
		}
	}
	if span > maxSpan {
		return fieldErr(family+".Interval", interval, "CodeDeploy allows at most 2880 minutes between the first and the last shift")
	}
	return nil
}

// CodeDeployName returns the CodeDeploy deployment-configuration name of s
// ("CodeDeployDefault.LambdaCanary10Percent5Minutes") and true when s is an
// AllAtOnce, Canary or Linear within CodeDeploy's limits. SAM builds the same
// name from its type by prefixing "CodeDeployDefault.Lambda" (docs/model.md
// aws.md). For numbers other than the predefined ones, the name is what a
// predefined config of that shape would be called; AWS has no such config,
// and a real deployment would use a custom config under a name of its own.
func CodeDeployName(s Strategy) (string, bool) {
	var platform Platform
	var shape string
	switch x := s.(type) {
	case AllAtOnce:
		platform, shape = x.Platform, "AllAtOnce"
	case Canary:
		if awsRule("Canary", x.Percent, x.Interval, false) != nil {
			return "", false
		}
		m := int64(x.Interval / time.Minute)
		platform, shape = x.Platform, fmt.Sprintf("Canary%dPercent%d", int64(x.Percent), m)
		shape += unitFor(x.Platform, m)
	case Linear:
		if awsRule("Linear", x.Percent, x.Interval, true) != nil {
			return "", false
		}
		m := int64(x.Interval / time.Minute)
		platform, shape = x.Platform, fmt.Sprintf("Linear%dPercentEvery%d", int64(x.Percent), m)
		shape += unitFor(x.Platform, m)
	default:
		return "", false
	}
	if platform > ECS {
		return "", false
	}
	return "CodeDeployDefault." + platform.String() + shape, true
}

// unitFor spells the minute unit as each platform's predefined names do: Lambda
// says "Every1Minute", ECS says "Every1Minutes".
func unitFor(p Platform, m int64) string {
	if p == ECS {
		return "Minutes"
	}
	return minuteWord(m)
}
