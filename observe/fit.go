package observe

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/deploysim/deploysim/sim"
)

// Options steer Fit.
type Options struct {
	// Start is the instant the replay starts at (zero: the first datapoint
	// of the traffic series). Datapoints before it are not replayed.
	Start time.Time
	// Loop replays the traffic from its start again after its end.
	Loop bool
	// Scale multiplies the traffic (0 means 1): 2 is the growth a team
	// plans for.
	Scale float64
	// Deployment is how long the simulated deployment may run; a series
	// shorter than it, not looped, draws a warning (0: no check).
	Deployment time.Duration
}

// Estimate is a fitted value, its standard error (0 when the value is read,
// not estimated, or when none is known) and where it came from.
type Estimate struct {
	Value  float64
	StdErr float64
	Source string
}

// Dispersion is the test of the errors' period-to-period variation against
// the binomial, and the beta-binomial correlation fitted to it.
type Dispersion struct {
	// Rho is the intra-period correlation ρ: Var e_k = n_k p(1−p)(1+(n_k−1)ρ);
	// 0 when errors are binomial.
	Rho Estimate
	// X2 is Pearson's statistic over Periods periods, with Periods−1
	// degrees of freedom under the binomial, and PValue its upper tail.
	X2      float64
	Periods int
	PValue  float64
	// Overdispersed is set when PValue < DispersionLevel: the simulation
	// then draws a per-period error rate (sim.ErrorDispersion).
	Overdispersed bool
	// Period is the length of the periods tested.
	Period time.Duration
}

// DispersionLevel is the significance level of the overdispersion test.
const DispersionLevel = 0.01

// Calibration is what Fit read from the series.
type Calibration struct {
	// Start is the instant minute 0 of PerMinute begins.
	Start time.Time
	// PerMinute[k] is the expected number of arrivals in minute k of the
	// replay, Scale included: a piecewise-constant Poisson rate.
	PerMinute []float64
	Loop      bool
	Scale     float64
	// Traffic names the series the arrivals came from.
	Traffic string
	// MeanRate and PeakRate are the mean and the largest per-minute rate of
	// PerMinute, in requests per second.
	MeanRate, PeakRate Estimate

	// ErrorRate is the baseline error rate p̂ = ΣErrors/ΣInvocations (Value
	// < 0 when no error series was read), with its standard error robust to
	// overdispersion (the ratio estimator's, √Σ(e_k − n_k p̂)² / Σn_k).
	ErrorRate  Estimate
	Dispersion Dispersion

	// LatencyP50 and LatencyP99 are the lognormal fitted to the duration
	// percentiles, in milliseconds (Value 0 when no duration was read).
	LatencyP50, LatencyP99 Estimate
	// LatencyFit lists the percentiles fitted and their fitted values.
	LatencyFit []PercentileFit
	// APIOverhead is API Gateway's Latency minus the function's time
	// (IntegrationLatency, or Lambda's Duration), in milliseconds: what an
	// API Gateway Latency alarm sees on top of the function (0 when not read).
	APIOverhead Estimate

	// MaxConcurrency and MeanConcurrency are read from ConcurrentExecutions
	// (Value 0 when not read); ThrottleRate is ΣThrottles /
	// (ΣInvocations + ΣThrottles) (Value < 0 when Throttles was not read).
	MaxConcurrency, MeanConcurrency, ThrottleRate Estimate
	// ConcurrencyLimit is the limit the function ran into: the peak
	// concurrency when throttles were seen (0 when none were).
	ConcurrencyLimit Estimate

	Warnings []string
}

// PercentileFit is one percentile of the latency fit: the file's value
// (the median over periods of that statistic) and the lognormal's.
type PercentileFit struct {
	P           float64 // percentile, 0..100
	File, Model float64 // milliseconds
}

// Fit reads the traffic, error rate and dispersion, latency and
// concurrency from the series (see the package doc for the model). Only
// the traffic is required.
func Fit(series []Series, opt Options) (Calibration, error) {
	c := Calibration{Loop: opt.Loop, Scale: opt.Scale, ErrorRate: Estimate{Value: -1}, ThrottleRate: Estimate{Value: -1}}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if !(c.Scale > 0) || math.IsInf(c.Scale, 1) {
		return c, fmt.Errorf("observe: Options.Scale = %v: must be a finite factor > 0", opt.Scale)
	}
	for _, s := range series {
		if s.Partial {
			c.warn("%s: PartialData: the series may stop before the end of the range", s.Source)
		}
		if s.Metric == Unknown {
			c.warn("%s: not a metric observe knows (name the query after one: inv, err, thr, dur_p99, conc, count, 5xx, latency; or pass the --metric-data-queries file too): left out", s.Source)
		}
	}
	if err := c.fitTraffic(series, opt); err != nil {
		return c, err
	}
	c.fitErrors(series)
	c.fitLatency(series)
	c.fitConcurrency(series)
	return c, nil
}

func (c *Calibration) warn(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// pick returns the series of metric m and statistic stat: the one for the
// function or alias as a whole if there is one, else the per-version ones
// (to be summed).
func pick(series []Series, m Metric, stat string) []*Series {
	var whole, versions []*Series
	for i := range series {
		s := &series[i]
		if s.Metric != m || s.Stat != stat || len(s.Points) == 0 {
			continue
		}
		if s.Version == "" {
			whole = append(whole, s)
		} else {
			versions = append(versions, s)
		}
	}
	if len(whole) > 0 {
		return whole[:1]
	}
	return versions
}

// sumByTime adds the series' values period by period.
func sumByTime(ss []*Series) (map[time.Time]float64, time.Duration) {
	out := map[time.Time]float64{}
	var period time.Duration
	for _, s := range ss {
		if s.Period > 0 && (period == 0 || s.Period < period) {
			period = s.Period
		}
		for _, p := range s.Points {
			out[p.T] += p.V
		}
	}
	return out, period
}

func sources(ss []*Series) string {
	if len(ss) == 1 {
		return ss[0].Source
	}
	return fmt.Sprintf("%s and %d more (summed over ExecutedVersion)", ss[0].Source, len(ss)-1)
}

func sortedTimes(m map[time.Time]float64) []time.Time {
	ts := make([]time.Time, 0, len(m))
	for t := range m {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts
}

// maxReplayMinutes bounds the replayed profile: 50 days, as sim.Trace.
const maxReplayMinutes = 50 * 1440

func (c *Calibration) fitTraffic(series []Series, opt Options) error {
	var main []*Series
	for _, m := range []Metric{Invocations, Count, Requests} {
		if main = pick(series, m, "Sum"); len(main) > 0 {
			break
		}
	}
	if len(main) == 0 {
		return errors.New("observe: no traffic: want a Sum of Invocations (Lambda), Count (API Gateway), a Prometheus request rate, an Azure trace or a timestamp,count CSV")
	}
	counts, period := sumByTime(main)
	c.Traffic = sources(main)
	if main[0].Metric == Invocations {
		if thr := pick(series, Throttles, "Sum"); len(thr) > 0 {
			tc, _ := sumByTime(thr)
			for t, v := range tc {
				counts[t] += v
			}
			c.Traffic += " + " + sources(thr) + " (throttled calls arrive too)"
		} else {
			c.warn("no Throttles series: the arrivals are the Invocations only (a throttled call is not counted in Invocations)")
		}
	}
	if period <= 0 {
		period = time.Minute
		c.warn("%s: one datapoint: read as one minute", c.Traffic)
	}
	ts := sortedTimes(counts)
	first, last := ts[0], ts[len(ts)-1].Add(period)
	start := opt.Start
	if start.IsZero() {
		start = first
	}
	if !start.Before(last) {
		return fmt.Errorf("observe: start %s: must be before the traffic's end %s", start.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	if start.Before(first) {
		c.warn("start %s is before the first datapoint %s: the minutes before it have no traffic", start.Format(time.RFC3339), first.Format(time.RFC3339))
	}
	c.Start = start
	n := int(math.Ceil(float64(last.Sub(start)) / float64(time.Minute)))
	if n > maxReplayMinutes {
		return fmt.Errorf("observe: traffic spans %d minutes from the start: must be at most %d (50 days)", n, maxReplayMinutes)
	}
	c.PerMinute = make([]float64, n)
	gaps := 0
	for i, t := range ts {
		if i > 0 {
			gaps += int(t.Sub(ts[i-1])/period) - 1
		}
		// Spread the period's count over the minutes it overlaps.
		a, b := t.Sub(start), t.Add(period).Sub(start)
		for a < b {
			k := int(a / time.Minute)
			if a < 0 {
				a = min(b, 0)
				continue
			}
			end := min(b, time.Duration(k+1)*time.Minute)
			if k < n {
				c.PerMinute[k] += float64(counts[t] * float64(end-a) / float64(period) * c.Scale) // converted: no fused multiply-add on arm64 (the same fit on every GOARCH)
			}
			a = end
		}
	}
	if gaps > 0 {
		c.warn("%s: %d periods of %v missing between the first and last datapoint: replayed as no traffic (CloudWatch leaves out periods without data)", sources(main), gaps, period)
	}
	if d := time.Duration(n) * time.Minute; opt.Deployment > 0 && !opt.Loop && d < opt.Deployment {
		c.warn("the traffic covers %v from the start, shorter than the deployment (%v): no traffic after it (set loop to replay it)", d, opt.Deployment)
	}
	sum, peak := 0.0, 0.0
	for _, v := range c.PerMinute {
		sum += v
		peak = math.Max(peak, v)
	}
	src := fmt.Sprintf("%d minutes from %s of %s", n, start.Format(time.RFC3339), c.Traffic)
	if c.Scale != 1 {
		src += fmt.Sprintf(", scaled ×%g", c.Scale)
	}
	c.MeanRate = Estimate{Value: sum / float64(n) / 60, Source: "mean per-minute count / 60 over " + src}
	c.PeakRate = Estimate{Value: peak / 60, Source: "largest per-minute count / 60 over " + src}
	return nil
}

// errorPair is one period's errors e out of n.
type errorPair struct{ e, n float64 }

func (c *Calibration) fitErrors(series []Series) {
	var errs, base []*Series
	for _, pr := range [][2]Metric{{Errors, Invocations}, {Error5XX, Count}, {RequestErrors, Requests}} {
		errs, base = pick(series, pr[0], "Sum"), pick(series, pr[1], "Sum")
		if len(errs) > 0 && len(base) == 0 && pr[0] == Errors {
			base = pick(series, Errors, "SampleCount") // Errors has one sample per invocation
		}
		if len(errs) > 0 && len(base) > 0 {
			break
		}
	}
	if len(errs) == 0 || len(base) == 0 {
		c.warn("no error series with its invocations (Errors + Invocations, 5XXError + Count, or a Prometheus 5xx rate): baseline error rate not calibrated")
		return
	}
	ec, period := sumByTime(errs)
	nc, _ := sumByTime(base)
	var pairs []errorPair
	E, N := 0.0, 0.0
	orphan := 0
	for _, t := range sortedTimes(nc) {
		n := nc[t]
		if n <= 0 {
			continue
		}
		e, ok := ec[t]
		if !ok {
			orphan++ // CloudWatch has no Errors datapoint in a period without invocations; with some, a gap
			continue
		}
		if e > n {
			c.warn("%s at %s: %v errors of %v calls: clipped to the calls", sources(errs), t.Format(time.RFC3339), e, n)
			e = n
		}
		pairs = append(pairs, errorPair{e, n})
		E += e
		N += n
	}
	if orphan > 0 {
		c.warn("%s: %d periods with calls but no error datapoint: left out of the error rate", sources(errs), orphan)
	}
	if N == 0 {
		c.warn("%s: no period with both errors and calls: baseline error rate not calibrated", sources(errs))
		return
	}
	p := E / N
	ss := 0.0
	for _, x := range pairs {
		d := x.e - float64(x.n*p)
		ss += float64(d * d)
	}
	src := fmt.Sprintf("Σerrors/Σcalls = %g/%g over %d periods of %v: %s over %s", E, N, len(pairs), period, sources(errs), sources(base))
	c.ErrorRate = Estimate{Value: p, StdErr: math.Sqrt(ss) / N, Source: src}
	c.Dispersion = dispersion(pairs, p, period)
	if c.Dispersion.Overdispersed {
		c.Dispersion.Rho.Source = fmt.Sprintf("beta-binomial moments: X² = %.4g on %d df (p = %.2g): errors vary more from period to period than independent requests would", c.Dispersion.X2, c.Dispersion.Periods-1, c.Dispersion.PValue)
	} else {
		c.Dispersion.Rho.Source = fmt.Sprintf("X² = %.4g on %d df (p = %.2g): no overdispersion at the %g level, errors modelled as binomial", c.Dispersion.X2, c.Dispersion.Periods-1, c.Dispersion.PValue, DispersionLevel)
	}
}

// dispersion tests the pairs against the binomial with rate p and fits the
// beta-binomial's ρ by moments: E[X²] = (K−1) + ρ·(Σ(n_k−1) − Σn_k(n_k−1)/N)
// (exact for known n_k, with p̂ estimated from the same data).
func dispersion(pairs []errorPair, p float64, period time.Duration) Dispersion {
	d := Dispersion{Periods: len(pairs), Period: period, PValue: 1}
	if len(pairs) < 2 || p <= 0 || p >= 1 {
		return d
	}
	N, a, b := 0.0, 0.0, 0.0
	for _, x := range pairs {
		N += x.n
	}
	for _, x := range pairs {
		r := x.e - float64(x.n*p)
		d.X2 += r * r / (x.n * p * (1 - p))
		a += x.n - 1
		b += x.n * (x.n - 1) / N
	}
	df := float64(len(pairs) - 1)
	d.PValue = distuv.ChiSquared{K: df}.Survival(d.X2)
	d.Overdispersed = d.PValue < DispersionLevel
	if den := a - b; den > 0 {
		if d.Overdispersed {
			d.Rho.Value = math.Min(1, math.Max(0, (d.X2-df)/den))
		}
		d.Rho.StdErr = math.Sqrt(2*df) / den // X²'s standard deviation under the binomial
	}
	return d
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	if n := len(y); n%2 == 1 {
		return y[n/2]
	} else {
		return (y[n/2-1] + y[n/2]) / 2
	}
}

func values(s *Series) []float64 {
	v := make([]float64, len(s.Points))
	for i, p := range s.Points {
		v[i] = p.V
	}
	return v
}

// z is Φ⁻¹(p).
func z(p float64) float64 { return float64(math.Sqrt2 * math.Erfinv(float64(2*p)-1)) }

// z99 is Φ⁻¹(0.99), the one sim.LogNormalFromQuantiles uses.
var z99 = z(0.99)

func (c *Calibration) fitLatency(series []Series) {
	var chosen Metric
	for _, m := range []Metric{Duration, IntegrationLatency, Latency} {
		for i := range series {
			if series[i].Metric == m && len(series[i].Points) > 0 {
				chosen = m
				break
			}
		}
		if chosen != Unknown {
			break
		}
	}
	if chosen == Unknown {
		c.warn("no Duration or Latency series: latency not calibrated")
		return
	}
	type obs struct {
		p, q float64
		src  string
	}
	var qs []obs
	avg := math.NaN()
	avgSrc := ""
	seen := map[string]bool{}
	for i := range series {
		s := &series[i]
		if s.Metric != chosen || len(s.Points) == 0 || seen[s.Stat] {
			continue
		}
		if s.Version != "" && len(pick(series, chosen, s.Stat)) > 0 && pick(series, chosen, s.Stat)[0] != s {
			continue // a percentile of one version when the whole is there, or of a second version
		}
		seen[s.Stat] = true
		m := median(values(s))
		if p, ok := percentile(s.Stat); ok && p > 0 && p < 100 && m > 0 {
			qs = append(qs, obs{p, m, s.Source})
		} else if s.Stat == "Average" && m > 0 {
			avg, avgSrc = m, s.Source
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].p < qs[j].p })
	var mu, sigma float64
	var how string
	switch {
	case len(qs) >= 2:
		// Least squares of ln q on z_p.
		var sz, sq, szz, szq float64
		for _, o := range qs {
			zz, lq := z(o.p/100), math.Log(o.q)
			sz += zz
			sq += lq
			szz += float64(zz * zz) // converted: no fused multiply-add on arm64
			szq += float64(zz * lq)
		}
		n := float64(len(qs))
		sigma = (float64(n*szq) - float64(sz*sq)) / (float64(n*szz) - float64(sz*sz))
		mu = (sq - float64(sigma*sz)) / n
		if sigma < 0 {
			sigma = 0
		}
		how = "lognormal least squares of ln q on z over"
	case len(qs) == 1 && !math.IsNaN(avg) && qs[0].p == 50 && avg >= qs[0].q:
		mu = math.Log(qs[0].q)
		sigma = math.Sqrt(2 * (math.Log(avg) - mu))
		how = "lognormal through the median and the mean (Average = exp(μ+σ²/2)) of"
	default:
		// One statistic: keep the default shape (p99/p50 = 5) through it.
		def := sim.LogNormalFromQuantiles(100, 500, nil)
		sigma = def.Sigma
		switch {
		case len(qs) == 1:
			mu = math.Log(qs[0].q) - float64(sigma*z(qs[0].p/100))
		default:
			mu = math.Log(avg) - float64(sigma*sigma/2)
		}
		how = "one statistic only: the default spread (p99 = 5 × p50) through"
		c.warn("latency: only one statistic of %v: its spread is assumed (p99 = 5 × p50); export p50, p90 and p99 to fit it", chosen)
	}
	var srcs []string
	for _, o := range qs {
		srcs = append(srcs, o.src)
		c.LatencyFit = append(c.LatencyFit, PercentileFit{P: o.p, File: o.q, Model: math.Exp(mu + float64(sigma*z(o.p/100)))})
	}
	if avgSrc != "" {
		srcs = append(srcs, avgSrc)
	}
	src := fmt.Sprintf("%s the median over periods of %v", how, srcs)
	// The fit's own error: the largest relative misfit of a percentile.
	misfit := 0.0
	for _, f := range c.LatencyFit {
		misfit = math.Max(misfit, math.Abs(f.Model-f.File)/f.File)
	}
	c.LatencyP50 = Estimate{Value: math.Exp(mu), StdErr: misfit * math.Exp(mu), Source: src}
	c.LatencyP99 = Estimate{Value: math.Exp(mu + float64(sigma*z99)), StdErr: misfit * math.Exp(mu+float64(sigma*z99)), Source: src}
	if misfit > 0.2 {
		c.warn("latency: the lognormal misses a percentile by %.0f%%: the simulated tail is an approximation", 100*misfit)
	}
	if chosen != Duration {
		c.warn("latency from API Gateway's %v, not Lambda's Duration", chosen)
	}
	// API Gateway overhead on top of the function.
	lat := pick(series, Latency, "Average")
	fn := pick(series, IntegrationLatency, "Average")
	if len(fn) == 0 {
		fn = pick(series, Duration, "Average")
	}
	if len(lat) > 0 && len(fn) > 0 {
		lv, fv := median(values(lat[0])), median(values(fn[0]))
		c.APIOverhead = Estimate{Value: math.Max(0, lv-fv), Source: fmt.Sprintf("median %s − median %s", lat[0].Source, fn[0].Source)}
	}
}

func (c *Calibration) fitConcurrency(series []Series) {
	if mx := pick(series, ConcurrentExecutions, "Maximum"); len(mx) > 0 {
		v := values(mx[0])
		peak := 0.0
		for _, x := range v {
			peak = math.Max(peak, x)
		}
		c.MaxConcurrency = Estimate{Value: peak, Source: "largest Maximum of " + mx[0].Source}
	}
	if av := pick(series, ConcurrentExecutions, "Average"); len(av) > 0 {
		v := values(av[0])
		s := 0.0
		for _, x := range v {
			s += x
		}
		c.MeanConcurrency = Estimate{Value: s / float64(len(v)), Source: "mean Average of " + av[0].Source}
	}
	inv, thr := pick(series, Invocations, "Sum"), pick(series, Throttles, "Sum")
	if len(thr) == 0 {
		return
	}
	ic, _ := sumByTime(inv)
	tc, _ := sumByTime(thr)
	I, T := 0.0, 0.0
	for _, v := range ic {
		I += v
	}
	for _, v := range tc {
		T += v
	}
	if I+T == 0 {
		return
	}
	r := T / (I + T)
	c.ThrottleRate = Estimate{Value: r, StdErr: math.Sqrt(r * (1 - r) / (I + T)), Source: fmt.Sprintf("ΣThrottles/(ΣInvocations+ΣThrottles) = %g/%g", T, I+T)}
	if T > 0 {
		if c.MaxConcurrency.Value > 0 {
			c.ConcurrencyLimit = Estimate{Value: c.MaxConcurrency.Value, Source: fmt.Sprintf("%d throttles with a peak ConcurrentExecutions of %g: the limit the function ran into", int64(T), c.MaxConcurrency.Value)}
		} else {
			c.warn("%g throttled calls but no ConcurrentExecutions Maximum: the concurrency limit is not calibrated (export conc_max)", T)
		}
	}
}

// Trace is the replayed traffic as the simulator's per-second trace: each
// second of minute k has PerMinute[k]/60 expected arrivals, Poisson.
func (c *Calibration) Trace() sim.Trace {
	t := sim.Trace{Counts: make([]float64, 60*len(c.PerMinute)), Loop: c.Loop}
	for k, v := range c.PerMinute {
		for s := 0; s < 60; s++ {
			t.Counts[60*k+s] = v / 60
		}
	}
	return t
}

// Apply sets in s what the calibration knows: the workload (the replayed
// trace), both versions' error probability, latency and per-period
// dispersion, and, when throttles were seen, the concurrency limit the
// function ran into (turning the execution model on with its defaults if
// it is off). What was not calibrated is left as s has it.
func (c *Calibration) Apply(s *sim.Scenario) {
	s.Workload = c.Trace()
	for _, v := range []*sim.Version{&s.Baseline, &s.Candidate} {
		if c.ErrorRate.Value >= 0 {
			v.ErrorProb = c.ErrorRate.Value
		}
		if c.LatencyP50.Value > 0 {
			v.P50 = msDuration(c.LatencyP50.Value)
			v.P99 = max(v.P50, msDuration(c.LatencyP99.Value))
			v.Latency = nil
		}
	}
	if c.Dispersion.Overdispersed && c.Dispersion.Rho.Value > 0 {
		s.ErrorDispersion = sim.ErrorDispersion{Rho: c.Dispersion.Rho.Value, Period: c.Dispersion.Period}
		if s.ErrorDispersion.Period < time.Second {
			s.ErrorDispersion.Period = 0
		}
	}
	if c.ConcurrencyLimit.Value > 0 {
		if !s.Concurrency.Enabled {
			s.Concurrency = sim.DefaultConcurrency()
		}
		l := int(c.ConcurrencyLimit.Value)
		s.Concurrency.ReservedLimit = l
		s.Concurrency.AccountLimit = max(s.Concurrency.AccountLimit, l+sim.MinUnreserved)
	}
}

// msDuration is a time in milliseconds as a Duration, rounded to the
// microsecond.
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*1000)) * time.Microsecond
}
