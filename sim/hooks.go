package sim

import (
	"math/rand/v2"
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
	"github.com/deploysim/deploysim/internal/seed"
)

// MaxHookDuration is the longest a hook may run: CodeDeploy fails a hook
// whose function has not reported its status within 1 hour [doc].
const MaxHookDuration = time.Hour

// Hook is a CodeDeploy lifecycle hook (docs/model.md: "CodeDeploy during a
// deployment"): a validation function that runs for Duration and catches
// the candidate's fault with probability CatchProb — only if the fault is
// active while it runs (a fault whose onset comes later, or that needs
// customer requests to show, cannot be caught by it; a hook is assumed to
// exercise the request kinds the fault affects). A hook never fails a
// healthy candidate (flaky hooks are not modelled). The zero Hook is no
// hook.
//
// The pre-traffic hook (BeforeAllowTraffic) runs from the deployment's start
// before any traffic shifts, so the whole schedule is delayed by its
// Duration; when it fails, the deployment ends with no customer traffic on
// the candidate: Outcome HookAborted, Detected at the hook's end, Reason and
// Alarm "PreTraffic hook". The post-traffic hook (AfterAllowTraffic) runs
// once the weight has reached its final value (Promoted); the deployment,
// and the policy's watch, last until it ends; when it fails, the deployment
// rolls back like an alarm does (Reason and Alarm "PostTraffic hook").
//
// Hooks are part of the controller that both engines share, so they do not
// force per-request resolution. Their draws come from a stream of their own,
// derived from Scenario.Seed, so adding a hook does not change the traffic's
// draws.
type Hook struct {
	// Duration is how long the hook runs, in [0, 1h].
	Duration time.Duration
	// CatchProb is the probability that the hook catches a fault active
	// while it runs, in [0, 1].
	CatchProb float64
}

// Enabled reports whether h is a hook (not the zero Hook).
func (h Hook) Enabled() bool { return h.Duration != 0 || h.CatchProb != 0 }

func (h Hook) validate(name string) error {
	if h.Duration < 0 || h.Duration > MaxHookDuration {
		return invalid("Scenario.%s.Duration = %v: must be in [0, %v] (CodeDeploy fails a hook after 1 hour)", name, h.Duration, MaxHookDuration)
	}
	return prob(name+".CatchProb", h.CatchProb)
}

// Hook reasons, as metrics.Run.Reason and Alarm record them.
const (
	PreTrafficHook  = "PreTraffic hook"
	PostTrafficHook = "PostTraffic hook"
)

// hookStream is the Derive index of the hooks' random stream.
const hookStream = 1<<63 + 4

// hooks is the controller's state of the hooks.
type hooks struct {
	pre, post   Hook
	preU, postU float64       // the hooks' uniform draws
	shift       time.Duration // the schedule's delay: the pre-traffic hook's duration
	aborted     bool
	postPending bool // the post-traffic hook is running
}

func (h *hooks) start(s *Scenario) {
	*h = hooks{pre: s.PreTraffic, post: s.PostTraffic}
	if h.pre.Enabled() || h.post.Enabled() {
		r := rand.New(seed.PCG(seed.Derive(s.Seed, hookStream)))
		h.preU, h.postU = r.Float64(), r.Float64()
	}
	if h.pre.Enabled() {
		h.shift = h.pre.Duration
	}
}

// Hook event indices.
const (
	hookPre  = 0
	hookPost = 1
)

// startSchedule schedules the pre-traffic hook's end, or, with none, the
// schedule's first step.
func (c *control) startSchedule() {
	if c.hk.pre.Enabled() {
		c.q.Push(eventq.Event{At: c.hk.pre.Duration, Kind: evHook, Idx: hookPre})
		return
	}
	c.q.Push(eventq.Event{At: c.sched[0].At, Kind: evWeight, Idx: 0})
}

// hookEnd handles the end of a hook at now; it returns true when the run
// must end now.
func (c *control) hookEnd(now time.Duration, which int32) bool {
	if !c.deploying {
		return false // a rollback already stopped the deployment
	}
	if which == hookPre {
		active := c.bad && c.fault.OnsetAt <= now && c.fault.OnsetAfter == 0
		if active && c.hk.preU < c.hk.pre.CatchProb {
			c.deploying = false
			c.hk.aborted = true
			c.run.Detected = now
			c.run.Reason, c.run.Alarm = PreTrafficHook+" failed", PreTrafficHook
			return c.stop(now, true)
		}
		c.q.Push(eventq.Event{At: c.sched[0].At + c.hk.shift, Kind: evWeight, Idx: 0})
		return false
	}
	c.hk.postPending = false
	if c.bad && c.faultOn && c.hk.postU < c.hk.post.CatchProb {
		c.deploying = false
		c.run.Detected = now
		c.run.Reason, c.run.Alarm = PostTrafficHook+" failed", PostTrafficHook
		c.q.Push(eventq.Event{At: now + c.actionLatency, Kind: evRollback})
		return false
	}
	if c.bake > 0 && now < c.run.Promoted+c.bake {
		return false // the bake's end ends the deployment
	}
	return c.endDeployment(now)
}
