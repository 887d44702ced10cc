package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Workload is a model of the request arrivals through the alias.
//
// The per-request engine asks it for an arrival process and draws one arrival
// at a time; a bucketed engine instead needs the expected number of arrivals
// over an interval (Integral) and whether, given that, counts in disjoint
// intervals are independent Poisson draws (Poisson).
type Workload interface {
	// Validate reports a bad parameter, naming field, value and rule.
	Validate() error
	// Integral is the expected number of arrivals in [a, b): the integral of
	// the rate λ(t) over it (for a Markov-modulated workload, the rate
	// averaged over the modulating chain started in its stationary state).
	Integral(a, b time.Duration) float64
	// Poisson reports whether the arrivals form a Poisson process with
	// intensity λ(t) (possibly time-varying): the count in [a, b) is then
	// Poisson(Integral(a, b)), independent of other disjoint intervals.
	Poisson() bool
	// Arrivals starts the arrival process of one run, drawing from r.
	Arrivals(r *rand.Rand) Arrivals
}

// Arrivals is the arrival process of one run.
type Arrivals interface {
	// Next returns the instant of the next arrival, not before the previous
	// one, or NoArrival when the process has ended.
	Next() time.Duration
}

// NoArrival is what Arrivals.Next returns when no arrival is left.
const NoArrival time.Duration = math.MaxInt64

// secNs converts a float number of seconds to nanoseconds.
const secNs = float64(time.Second)

// toDuration rounds t (float nanoseconds) to a Duration, saturating at NoArrival.
func toDuration(t float64) time.Duration {
	if !(t < float64(NoArrival)) {
		return NoArrival
	}
	return time.Duration(float64(t) + 0.5) // t converted: a caller's product is not fused into this sum on arm64
}

func rate(name string, r float64) error {
	if !(r >= 0) || math.IsInf(r, 1) {
		return fmt.Errorf("sim: %s = %v: must be finite and >= 0", name, r)
	}
	return nil
}

// Poisson is a homogeneous Poisson process: arrivals at Rate per second on
// average, with exponential gaps, independent of one another.
type Poisson struct {
	Rate float64 // arrivals per second, >= 0
}

// Validate checks that Rate is finite and non-negative.
func (p Poisson) Validate() error { return rate("Poisson.Rate", p.Rate) }

// Integral is Rate·(b-a).
func (p Poisson) Integral(a, b time.Duration) float64 {
	return p.Rate * (b - a).Seconds()
}

// Poisson is true.
func (Poisson) Poisson() bool { return true }

// Arrivals starts the process at 0.
func (p Poisson) Arrivals(r *rand.Rand) Arrivals {
	return &poissonArrivals{gap: secNs / p.Rate, r: r}
}

type poissonArrivals struct {
	t   float64 // nanoseconds
	gap float64 // mean gap, nanoseconds (+Inf at rate 0)
	r   *rand.Rand
}

func (p *poissonArrivals) Next() time.Duration {
	p.t += float64(p.r.ExpFloat64() * p.gap) // converted: no fused multiply-add on arm64
	return toDuration(p.t)
}

// Diurnal is a Poisson process whose rate follows a daily sinusoid,
//
//	λ(t) = Mean·(1 + Amplitude·cos(2π(h(t) - PeakHour)/24)),  h(t) = StartHour + t/1h,
//
// so the rate peaks at Mean·(1+Amplitude) at PeakHour and bottoms out 12 hours
// later. Arrivals are drawn by thinning (Lewis and Shedler, 1979): candidates
// at the peak rate, each kept with probability λ(t)/peak.
type Diurnal struct {
	Mean      float64 // mean arrivals per second over a day, >= 0
	Amplitude float64 // relative swing, in [0, 1]
	PeakHour  float64 // hour of the day (0-24) of the peak
	StartHour float64 // hour of the day (0-24) at which the deployment starts
}

// Validate checks the parameter ranges.
func (d Diurnal) Validate() error {
	if err := rate("Diurnal.Mean", d.Mean); err != nil {
		return err
	}
	if !(d.Amplitude >= 0 && d.Amplitude <= 1) {
		return fmt.Errorf("sim: Diurnal.Amplitude = %v: must be in [0, 1]", d.Amplitude)
	}
	if !(d.PeakHour >= 0 && d.PeakHour <= 24) {
		return fmt.Errorf("sim: Diurnal.PeakHour = %v: must be in [0, 24]", d.PeakHour)
	}
	if !(d.StartHour >= 0 && d.StartHour <= 24) {
		return fmt.Errorf("sim: Diurnal.StartHour = %v: must be in [0, 24]", d.StartHour)
	}
	return nil
}

const day = 24 * 3600.0

func (d Diurnal) phase(t float64) float64 { // t in seconds
	return 2 * math.Pi * (float64((d.StartHour-d.PeakHour)*3600) + t) / day
}

// Rate is λ(t) in arrivals per second.
func (d Diurnal) Rate(t time.Duration) float64 {
	return d.Mean * (1 + float64(d.Amplitude*math.Cos(d.phase(t.Seconds()))))
}

// Integral is Mean·[(b-a) + Amplitude·(day/2π)·(sin θ(b) - sin θ(a))].
func (d Diurnal) Integral(a, b time.Duration) float64 {
	as, bs := a.Seconds(), b.Seconds()
	return d.Mean * ((bs - as) + float64(d.Amplitude*day/(2*math.Pi)*(math.Sin(d.phase(bs))-math.Sin(d.phase(as)))))
}

// Poisson is true.
func (Diurnal) Poisson() bool { return true }

// Arrivals starts the process at 0.
func (d Diurnal) Arrivals(r *rand.Rand) Arrivals {
	peak := d.Mean * (1 + d.Amplitude)
	return &thinning{rate: d.Rate, peak: peak, gap: secNs / peak, r: r}
}

// thinning draws a non-homogeneous Poisson process with rate(t) <= peak.
type thinning struct {
	rate func(time.Duration) float64
	peak float64
	gap  float64
	t    float64
	r    *rand.Rand
}

func (p *thinning) Next() time.Duration {
	for {
		p.t += float64(p.r.ExpFloat64() * p.gap)
		at := toDuration(p.t)
		if at == NoArrival {
			return NoArrival
		}
		if p.r.Float64()*p.peak < p.rate(at) {
			return at
		}
	}
}

// Profile is a Poisson process whose rate follows a 24-point daily profile:
// Hourly[h] is the rate (arrivals per second) at h:00, interpolated linearly
// to the next hour, wrapping from 23:00 to 0:00. Arrivals are drawn by
// thinning at the profile's peak rate.
type Profile struct {
	Hourly    [24]float64 // rate at each hour of the day, >= 0
	StartHour float64     // hour of the day (0-24) at which the deployment starts
}

// Validate checks the rates and StartHour.
func (p Profile) Validate() error {
	for h, v := range p.Hourly {
		if err := rate(fmt.Sprintf("Profile.Hourly[%d]", h), v); err != nil {
			return err
		}
	}
	if !(p.StartHour >= 0 && p.StartHour <= 24) {
		return fmt.Errorf("sim: Profile.StartHour = %v: must be in [0, 24]", p.StartHour)
	}
	return nil
}

// hours is the hour of the day (in [0, 24)) at t seconds after the start.
func (p Profile) hours(t float64) float64 {
	h := math.Mod(p.StartHour+t/3600, 24)
	if h < 0 {
		h += 24
	}
	return h
}

// Rate is λ(t) in arrivals per second.
func (p Profile) Rate(t time.Duration) float64 {
	h := p.hours(t.Seconds())
	i := int(h)
	if i > 23 {
		i = 23
	}
	f := h - float64(i)
	return float64(p.Hourly[i]*(1-f)) + float64(p.Hourly[(i+1)%24]*f) // converted: no fused multiply-add on arm64
}

// Integral integrates the piecewise-linear rate exactly (trapezoids between
// hour marks).
func (p Profile) Integral(a, b time.Duration) float64 {
	if b <= a {
		return 0
	}
	// Whole days contribute the daily total.
	as, bs := a.Seconds(), b.Seconds()
	daily := 0.0
	for h := 0; h < 24; h++ {
		daily += float64(3600 * (p.Hourly[h] + p.Hourly[(h+1)%24]) / 2) // products converted: no fused multiply-add on arm64
	}
	days := math.Floor((bs - as) / day)
	sum := days * daily
	t := as + float64(days*day)
	for t < bs {
		h := p.hours(t)
		i := int(h)
		if i > 23 {
			i = 23
		}
		next := t + float64((float64(i+1)-h)*3600) // next hour mark
		if next <= t {
			next = t + 3600
		}
		end := math.Min(next, bs)
		r0 := p.rateAtHours(h)
		r1 := p.rateAtHours(h + (end-t)/3600)
		if end == next {
			r1 = p.Hourly[(i+1)%24]
		}
		sum += float64((end - t) * (r0 + r1) / 2)
		t = end
	}
	return sum
}

func (p Profile) rateAtHours(h float64) float64 {
	i := int(h)
	if i > 23 {
		i = 23
	}
	f := h - float64(i)
	return float64(p.Hourly[i]*(1-f)) + float64(p.Hourly[(i+1)%24]*f)
}

// Poisson is true.
func (Profile) Poisson() bool { return true }

// Arrivals starts the process at 0.
func (p Profile) Arrivals(r *rand.Rand) Arrivals {
	peak := 0.0
	for _, v := range p.Hourly {
		peak = math.Max(peak, v)
	}
	return &thinning{rate: p.Rate, peak: peak, gap: secNs / peak, r: r}
}

// Bursty is a two-state Markov-modulated Poisson process (MMPP-2): the
// traffic alternates between a normal state with Rate arrivals per second and
// a burst state with BurstRate, staying in each for an exponential time of
// mean MeanNormal and MeanBurst. Each run starts in the stationary state
// distribution (burst with probability MeanBurst/(MeanNormal+MeanBurst)).
// Counts are overdispersed relative to Poisson, so Poisson() is false.
type Bursty struct {
	Rate, BurstRate       float64       // arrivals per second in each state, >= 0
	MeanNormal, MeanBurst time.Duration // mean sojourn in each state, >= 1 ms
}

// Validate checks the parameter ranges.
func (b Bursty) Validate() error {
	if err := rate("Bursty.Rate", b.Rate); err != nil {
		return err
	}
	if err := rate("Bursty.BurstRate", b.BurstRate); err != nil {
		return err
	}
	// Sojourns shorter than a millisecond do not model bursts (the process
	// is then Poisson at the mean rate) and would cost an event per switch.
	if b.MeanNormal < time.Millisecond {
		return fmt.Errorf("sim: Bursty.MeanNormal = %v: must be >= 1ms", b.MeanNormal)
	}
	if b.MeanBurst < time.Millisecond {
		return fmt.Errorf("sim: Bursty.MeanBurst = %v: must be >= 1ms", b.MeanBurst)
	}
	return nil
}

// MeanRate is the stationary mean rate (π_n·Rate + π_b·BurstRate).
func (b Bursty) MeanRate() float64 {
	n, bu := b.MeanNormal.Seconds(), b.MeanBurst.Seconds()
	return (float64(n*b.Rate) + float64(bu*b.BurstRate)) / (n + bu)
}

// Integral is the expected count MeanRate·(b-a) (the chain starts stationary).
func (b Bursty) Integral(from, to time.Duration) float64 {
	return b.MeanRate() * (to - from).Seconds()
}

// Poisson is false: the modulating chain correlates counts.
func (Bursty) Poisson() bool { return false }

// Arrivals starts the process at 0 in a state drawn from the stationary
// distribution.
func (b Bursty) Arrivals(r *rand.Rand) Arrivals {
	p := &mmpp{
		none: b.Rate == 0 && b.BurstRate == 0,
		gap:  [2]float64{secNs / b.Rate, secNs / b.BurstRate},
		stay: [2]float64{float64(b.MeanNormal), float64(b.MeanBurst)},
		r:    r,
	}
	n, bu := b.MeanNormal.Seconds(), b.MeanBurst.Seconds()
	if r.Float64()*(n+bu) < bu {
		p.state = 1
	}
	p.switchAt = r.ExpFloat64() * p.stay[p.state]
	return p
}

type mmpp struct {
	gap, stay [2]float64 // nanoseconds
	state     int
	none      bool // both rates 0: no arrival ever
	t         float64
	switchAt  float64
	r         *rand.Rand
}

func (p *mmpp) Next() time.Duration {
	if p.none {
		return NoArrival
	}
	for {
		// Exponential gaps are memoryless, so a candidate arrival past the
		// switch is discarded and redrawn from the switch in the new state.
		next := p.t + float64(p.r.ExpFloat64()*p.gap[p.state])
		if next < p.switchAt {
			p.t = next
			return toDuration(next)
		}
		p.t = p.switchAt
		if p.t >= float64(NoArrival) {
			return NoArrival
		}
		p.state ^= 1
		p.switchAt = p.t + float64(p.r.ExpFloat64()*p.stay[p.state])
	}
}
