package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// setting is one scenario setting on the command line. Its flag is --key
// with '_' written '-'; every flag is registered as a string and parsed
// here, so that a bad value gets one line naming the flag and the rule
// rather than the flag package's message and usage dump.
type setting struct {
	key   string
	arg   string // the value's kind in help: N, RATE, DURATION …
	usage string
	apply func(c *scenarioConfig, v string) error
	show  func(c *scenarioConfig) string // the default, for help
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }

func floatSetting(key, arg, usage string, p func(*scenarioConfig) *float64) setting {
	return setting{key: key, arg: arg, usage: usage,
		apply: func(c *scenarioConfig, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("must be a finite number")
			}
			*p(c) = f
			return nil
		},
		show: func(c *scenarioConfig) string { return strconv.FormatFloat(*p(c), 'g', -1, 64) }}
}

func intSetting(key, usage string, p func(*scenarioConfig) *int) setting {
	return setting{key: key, arg: "N", usage: usage,
		apply: func(c *scenarioConfig, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("must be a whole number")
			}
			*p(c) = n
			return nil
		},
		show: func(c *scenarioConfig) string { return strconv.Itoa(*p(c)) }}
}

func durSetting(key, usage string, p func(*scenarioConfig) *duration) setting {
	return setting{key: key, arg: "DURATION", usage: usage,
		apply: func(c *scenarioConfig, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return fmt.Errorf("must be a duration such as 90s or 5m")
			}
			*p(c) = duration(d)
			return nil
		},
		show: func(c *scenarioConfig) string { return p(c).String() }}
}

func stringSetting(key, arg, usage string, p func(*scenarioConfig) *string) setting {
	return setting{key: key, arg: arg, usage: usage,
		apply: func(c *scenarioConfig, v string) error { *p(c) = strings.TrimSpace(v); return nil },
		show:  func(c *scenarioConfig) string { return *p(c) }}
}

// settings lists the scenario flags in the order help prints them.
var settings = []setting{
	{key: "strategies", arg: "LIST", usage: "comma-separated strategy names (any strategy.Parse form: Canary10Percent5Minutes, Linear:20%,1m, Steps:10%,5m,50%,10m …; separate with ';' when a name has commas); empty: every Lambda preset",
		apply: func(c *scenarioConfig, v string) error { c.Strategies = splitStrategies(v); return nil },
		show:  func(c *scenarioConfig) string { return strings.Join(c.Strategies, ",") }},
	floatSetting("rps", "RATE", "mean requests per second through the alias", func(c *scenarioConfig) *float64 { return &c.RPS }),
	stringSetting("traffic", "SHAPE", "arrivals: poisson, diurnal (±50% daily cycle, start 10:00, peak 14:00), bursty (5× bursts of 1m every 5m on average) or trace:FILE (per-second counts, CSV)", func(c *scenarioConfig) *string { return &c.Traffic }),
	floatSetting("error_rate", "P", "the candidate's error regression: probability that its fault fails an invocation, on top of the baseline error rate both versions share (0: a healthy candidate)", func(c *scenarioConfig) *float64 { return &c.ErrorRate }),
	floatSetting("baseline_error_rate", "P", "error probability of both versions without the fault", func(c *scenarioConfig) *float64 { return &c.BaselineErrorRate }),
	durSetting("fault_onset", "instant the candidate's fault starts showing", func(c *scenarioConfig) *duration { return &c.FaultOnset }),
	durSetting("latency_p50", "median latency of both versions (lognormal)", func(c *scenarioConfig) *duration { return &c.LatencyP50 }),
	durSetting("latency_p99", "99th percentile latency of both versions", func(c *scenarioConfig) *duration { return &c.LatencyP99 }),
	floatSetting("latency_regression", "FACTOR", "the candidate's latency multiplier (1: none); a factor other than 1 makes the candidate bad", func(c *scenarioConfig) *float64 { return &c.LatencyRegression }),
	durSetting("timeout", "function timeout (0: none)", func(c *scenarioConfig) *duration { return &c.Timeout }),
	intSetting("concurrency_limit", "reserved concurrency of the function; > 0 turns on the execution model (per-version environments, cold starts, 10 min keep-alive, throttles over the limit) with the reference's defaults (0: no limit, no cold starts)", func(c *scenarioConfig) *int { return &c.ConcurrencyLimit }),
	stringSetting("event_model", "MODEL", "invocation: sync, async (Lambda's retries: 2 after 1 and 2 min, 6 h maximum age) or queue (an SQS event source mapping: batches of 10, whole-batch retry after a 30 s visibility timeout, dead-letter queue after 5 receives)", func(c *scenarioConfig) *string { return &c.EventModel }),
	durSetting("pre_traffic_hook", "how long CodeDeploy's BeforeAllowTraffic hook runs before any traffic shifts (0: no hook)", func(c *scenarioConfig) *duration { return &c.PreTrafficHook }),
	floatSetting("pre_traffic_catch", "P", "probability that the pre-traffic hook catches a fault active while it runs (a catch ends the deployment with no customer traffic on the candidate)", func(c *scenarioConfig) *float64 { return &c.PreTrafficCatch }),
	durSetting("post_traffic_hook", "how long the AfterAllowTraffic hook runs once the weight is final (0: no hook)", func(c *scenarioConfig) *duration { return &c.PostTrafficHook }),
	floatSetting("post_traffic_catch", "P", "probability that the post-traffic hook catches the fault (a catch rolls back)", func(c *scenarioConfig) *float64 { return &c.PostTrafficCatch }),
	intSetting("users", "users behind the traffic, Zipf-distributed (0: not modelled)", func(c *scenarioConfig) *int { return &c.Users }),
	floatSetting("users_exponent", "S", "Zipf exponent of user activity (0: all equally active)", func(c *scenarioConfig) *float64 { return &c.UsersExponent }),
	intSetting("runs", "simulated deployments per strategy", func(c *scenarioConfig) *int { return &c.Runs }),
	{key: "seed", arg: "N", usage: "base seed; run i's seed derives from it and i",
		apply: func(c *scenarioConfig, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("must be a whole number in [0, 2^64)")
			}
			c.Seed = n
			return nil
		},
		show: func(c *scenarioConfig) string { return strconv.FormatUint(c.Seed, 10) }},
	durSetting("horizon", "end of each run; traffic continues after a completed deployment until then (0: the run ends with the deployment)", func(c *scenarioConfig) *duration { return &c.Horizon }),
	stringSetting("resolution", "RES", "engine: auto, request or bucket", func(c *scenarioConfig) *string { return &c.Resolution }),
	stringSetting("policy", "POLICY", "rollback policy: none, alarms (CodeDeploy watching --alarm), compare (Kayenta-like test against the baseline) or sequential (anytime-valid test)", func(c *scenarioConfig) *string { return &c.Policy }),
	durSetting("ingestion_delay", "time from a metric period's end to its datapoint being visible", func(c *scenarioConfig) *duration { return &c.IngestionDelay }),
	durSetting("evaluation_interval", "policy cadence (0: CloudWatch's for alarms, 1m for compare and sequential)", func(c *scenarioConfig) *duration { return &c.EvaluationInterval }),
	durSetting("poll_interval", "how often CodeDeploy reads alarm states (0: after every evaluation)", func(c *scenarioConfig) *duration { return &c.PollInterval }),
	durSetting("rollback_latency", "time from the rollback decision to the weight being 0", func(c *scenarioConfig) *duration { return &c.RollbackLatency }),
	floatSetting("compare_confidence", "C", "confidence of policy compare's per-interval test", func(c *scenarioConfig) *float64 { return &c.CompareConfidence }),
	floatSetting("sequential_alpha", "ALPHA", "false-rollback bound of policy sequential", func(c *scenarioConfig) *float64 { return &c.SequentialAlpha }),
}

// splitStrategies splits a strategy list. Compact names contain commas
// (Linear:20%,1m), so a list that has a ';' is split on ';' only; otherwise
// commas split it, and a piece that starts a compact form takes the pieces
// after it that are its arguments (those that contain no letter other than a
// duration unit or 'x', e.g. "1m", "x2", "50%").
func splitStrategies(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	sep := ","
	if strings.Contains(v, ";") {
		sep = ";"
	}
	var out []string
	for _, p := range strings.Split(v, sep) {
		p = strings.TrimSpace(p)
		if sep == "," && len(out) > 0 && strings.Contains(out[len(out)-1], ":") && isArgument(p) {
			out[len(out)-1] += "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// isArgument reports whether p looks like an argument of a compact strategy
// form (a percent, a duration or a factor) rather than a name.
func isArgument(p string) bool {
	if p == "" || strings.Contains(p, ":") {
		return false
	}
	if strings.HasSuffix(p, "%") || (len(p) > 1 && p[0] == 'x' && p[1] >= '0' && p[1] <= '9') {
		return true
	}
	_, err := time.ParseDuration(p)
	return err == nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// scenarioFlags are the scenario flags registered on one FlagSet.
type scenarioFlags struct {
	fs     *flag.FlagSet
	vals   map[string]*string
	alarms stringList
	file   *string
	skip   map[string]bool
}

// addScenarioFlags registers --scenario, --alarm and every setting except
// the keys in skip (which the subcommand defines itself).
func addScenarioFlags(fs *flag.FlagSet, skip ...string) *scenarioFlags {
	sf := &scenarioFlags{fs: fs, vals: map[string]*string{}, skip: map[string]bool{}}
	for _, k := range skip {
		sf.skip[k] = true
	}
	sf.file = fs.String("scenario", "", "")
	if !sf.skip["alarms"] {
		fs.Var(&sf.alarms, "alarm", "")
	}
	for _, s := range settings {
		if sf.skip[s.key] {
			continue
		}
		sf.vals[s.key] = fs.String(s.flagName(), "", "")
	}
	return sf
}

// config builds the effective configuration: defaults, then the --scenario
// file, then the flags set on the command line.
func (sf *scenarioFlags) config() (scenarioConfig, origin, error) {
	c := defaultConfig()
	o := origin{file: *sf.file, flags: map[string]bool{}}
	if o.file != "" {
		if err := readScenarioFile(o.file, &c); err != nil {
			return c, o, err
		}
	}
	var err error
	sf.fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		key := strings.ReplaceAll(f.Name, "-", "_")
		for _, s := range settings {
			if s.key != key || sf.skip[key] {
				continue
			}
			o.flags[key] = true
			if e := s.apply(&c, *sf.vals[key]); e != nil {
				err = fmt.Errorf("--%s = %q: %v", f.Name, *sf.vals[key], e)
			}
		}
	})
	if err != nil {
		return c, o, err
	}
	if len(sf.alarms) > 0 {
		o.flags["alarms"] = true
		c.Alarms = c.Alarms[:0:0]
		for _, v := range sf.alarms {
			a, err := parseAlarmFlag(v)
			if err != nil {
				return c, o, fmt.Errorf("--alarm %q: %v", v, err)
			}
			if _, err := a.alarm(len(c.Alarms)); err != nil {
				return c, o, fmt.Errorf("--alarm %q: %v", v, err)
			}
			c.Alarms = append(c.Alarms, a)
		}
	}
	return c, o, nil
}

// printSettings writes the help of the scenario flags registered on sf.
func (sf *scenarioFlags) printSettings(w io.Writer) {
	d := defaultConfig()
	fmt.Fprintln(w, "scenario flags (every one is also a --scenario file key, '-' written '_'):")
	fmt.Fprintf(w, "  --scenario FILE\n      YAML or JSON file with the settings below (see examples/scenario.yaml); flags override it\n")
	if !sf.skip["alarms"] {
		fmt.Fprintf(w, "  --alarm Key=Value,...\n      a CloudWatch alarm for policy alarms, repeatable (replaces the default):\n      MetricName (Errors, ErrorRate, Invocations, Throttles, Duration, ConcurrentExecutions),\n      Dimension (alias, candidate, baseline), Statistic (Sum, SampleCount, Average, Minimum,\n      Maximum, p99 …), Period (seconds), EvaluationPeriods, DatapointsToAlarm, Threshold,\n      ComparisonOperator, TreatMissingData, EvaluateLowSampleCountPercentile, AlarmName\n      (default %s)\n", alarmString(d.Alarms[0]))
	}
	for _, s := range settings {
		if sf.skip[s.key] {
			continue
		}
		if def := s.show(&d); def != "" {
			fmt.Fprintf(w, "  --%s %s\n      %s (default %s)\n", s.flagName(), s.arg, s.usage, def)
		} else {
			fmt.Fprintf(w, "  --%s %s\n      %s\n", s.flagName(), s.arg, s.usage)
		}
	}
}

// alarmString writes an alarm back in --alarm syntax.
func alarmString(a alarmSpec) string {
	th := "?"
	if a.Threshold != nil {
		th = strconv.FormatFloat(*a.Threshold, 'g', -1, 64)
	}
	return fmt.Sprintf("AlarmName=%s,MetricName=%s,Dimension=%s,Statistic=%s,Period=%d,EvaluationPeriods=%d,DatapointsToAlarm=%d,Threshold=%s,ComparisonOperator=%s,TreatMissingData=%s",
		a.AlarmName, a.MetricName, a.Dimension, a.Statistic, a.Period, a.EvaluationPeriods, a.DatapointsToAlarm, th, a.ComparisonOperator, a.TreatMissingData)
}
