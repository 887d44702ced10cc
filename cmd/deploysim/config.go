package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// scenarioConfig is every setting of a command-line simulation, as the
// --scenario file spells it and as `--format json` writes it back under
// "scenario" (defaults filled in), so that the output of one run is a valid
// input of the next. The keys are the flag names with '-' written '_'.
// Alarms use CloudWatch's own field names (see alarmSpec).
type scenarioConfig struct {
	// Strategies are strategy.Parse names; empty means every Lambda preset.
	Strategies []string `json:"strategies" yaml:"strategies"`
	// RPS is the mean request rate through the alias, per second.
	RPS float64 `json:"rps" yaml:"rps"`
	// Traffic is the arrival shape: poisson, diurnal, bursty or trace:FILE.
	Traffic string `json:"traffic" yaml:"traffic"`
	// ErrorRate is the candidate's error regression: the probability that
	// its fault fails an invocation, on top of the baseline error rate both
	// versions share (0: a healthy candidate, whose rollbacks are false).
	ErrorRate         float64  `json:"error_rate" yaml:"error_rate"`
	BaselineErrorRate float64  `json:"baseline_error_rate" yaml:"baseline_error_rate"`
	FaultOnset        duration `json:"fault_onset" yaml:"fault_onset"`
	LatencyP50        duration `json:"latency_p50" yaml:"latency_p50"`
	LatencyP99        duration `json:"latency_p99" yaml:"latency_p99"`
	// LatencyRegression multiplies the candidate's latency (1: none).
	LatencyRegression float64  `json:"latency_regression" yaml:"latency_regression"`
	Timeout           duration `json:"timeout" yaml:"timeout"`
	// ConcurrencyLimit is the function's reserved concurrency (0: none).
	ConcurrencyLimit int    `json:"concurrency_limit" yaml:"concurrency_limit"`
	EventModel       string `json:"event_model" yaml:"event_model"`
	// PreTrafficHook and PostTrafficHook are how long CodeDeploy's
	// BeforeAllowTraffic and AfterAllowTraffic hooks run (0: no hook);
	// each catches an active fault with its catch probability.
	PreTrafficHook   duration `json:"pre_traffic_hook" yaml:"pre_traffic_hook"`
	PreTrafficCatch  float64  `json:"pre_traffic_catch" yaml:"pre_traffic_catch"`
	PostTrafficHook  duration `json:"post_traffic_hook" yaml:"post_traffic_hook"`
	PostTrafficCatch float64  `json:"post_traffic_catch" yaml:"post_traffic_catch"`
	// Users is the user population (0: not modelled), with Zipf exponent.
	Users         int      `json:"users" yaml:"users"`
	UsersExponent float64  `json:"users_exponent" yaml:"users_exponent"`
	Runs          int      `json:"runs" yaml:"runs"`
	Seed          uint64   `json:"seed" yaml:"seed"`
	Horizon       duration `json:"horizon" yaml:"horizon"`
	Resolution    string   `json:"resolution" yaml:"resolution"`
	// Policy is none, alarms, compare or sequential.
	Policy string      `json:"policy" yaml:"policy"`
	Alarms []alarmSpec `json:"alarms" yaml:"alarms"`
	// IngestionDelay is the time from a period's end to its datapoint being
	// visible (sim.DefaultIngestionDelay, an assumption of the reference).
	IngestionDelay duration `json:"ingestion_delay" yaml:"ingestion_delay"`
	// EvaluationInterval is the policy's cadence; 0 keeps each policy's own
	// (CloudWatch's for alarms, one minute for compare and sequential).
	EvaluationInterval duration `json:"evaluation_interval" yaml:"evaluation_interval"`
	// PollInterval is how often CodeDeploy reads alarm states (policy alarms).
	PollInterval duration `json:"poll_interval" yaml:"poll_interval"`
	// RollbackLatency is the time from the decision to the weight being 0.
	RollbackLatency duration `json:"rollback_latency" yaml:"rollback_latency"`
	// CompareConfidence is the confidence of policy compare's tests.
	CompareConfidence float64 `json:"compare_confidence" yaml:"compare_confidence"`
	// SequentialAlpha bounds policy sequential's false-rollback probability.
	SequentialAlpha float64 `json:"sequential_alpha" yaml:"sequential_alpha"`
}

// defaultConfig is the documented default comparison, deploysim's
// DefaultScenario (root package): a bad candidate whose fault fails an extra
// 5 % of its invocations at 100 req/s, both versions failing 0.1 % when
// healthy, 10,000 Zipf users, one CloudWatch error-rate alarm watched by
// CodeDeploy, a 2-hour horizon. Its numbers are read from that scenario, so
// the command line and the library cannot drift apart. Only the run count is
// the command line's: enough runs for intervals a few percent wide, few
// enough to finish in seconds.
func defaultConfig() scenarioConfig {
	d := deploysim.DefaultScenario()
	c := scenarioConfig{
		RPS:               deploysim.DefaultRate,
		Traffic:           "poisson",
		ErrorRate:         d.Fault.ErrorProb,
		BaselineErrorRate: d.Baseline.ErrorProb,
		FaultOnset:        duration(d.Fault.OnsetAt),
		LatencyP50:        duration(d.Baseline.P50),
		LatencyP99:        duration(d.Baseline.P99),
		LatencyRegression: 1,
		Timeout:           duration(d.Baseline.Timeout),
		EventModel:        "sync",
		Users:             d.Users.N,
		UsersExponent:     d.Users.Exponent,
		Runs:              defaultRuns,
		Seed:              d.Seed,
		Horizon:           duration(d.Horizon),
		Resolution:        "auto",
		Policy:            "alarms",
		Alarms:            []alarmSpec{specOf(deploysim.DefaultAlarm())},
		IngestionDelay:    duration(d.IngestionDelay),
		PollInterval:      duration(rollback.DefaultPollInterval),
		RollbackLatency:   duration(d.ActionLatency),
		CompareConfidence: 0.98, // Kayenta's default (rollback.BaselineComparison)
		SequentialAlpha:   0.05,
	}
	if p, ok := d.Policy.(rollback.Alarms); ok {
		c.EvaluationInterval = duration(p.EvaluationInterval)
		c.PollInterval = duration(p.PollInterval)
	}
	return c
}

// defaultRuns is the command line's default number of runs per strategy.
const defaultRuns = 100

// duration is a time.Duration written as a Go duration string ("1m30s");
// the scenario reader (YAML, which reads JSON too) also accepts a number of
// seconds.
type duration time.Duration

func (d duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the Go duration string.
func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalYAML reads a Go duration string or a number of seconds.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: must be a duration such as 90s or 5m", n.Line)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = duration(v)
	return nil
}

// parseDuration reads "90s", "1m30s" or a plain number of seconds ("90").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.Abs(f) > float64(math.MaxInt64)/1e9 {
			return 0, fmt.Errorf("%q: must be a duration such as 90s or 5m", s)
		}
		return time.Duration(math.Round(f * 1e9)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: must be a duration such as 90s or 5m", s)
	}
	return v, nil
}

// origin says where each setting came from, so that an error names the flag
// (--rps) when the command line set it and the file field (rps in FILE)
// otherwise.
type origin struct {
	file  string          // the --scenario file, "" if none
	flags map[string]bool // keys set on the command line
}

// name is how an error names setting key: "--error-rate" or
// "scenario.yaml: error_rate".
func (o origin) name(key string) string {
	if o.flags[key] || o.file == "" {
		if key == "alarms" {
			return "--alarm"
		}
		return "--" + strings.ReplaceAll(key, "_", "-")
	}
	return o.file + ": " + key
}

// bad formats a broken rule of setting key: "--rps = -1: must be >= 0".
func (o origin) bad(key string, value any, rule string) error {
	return fmt.Errorf("%s = %v: %s", o.name(key), value, rule)
}

// readScenarioFile reads a --scenario file (YAML, or JSON which YAML reads)
// over the defaults in c. Unknown keys are errors, with their line.
func readScenarioFile(path string, c *scenarioConfig) error {
	data, err := readFileLimit(path, maxScenarioFile)
	if err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	return decodeScenario(path, data, c)
}

// Size limits of the files the command reads whole: a scenario is a page of
// settings; a shard holds a mergeable summary (a few kB) per grid row.
const (
	maxScenarioFile = 8 << 20
	maxShardFile    = 256 << 20
)

// readFileLimit reads the file at path, refusing one larger than max bytes
// (or a directory) before reading it into memory.
func readFileLimit(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory: must be a file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d MiB: must be at most that", path, max>>20)
	}
	return data, nil
}

// decodeScenario decodes data (named name in errors) over c. A document may
// hold the whole output of `deploysim compare --format json` (JSON is YAML):
// then its "scenario" object is read and the rest ignored. Unknown keys and
// bad values are errors naming the file, the line and the key.
func decodeScenario(name string, data []byte, c *scenarioConfig) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(oneLine(err.Error()), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return fmt.Errorf("%s: empty scenario file", name)
	}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode {
		var sc, rows *yaml.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			switch root.Content[i].Value {
			case "scenario":
				sc = root.Content[i+1]
			case "rows":
				rows = root.Content[i+1]
			}
		}
		if sc != nil && rows != nil {
			root = sc
		}
	}
	return decodeStrict(name, "", root, reflect.ValueOf(c).Elem())
}

// decodeStrict decodes n into v: a struct from a mapping whose keys are the
// fields' yaml tags (any other key is an error), a slice from a sequence,
// anything else with yaml's own decoding (and the types' UnmarshalYAML).
// path is the key path so far, for errors.
func decodeStrict(name, path string, n *yaml.Node, v reflect.Value) error {
	at := func(n *yaml.Node, p, msg string) error {
		if p == "" {
			return fmt.Errorf("%s: line %d: %s", name, n.Line, msg)
		}
		return fmt.Errorf("%s: line %d: %s: %s", name, n.Line, p, msg)
	}
	if n.Kind == yaml.AliasNode {
		return at(n, path, "YAML aliases are not supported in a scenario file")
	}
	switch {
	case v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(duration(0)):
		if n.Kind != yaml.MappingNode {
			return at(n, path, "want a mapping of keys to values")
		}
		t := v.Type()
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if seen[k.Value] {
				return at(k, p, "given twice")
			}
			seen[k.Value] = true
			j := fieldByTag(t, k.Value)
			if j < 0 {
				return at(k, path, fmt.Sprintf("unknown key %q (want one of %s)", k.Value, strings.Join(tags(t), ", ")))
			}
			if err := decodeStrict(name, p, val, v.Field(j)); err != nil {
				return err
			}
		}
		return nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return at(n, path, "want a list")
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := decodeStrict(name, fmt.Sprintf("%s[%d]", path, i), e, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		msg := oneLine(err.Error())
		if te, ok := err.(*yaml.TypeError); ok {
			msg = strings.Join(te.Errors, "; ")
		}
		msg = yamlLineRe.ReplaceAllString(strings.TrimPrefix(msg, "yaml: "), "")
		msg = strings.ReplaceAll(msg, "unmarshal errors: ", "")
		return at(n, path, oneLine(msg))
	}
	return nil
}

// yamlLineRe matches the "line N: " yaml and UnmarshalYAML put in messages
// that decodeStrict already prefixes with the line.
var yamlLineRe = regexp.MustCompile(`^(line \d+: )+`)

// oneLine joins a multi-line message into the one line an error must be.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

// fieldByTag returns the index of t's field whose yaml tag is key, or -1.
func fieldByTag(t reflect.Type, key string) int {
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag == key {
			return i
		}
	}
	return -1
}

// tags lists t's yaml keys in declaration order.
func tags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

// strategies resolves the strategy names; empty means every Lambda preset.
func (c *scenarioConfig) strategies(o origin) ([]strategy.Strategy, error) {
	if len(c.Strategies) == 0 {
		return strategy.LambdaPresets(), nil
	}
	out := make([]strategy.Strategy, 0, len(c.Strategies))
	for _, n := range c.Strategies {
		s, err := strategy.Parse(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.name("strategies"), err)
		}
		out = append(out, s)
	}
	return out, nil
}

// fill replaces the implicit values by explicit ones (the strategy list,
// each alarm's defaults) so that the config printed under "scenario"
// reproduces the run by itself.
func (c *scenarioConfig) fill(ss []strategy.Strategy) {
	c.Strategies = make([]string, len(ss))
	for i, s := range ss {
		c.Strategies[i] = s.String()
	}
	for i := range c.Alarms {
		c.Alarms[i].fill(i)
	}
	if c.Alarms == nil {
		c.Alarms = []alarmSpec{}
	}
}

// validate checks every setting the command line owns, naming the flag or
// field. The library validates the rest again when the scenario is built.
func (c *scenarioConfig) validate(o origin) error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	prob := func(key string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return o.bad(key, v, "must be in [0, 1]")
		}
		return nil
	}
	if !(c.RPS >= 0) || !finite(c.RPS) {
		return o.bad("rps", c.RPS, "must be a finite number >= 0")
	}
	if err := prob("error_rate", c.ErrorRate); err != nil {
		return err
	}
	if err := prob("baseline_error_rate", c.BaselineErrorRate); err != nil {
		return err
	}
	if c.FaultOnset < 0 {
		return o.bad("fault_onset", c.FaultOnset, "must be >= 0")
	}
	if c.LatencyP50 <= 0 {
		return o.bad("latency_p50", c.LatencyP50, "must be > 0")
	}
	if c.LatencyP99 < c.LatencyP50 {
		return o.bad("latency_p99", c.LatencyP99, fmt.Sprintf("must be >= latency_p50 (%v)", c.LatencyP50))
	}
	if !(c.LatencyRegression > 0) || !finite(c.LatencyRegression) {
		return o.bad("latency_regression", c.LatencyRegression, "must be a finite factor > 0 (1: no regression)")
	}
	if c.Timeout < 0 {
		return o.bad("timeout", c.Timeout, "must be >= 0 (0: no timeout)")
	}
	if c.ConcurrencyLimit < 0 {
		return o.bad("concurrency_limit", c.ConcurrencyLimit, "must be >= 0 (0: no limit)")
	}
	switch c.EventModel {
	case "sync", "async", "queue":
	default:
		return o.bad("event_model", fmt.Sprintf("%q", c.EventModel), "must be sync, async or queue")
	}
	for _, h := range []struct {
		name  string
		d     duration
		catch float64
	}{{"pre_traffic", c.PreTrafficHook, c.PreTrafficCatch}, {"post_traffic", c.PostTrafficHook, c.PostTrafficCatch}} {
		if h.d < 0 || time.Duration(h.d) > sim.MaxHookDuration {
			return o.bad(h.name+"_hook", h.d, "must be in [0, 1h] (CodeDeploy fails a hook after 1 hour; 0: no hook)")
		}
		if err := prob(h.name+"_catch", h.catch); err != nil {
			return err
		}
	}
	if c.Users < 0 {
		return o.bad("users", c.Users, "must be >= 0 (0: users not modelled)")
	}
	if !(c.UsersExponent >= 0) || !finite(c.UsersExponent) {
		return o.bad("users_exponent", c.UsersExponent, "must be a finite number >= 0")
	}
	if c.Runs < 1 || c.Runs > maxRuns {
		return o.bad("runs", c.Runs, fmt.Sprintf("must be in [1, %d]", maxRuns))
	}
	if c.Horizon < 0 {
		return o.bad("horizon", c.Horizon, "must be >= 0 (0: the run ends with the deployment)")
	}
	if _, err := parseResolution(c.Resolution); err != nil {
		return o.bad("resolution", fmt.Sprintf("%q", c.Resolution), err.Error())
	}
	if c.IngestionDelay < 0 {
		return o.bad("ingestion_delay", c.IngestionDelay, "must be >= 0")
	}
	if c.EvaluationInterval < 0 {
		return o.bad("evaluation_interval", c.EvaluationInterval, "must be >= 0 (0: the policy's own cadence)")
	}
	if c.PollInterval < 0 {
		return o.bad("poll_interval", c.PollInterval, "must be >= 0 (0: right after every alarm evaluation)")
	}
	if c.RollbackLatency < 0 {
		return o.bad("rollback_latency", c.RollbackLatency, "must be >= 0")
	}
	if !(c.CompareConfidence > 0.5 && c.CompareConfidence < 1) {
		return o.bad("compare_confidence", c.CompareConfidence, "must be in (0.5, 1)")
	}
	if !(c.SequentialAlpha > 0 && c.SequentialAlpha < 1) {
		return o.bad("sequential_alpha", c.SequentialAlpha, "must be in (0, 1)")
	}
	switch c.Policy {
	case "none", "compare", "sequential":
	case "alarms":
		if len(c.Alarms) == 0 {
			return o.bad("policy", "alarms", "needs at least one --alarm")
		}
		if len(c.Alarms) > rollback.MaxAlarms {
			return o.bad("alarms", len(c.Alarms), fmt.Sprintf("at most %d alarms per deployment group", rollback.MaxAlarms))
		}
	default:
		return o.bad("policy", fmt.Sprintf("%q", c.Policy), "must be none, alarms, compare or sequential")
	}
	// A policy setting given on the command line for another policy would
	// be silently ignored: refuse it instead.
	for _, kp := range [][2]string{{"alarms", "alarms"}, {"poll_interval", "alarms"}, {"compare_confidence", "compare"}, {"sequential_alpha", "sequential"}} {
		if o.flags[kp[0]] && c.Policy != kp[1] {
			return fmt.Errorf("%s: applies only to --policy %s (the policy is %s)", o.name(kp[0]), kp[1], c.Policy)
		}
	}
	for i := range c.Alarms {
		if _, err := c.Alarms[i].alarm(i); err != nil {
			return fmt.Errorf("%s[%d]: %w", o.name("alarms"), i, err)
		}
	}
	if !strings.HasPrefix(c.Traffic, "trace:") {
		switch c.Traffic {
		case "poisson", "diurnal", "bursty":
		default:
			return o.bad("traffic", fmt.Sprintf("%q", c.Traffic), "must be poisson, diurnal, bursty or trace:FILE")
		}
	}
	return nil
}

// maxRuns bounds --runs so that a typo cannot ask for days of work.
const maxRuns = 10_000_000

// parseResolution reads a resolution name as --resolution spells it.
func parseResolution(s string) (sim.Resolution, error) {
	switch s {
	case "auto":
		return sim.Auto, nil
	case "request":
		return sim.PerRequest, nil
	case "bucket":
		return sim.Bucketed, nil
	}
	return 0, fmt.Errorf("must be auto, request or bucket")
}

// Traffic shapes other than poisson have a mean rate of rps and shape
// parameters the command line fixes (assumptions, not AWS facts):
const (
	diurnalAmplitude = 0.5 // the rate swings ±50 % around the mean
	diurnalPeakHour  = 14  // peak at 14:00
	diurnalStartHour = 10  // the deployment starts at 10:00
	burstFactor      = 5   // bursts run at 5× the normal rate
	burstNormal      = 5 * time.Minute
	burstBurst       = time.Minute
)

// workload builds the arrival process.
func (c *scenarioConfig) workload(o origin) (sim.Workload, error) {
	switch c.Traffic {
	case "poisson":
		return sim.Poisson{Rate: c.RPS}, nil
	case "diurnal":
		return sim.Diurnal{Mean: c.RPS, Amplitude: diurnalAmplitude, PeakHour: diurnalPeakHour, StartHour: diurnalStartHour}, nil
	case "bursty":
		// Stationary mean = Rate·(πn + factor·πb) = rps.
		pn := float64(burstNormal) / float64(burstNormal+burstBurst)
		pb := 1 - pn
		r := c.RPS / (pn + burstFactor*pb)
		return sim.Bursty{Rate: r, BurstRate: burstFactor * r, MeanNormal: burstNormal, MeanBurst: burstBurst}, nil
	}
	path := strings.TrimPrefix(c.Traffic, "trace:")
	if path == "" {
		return nil, o.bad("traffic", fmt.Sprintf("%q", c.Traffic), "trace: needs a file name (trace:FILE)")
	}
	t, err := sim.LoadTrace(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.name("traffic"), err)
	}
	return t, nil
}

// policy builds the rollback policy (nil for none).
func (c *scenarioConfig) policy() (rollback.Policy, error) {
	switch c.Policy {
	case "alarms":
		as := make([]rollback.Alarm, len(c.Alarms))
		for i := range c.Alarms {
			a, err := c.Alarms[i].alarm(i)
			if err != nil {
				return nil, err
			}
			as[i] = a
		}
		p := rollback.CodeDeploy(as...)
		p.EvaluationInterval = time.Duration(c.EvaluationInterval)
		p.PollInterval = time.Duration(c.PollInterval)
		return p, nil
	case "compare":
		iv := time.Duration(c.EvaluationInterval)
		if iv == 0 {
			iv = time.Minute
		}
		return rollback.BaselineComparison{Interval: iv, Confidence: c.CompareConfidence, NoData: rollback.NoDataHold}, nil
	case "sequential":
		return rollback.Sequential{Alpha: c.SequentialAlpha, Interval: time.Duration(c.EvaluationInterval)}, nil
	}
	return nil, nil
}

// scenario builds the simulator's scenario for strategy s. Both versions
// fail BaselineErrorRate of their invocations; the candidate's fault adds
// ErrorRate as an independent cause (1-(1-b)(1-e) in all), so that a
// candidate with a regression is "bad" (ground truth for the detection rate)
// and one without is healthy (its rollbacks are false rollbacks).
func (c *scenarioConfig) scenario(o origin, s strategy.Strategy) (sim.Scenario, error) {
	sc := sim.BaseScenario()
	w, err := c.workload(o)
	if err != nil {
		return sc, err
	}
	sc.Workload = w
	sc.Strategy = s
	for _, v := range []*sim.Version{&sc.Baseline, &sc.Candidate} {
		v.ErrorProb = c.BaselineErrorRate
		v.P50 = time.Duration(c.LatencyP50)
		v.P99 = time.Duration(c.LatencyP99)
		v.Timeout = time.Duration(c.Timeout)
	}
	sc.Baseline.Name, sc.Candidate.Name = "baseline", "candidate"
	sc.Fault.ErrorProb = c.ErrorRate
	if c.LatencyRegression != 1 {
		sc.Fault.LatencyFactor = c.LatencyRegression
	}
	sc.Fault.OnsetAt = time.Duration(c.FaultOnset)
	if c.ConcurrencyLimit > 0 {
		// A limit needs the execution model: environments, cold starts,
		// throttles, with the reference's defaults. The account keeps
		// sim.MinUnreserved unreserved, so its limit is raised above the
		// default 1,000 when the reservation needs it (AWS raises it on
		// request).
		sc.Concurrency = sim.DefaultConcurrency()
		sc.Concurrency.ReservedLimit = c.ConcurrencyLimit
		sc.Concurrency.AccountLimit = max(sc.Concurrency.AccountLimit, c.ConcurrencyLimit+sim.MinUnreserved)
	}
	switch c.EventModel {
	case "async":
		sc.EventModel = sim.DefaultAsync()
	case "queue":
		sc.EventModel = sim.DefaultQueue()
	}
	sc.PreTraffic = sim.Hook{Duration: time.Duration(c.PreTrafficHook), CatchProb: c.PreTrafficCatch}
	sc.PostTraffic = sim.Hook{Duration: time.Duration(c.PostTrafficHook), CatchProb: c.PostTrafficCatch}
	if c.Users > 0 {
		sc.Users = sim.Users{N: c.Users, Exponent: c.UsersExponent}
	}
	sc.Policy, err = c.policy()
	if err != nil {
		return sc, err
	}
	sc.Horizon = time.Duration(c.Horizon)
	sc.Seed = c.Seed
	sc.IngestionDelay = time.Duration(c.IngestionDelay)
	sc.ActionLatency = time.Duration(c.RollbackLatency)
	sc.Resolution, _ = parseResolution(c.Resolution)
	if err := sc.Validate(); err != nil {
		if sc.Resolution == sim.Bucketed {
			probe := sc
			probe.Resolution = sim.Auto
			if probe.Validate() == nil {
				// The scenario is fine per request: the bucketed engine
				// cannot run it (or does not exist in this build).
				return sc, fmt.Errorf("%s = bucket: %w", o.name("resolution"), err)
			}
		}
		return sc, fmt.Errorf("scenario for %v: %w", s, err)
	}
	return sc, nil
}
