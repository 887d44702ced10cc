package scenario

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// The execution keys reach sim.Concurrency and the versions; the profile is
// scaled to rps.
func TestExecutionSettings(t *testing.T) {
	f, err := Decode("x.yaml", []byte(`
traffic: minutes
per_minute: [60, 120, 180]
rps: 4
traffic_loop: true
error_dispersion: 0.02
error_dispersion_period: 5m
concurrency_limit: 50
account_concurrency: 400
provisioned_baseline: 10
provisioned_candidate: 5
scaling_limit: true
init_p50: 200ms
init_p99: 2s
keep_alive: 5m
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	sc, err := f.Scenario(strategy.LambdaAllAtOnce)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Concurrency
	if !c.Enabled || c.ReservedLimit != 50 || c.AccountLimit != 400 || !c.ScalingLimit || c.InitP50 != 200*time.Millisecond ||
		c.InitP99 != 2*time.Second || c.KeepAlive != 5*time.Minute || sc.Baseline.Provisioned != 10 || sc.Candidate.Provisioned != 5 {
		t.Errorf("concurrency %+v, provisioned %d/%d", c, sc.Baseline.Provisioned, sc.Candidate.Provisioned)
	}
	if sc.ErrorDispersion != (sim.ErrorDispersion{Rho: 0.02, Period: 5 * time.Minute}) {
		t.Errorf("dispersion %+v", sc.ErrorDispersion)
	}
	tr, ok := sc.Workload.(sim.Trace)
	if !ok || !tr.Loop || len(tr.Counts) != 180 {
		t.Fatalf("workload %T, loop %v", sc.Workload, tr.Loop)
	}
	// Mean 120 a minute = 2/s, scaled to rps 4: minute 0 has 120, i.e. 2 a second.
	if got := tr.Integral(0, time.Minute); math.Abs(got-120) > 1e-9 {
		t.Errorf("minute 0 has %v arrivals, want 120 (60 × rps/mean)", got)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"traffic: minutes", "needs per_minute"},
		{"per_minute: [1, -2]", "per_minute[1]"},
		{"error_dispersion: 1", "error_dispersion"},
		{"concurrency_limit: 950\naccount_concurrency: 1000", "account_concurrency - 100"},
		{"provisioned_candidate: -1", "provisioned_candidate"},
		{"execution_model: true\ninit_p50: 0s", "init_p50"},
	} {
		f, err := Decode("x.yaml", []byte(tc.yaml))
		if err == nil {
			err = f.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// Without an account setting a reservation raises the default 1,000.
	f, _ = Decode("x.yaml", []byte("concurrency_limit: 950"))
	sc, err = f.Scenario(strategy.LambdaAllAtOnce)
	if err != nil || sc.Concurrency.AccountLimit != 1050 {
		t.Errorf("concurrency_limit 950 alone: %v, account %d", err, sc.Concurrency.AccountLimit)
	}
}

// Policy burnrate is the SRE workbook's alert on slo, polled as the
// alarms are.
func TestBurnRatePolicy(t *testing.T) {
	f, err := Decode("x.yaml", []byte("policy: burnrate\nslo: 0.99\npoll_interval: 30s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := f.RollbackPolicy()
	if err != nil {
		t.Fatal(err)
	}
	br, ok := p.(rollback.BurnRate)
	if !ok || br.SLO != 0.99 || br.PollInterval != 30*time.Second || br.Windows != nil {
		t.Errorf("policy %#v, want the workbook's windows on 99 %%, polled every 30 s", p)
	}
	// --poll-interval applies to burnrate as to alarms.
	f.MarkFlag("poll_interval")
	if err := f.Validate(); err != nil {
		t.Errorf("--poll-interval with policy burnrate: %v", err)
	}
	f, _ = Decode("x.yaml", []byte("policy: burnrate\nslo: 1\n"))
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "slo") {
		t.Errorf("slo 1: %v", err)
	}
}
