package scenario

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

// validatePolicy checks the policy settings against the policy they feed,
// naming the setting the user gave (--evaluation-interval, poll_interval …)
// rather than the rollback field it becomes: --policy compare
// --evaluation-interval 1ns was refused as "BaselineComparison.Period =
// 0s", a field the user never set.
func (c *File) validatePolicy() error {
	iv := time.Duration(c.EvaluationInterval)
	if c.origin.flags["evaluation_interval"] && (c.Policy == "none" || c.Policy == "burnrate") {
		return fmt.Errorf("%s: applies only to --policy alarms, compare or sequential (the policy is %s)", c.name("evaluation_interval"), c.Policy)
	}
	if c.origin.flags["slo"] && c.Policy != "burnrate" {
		return fmt.Errorf("%s: applies only to --policy burnrate (the policy is %s)", c.name("slo"), c.Policy)
	}
	switch c.Policy {
	case "alarms":
		if iv != 0 && iv < rollback.MinInterval {
			return c.bad("evaluation_interval", c.EvaluationInterval, fmt.Sprintf("must be 0 (CloudWatch's cadence) or >= %v for policy alarms", rollback.MinInterval))
		}
	case "compare":
		// The judge's periods are one minute (Lambda's metrics); each
		// judgement takes the whole periods of one interval.
		if iv%sim.DefaultPeriod != 0 {
			return c.bad("evaluation_interval", c.EvaluationInterval, fmt.Sprintf("must be 0 (one minute) or a whole number of minutes for policy compare, which judges whole one-minute periods"))
		}
	case "sequential":
		// The test reads CloudWatch periods (10 s, 20 s, 30 s, n·60 s); one
		// must divide both the interval and the 1-minute metrics, which
		// holds exactly when the interval is a multiple of 10 s.
		if iv%(10*time.Second) != 0 {
			return c.bad("evaluation_interval", c.EvaluationInterval, "must be 0 (one minute) or a multiple of 10s for policy sequential, which reads whole CloudWatch periods (10s, 20s, 30s or n·60s)")
		}
	}
	if c.Policy == "alarms" || c.Policy == "burnrate" {
		if pi := time.Duration(c.PollInterval); pi != 0 && pi < rollback.MinInterval {
			return c.bad("poll_interval", c.PollInterval, fmt.Sprintf("must be 0 (right after every evaluation) or >= %v", rollback.MinInterval))
		}
	}
	// Whatever else the policy refuses, say which policy the settings built.
	p, err := c.RollbackPolicy()
	if err != nil || p == nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s = %s: %w", c.name("policy"), c.Policy, err)
	}
	return nil
}
