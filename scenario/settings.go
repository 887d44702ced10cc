package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Setting is one key of a scenario file written as text: the command line's
// flag --Key (with '_' written '-') sets it with the same rules and messages
// as the file (File.Set).
type Setting struct {
	// Key is the file's key, e.g. "error_rate".
	Key string
	// Arg is the value's kind in help: N, RATE, DURATION …
	Arg string
	// Usage says what the setting does, in one sentence.
	Usage string
	apply func(c *File, v string) error
	show  func(c *File) string
}

// FlagName is the setting's command-line flag, without dashes: Key with '_'
// written '-'.
func (s Setting) FlagName() string { return strings.ReplaceAll(s.Key, "_", "-") }

// Show writes the setting's value in c as Set reads it ("" for an empty list).
func (s Setting) Show(c *File) string { return s.show(c) }

func floatSetting(key, arg, usage string, p func(*File) *float64) Setting {
	return Setting{Key: key, Arg: arg, Usage: usage,
		apply: func(c *File, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("must be a finite number")
			}
			*p(c) = f
			return nil
		},
		show: func(c *File) string { return strconv.FormatFloat(*p(c), 'g', -1, 64) }}
}

func intSetting(key, usage string, p func(*File) *int) Setting {
	return Setting{Key: key, Arg: "N", Usage: usage,
		apply: func(c *File, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("must be a whole number")
			}
			*p(c) = n
			return nil
		},
		show: func(c *File) string { return strconv.Itoa(*p(c)) }}
}

func durSetting(key, usage string, p func(*File) *Duration) Setting {
	return Setting{Key: key, Arg: "DURATION", Usage: usage,
		apply: func(c *File, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return fmt.Errorf("must be a duration such as 90s or 5m")
			}
			*p(c) = Duration(d)
			return nil
		},
		show: func(c *File) string { return p(c).String() }}
}

func boolSetting(key, usage string, p func(*File) *bool) Setting {
	return Setting{Key: key, Arg: "BOOL", Usage: usage,
		apply: func(c *File, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("must be true or false")
			}
			*p(c) = b
			return nil
		},
		show: func(c *File) string { return strconv.FormatBool(*p(c)) }}
}

func stringSetting(key, arg, usage string, p func(*File) *string) Setting {
	return Setting{Key: key, Arg: arg, Usage: usage,
		apply: func(c *File, v string) error { *p(c) = strings.TrimSpace(v); return nil },
		show:  func(c *File) string { return *p(c) }}
}

// settings lists the settings in the order help prints them.
var settings = append([]Setting{
	{Key: "strategies", Arg: "LIST", Usage: "comma-separated strategy names (any strategy.Parse form: Canary10Percent5Minutes, Linear:20%,1m, Steps:10%,5m,50%,10m …; separate with ';' when a name has commas); empty: every Lambda preset",
		apply: func(c *File, v string) error { c.Strategies = SplitStrategies(v); return nil },
		show:  func(c *File) string { return strings.Join(c.Strategies, ",") }},
	floatSetting("rps", "RATE", "mean requests per second through the alias", func(c *File) *float64 { return &c.RPS }),
	stringSetting("traffic", "SHAPE", "arrivals: poisson, diurnal (±50% daily cycle, start 10:00, peak 14:00), bursty (5× bursts of 1m every 5m on average), trace:FILE (per-second counts, CSV) or minutes (per_minute, as deploysim calibrate writes it)", func(c *File) *string { return &c.Traffic }),
	floatSetting("error_rate", "P", "the candidate's error regression: probability that its fault fails an invocation, on top of the baseline error rate both versions share (0: a healthy candidate)", func(c *File) *float64 { return &c.ErrorRate }),
	floatSetting("baseline_error_rate", "P", "error probability of both versions without the fault", func(c *File) *float64 { return &c.BaselineErrorRate }),
	durSetting("fault_onset", "instant the candidate's fault starts showing", func(c *File) *Duration { return &c.FaultOnset }),
	durSetting("latency_p50", "median latency of both versions (lognormal)", func(c *File) *Duration { return &c.LatencyP50 }),
	durSetting("latency_p99", "99th percentile latency of both versions", func(c *File) *Duration { return &c.LatencyP99 }),
	floatSetting("latency_regression", "FACTOR", "the candidate's latency multiplier (1: none); a factor other than 1 makes the candidate bad", func(c *File) *float64 { return &c.LatencyRegression }),
	durSetting("timeout", "function timeout (0: none)", func(c *File) *Duration { return &c.Timeout }),
	intSetting("concurrency_limit", "reserved concurrency of the function; > 0 turns on the execution model (per-version environments, cold starts, 10 min keep-alive, throttles over the limit) with the defaults of docs/model.md (0: no limit, no cold starts)", func(c *File) *int { return &c.ConcurrencyLimit }),
	intSetting("batch_size", "event_model queue: the most messages per invocation, 1 to 10 (BatchSize)", func(c *File) *int { return &c.BatchSize }),
	durSetting("batching_window", "event_model queue: how long a batch smaller than batch_size waits for more messages (MaximumBatchingWindowInSeconds; 0: none, a free poller takes what is there)", func(c *File) *Duration { return &c.BatchingWindow }),
	boolSetting("partial_batch_response", "event_model queue: the function reports its failed messages and only those are retried (ReportBatchItemFailures)", func(c *File) *bool { return &c.PartialBatchResponse }),
	intSetting("max_concurrency", "event_model queue: the most batches processed at once (ScalingConfig.MaximumConcurrency, 2 to 1000; 0: up to 1,000 pollers, starting at 5)", func(c *File) *int { return &c.MaxConcurrency }),
	stringSetting("event_model", "MODEL", "invocation: sync, async (Lambda's retries: 2 after 1 and 2 min, 6 h maximum age) or queue (an SQS event source mapping: batches of 10, whole-batch retry after a 30 s visibility timeout, dead-letter queue after 5 receives)", func(c *File) *string { return &c.EventModel }),
	durSetting("pre_traffic_hook", "how long CodeDeploy's BeforeAllowTraffic hook runs before any traffic shifts (0: no hook)", func(c *File) *Duration { return &c.PreTrafficHook }),
	floatSetting("pre_traffic_catch", "P", "probability that the pre-traffic hook catches a fault active while it runs (a catch ends the deployment with no customer traffic on the candidate)", func(c *File) *float64 { return &c.PreTrafficCatch }),
	durSetting("post_traffic_hook", "how long the AfterAllowTraffic hook runs once the weight is final (0: no hook)", func(c *File) *Duration { return &c.PostTrafficHook }),
	floatSetting("post_traffic_catch", "P", "probability that the post-traffic hook catches the fault (a catch rolls back)", func(c *File) *float64 { return &c.PostTrafficCatch }),
	intSetting("users", "users behind the traffic, Zipf-distributed (0: not modelled)", func(c *File) *int { return &c.Users }),
	floatSetting("users_exponent", "S", "Zipf exponent of user activity (0: all equally active)", func(c *File) *float64 { return &c.UsersExponent }),
	intSetting("runs", "simulated deployments per strategy", func(c *File) *int { return &c.Runs }),
	{Key: "seed", Arg: "N", Usage: "base seed; run i's seed derives from it and i",
		apply: func(c *File, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("must be a whole number in [0, 2^64)")
			}
			c.Seed = n
			return nil
		},
		show: func(c *File) string { return strconv.FormatUint(c.Seed, 10) }},
	durSetting("horizon", "end of each run; traffic continues after a completed deployment until then (0: the run ends with the deployment)", func(c *File) *Duration { return &c.Horizon }),
	stringSetting("resolution", "RES", "engine: auto, request or bucket", func(c *File) *string { return &c.Resolution }),
	stringSetting("policy", "POLICY", "rollback policy: none, alarms (CodeDeploy watching --alarm), compare (Kayenta-like test against the baseline), sequential (anytime-valid test) or burnrate (the SRE workbook's multi-window burn-rate alert on --slo)", func(c *File) *string { return &c.Policy }),
	durSetting("ingestion_delay", "time from a metric period's end to its datapoint being visible", func(c *File) *Duration { return &c.IngestionDelay }),
	durSetting("evaluation_interval", "policy cadence (0: CloudWatch's for alarms, 1m for compare and sequential)", func(c *File) *Duration { return &c.EvaluationInterval }),
	durSetting("poll_interval", "how often CodeDeploy reads alarm states (0: after every evaluation)", func(c *File) *Duration { return &c.PollInterval }),
	durSetting("rollback_latency", "time from the rollback decision to the weight being 0", func(c *File) *Duration { return &c.RollbackLatency }),
	floatSetting("compare_confidence", "C", "confidence of policy compare's per-interval test", func(c *File) *float64 { return &c.CompareConfidence }),
	floatSetting("sequential_alpha", "ALPHA", "false-rollback bound of policy sequential", func(c *File) *float64 { return &c.SequentialAlpha }),
}, executionSettings...)

// SplitStrategies splits a strategy list as the strategies flag writes it. Compact names contain commas
// (Linear:20%,1m), so a list that has a ';' is split on ';' only; otherwise
// commas split it, and a piece that starts a compact form takes the pieces
// after it that are its arguments (those that contain no letter other than a
// duration unit or 'x', e.g. "1m", "x2", "50%").
func SplitStrategies(v string) []string {
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

// Settings lists every setting File.Set accepts, in the order help prints
// them. The alarms (ParseAlarm) are not among them: they are not one value.
func Settings() []Setting { return append([]Setting(nil), settings...) }

// Set sets key (a file key such as "error_rate") from its text v, with the
// rules of the command line's flags: the error says the rule ("must be a
// whole number"), and the caller names the key or flag and the value.
func (c *File) Set(key, v string) error {
	for _, s := range settings {
		if s.Key == key {
			if err := s.apply(c, v); err != nil {
				return err
			}
			clearNegativeZeros(reflect.ValueOf(c))
			return nil
		}
	}
	return fmt.Errorf("unknown setting %q", key)
}

// settingByKey returns the setting of key.
func settingByKey(key string) (Setting, bool) {
	for _, s := range settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}
