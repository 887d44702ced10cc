package deploysim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/internal/quote"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Space is what Recommend searches: every strategy under every policy
// (Configurations), and how hard to look.
type Space struct {
	// Strategies and Policies may hold values of the caller's own types. A
	// nil policy means no rollback at all.
	Strategies []strategy.Strategy
	Policies   []rollback.Policy

	// MinRuns is the runs of each half (bad and healthy) every
	// configuration gets in the first round (0: DefaultMinRuns); MaxRuns
	// the most any gets (0: DefaultMaxRuns). Keep is the number of
	// configurations below which successive halving stops (0:
	// DefaultKeep). None of Workers (goroutines; 0: GOMAXPROCS) changes the
	// result.
	MinRuns, MaxRuns, Keep, Workers int

	// NoPreset skips the comparison with the CodeDeploy presets
	// (Recommendation.Preset stays nil), which costs 9 × MaxRuns runs of
	// each half.
	NoPreset bool
}

// The search's defaults. MaxRuns bounds the confidence a limit can be shown
// met at: with no false rollback in 512 healthy runs, the 95 % upper Wilson
// bound is 0.53 %.
const (
	DefaultMinRuns = 8
	DefaultMaxRuns = 512
	DefaultKeep    = 16
)

func (s Space) minRuns() int { return orDefault(s.MinRuns, DefaultMinRuns) }
func (s Space) maxRuns() int { return orDefault(s.MaxRuns, DefaultMaxRuns) }
func (s Space) keep() int    { return orDefault(s.Keep, DefaultKeep) }

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Configurations lists the product of Strategies and Policies, strategy by
// strategy, in the order given: the order Recommend breaks ties in.
func (s Space) Configurations() []Configuration {
	out := make([]Configuration, 0, len(s.Strategies)*len(s.Policies))
	for _, st := range s.Strategies {
		for _, p := range s.Policies {
			out = append(out, Configuration{Strategy: st, Policy: p})
		}
	}
	return out
}

// maxConfigurations bounds a space, so that a grid typo cannot ask for
// days of work.
const maxConfigurations = 1 << 20

func (s Space) validate() error {
	bad := func(field string, v any, rule string) error {
		return fmt.Errorf("deploysim: Space.%s = %v: %s: %w", field, v, rule, sim.ErrInvalid)
	}
	for i, st := range s.Strategies {
		if st == nil {
			return bad(fmt.Sprintf("Strategies[%d]", i), "nil", "must be a strategy")
		}
	}
	if s.MinRuns < 0 || s.MinRuns > 1<<20 {
		return bad("MinRuns", s.MinRuns, "must be in [0, 2^20] (0: 8)")
	}
	if s.MaxRuns < 0 || s.MaxRuns > 1<<20 {
		return bad("MaxRuns", s.MaxRuns, "must be in [0, 2^20] (0: 512)")
	}
	if s.maxRuns() < s.minRuns() {
		return bad("MaxRuns", s.maxRuns(), fmt.Sprintf("must be >= MinRuns (%d)", s.minRuns()))
	}
	if s.Keep < 0 {
		return bad("Keep", s.Keep, "must be >= 0 (0: 16)")
	}
	if s.Workers < 0 {
		return bad("Workers", s.Workers, "must be >= 0 (0: GOMAXPROCS)")
	}
	if n := len(s.Strategies) * len(s.Policies); n > maxConfigurations {
		return bad("Configurations", n, fmt.Sprintf("at most %d", maxConfigurations))
	}
	return nil
}

// SpaceGrid describes a Space as grids of parameters, the form the space
// file (ParseSpaceGrid) and the command line use. DefaultSpaceGrid is the
// default; each field narrows or widens one part of it.
type SpaceGrid struct {
	// Presets includes every CodeDeploy Lambda preset.
	Presets bool `yaml:"presets"`
	// Strategies are more strategies in any strategy.Parse form
	// (Steps:1%,5m,10%,5m, Exponential:1%,x2,2m …).
	Strategies []string `yaml:"strategies"`
	// Canary and Linear are CodeDeploy custom configs: every percent with
	// every interval (Canary:p%,T / Linear:p%,T).
	Canary *PercentGrid `yaml:"canary"`
	Linear *PercentGrid `yaml:"linear"`
	// Exponential is every start with every factor and interval.
	Exponential *ExponentialGrid `yaml:"exponential"`
	// Bake holds the deployment open at 100 % for each duration (0: no
	// bake), written as Steps with a final pause so that compare, Argo and
	// the policy see the same schedule.
	Bake []time.Duration `yaml:"bake"`
	// Alarms is the grid of single CloudWatch alarms watched by CodeDeploy.
	Alarms *AlarmGrid `yaml:"alarms"`
	// Compare lists the confidences of rollback.BaselineComparison (the
	// command line's --policy compare: one-minute intervals, holding
	// windows with too few requests).
	Compare []float64 `yaml:"compare"`
	// Sequential lists the α of rollback.Sequential.
	Sequential []float64 `yaml:"sequential"`
	// Search sets Space's run settings.
	Search SearchGrid `yaml:"search"`
}

// PercentGrid is every percent with every interval.
type PercentGrid struct {
	Percents  []float64       `yaml:"percents"`
	Intervals []time.Duration `yaml:"intervals"`
}

// ExponentialGrid is every Start with every Factor and Interval.
type ExponentialGrid struct {
	Starts    []float64       `yaml:"starts"`
	Factors   []float64       `yaml:"factors"`
	Intervals []time.Duration `yaml:"intervals"`
}

// AlarmGrid is the product of its lists: one rollback.Alarm per
// combination, each watched alone by CodeDeploy (rollback.CodeDeploy, with
// PollInterval when set). Thresholds are per metric name ("Errors": counts
// per period, "ErrorRate": fractions).
type AlarmGrid struct {
	Metrics          []string             `yaml:"metrics"`
	Dimensions       []string             `yaml:"dimensions"`
	Statistics       []string             `yaml:"statistics"`
	Periods          []int                `yaml:"periods"` // seconds
	Thresholds       map[string][]float64 `yaml:"thresholds"`
	MOfN             []string             `yaml:"m_of_n"` // "2/3": 2 datapoints of 3
	TreatMissingData []string             `yaml:"treat_missing_data"`
	PollInterval     time.Duration        `yaml:"poll_interval"`
}

// SearchGrid is Space's run settings in the file.
type SearchGrid struct {
	MinRuns int `yaml:"min_runs"`
	MaxRuns int `yaml:"max_runs"`
	Keep    int `yaml:"keep"`
}

// DefaultSpaceGrid is the space Recommend searches by default, about 5,000
// configurations: the nine Lambda presets; custom canaries of 1, 2, 5 and
// 20 % for 5, 10, 15 and 30 minutes; linears of 5, 20, 25 and 50 % every 1,
// 2 and 5 minutes; exponentials from 1 % doubling or quadrupling every 1, 2
// or 5 minutes; two Argo-style step lists; under every single alarm on
// Errors (1, 2, 3, 5, 10 per period) or ErrorRate (0.5, 1, 2, 5 %) of the
// candidate or the alias, Sum, over 10 s or 60 s periods, 1 of 1, 2 of 2 or
// 2 of 3, missing data not breaching; the baseline comparison at 95 and
// 98 %; and the sequential test at α = 1, 5 and 10 %.
func DefaultSpaceGrid() SpaceGrid {
	m := time.Minute
	return SpaceGrid{
		Presets:    true,
		Strategies: []string{"Steps:1%,2m,10%,5m,50%,5m", "Steps:5%,5m,25%,5m,50%,5m"},
		Canary:     &PercentGrid{Percents: []float64{1, 2, 5, 20}, Intervals: []time.Duration{5 * m, 10 * m, 15 * m, 30 * m}},
		Linear:     &PercentGrid{Percents: []float64{5, 20, 25, 50}, Intervals: []time.Duration{m, 2 * m, 5 * m}},
		Exponential: &ExponentialGrid{Starts: []float64{1}, Factors: []float64{2, 4},
			Intervals: []time.Duration{m, 2 * m, 5 * m}},
		Alarms: &AlarmGrid{
			Metrics:    []string{"Errors", "ErrorRate"},
			Dimensions: []string{"candidate", "alias"},
			Statistics: []string{"Sum"},
			Periods:    []int{10, 60},
			Thresholds: map[string][]float64{
				"Errors":    {1, 2, 3, 5, 10},
				"ErrorRate": {0.005, 0.01, 0.02, 0.05},
			},
			MOfN:             []string{"1/1", "2/2", "2/3"},
			TreatMissingData: []string{"notBreaching"},
		},
		Compare:    []float64{0.95, 0.98},
		Sequential: []float64{0.01, 0.05, 0.1},
	}
}

// DefaultSpace is DefaultSpaceGrid's Space.
func DefaultSpace() Space {
	s, err := DefaultSpaceGrid().Space()
	if err != nil {
		panic(err) // the default grid is valid; a test holds it so
	}
	return s
}

// gridError is a bad grid value, located by its key path.
type gridError struct {
	path []string // keys from the root, e.g. alarms, periods
	msg  string
}

func (e *gridError) Error() string { return strings.Join(e.path, ".") + ": " + e.msg }

func gridErr(msg string, path ...string) error { return &gridError{path: path, msg: msg} }

// Space expands the grid. Strategies equal to one already listed
// (strategy.Equal) are listed once; errors name the grid field and value.
func (g SpaceGrid) Space() (Space, error) {
	var sp Space
	add := func(s strategy.Strategy) {
		for _, o := range sp.Strategies {
			if strategy.Equal(o, s) {
				return
			}
		}
		sp.Strategies = append(sp.Strategies, s)
	}
	size := len(g.Strategies) + 9 + len(g.Bake)
	for _, pg := range []*PercentGrid{g.Canary, g.Linear} {
		if pg != nil {
			size += len(pg.Percents) * len(pg.Intervals)
		}
	}
	if e := g.Exponential; e != nil {
		size += len(e.Starts) * len(e.Factors) * len(e.Intervals)
	}
	if size*max(1, len(g.Bake)) > 1<<14 {
		return sp, gridErr(fmt.Sprintf("more than %d strategies: narrow the lists", 1<<14), "strategies")
	}
	var base []strategy.Strategy
	if g.Presets {
		base = append(base, strategy.LambdaPresets()...)
	}
	for i, n := range g.Strategies {
		s, err := strategy.Parse(n)
		if err != nil {
			return sp, gridErr(fmt.Sprintf("%q: %v", clip(n), err), "strategies", strconv.Itoa(i))
		}
		base = append(base, s)
	}
	for _, pg := range []struct {
		name string
		g    *PercentGrid
		mk   func(p float64, d time.Duration) strategy.Strategy
	}{
		{"canary", g.Canary, func(p float64, d time.Duration) strategy.Strategy { return strategy.Canary{Percent: p, Interval: d} }},
		{"linear", g.Linear, func(p float64, d time.Duration) strategy.Strategy { return strategy.Linear{Percent: p, Interval: d} }},
	} {
		if pg.g == nil {
			continue
		}
		for _, p := range pg.g.Percents {
			for _, d := range pg.g.Intervals {
				s := pg.mk(p, d)
				if err := s.Validate(); err != nil {
					return sp, gridErr(err.Error(), pg.name)
				}
				base = append(base, s)
			}
		}
	}
	if e := g.Exponential; e != nil {
		for _, st := range e.Starts {
			for _, f := range e.Factors {
				for _, d := range e.Intervals {
					s := strategy.Exponential{Start: st, Factor: f, Interval: d}
					if err := s.Validate(); err != nil {
						return sp, gridErr(err.Error(), "exponential")
					}
					base = append(base, s)
				}
			}
		}
	}
	bakes := g.Bake
	if len(bakes) == 0 {
		bakes = []time.Duration{0}
	}
	for _, s := range base {
		for i, b := range bakes {
			if b < 0 || b > 24*time.Hour {
				return sp, gridErr(fmt.Sprintf("%v: must be in [0, 24h]", b), "bake", strconv.Itoa(i))
			}
			add(WithBake(s, b))
		}
	}
	if a := g.Alarms; a != nil {
		ps, err := a.policies()
		if err != nil {
			return sp, err
		}
		sp.Policies = append(sp.Policies, ps...)
	}
	for i, c := range g.Compare {
		p := comparePolicy(c)
		if err := p.Validate(); err != nil || !(c > 0.5 && c < 1) {
			return sp, gridErr(fmt.Sprintf("%v: must be a confidence in (0.5, 1)", c), "compare", strconv.Itoa(i))
		}
		sp.Policies = append(sp.Policies, p)
	}
	for i, al := range g.Sequential {
		p := rollback.Sequential{Alpha: al}
		if err := p.Validate(); err != nil {
			return sp, gridErr(fmt.Sprintf("%v: %v", al, err), "sequential", strconv.Itoa(i))
		}
		sp.Policies = append(sp.Policies, p)
	}
	sp.MinRuns, sp.MaxRuns, sp.Keep = g.Search.MinRuns, g.Search.MaxRuns, g.Search.Keep
	if err := sp.validate(); err != nil {
		return sp, gridErr(err.Error(), "search")
	}
	return sp, nil
}

// comparePolicy is the baseline comparison the command line builds for
// --policy compare --compare-confidence c.
func comparePolicy(c float64) rollback.BaselineComparison {
	return rollback.BaselineComparison{Interval: time.Minute, Confidence: c, NoData: rollback.NoDataHold}
}

// policies expands the alarm grid.
func (a *AlarmGrid) policies() ([]rollback.Policy, error) {
	type mn struct{ m, n int }
	var mns []mn
	for i, s := range a.MOfN {
		ms, ns, ok := strings.Cut(s, "/")
		m, err1 := strconv.Atoi(strings.TrimSpace(ms))
		n, err2 := strconv.Atoi(strings.TrimSpace(ns))
		if !ok || err1 != nil || err2 != nil || m < 1 || n < m {
			return nil, gridErr(fmt.Sprintf("%q: must be M/N with 1 <= M <= N, e.g. 2/3", clip(s)), "alarms", "m_of_n", strconv.Itoa(i))
		}
		mns = append(mns, mn{m, n})
	}
	if a.PollInterval < 0 {
		return nil, gridErr(fmt.Sprintf("%v: must be >= 0", a.PollInterval), "alarms", "poll_interval")
	}
	// Thresholds of a metric the grid does not list are kept for when it
	// does (a file narrowing metrics keeps the default's thresholds), but
	// a key that names no metric is a typo.
	for k := range a.Thresholds {
		if _, err := metrics.ParseMetric(k); err != nil {
			return nil, gridErr(fmt.Sprintf("%q: not a metric name (%v)", clip(k), err), "alarms", "thresholds")
		}
	}
	size := 0
	for _, ths := range a.Thresholds {
		size = max(size, len(ths))
	}
	for _, n := range []int{len(a.Metrics), len(a.Dimensions), len(a.Statistics), len(a.Periods), len(mns), len(a.TreatMissingData)} {
		if size *= n; size > maxConfigurations {
			return nil, gridErr(fmt.Sprintf("more than %d alarms: narrow the lists", maxConfigurations), "alarms")
		}
	}
	var out []rollback.Policy
	for i, mname := range a.Metrics {
		metric, err := metrics.ParseMetric(mname)
		if err != nil {
			return nil, gridErr(err.Error(), "alarms", "metrics", strconv.Itoa(i))
		}
		ths := a.Thresholds[mname]
		if len(ths) == 0 {
			return nil, gridErr(fmt.Sprintf("no thresholds for metric %s", mname), "alarms", "thresholds")
		}
		for j, dn := range a.Dimensions {
			dim, err := metrics.ParseDimension(dn)
			if err != nil {
				return nil, gridErr(err.Error(), "alarms", "dimensions", strconv.Itoa(j))
			}
			for k, sn := range a.Statistics {
				stat, err := metrics.ParseStatistic(sn)
				if err != nil {
					return nil, gridErr(err.Error(), "alarms", "statistics", strconv.Itoa(k))
				}
				for l, per := range a.Periods {
					if !(per == 10 || per == 20 || per == 30 || (per > 0 && per%60 == 0)) || per > 86400 {
						return nil, gridErr(fmt.Sprintf("%d: must be 10, 20, 30 or a multiple of 60 seconds, at most 86400", per), "alarms", "periods", strconv.Itoa(l))
					}
					for _, th := range ths {
						for _, x := range mns {
							for t, tn := range a.TreatMissingData {
								tmd, err := rollback.ParseMissingData(tn)
								if err != nil {
									return nil, gridErr(err.Error(), "alarms", "treat_missing_data", strconv.Itoa(t))
								}
								al := rollback.Alarm{
									Name: alarmName(metric, dim), Metric: metric, Dimension: dim, Statistic: stat,
									Period: time.Duration(per) * time.Second, EvaluationPeriods: x.n, DatapointsToAlarm: x.m,
									Threshold: th, Comparison: rollback.GreaterThanOrEqualToThreshold, TreatMissingData: tmd,
								}
								if err := al.Validate(); err != nil {
									return nil, gridErr(err.Error(), "alarms")
								}
								p := rollback.CodeDeploy(al)
								if a.PollInterval > 0 {
									p.PollInterval = a.PollInterval
								}
								out = append(out, p)
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

// alarmName names a recommended alarm after what it watches:
// CandidateErrors, AliasErrorRate.
func alarmName(m metrics.Metric, d metrics.Dimension) string {
	ds := d.String()
	return strings.ToUpper(ds[:1]) + ds[1:] + m.String()
}

// WithBake returns s held open at 100 % for bake after its last step, as a
// Steps ending with a pause at 100 % (s itself when bake is 0): the policy
// keeps watching a release at full weight, as in a CodeDeploy
// AfterAllowTraffic hook or an Argo post-promotion analysis. A nil s stays
// nil, for the caller's validation to name.
func WithBake(s strategy.Strategy, bake time.Duration) strategy.Strategy {
	if bake <= 0 || s == nil {
		return s
	}
	var steps strategy.Steps
	var t time.Duration
	for _, st := range s.Schedule() {
		if st.At > t {
			steps = append(steps, strategy.CanaryStep{Pause: st.At - t})
			t = st.At
		}
		steps = append(steps, strategy.CanaryStep{SetWeight: 100 * st.Weight})
	}
	if n := len(steps); n == 0 || steps[n-1].SetWeight != 100 {
		steps = append(steps, strategy.CanaryStep{SetWeight: 100})
	}
	return append(steps, strategy.CanaryStep{Pause: bake})
}

// clip shortens a quoted user value for an error message.
func clip(s string) string { return quote.Clip(s, 40) }
