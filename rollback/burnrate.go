package rollback

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// BurnWindow is one multi-window burn-rate condition: the error budget burns
// faster than Factor times its sustainable rate over both the Long window
// and the Short one (the short window makes the alert reset soon after the
// errors stop; the SRE workbook takes it 1/12 of the long one).
type BurnWindow struct {
	Long, Short time.Duration
	Factor      float64
}

// PageWindows are the SRE workbook's paging conditions ("Alerting on SLOs",
// multiwindow, multi-burn-rate alerts): 14.4× over 1 h and 5 min (2 % of a
// 30-day budget spent in an hour) or 6× over 6 h and 30 min (5 % in six
// hours). [doc] Google SRE workbook, chapter 5.
var PageWindows = []BurnWindow{
	{Long: time.Hour, Short: 5 * time.Minute, Factor: 14.4},
	{Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: 6},
}

// BurnRate is a multi-window, multi-burn-rate alert on an availability SLO
// as CodeDeploy would watch it: each window is a CloudWatch alarm on the
// metric math Errors/Invocations over the last Long (or Short) of data,
// evaluated every minute over a sliding window ([observed] in the reference:
// alarms with periods of a minute or more are evaluated every minute over a
// sliding window), breaching when the error ratio exceeds Factor·(1 − SLO)
// (burn rate = error ratio / (1 − SLO)); each condition is a composite alarm
// ALARM(long) AND ALARM(short), and CodeDeploy polls the composites
// (PollInterval, PollOffset as in Alarms). A window with no invocations is
// INSUFFICIENT_DATA, which is not ALARM.
//
// The windows see only the deployment: a run has no data from before it,
// so in the first hour the 1-hour window holds less than an hour. In
// production it would also hold the hour before the deployment, at the old
// version's error rate: the simulated long window reacts sooner to a bad
// candidate and is noisier for a healthy one than the production alarm.
type BurnRate struct {
	// SLO is the target ratio of good requests, in (0, 1): 0.999 is a
	// budget of 0.1 % errors.
	SLO float64
	// Windows are the conditions (nil: PageWindows). At most MaxAlarms.
	Windows []BurnWindow
	// Dimension is the metric's (Alias: the function as callers see it).
	Dimension metrics.Dimension
	// Period is the datapoint resolution the windows sum (0: 60 s, the
	// period of Lambda's metrics). Every window must be a multiple of it.
	Period time.Duration
	// PollInterval and PollOffset are CodeDeploy's, as in Alarms (0:
	// after every evaluation).
	PollInterval, PollOffset time.Duration
}

// SREWorkbook returns the workbook's paging alert for slo, polled as
// CodeDeploy does.
func SREWorkbook(slo float64) BurnRate {
	return BurnRate{SLO: slo, PollInterval: DefaultPollInterval}
}

func (p BurnRate) windows() []BurnWindow {
	if p.Windows == nil {
		return PageWindows
	}
	return p.Windows
}

func (p BurnRate) period() time.Duration {
	if p.Period == 0 {
		return time.Minute
	}
	return p.Period
}

// Name is "burnrate(99.9%)".
func (p BurnRate) Name() string {
	return "burnrate(" + strconv.FormatFloat(100*p.SLO, 'f', -1, 64) + "%)"
}

func (p BurnRate) errf(field, value, rule string) error {
	return &ConfigError{Owner: "BurnRate", Field: field, Value: value, Rule: rule}
}

// Validate checks the SLO, the windows and the cadences.
func (p BurnRate) Validate() error {
	if !(p.SLO > 0 && p.SLO < 1) {
		return p.errf("SLO", fmt.Sprint(p.SLO), "must be in (0, 1): 0.999 for 99.9 % good requests")
	}
	if p.Dimension >= metrics.NumDimensions {
		return p.errf("Dimension", p.Dimension.String(), "must be alias, candidate or baseline")
	}
	per := p.period()
	if !periodAllowed(per) {
		return p.errf("Period", per.String(), "must be 10s, 20s, 30s or a multiple of 60s")
	}
	ws := p.windows()
	if len(ws) == 0 || len(ws) > MaxAlarms {
		return p.errf("Windows", fmt.Sprintf("%d windows", len(ws)), fmt.Sprintf("must list 1 to %d conditions (each is an alarm of the deployment group)", MaxAlarms))
	}
	for i, w := range ws {
		f := fmt.Sprintf("Windows[%d]", i)
		if w.Short <= 0 || w.Long <= w.Short {
			return p.errf(f, fmt.Sprintf("{Long %v, Short %v}", w.Long, w.Short), "must have 0 < Short < Long")
		}
		if w.Long%per != 0 || w.Short%per != 0 {
			return p.errf(f, fmt.Sprintf("{Long %v, Short %v}", w.Long, w.Short), fmt.Sprintf("both windows must be multiples of Period (%v)", per))
		}
		if w.Long > 7*24*time.Hour {
			return p.errf(f+".Long", w.Long.String(), "must be at most 7 days (CloudWatch's longest alarm range)")
		}
		if !(w.Factor > 0) || math.IsInf(w.Factor, 1) {
			return p.errf(f+".Factor", fmt.Sprint(w.Factor), "must be a finite burn rate > 0")
		}
	}
	if p.PollInterval < 0 || (p.PollInterval > 0 && p.PollInterval < MinInterval) {
		return p.errf("PollInterval", p.PollInterval.String(), "must be 0 (poll after every evaluation) or >= 1s")
	}
	if p.PollOffset < 0 || (p.PollInterval > 0 && p.PollOffset >= p.PollInterval) || (p.PollInterval == 0 && p.PollOffset != 0) {
		return p.errf("PollOffset", p.PollOffset.String(), fmt.Sprintf("must be in [0, PollInterval (%v))", p.PollInterval))
	}
	return nil
}

// Resolution is Period.
func (p BurnRate) Resolution() time.Duration { return p.period() }

// WindowName names the alarm of one window: "burn-1h0m0s-14.4x".
func WindowName(w time.Duration, factor float64) string {
	return "burn-" + w.String() + "-" + strconv.FormatFloat(factor, 'f', -1, 64) + "x"
}

// AlarmRule is the composite alarm rule equivalent to the conditions, over
// the window alarms named by WindowName:
// (ALARM("burn-1h0m0s-14.4x") AND ALARM("burn-5m0s-14.4x")) OR (…).
func (p BurnRate) AlarmRule() string {
	var parts []string
	for _, w := range p.windows() {
		parts = append(parts, fmt.Sprintf("(ALARM(%q) AND ALARM(%q))", WindowName(w.Long, w.Factor), WindowName(w.Short, w.Factor)))
	}
	return strings.Join(parts, " OR ")
}

// Start returns the per-run state, a *BurnRateMonitor.
func (p BurnRate) Start() Monitor { return p.NewMonitor() }

// NewMonitor is Start with the concrete type.
func (p BurnRate) NewMonitor() *BurnRateMonitor {
	m := &BurnRateMonitor{p: p, ws: p.windows(), per: p.period()}
	m.long = make([]float64, len(m.ws))
	m.short = make([]float64, len(m.ws))
	m.state = make([]State, len(m.ws))
	if p.PollInterval > 0 {
		m.nextPoll = nextTick(0, p.PollInterval, p.PollOffset)
	}
	return m
}

// BurnRateMonitor is the per-run state of a BurnRate policy.
type BurnRateMonitor struct {
	p           BurnRate
	ws          []BurnWindow
	per         time.Duration
	long, short []float64 // burn rates at the last evaluation (NaN: no data)
	state       []State   // per condition
	nextPoll    time.Duration
	history     []Transition
	scratch     metrics.VersionStats
}

// evaluationInterval is CloudWatch's: every minute ([observed]).
const burnEvaluation = time.Minute

// Next returns the first evaluation or poll strictly after t.
func (m *BurnRateMonitor) Next(t time.Duration) time.Duration {
	next := nextTick(t, burnEvaluation, 0)
	if m.p.PollInterval > 0 {
		if x := nextTick(t, m.p.PollInterval, m.p.PollOffset); x < next {
			next = x
		}
	}
	return next
}

// Burn returns condition i's burn rates over its long and short windows
// at the last evaluation (NaN when a window had no invocations).
func (m *BurnRateMonitor) Burn(i int) (long, short float64) { return m.long[i], m.short[i] }

// State returns condition i's state.
func (m *BurnRateMonitor) State(i int) State { return m.state[i] }

// burn is the burn rate over the window w ending with the last period that
// ended by now, from what is visible; NaN without invocations.
func (m *BurnRateMonitor) burn(s *metrics.Series, now, w time.Duration) float64 {
	if s == nil || s.Resolution <= 0 {
		return math.NaN()
	}
	k := int(m.per / s.Resolution)
	if k < 1 {
		k = 1
	}
	end := int(now/m.per) * k // base periods ended by now
	from := end - int(w/m.per)*k
	s.Aggregate(m.p.Dimension, from, end, &m.scratch)
	if m.scratch.Invocations == 0 {
		return math.NaN()
	}
	return m.scratch.Errors / m.scratch.Invocations / (1 - m.p.SLO)
}

// Evaluate computes every window at the minute marks, then CodeDeploy's
// poll if one is due: a condition in ALARM rolls back.
func (m *BurnRateMonitor) Evaluate(obs Observation) Decision {
	evaluated := obs.Now%burnEvaluation == 0
	if evaluated {
		for i, w := range m.ws {
			m.long[i] = m.burn(obs.Series, obs.Now, w.Long)
			m.short[i] = m.burn(obs.Series, obs.Now, w.Short)
			st := StateOK
			switch {
			case math.IsNaN(m.long[i]) || math.IsNaN(m.short[i]):
				st = StateInsufficientData
			case m.long[i] > w.Factor && m.short[i] > w.Factor:
				st = StateAlarm
			}
			if st != m.state[i] {
				m.history = append(m.history, Transition{At: obs.Now, Alarm: m.condName(i), From: m.state[i], To: st})
				m.state[i] = st
			}
		}
	}
	if !polled(evaluated, obs.Now, m.p.PollInterval, m.p.PollOffset, &m.nextPoll) {
		return Decision{}
	}
	for i, w := range m.ws {
		if m.state[i] == StateAlarm {
			return Decision{Rollback: true, Alarm: m.condName(i), Reason: fmt.Sprintf("error budget of a %s%% SLO burning at %.3g× over %v and %.3g× over %v (> %g×)",
				strconv.FormatFloat(100*m.p.SLO, 'f', -1, 64), m.long[i], w.Long, m.short[i], w.Short, w.Factor)}
		}
	}
	return Decision{}
}

func (m *BurnRateMonitor) condName(i int) string {
	w := m.ws[i]
	return WindowName(w.Long, w.Factor) + "+" + w.Short.String()
}

// Transitions returns the conditions' state changes so far (the monitor's
// own slice).
func (m *BurnRateMonitor) Transitions() []Transition { return m.history }

var (
	_ Policy = BurnRate{}
	_ Policy = Composite{}
)
