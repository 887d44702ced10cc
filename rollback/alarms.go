package rollback

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// DefaultPollInterval is how often CodeDeploy reads the state of the
// deployment group's alarms. [assumed] AWS does not document it; 60 s.
const DefaultPollInterval = time.Minute

// MaxAlarms is the number of alarms a CodeDeploy deployment group may list. [doc]
const MaxAlarms = 10

// Alarms is the CodeDeploy deployment controller as a Policy: CloudWatch
// evaluates each alarm on its own cadence, and CodeDeploy polls their states;
// the first poll that finds any alarm in ALARM rolls the deployment back
// (docs/model.md, "CodeDeploy during a deployment"). CodeDeploy only reads
// states, so an alarm that goes to ALARM and back to OK between two polls is
// never seen.
//
// All instants are aligned to the deployment start: alarm periods of a
// minute or less (longer ones slide: Alarm.Range), alarm evaluations at
// k·EvaluationInterval and polls at PollOffset+k·PollInterval (k >= 1 and
// k >= 0 respectively, instants > 0). When an evaluation and a
// poll fall on the same instant, the evaluation comes first.
//
// The zero PollInterval means "poll right after every alarm evaluation", the
// idealised controller that closed-form checks use; CodeDeploy builds the
// documented defaults.
type Alarms struct {
	Alarms []Alarm
	// EvaluationInterval overrides CloudWatch's evaluation cadence for every
	// alarm; 0 keeps each alarm's own (Alarm.EvaluationInterval: 10 s for
	// periods under a minute, 60 s otherwise).
	EvaluationInterval time.Duration
	// PollInterval is how often CodeDeploy reads the alarm states; 0 means
	// after every alarm evaluation. CodeDeploy sets DefaultPollInterval.
	PollInterval time.Duration
	// PollOffset shifts the polls relative to the deployment start, in
	// [0, PollInterval): CodeDeploy's polling clock is not tied to the alarms'.
	PollOffset time.Duration
}

// CodeDeploy returns the controller with the defaults of docs/model.md: each
// alarm evaluated at CloudWatch's cadence and alarm states polled every
// DefaultPollInterval.
func CodeDeploy(alarms ...Alarm) Alarms {
	return Alarms{Alarms: alarms, PollInterval: DefaultPollInterval}
}

// Name lists the alarms, e.g. "alarms(ErrorsHigh,LatencyHigh)".
func (p Alarms) Name() string {
	var b strings.Builder
	b.WriteString("alarms(")
	for i := range p.Alarms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Alarms[i].Name)
	}
	b.WriteByte(')')
	return b.String()
}

// MinInterval is the shortest cadence Alarms accepts for EvaluationInterval
// and PollInterval.
const MinInterval = time.Second

// Validate checks every alarm and the controller's cadences.
func (p Alarms) Validate() error {
	if len(p.Alarms) == 0 {
		return &ConfigError{Owner: "Alarms", Field: "Alarms", Value: "[]", Rule: "must list at least one alarm"}
	}
	if len(p.Alarms) > MaxAlarms {
		return &ConfigError{Owner: "Alarms", Field: "Alarms", Value: fmt.Sprintf("%d alarms", len(p.Alarms)), Rule: "CodeDeploy allows at most 10 alarms per deployment group"}
	}
	for i := range p.Alarms {
		if err := p.Alarms[i].Validate(); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if p.Alarms[j].Name == p.Alarms[i].Name {
				return &ConfigError{Owner: "Alarms", Field: fmt.Sprintf("Alarms[%d].Name", i), Value: fmt.Sprintf("%q", p.Alarms[i].Name), Rule: fmt.Sprintf("must be unique (Alarms[%d] has it too)", j)}
			}
		}
	}
	// A cadence is an event per tick of the run: a nanosecond one made a
	// 2-hour run 7e12 evaluations. CloudWatch evaluates at most every 10 s
	// [doc]; 1 s leaves room for what-ifs.
	if p.EvaluationInterval < 0 || (p.EvaluationInterval > 0 && p.EvaluationInterval < MinInterval) {
		return &ConfigError{Owner: "Alarms", Field: "EvaluationInterval", Value: p.EvaluationInterval.String(), Rule: "must be 0 (CloudWatch's cadence) or >= 1s"}
	}
	if p.PollInterval < 0 || (p.PollInterval > 0 && p.PollInterval < MinInterval) {
		return &ConfigError{Owner: "Alarms", Field: "PollInterval", Value: p.PollInterval.String(), Rule: "must be 0 (poll after every evaluation) or >= 1s"}
	}
	if p.PollOffset < 0 || (p.PollInterval > 0 && p.PollOffset >= p.PollInterval) || (p.PollInterval == 0 && p.PollOffset != 0) {
		return &ConfigError{Owner: "Alarms", Field: "PollOffset", Value: p.PollOffset.String(), Rule: fmt.Sprintf("must be in [0, PollInterval (%v))", p.PollInterval)}
	}
	return nil
}

// Resolution is the greatest common divisor of the alarm periods. An alarm
// whose period is over a minute slides its windows over the base periods
// the run publishes (Alarm.Range): with Lambda's 1-minute metrics
// (Scenario.Period's default), one minute at a time.
func (p Alarms) Resolution() time.Duration {
	var g time.Duration
	for i := range p.Alarms {
		g = gcd(g, p.Alarms[i].Period)
	}
	return g
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Start returns the per-run state, an *AlarmsMonitor.
func (p Alarms) Start() Monitor { return p.NewMonitor() }

// NewMonitor is Start with the concrete type, for callers that read the
// transition history.
func (p Alarms) NewMonitor() *AlarmsMonitor {
	m := &AlarmsMonitor{p: p, runs: make([]alarmRun, len(p.Alarms)), history: make([]Transition, 0, 8)}
	for i := range p.Alarms {
		a := &p.Alarms[i]
		iv := p.EvaluationInterval
		if iv == 0 {
			iv = a.EvaluationInterval()
		}
		m.runs[i] = alarmRun{
			alarm:    a,
			interval: iv,
			next:     nextTick(0, iv, 0),
			rng:      make([]Datapoint, 0, a.RangeLength()),
			cache:    newRangeCache(a.RangeLength()),
		}
	}
	if p.PollInterval > 0 {
		m.nextPoll = nextTick(0, p.PollInterval, p.PollOffset)
	}
	return m
}

// Transition is one alarm state change during a run.
type Transition struct {
	At       time.Duration // the evaluation instant
	Alarm    string
	From, To State
}

// AlarmsMonitor is the per-run state of an Alarms policy: each alarm's
// state, the history of its transitions and reusable buffers. Alarms start in
// INSUFFICIENT_DATA, as a newly created CloudWatch alarm does.
type AlarmsMonitor struct {
	p        Alarms
	runs     []alarmRun
	nextPoll time.Duration
	history  []Transition
	empty    metrics.Series
}

type alarmRun struct {
	alarm    *Alarm
	interval time.Duration
	next     time.Duration // next evaluation instant
	state    State
	since    time.Duration // instant of the last transition
	detail   evalDetail
	k        int // base periods per alarm period (0 until the first evaluation)
	rng      []Datapoint
	cache    rangeCache
	scratch  metrics.VersionStats
}

// polled reports whether CodeDeploy reads the alarm states at now: at
// every evaluation when the policy has no poll interval, else at the poll
// ticks (interval iv from offset off), when it also moves *next to the
// following tick. The alarms, burn-rate and composite monitors share it.
func polled(evaluated bool, now, iv, off time.Duration, next *time.Duration) bool {
	if iv <= 0 {
		return evaluated
	}
	if *next > now {
		return false
	}
	*next = nextTick(now, iv, off)
	return true
}

// nextTick is the first instant off + k·iv > t (k >= 0) that is > 0.
func nextTick(t, iv, off time.Duration) time.Duration {
	var x time.Duration
	if t < off {
		x = off
	} else {
		x = off + ((t-off)/iv+1)*iv
	}
	if x <= 0 {
		x += iv
	}
	return x
}

// Next returns the first alarm evaluation or poll strictly after t.
func (m *AlarmsMonitor) Next(t time.Duration) time.Duration {
	next := time.Duration(-1)
	for i := range m.runs {
		x := nextTick(t, m.runs[i].interval, 0)
		if next < 0 || x < next {
			next = x
		}
	}
	if m.p.PollInterval > 0 {
		if x := nextTick(t, m.p.PollInterval, m.p.PollOffset); x < next {
			next = x
		}
	}
	return next
}

// Evaluate runs the alarm evaluations due at obs.Now (at most one per alarm,
// however many of its instants were skipped), then CodeDeploy's poll if one
// is due: any alarm in ALARM then rolls back.
func (m *AlarmsMonitor) Evaluate(obs Observation) Decision {
	s := obs.Series
	if s == nil {
		s = &m.empty
	}
	evaluated := false
	for i := range m.runs {
		r := &m.runs[i]
		if r.next > obs.Now {
			continue
		}
		r.next = nextTick(obs.Now, r.interval, 0)
		m.evaluate(r, s, obs.Now)
		evaluated = true
	}
	if !polled(evaluated, obs.Now, m.p.PollInterval, m.p.PollOffset, &m.nextPoll) {
		return Decision{}
	}
	for i := range m.runs {
		if r := &m.runs[i]; r.state == StateAlarm {
			return Decision{Rollback: true, Alarm: r.alarm.Name, Reason: r.reason()}
		}
	}
	return Decision{}
}

func (m *AlarmsMonitor) evaluate(r *alarmRun, s *metrics.Series, now time.Duration) {
	if r.k == 0 && s.Resolution > 0 {
		k, err := r.alarm.basePeriods(s)
		if err != nil {
			// The simulator must publish a resolution dividing Resolution().
			panic(err)
		}
		r.k = k
	}
	if r.k == 0 {
		r.rng = r.rng[:0]
		for i := 0; i < r.alarm.RangeLength(); i++ {
			r.rng = append(r.rng, Datapoint{Missing: true})
		}
	} else {
		r.rng = r.alarm.fillRange(s, r.k, now, r.rng[:0], &r.scratch, &r.cache)
	}
	st, d := r.alarm.eval(r.rng, r.state)
	if st != r.state {
		m.history = append(m.history, Transition{At: now, Alarm: r.alarm.Name, From: r.state, To: st})
		r.state, r.since, r.detail = st, now, d
	}
}

func (r *alarmRun) reason() string {
	a := r.alarm
	why := fmt.Sprintf("%d of %d datapoints %s %g", r.detail.breaching, r.detail.evaluated, a.Comparison.Symbol(), a.Threshold)
	if r.detail.premature {
		why = fmt.Sprintf("oldest breaching datapoint >= %d periods old, later ones missing", a.M())
	} else if r.detail.filled > 0 {
		why += fmt.Sprintf(" (%d missing treated as %s)", r.detail.filled, a.TreatMissingData)
	}
	return fmt.Sprintf("alarm %s in ALARM since %v: %s (%s %s of %s)", a.Name, r.since, why, a.Statistic, a.Metric, a.Dimension)
}

// Transitions returns the state changes so far, in order. The slice is the
// monitor's own: copy it to keep it past the run.
func (m *AlarmsMonitor) Transitions() []Transition { return m.history }

// State returns the current state of alarm i (index into Alarms.Alarms).
func (m *AlarmsMonitor) State(i int) State { return m.runs[i].state }
