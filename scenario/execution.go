package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

// The calibrated traffic (traffic: minutes), the error dispersion and the
// execution settings a team knows about its function: reserved concurrency
// (concurrency_limit), the account's concurrency, provisioned concurrency of
// each version, the scaling rate limit, cold-start init duration and
// keep-alive. Any of them but the dispersion turns on the simulator's
// execution model (sim.Concurrency), as concurrency_limit does.

var executionSettings = []Setting{
	{Key: "per_minute", Arg: "LIST", Usage: "with traffic minutes: expected requests in each minute from the start, comma-separated (deploysim calibrate writes it), scaled so that their mean rate is rps",
		apply: func(c *File, v string) error {
			c.PerMinute = nil
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				x, err := strconv.ParseFloat(f, 64)
				if err != nil || !(x >= 0) || math.IsInf(x, 1) {
					return fmt.Errorf("must be comma-separated counts >= 0")
				}
				c.PerMinute = append(c.PerMinute, x)
			}
			return nil
		},
		show: func(c *File) string {
			s := make([]string, len(c.PerMinute))
			for i, x := range c.PerMinute {
				s[i] = strconv.FormatFloat(x, 'g', -1, 64)
			}
			return strings.Join(s, ",")
		}},
	boolSetting("traffic_loop", "with traffic minutes: replay the per_minute profile from its start after its end", func(c *File) *bool { return &c.TrafficLoop }),
	floatSetting("error_dispersion", "RHO", "period-to-period dispersion of both versions' error rate: the beta-binomial's intra-period correlation ρ (0: binomial errors; deploysim calibrate fits it)", func(c *File) *float64 { return &c.ErrorDispersion }),
	durSetting("error_dispersion_period", "period over which a dispersed error rate holds (0: one minute)", func(c *File) *Duration { return &c.ErrorDispersionPeriod }),
	boolSetting("execution_model", "model execution environments (cold starts, keep-alive, throttles) even without a concurrency limit; implied by concurrency_limit, provisioned_* and scaling_limit", func(c *File) *bool { return &c.ExecutionModel }),
	intSetting("account_concurrency", "the account's concurrency available to the function (0: Lambda's default 1,000, raised to concurrency_limit + 100 when the reservation needs it)", func(c *File) *int { return &c.AccountConcurrency }),
	intSetting("provisioned_baseline", "provisioned concurrency of the version serving before the deployment (environments kept initialised)", func(c *File) *int { return &c.ProvisionedBaseline }),
	intSetting("provisioned_candidate", "provisioned concurrency of the version being deployed (AWS advises raising it during weighted routing)", func(c *File) *int { return &c.ProvisionedCandidate }),
	boolSetting("scaling_limit", "cap the creation of environments at 1,000 per 10 s, as Lambda scales", func(c *File) *bool { return &c.ScalingLimit }),
	durSetting("init_p50", "median cold-start init duration (lognormal)", func(c *File) *Duration { return &c.InitP50 }),
	durSetting("init_p99", "99th percentile cold-start init duration", func(c *File) *Duration { return &c.InitP99 }),
	durSetting("keep_alive", "how long an idle environment stays warm", func(c *File) *Duration { return &c.KeepAlive }),
	floatSetting("slo", "RATIO", "policy burnrate: the availability objective (0.999: 99.9 % good requests); the alias is paged at 14.4× the error budget's burn over 1 h and 5 min, or 6× over 6 h and 30 min", func(c *File) *float64 { return &c.SLO }),
}

func (c *File) defaultExecution() {
	c.InitP50 = Duration(sim.DefaultInitP50)
	c.InitP99 = Duration(sim.DefaultInitP99)
	c.KeepAlive = Duration(sim.DefaultKeepAlive)
	c.SLO = 0.999
}

// burnRatePolicy is the SRE workbook's paging alert on the alias's error
// budget, polled by CodeDeploy every poll_interval.
func (c *File) burnRatePolicy() rollback.Policy {
	p := rollback.SREWorkbook(c.SLO)
	p.PollInterval = time.Duration(c.PollInterval)
	return p
}

// executionOn reports whether the settings need the execution model.
func (c *File) executionOn() bool {
	return c.ExecutionModel || c.ConcurrencyLimit > 0 || c.ProvisionedBaseline > 0 || c.ProvisionedCandidate > 0 || c.ScalingLimit
}

// maxPerMinute bounds the per_minute profile: 50 days, as sim.Trace.
const maxPerMinute = 50 * 1440

func (c *File) validateExecution() error {
	if c.Traffic == "minutes" && len(c.PerMinute) == 0 {
		return c.bad("traffic", `"minutes"`, "needs per_minute, the expected requests of each minute (deploysim calibrate writes it)")
	}
	if len(c.PerMinute) > maxPerMinute {
		return c.bad("per_minute", fmt.Sprintf("%d minutes", len(c.PerMinute)), fmt.Sprintf("must be at most %d (50 days)", maxPerMinute))
	}
	for i, v := range c.PerMinute {
		if !(v >= 0) || math.IsInf(v, 1) {
			return c.bad(fmt.Sprintf("per_minute[%d]", i), v, "must be a finite count >= 0")
		}
	}
	if c.Traffic == "minutes" && perMinuteMean(c.PerMinute) == 0 && c.RPS > 0 {
		return c.bad("per_minute", "all 0", "has no traffic to scale to rps")
	}
	if !(c.SLO > 0 && c.SLO < 1) {
		return c.bad("slo", c.SLO, "must be in (0, 1): 0.999 for 99.9 % good requests")
	}
	if !(c.ErrorDispersion >= 0 && c.ErrorDispersion < 1) {
		return c.bad("error_dispersion", c.ErrorDispersion, "must be in [0, 1) (0: binomial errors)")
	}
	if c.ErrorDispersionPeriod != 0 && time.Duration(c.ErrorDispersionPeriod) < time.Second {
		return c.bad("error_dispersion_period", c.ErrorDispersionPeriod, "must be 0 (one minute) or >= 1s")
	}
	for _, kv := range []struct {
		key string
		n   int
	}{{"account_concurrency", c.AccountConcurrency}, {"provisioned_baseline", c.ProvisionedBaseline}, {"provisioned_candidate", c.ProvisionedCandidate}} {
		if kv.n < 0 {
			return c.bad(kv.key, kv.n, "must be >= 0")
		}
	}
	if c.AccountConcurrency > 0 && c.ConcurrencyLimit > c.AccountConcurrency-sim.MinUnreserved {
		return c.bad("concurrency_limit", c.ConcurrencyLimit, fmt.Sprintf("must be <= account_concurrency - %d = %d (Lambda keeps %d unreserved)", sim.MinUnreserved, c.AccountConcurrency-sim.MinUnreserved, sim.MinUnreserved))
	}
	if c.executionOn() {
		if c.InitP50 <= 0 {
			return c.bad("init_p50", c.InitP50, "must be > 0")
		}
		if c.InitP99 < c.InitP50 {
			return c.bad("init_p99", c.InitP99, fmt.Sprintf("must be >= init_p50 (%v)", c.InitP50))
		}
		if c.KeepAlive <= 0 {
			return c.bad("keep_alive", c.KeepAlive, "must be > 0")
		}
	}
	return nil
}

func perMinuteMean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	if len(v) == 0 {
		return 0
	}
	return s / float64(len(v))
}

// minutesWorkload is the per_minute profile as a Poisson trace, scaled so
// that its mean rate is rps (deploysim calibrate writes rps as the
// profile's mean, so that --rps rescales the day's shape).
func (c *File) minutesWorkload() sim.Workload {
	f := 1.0
	if m := perMinuteMean(c.PerMinute) / 60; m > 0 {
		f = c.RPS / m
	}
	t := sim.Trace{Counts: make([]float64, 60*len(c.PerMinute)), Loop: c.TrafficLoop}
	for k, v := range c.PerMinute {
		for s := 0; s < 60; s++ {
			t.Counts[60*k+s] = v * f / 60
		}
	}
	return t
}

// applyExecution sets the dispersion and the execution model in sc.
func (c *File) applyExecution(sc *sim.Scenario) {
	sc.ErrorDispersion = sim.ErrorDispersion{Rho: c.ErrorDispersion, Period: time.Duration(c.ErrorDispersionPeriod)}
	if !c.executionOn() {
		return
	}
	sc.Concurrency = sim.DefaultConcurrency()
	sc.Concurrency.ReservedLimit = c.ConcurrencyLimit
	if c.AccountConcurrency > 0 {
		sc.Concurrency.AccountLimit = c.AccountConcurrency
	} else if c.ConcurrencyLimit > 0 {
		sc.Concurrency.AccountLimit = max(sc.Concurrency.AccountLimit, c.ConcurrencyLimit+sim.MinUnreserved)
	}
	sc.Concurrency.InitP50, sc.Concurrency.InitP99 = time.Duration(c.InitP50), time.Duration(c.InitP99)
	sc.Concurrency.KeepAlive = time.Duration(c.KeepAlive)
	sc.Concurrency.ScalingLimit = c.ScalingLimit
	sc.Baseline.Provisioned, sc.Candidate.Provisioned = c.ProvisionedBaseline, c.ProvisionedCandidate
}
