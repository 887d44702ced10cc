package sim

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// steps is a Strategy defined by a literal schedule, so the tests do not
// depend on the strategy package's concrete types.
type steps strategy.Schedule

func (s steps) Name() string                { return "test-steps" }
func (s steps) Schedule() strategy.Schedule { return strategy.Schedule(s) }
func (s steps) Validate() error             { return strategy.Schedule(s).Validate() }
func (s steps) String() string              { return fmt.Sprint(strategy.Schedule(s)) }

func allAtOnce() steps { return steps{{At: 0, Weight: 1}} }

// canary: pct percent at 0, 100% after interval.
func canary(pct float64, interval time.Duration) steps {
	return steps{{At: 0, Weight: pct / 100}, {At: interval, Weight: 1}}
}

// linear: +pct percent every interval from 0 until 100%, 100% at
// (ceil(100/pct)-1)·interval (the reference's reading of linear configs).
func linear(pct float64, interval time.Duration) steps {
	var s steps
	for i := 0; ; i++ {
		w := float64(i+1) * pct / 100
		if w >= 1-1e-12 {
			s = append(s, strategy.Step{At: time.Duration(i) * interval, Weight: 1})
			return s
		}
		s = append(s, strategy.Step{At: time.Duration(i) * interval, Weight: w})
	}
}

// integral is ∫_0^h w(t) dt of a schedule, in seconds.
func integral(s steps, h time.Duration) float64 {
	sum := 0.0
	for i, st := range s {
		if st.At >= h {
			break
		}
		end := h
		if i+1 < len(s) && s[i+1].At < h {
			end = s[i+1].At
		}
		sum += st.Weight * (end - st.At).Seconds()
	}
	return sum
}

// visiblePolicy rolls back at the first evaluation at which period Trigger
// is visible and has at least one candidate invocation. It evaluates every
// Every and records what it saw, so tests can check visibility rules.
type visiblePolicy struct {
	Every   time.Duration
	Res     time.Duration
	Trigger int
	Delay   time.Duration // the scenario's ingestion delay, to check visibility
	log     *[]observed
}

type observed struct {
	Now     time.Duration
	Visible int
	Res     time.Duration
	First   float64 // candidate invocations in period 0, if visible
}

func (p visiblePolicy) Name() string              { return "visible" }
func (p visiblePolicy) Validate() error           { return nil }
func (p visiblePolicy) Resolution() time.Duration { return p.Res }
func (p visiblePolicy) Start() rollback.Monitor   { return &visibleMonitor{p: p} }

type visibleMonitor struct{ p visiblePolicy }

func (m *visibleMonitor) Next(t time.Duration) time.Duration {
	if t < 0 {
		return m.p.Every
	}
	return (t/m.p.Every + 1) * m.p.Every
}

func (m *visibleMonitor) Evaluate(obs rollback.Observation) rollback.Decision {
	if m.p.log != nil {
		o := observed{Now: obs.Now, Visible: len(obs.Series.Periods), Res: obs.Series.Resolution}
		if o.Visible > 0 {
			o.First = obs.Series.Periods[0].Dims[metrics.Candidate].Invocations
		}
		*m.p.log = append(*m.p.log, o)
	}
	if len(obs.Series.Periods) > m.p.Trigger &&
		obs.Series.Periods[m.p.Trigger].Dims[metrics.Candidate].Invocations > 0 {
		return rollback.Decision{Rollback: true, Reason: "test trigger", Alarm: "visible"}
	}
	return rollback.Decision{}
}

// perRequestScenario is BaseScenario on the per-request engine: the tests
// of this engine must not be answered by the bucketed one that Auto may pick.
func perRequestScenario() Scenario {
	s := BaseScenario()
	s.Resolution = PerRequest
	return s
}
