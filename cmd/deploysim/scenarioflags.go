package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/deploysim/deploysim/internal/quote"
	"github.com/deploysim/deploysim/scenario"
	"github.com/deploysim/deploysim/strategy"
)

// settingValue is one scenario setting as a flag. It keeps the text: the
// setting is applied to the scenario file's values (scenario.File.Set) only
// once the --scenario file is read, so that a flag wins over the file
// whatever their order on the command line.
type settingValue struct {
	s   scenario.Setting
	val string
}

func (v *settingValue) String() string     { return v.val }
func (v *settingValue) Set(s string) error { v.val = s; return nil }
func (v *settingValue) Type() string       { return v.s.Arg } // what help shows after the flag name

// shorthands are the one-letter flags of the common settings (as kubectl's
// -o): -n runs, -s strategies.
var shorthands = map[string]string{"runs": "n", "strategies": "s"}

// scenarioOptions are the scenario flags of one command: --scenario,
// --alarm and every setting except the keys the command defines itself.
type scenarioOptions struct {
	fs     *pflag.FlagSet
	file   string
	from   []string  // metric exports to calibrate from (calibrate.go)
	warn   io.Writer // where --from's warnings go (nil: standard error)
	alarms []string
	vals   map[string]*settingValue
	skip   map[string]bool
}

// addScenarioFlags registers --scenario, --alarm and every setting except
// the keys in skip on fs.
func addScenarioFlags(fs *pflag.FlagSet, skip ...string) *scenarioOptions {
	so := &scenarioOptions{fs: fs, vals: map[string]*settingValue{}, skip: map[string]bool{}}
	for _, k := range skip {
		so.skip[k] = true
	}
	d := scenario.Default()
	fs.StringVar(&so.file, "scenario", "", "YAML or JSON `FILE` with the settings (see examples/scenario.yaml); flags override it")
	if fs.Lookup("from") == nil { // report has a --from of its own (result files)
		fs.StringSliceVar(&so.from, "from", nil, "metric exports to calibrate from, as deploysim calibrate `FILE,...` reads them (over --scenario); flags override them")
	}
	if !so.skip["alarms"] {
		fs.StringArrayVar(&so.alarms, "alarm", nil, "a CloudWatch alarm for policy alarms as `Key=Value,...`, repeatable (replaces the default): "+
			"MetricName (Errors, ErrorRate, Invocations, Throttles, Duration, ConcurrentExecutions), "+
			"Dimension (alias, candidate, baseline), Statistic (Sum, SampleCount, Average, Minimum, Maximum, p99 …), "+
			"Period (seconds), EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator, TreatMissingData, "+
			"EvaluateLowSampleCountPercentile, AlarmName (default "+d.Alarms[0].String()+")")
	}
	for _, s := range scenario.Settings() {
		if so.skip[s.Key] {
			continue
		}
		v := &settingValue{s: s}
		so.vals[s.Key] = v
		f := fs.VarPF(v, s.FlagName(), shorthands[s.Key], s.Usage)
		f.DefValue = s.Show(&d) // for help only: an unset flag keeps the file's value
	}
	return so
}

// config builds the effective settings: defaults, then the --scenario file,
// then the flags set on the command line; then it reads the trace, if the
// traffic is one, once (trace:- from stdin).
func (so *scenarioOptions) config(stdin io.Reader) (scenario.File, error) {
	c := scenario.Default()
	if so.file != "" {
		data, err := scenario.ReadFile(so.file, scenario.MaxFileSize)
		if err != nil {
			return c, fmt.Errorf("--scenario: %w", err)
		}
		if c, err = scenario.Decode(so.file, data); err != nil {
			return c, err
		}
	}
	if err := calibrateFrom(&c, so.from, so.warn); err != nil {
		return c, err
	}
	var err error
	so.fs.Visit(func(f *pflag.Flag) {
		v, ok := f.Value.(*settingValue)
		if err != nil || !ok {
			return
		}
		c.MarkFlag(v.s.Key)
		if e := c.Set(v.s.Key, v.val); e != nil {
			err = fmt.Errorf("--%s = %q: %w", f.Name, clip(v.val), e)
		}
	})
	if err != nil {
		return c, err
	}
	if len(so.alarms) > 0 {
		c.MarkFlag("alarms")
		c.Alarms = c.Alarms[:0:0]
		for _, v := range so.alarms {
			a, err := scenario.ParseAlarm(v)
			if err != nil {
				return c, fmt.Errorf("--alarm %q: %w", clip(v), err)
			}
			if _, err := a.Rollback(len(c.Alarms)); err != nil {
				return c, fmt.Errorf("--alarm %q: %w", clip(v), err)
			}
			c.Alarms = append(c.Alarms, a)
		}
	}
	return c, c.LoadTrace(stdin)
}

// warnScenario writes the scenario's warnings (scenario.File.Warnings) for
// the strategies ss on stderr, each once.
func warnScenario(stderr io.Writer, seen map[string]bool, c *scenario.File, ss []strategy.Strategy) {
	for _, w := range c.Warnings(ss) {
		if !seen[w] {
			seen[w] = true
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
}

// clip shortens a value quoted in an error, so that a huge argument does
// not become a huge message.
func clip(s string) string { return quote.Clip(s, 80) }

// resolveStrategies is c.ResolveStrategies with each strategy once: a
// preset listed under two of its names (Canary10Percent5Minutes and
// CodeDeployDefault.LambdaCanary10Percent5Minutes) would print two rows of
// the same name. A note on stderr says which were dropped.
func resolveStrategies(c *scenario.File, stderr io.Writer) ([]strategy.Strategy, error) {
	ss, err := c.ResolveStrategies()
	if err != nil {
		return nil, err
	}
	out := ss[:0:0]
	seen := map[string]int{}
	for i, s := range ss {
		if j, dup := seen[s.Name()]; dup {
			fmt.Fprintf(stderr, "note: strategies %q and %q are both %s: it runs once\n", nameAt(c, j), nameAt(c, i), s.Name())
			continue
		}
		seen[s.Name()] = i
		out = append(out, s)
	}
	return out, nil
}

// nameAt is the i-th strategy name as given ("" when every Lambda preset).
func nameAt(c *scenario.File, i int) string {
	if i < len(c.Strategies) {
		return c.Strategies[i]
	}
	return ""
}
