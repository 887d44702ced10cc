package strategy

import (
	"math"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// params fixes the seed so that a failure reproduces; the generators below
// still cover both the CodeDeploy integer forms and arbitrary floats.
func params() *gopter.TestParameters {
	p := gopter.DefaultTestParametersWithSeed(20261125)
	p.MinSuccessfulTests = 1000
	return p
}

// genPercent gives whole percents 1–99 (the AWS names) or floats in
// [lo, 100] (the compact forms); lo keeps Linear within MaxSteps.
func genPercent(lo float64) gopter.Gen {
	return gen.OneGenOf(
		gen.IntRange(1, 99).Map(func(p int) float64 { return float64(p) }),
		gen.Float64Range(lo, 100),
		gen.Const(100.0),
	)
}

// genInterval gives whole minutes (some beyond CodeDeploy's 2,880-minute span)
// or any duration up to about 3 hours.
func genInterval() gopter.Gen {
	return gen.OneGenOf(
		gen.IntRange(1, 3000).Map(func(m int) time.Duration { return time.Duration(m) * time.Minute }),
		gen.Int64Range(1, int64(3*time.Hour)).Map(func(d int64) time.Duration { return time.Duration(d) }),
	)
}

func genCanary() gopter.Gen {
	return gopter.CombineGens(genPercent(0.001), genInterval(), gen.Bool()).Map(func(v []any) Strategy {
		c := Canary{Percent: v[0].(float64), Interval: v[1].(time.Duration)}
		if v[2].(bool) && awsRule("Canary", c.Percent, c.Interval, false) == nil {
			c.Platform = ECS
		}
		return c
	})
}

func genLinear() gopter.Gen {
	return gopter.CombineGens(genPercent(0.02), genInterval(), gen.Bool()).Map(func(v []any) Strategy {
		l := Linear{Percent: v[0].(float64), Interval: v[1].(time.Duration)}
		if v[2].(bool) && awsRule("Linear", l.Percent, l.Interval, true) == nil {
			l.Platform = ECS
		}
		return l
	})
}

func genExponential() gopter.Gen {
	return gopter.CombineGens(genPercent(0.001), gen.Float64Range(1.01, 10), genInterval()).Map(func(v []any) Strategy {
		return Exponential{Start: v[0].(float64), Factor: v[1].(float64), Interval: v[2].(time.Duration)}
	})
}

func genBlueGreen() gopter.Gen {
	return gen.OneGenOf(
		gen.IntRange(0, 600).Map(func(m int) time.Duration { return time.Duration(m) * time.Minute }),
		gen.Int64Range(0, int64(3*time.Hour)).Map(func(d int64) time.Duration { return time.Duration(d) }),
	).Map(func(d time.Duration) Strategy { return BlueGreen{Validation: d} })
}

func genSteps() gopter.Gen {
	step := gen.OneGenOf(
		gen.IntRange(0, 100).Map(func(w int) CanaryStep { return CanaryStep{SetWeight: float64(w)} }),
		gen.Float64Range(0, 100).Map(func(w float64) CanaryStep { return CanaryStep{SetWeight: w} }),
		gen.Int64Range(1, int64(time.Hour)).Map(func(d int64) CanaryStep { return CanaryStep{Pause: time.Duration(d)} }),
		gen.IntRange(1, 60).Map(func(m int) CanaryStep { return CanaryStep{Pause: time.Duration(m) * time.Minute} }),
	)
	return gen.SliceOfN(12, step).Map(func(s []CanaryStep) Strategy { return Steps(s) })
}

// genStrategy gives any valid strategy of this package.
func genStrategy() gopter.Gen {
	return gen.OneGenOf(
		gen.Const(Strategy(AllAtOnce{})), gen.Const(Strategy(AllAtOnce{Platform: ECS})),
		genCanary(), genLinear(), genExponential(), genBlueGreen(), genSteps(),
	)
}

// monotone reports the families whose weight never goes down.
func monotone(s Strategy) bool {
	switch s.(type) {
	case Canary, Linear, Exponential, AllAtOnce, BlueGreen:
		return true
	}
	return false
}

// weightAtByScan is an independent, linear reading of the right-continuous,
// piecewise-constant rule: the weight of the last step at or before t.
func weightAtByScan(s Schedule, t time.Duration) float64 {
	w := 0.0
	for _, st := range s {
		if st.At <= t {
			w = st.Weight
		}
	}
	return w
}

func TestProperties(t *testing.T) {
	props := gopter.NewProperties(params())

	props.Property("valid, sorted, weights in [0,1], ends at 1, Duration is the last step", prop.ForAll(
		func(s Strategy) bool {
			sch := s.Schedule()
			return s.Validate() == nil && sch.Validate() == nil && len(sch) > 0 &&
				sch[len(sch)-1].Weight == 1 && sch.Duration() == sch[len(sch)-1].At
		}, genStrategy()))

	props.Property("Parse(String()) round-trips", prop.ForAll(
		func(s Strategy) bool {
			p, err := Parse(s.String())
			return err == nil && Equal(p, s) && p.String() == s.String()
		}, genStrategy()))

	props.Property("WeightAt is right-continuous and piecewise constant", prop.ForAll(
		func(s Strategy, u float64) bool {
			sch := s.Schedule()
			for i, st := range sch {
				before := 0.0
				if i > 0 {
					before = sch[i-1].Weight
				}
				// Right-continuous: the new weight holds from At on, the old one until just before.
				if sch.WeightAt(st.At) != st.Weight || sch.WeightAt(st.At-1) != before {
					return false
				}
			}
			// Piecewise constant: any instant reads the step at or before it.
			t := time.Duration(u * float64(sch.Duration()+time.Hour))
			return sch.WeightAt(t) == weightAtByScan(sch, t) && sch.WeightAt(-1) == 0
		}, genStrategy(), gen.Float64Range(0, 1)))

	props.Property("Canary, Linear, Exponential never lower the weight", prop.ForAll(
		func(s Strategy, u, v float64) bool {
			if !monotone(s) {
				return true
			}
			sch := s.Schedule()
			for i := 1; i < len(sch); i++ {
				if sch[i].Weight < sch[i-1].Weight {
					return false
				}
			}
			span := float64(sch.Duration() + time.Minute)
			t1, t2 := time.Duration(min(u, v)*span), time.Duration(max(u, v)*span)
			return sch.WeightAt(t1) <= sch.WeightAt(t2)
		}, gen.OneGenOf(genCanary(), genLinear(), genExponential()), gen.Float64Range(0, 1), gen.Float64Range(0, 1)))

	props.Property("Linear follows the closed form min(1, (floor(t/I)+1)·p/100), 1 from (ceil(100/p)−1)·I", prop.ForAll(
		func(s Strategy, u float64) bool {
			l := s.(Linear)
			n := math.Ceil(100/l.Percent - 1e-9)
			end := time.Duration(n-1) * l.Interval
			sch := l.Schedule()
			if sch.Duration() != end {
				return false
			}
			t := time.Duration(u * float64(end+l.Interval))
			want := 1.0
			if t < end {
				want = min(1, float64(t/l.Interval+1)*l.Percent/100)
			}
			return math.Abs(sch.WeightAt(t)-want) <= 1e-12
		}, genLinear(), gen.Float64Range(0, 1)))

	props.Property("Canary is Percent until Interval, then 1", prop.ForAll(
		func(s Strategy, u float64) bool {
			c := s.(Canary)
			sch := c.Schedule()
			t := time.Duration(u * float64(2*c.Interval))
			want := c.Percent / 100
			if t >= c.Interval {
				want = 1
			}
			return sch.WeightAt(t) == want && sch.Duration() == c.Interval
		}, genCanary(), gen.Float64Range(0, 1)))

	props.TestingRun(t)
}
