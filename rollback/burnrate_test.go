package rollback

import (
	"strings"
	"testing"
	"time"
)

// runBurn steps the monitor up to end, showing the periods ended by each
// instant, and returns condition 0's state after each minute and the
// first rollback instant (-1: none).
func runBurn(p BurnRate, inv, errs []float64, end time.Duration) ([]string, time.Duration) {
	s := aliasSeries(inv, errs)
	m := p.NewMonitor()
	var states []string
	at := time.Duration(-1)
	for t := m.Next(0); t <= end; t = m.Next(t) {
		vis := *s
		vis.Periods = s.Periods[:min(len(s.Periods), int(t/time.Minute))]
		d := m.Evaluate(Observation{Now: t, Series: &vis})
		if t%time.Minute == 0 {
			states = append(states, m.State(0).String())
		}
		if d.Rollback && at < 0 {
			at = t
		}
	}
	return states, at
}

// A 99 % SLO (budget 1 %) with one condition, 5× over 4 min and 1 min:
// the error ratio must exceed 5 % over both. 100 calls a minute, errors
// 0, 10, 10, 0, 0, 0, 30, 0. Hand-computed, at the end of minute t the long
// window holds minutes max(0, t−4)…t−1 and the short one minute t−1:
//
//	t=1: long 0/100 → OK
//	t=2: long 10/200 = 5 % (not above), short 10 % → OK
//	t=3: long 20/300 = 6.7 %, short 10 % → ALARM
//	t=4: long 20/400 = 5 % → OK (and short 0 %)
//	t=5: long 20/400 = 5 % → OK
//	t=6: long 10/400 → OK
//	t=7: long 30/400 = 7.5 %, short 30 % → ALARM
//	t=8: long 30/400, short 0 % → OK: the short window resets the alert
func TestBurnRateStateSequence(t *testing.T) {
	p := BurnRate{SLO: 0.99, Windows: []BurnWindow{{Long: 4 * time.Minute, Short: time.Minute, Factor: 5}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	inv := []float64{100, 100, 100, 100, 100, 100, 100, 100}
	errs := []float64{0, 10, 10, 0, 0, 0, 30, 0}
	states, at := runBurn(p, inv, errs, 8*time.Minute)
	want := "OK OK ALARM OK OK OK ALARM OK"
	if got := strings.Join(states, " "); got != want || at != 3*time.Minute {
		t.Errorf("states %s, rollback at %v; want %s, at 3m0s", got, at, want)
	}
	// CodeDeploy polls every 2 minutes from 1 min: 1m, 3m, 5m … sees 3m.
	p.PollInterval, p.PollOffset = 2*time.Minute, time.Minute
	if _, at := runBurn(p, inv, errs, 8*time.Minute); at != 3*time.Minute {
		t.Errorf("polls at 1m+2k min: rollback at %v, want 3m0s", at)
	}
	// Polls at 2m, 4m, 6m, 8m miss both minutes in ALARM.
	p.PollOffset = 0
	if _, at := runBurn(p, inv, errs, 8*time.Minute); at != -1 {
		t.Errorf("polls at 2k min: rollback at %v, want none", at)
	}
}

// The workbook's windows for 99.9 %: a steady 1.5 % error ratio burns at
// 15×, above 14.4×: the 1 h and 5 min windows alarm at the first minute
// (the run has no data from before the deployment, see BurnRate), while
// 1.4 % (14×) alarms neither condition (the 6 h one needs only 6×: it
// does). No calls at all is INSUFFICIENT_DATA.
func TestBurnRateWorkbook(t *testing.T) {
	p := SREWorkbook(0.999)
	p.PollInterval = 0
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	inv := []float64{1000, 1000, 1000}
	m := p.NewMonitor()
	s := aliasSeries(inv, []float64{15, 15, 15})
	d := m.Evaluate(Observation{Now: time.Minute, Series: s})
	if !d.Rollback || m.State(0) != StateAlarm || m.State(1) != StateAlarm {
		t.Errorf("1.5 %%: %+v, states %v %v", d, m.State(0), m.State(1))
	}
	if l, sh := m.Burn(0); l < 14.99 || l > 15.01 || sh < 14.99 || sh > 15.01 {
		t.Errorf("burn rates %v %v, want 15", l, sh)
	}
	m = p.NewMonitor()
	m.Evaluate(Observation{Now: time.Minute, Series: aliasSeries(inv, []float64{14, 14, 14})})
	if m.State(0) != StateOK || m.State(1) != StateAlarm {
		t.Errorf("1.4 %%: states %v %v, want OK ALARM", m.State(0), m.State(1))
	}
	m = p.NewMonitor()
	m.Evaluate(Observation{Now: time.Minute, Series: aliasSeries([]float64{0}, []float64{0})})
	if m.State(0) != StateInsufficientData {
		t.Errorf("no calls: %v, want INSUFFICIENT_DATA", m.State(0))
	}
	want := `(ALARM("burn-1h0m0s-14.4x") AND ALARM("burn-5m0s-14.4x")) OR (ALARM("burn-6h0m0s-6x") AND ALARM("burn-30m0s-6x"))`
	if got := p.AlarmRule(); got != want {
		t.Errorf("AlarmRule = %s", got)
	}
	if _, err := ParseAlarmRule(p.AlarmRule()); err != nil {
		t.Errorf("AlarmRule does not parse: %v", err)
	}
	for _, bad := range []BurnRate{{SLO: 1}, {SLO: 0.99, Windows: []BurnWindow{{Long: time.Minute, Short: time.Minute, Factor: 2}}},
		{SLO: 0.99, Windows: []BurnWindow{{Long: 90 * time.Second, Short: 30 * time.Second, Factor: 2}}},
		{SLO: 0.99, Windows: []BurnWindow{{Long: time.Hour, Short: time.Minute, Factor: 0}}}, {SLO: 0.99, PollOffset: time.Second}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
