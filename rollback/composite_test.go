package rollback

import (
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

func TestParseAlarmRule(t *testing.T) {
	states := map[string]State{"a": StateAlarm, "b": StateOK, "c d": StateInsufficientData}
	look := func(n string) State { return states[n] }
	for _, tc := range []struct {
		rule string
		want bool
	}{
		{"ALARM(a)", true},
		{`ALARM("a")`, true},
		{"OK(a)", false},
		{"ALARM(a) AND OK(b)", true},
		{"ALARM(a) AND ALARM(b)", false},
		{"ALARM(b) OR ALARM(a)", true},
		{"NOT ALARM(a)", false},
		{"ALARM(a) AND NOT OK(b)", false},
		{`INSUFFICIENT_DATA("c d")`, true},
		{"INSUFFICIENT_DATA(c d)", true},
		{"TRUE", true},
		{"FALSE OR (TRUE AND NOT FALSE)", true},
		// NOT > AND > OR: TRUE OR (FALSE AND FALSE), not (TRUE OR FALSE) AND FALSE.
		{"TRUE OR FALSE AND FALSE", true},
		{"NOT TRUE AND FALSE", false},
		{"not alarm(a) or ok(b)", true},
		{"(ALARM(a) OR ALARM(x)) AND (OK(b) OR OK(a))", true},
	} {
		r, err := ParseAlarmRule(tc.rule)
		if err != nil {
			t.Errorf("%q: %v", tc.rule, err)
			continue
		}
		if got := r.Eval(look); got != tc.want {
			t.Errorf("%q = %v, want %v", tc.rule, got, tc.want)
		}
	}
	r, _ := ParseAlarmRule(`ALARM(b) OR (ALARM("a") AND NOT OK(b)) OR ALARM(b)`)
	if got := strings.Join(r.Alarms(), ","); got != "a,b" {
		t.Errorf("Alarms = %s, want a,b", got)
	}
	for _, bad := range []string{"", "ALARM", "ALARM()", "ALARM(a", `ALARM("a)`, "ALRM(a)", "ALARM(a) AND", "ALARM(a) XOR OK(b)", "(TRUE", "TRUE)",
		strings.Repeat("(", 100) + "TRUE" + strings.Repeat(")", 100), strings.Repeat("NOT ", 100) + "TRUE", strings.Repeat("x", MaxAlarmRuleLength+1)} {
		if _, err := ParseAlarmRule(bad); err == nil {
			t.Errorf("%.40q: no error", bad)
		} else if len(err.Error()) > 200 {
			t.Errorf("%.40q: error of %d bytes", bad, len(err.Error()))
		}
	}
}

// aliasSeries builds a one-minute series of alias invocations and errors.
func aliasSeries(inv, errs []float64) *metrics.Series {
	s := &metrics.Series{Resolution: time.Minute, Periods: make([]metrics.Period, len(inv))}
	for i := range inv {
		s.Periods[i].Dims[metrics.Alias].Invocations = inv[i]
		s.Periods[i].Dims[metrics.Alias].Errors = errs[i]
	}
	return s
}

// The composite "ALARM(Errors) AND NOT ALARM(LowTraffic)" masks an error
// alarm while traffic is too low to trust it. Minute by minute (calls /
// errors): 200/1, 50/6, 200/6, 200/0. Each metric alarm (Period 1 min, N =
// M = 1) evaluated at the end of minute k sees minute k-1: Errors (Sum >= 5)
// is OK, ALARM, ALARM, OK; LowTraffic (Sum < 100) is OK, ALARM, OK, OK; the
// composite is OK, OK, ALARM, OK, hand-computed from the rule.
func compositeFixture(t *testing.T, poll, offset time.Duration) (Composite, *metrics.Series) {
	t.Helper()
	rule, err := ParseAlarmRule(`ALARM(Errors) AND NOT ALARM("LowTraffic")`)
	if err != nil {
		t.Fatal(err)
	}
	p := Composite{
		Alarms: Alarms{Alarms: []Alarm{
			{Name: "Errors", Metric: metrics.Errors, Dimension: metrics.Alias, Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute, EvaluationPeriods: 1, Threshold: 5, Comparison: GreaterThanOrEqualToThreshold},
			{Name: "LowTraffic", Metric: metrics.Invocations, Dimension: metrics.Alias, Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute, EvaluationPeriods: 1, Threshold: 100, Comparison: LessThanThreshold},
		}, PollInterval: poll, PollOffset: offset},
		Composites: []CompositeAlarm{{Name: "ErrorsWithTraffic", Rule: rule}},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p, aliasSeries([]float64{200, 50, 200, 200}, []float64{1, 6, 6, 0})
}

// run steps the monitor over its own instants up to end, showing it the
// periods that ended by then, and returns the composite's state after each
// instant and the instant of the first rollback (-1: none).
func runComposite(p Composite, s *metrics.Series, end time.Duration) (states []string, at time.Duration) {
	m := p.NewMonitor()
	at = -1
	for t := m.Next(0); t <= end; t = m.Next(t) {
		vis := &metrics.Series{Resolution: s.Resolution, Periods: s.Periods[:min(len(s.Periods), int(t/s.Resolution))]}
		d := m.Evaluate(Observation{Now: t, Series: vis})
		st, _ := m.State("ErrorsWithTraffic")
		states = append(states, t.String()+"="+st.String())
		if d.Rollback && at < 0 {
			at = t
			if !strings.Contains(d.Reason, "Errors ALARM") || !strings.Contains(d.Reason, "LowTraffic OK") {
				states = append(states, "bad reason: "+d.Reason)
			}
		}
	}
	return states, at
}

func TestCompositeStateSequence(t *testing.T) {
	p, s := compositeFixture(t, 0, 0)
	states, at := runComposite(p, s, 4*time.Minute)
	want := "1m0s=OK 2m0s=OK 3m0s=ALARM 4m0s=OK"
	if got := strings.Join(states, " "); got != want || at != 3*time.Minute {
		t.Errorf("polled after every evaluation: %s, rollback at %v; want %s, rollback at 3m0s", got, at, want)
	}
	// CodeDeploy polls at 30 s + k·60 s: it sees the ALARM of 3m0s at 3m30s.
	p, s = compositeFixture(t, time.Minute, 30*time.Second)
	if _, at := runComposite(p, s, 4*time.Minute); at != 3*time.Minute+30*time.Second {
		t.Errorf("poll every 60 s at +30 s: rollback at %v, want 3m30s", at)
	}
	// Polls every 2 minutes (at 2m, 4m) miss the one minute in ALARM.
	p, s = compositeFixture(t, 2*time.Minute, 0)
	if _, at := runComposite(p, s, 4*time.Minute); at != -1 {
		t.Errorf("poll every 2 min: rollback at %v, want none (ALARM from 3m to 4m only)", at)
	}
}

func TestCompositeValidate(t *testing.T) {
	p, _ := compositeFixture(t, 0, 0)
	self, _ := ParseAlarmRule("ALARM(A) OR ALARM(Errors)")
	back, _ := ParseAlarmRule("ALARM(B)")
	ghost, _ := ParseAlarmRule("ALARM(Nope)")
	for name, mut := range map[string]func(c *Composite){
		"cycle": func(c *Composite) {
			c.Composites = []CompositeAlarm{{Name: "A", Rule: back}, {Name: "B", Rule: self}}
		},
		"unknown member": func(c *Composite) { c.Composites[0].Rule = ghost },
		"unknown watch":  func(c *Composite) { c.Watch = []string{"Nope"} },
		"duplicate name": func(c *Composite) { c.Composites[0].Name = "Errors" },
		"no rule":        func(c *Composite) { c.Composites[0].Rule = AlarmRule{} },
		"no metric alarm": func(c *Composite) {
			c.Alarms.Alarms = nil
		},
	} {
		c := p
		c.Composites = append([]CompositeAlarm(nil), p.Composites...)
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A composite referring to another evaluates after it.
	inner, _ := ParseAlarmRule("ALARM(Errors)")
	outer, _ := ParseAlarmRule(`ALARM(Inner) AND NOT ALARM(LowTraffic)`)
	c := p
	c.Composites = []CompositeAlarm{{Name: "Outer", Rule: outer}, {Name: "Inner", Rule: inner}}
	c.Watch = []string{"Outer"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m := c.NewMonitor()
	_, s := compositeFixture(t, 0, 0)
	var at time.Duration = -1
	for tt := m.Next(0); tt <= 4*time.Minute; tt = m.Next(tt) {
		vis := &metrics.Series{Resolution: time.Minute, Periods: s.Periods[:int(tt/time.Minute)]}
		if d := m.Evaluate(Observation{Now: tt, Series: vis}); d.Rollback && at < 0 {
			at = tt
		}
	}
	if at != 3*time.Minute {
		t.Errorf("nested composite: rollback at %v, want 3m0s (same instant as the flat rule)", at)
	}
}
