package scenario

import (
	"bytes"
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
	"github.com/deploysim/deploysim/internal/quote"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

// File is every setting of a simulation as a scenario file spells it (YAML,
// or JSON), and as `deploysim compare --format json` writes it back under
// "scenario" (defaults filled in), so that the output of one run is a valid
// input of the next. The keys are deploysim's flag names with '-' written
// '_'. Alarms use CloudWatch's own field names (see Alarm).
//
// Load reads one over Default; Validate checks it; Scenario builds the
// simulator's scenario for one strategy.
type File struct {
	// origin says where the settings came from, for errors.
	origin origin
	// trace is the trace Traffic names, once LoadTrace has read it.
	trace *sim.Trace

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
	FaultOnset        Duration `json:"fault_onset" yaml:"fault_onset"`
	LatencyP50        Duration `json:"latency_p50" yaml:"latency_p50"`
	LatencyP99        Duration `json:"latency_p99" yaml:"latency_p99"`
	// LatencyRegression multiplies the candidate's latency (1: none).
	LatencyRegression float64  `json:"latency_regression" yaml:"latency_regression"`
	Timeout           Duration `json:"timeout" yaml:"timeout"`
	// ConcurrencyLimit is the function's reserved concurrency (0: none).
	ConcurrencyLimit int    `json:"concurrency_limit" yaml:"concurrency_limit"`
	EventModel       string `json:"event_model" yaml:"event_model"`
	// The SQS event source mapping of event_model queue: BatchSize (1–10),
	// BatchingWindow (MaximumBatchingWindowInSeconds), PartialBatchResponse
	// (ReportBatchItemFailures) and MaxConcurrency (ScalingConfig's
	// MaximumConcurrency; 0: none). See sim.Queue.
	BatchSize            int      `json:"batch_size" yaml:"batch_size"`
	BatchingWindow       Duration `json:"batching_window" yaml:"batching_window"`
	PartialBatchResponse bool     `json:"partial_batch_response" yaml:"partial_batch_response"`
	MaxConcurrency       int      `json:"max_concurrency" yaml:"max_concurrency"`
	// PreTrafficHook and PostTrafficHook are how long CodeDeploy's
	// BeforeAllowTraffic and AfterAllowTraffic hooks run (0: no hook);
	// each catches an active fault with its catch probability.
	PreTrafficHook   Duration `json:"pre_traffic_hook" yaml:"pre_traffic_hook"`
	PreTrafficCatch  float64  `json:"pre_traffic_catch" yaml:"pre_traffic_catch"`
	PostTrafficHook  Duration `json:"post_traffic_hook" yaml:"post_traffic_hook"`
	PostTrafficCatch float64  `json:"post_traffic_catch" yaml:"post_traffic_catch"`
	// Users is the user population (0: not modelled), with Zipf exponent.
	Users         int      `json:"users" yaml:"users"`
	UsersExponent float64  `json:"users_exponent" yaml:"users_exponent"`
	Runs          int      `json:"runs" yaml:"runs"`
	Seed          uint64   `json:"seed" yaml:"seed"`
	Horizon       Duration `json:"horizon" yaml:"horizon"`
	Resolution    string   `json:"resolution" yaml:"resolution"`
	// Policy is none, alarms, compare, sequential or burnrate.
	Policy string  `json:"policy" yaml:"policy"`
	Alarms []Alarm `json:"alarms" yaml:"alarms"`
	// IngestionDelay is the time from a period's end to its datapoint being
	// visible (sim.DefaultIngestionDelay, an assumption, see docs/model.md).
	IngestionDelay Duration `json:"ingestion_delay" yaml:"ingestion_delay"`
	// EvaluationInterval is the policy's cadence; 0 keeps each policy's own
	// (CloudWatch's for alarms, one minute for compare and sequential).
	EvaluationInterval Duration `json:"evaluation_interval" yaml:"evaluation_interval"`
	// PollInterval is how often CodeDeploy reads alarm states (policy alarms).
	PollInterval Duration `json:"poll_interval" yaml:"poll_interval"`
	// RollbackLatency is the time from the decision to the weight being 0.
	RollbackLatency Duration `json:"rollback_latency" yaml:"rollback_latency"`
	// CompareConfidence is the confidence of policy compare's tests.
	CompareConfidence float64 `json:"compare_confidence" yaml:"compare_confidence"`
	// SequentialAlpha bounds policy sequential's false-rollback probability.
	SequentialAlpha float64 `json:"sequential_alpha" yaml:"sequential_alpha"`

	// The calibrated traffic, error dispersion and execution settings
	// (execution.go).
	PerMinute             []float64 `json:"per_minute,omitempty" yaml:"per_minute,omitempty"`
	TrafficLoop           bool      `json:"traffic_loop" yaml:"traffic_loop"`
	ErrorDispersion       float64   `json:"error_dispersion" yaml:"error_dispersion"`
	ErrorDispersionPeriod Duration  `json:"error_dispersion_period" yaml:"error_dispersion_period"`
	ExecutionModel        bool      `json:"execution_model" yaml:"execution_model"`
	AccountConcurrency    int       `json:"account_concurrency" yaml:"account_concurrency"`
	ProvisionedBaseline   int       `json:"provisioned_baseline" yaml:"provisioned_baseline"`
	ProvisionedCandidate  int       `json:"provisioned_candidate" yaml:"provisioned_candidate"`
	ScalingLimit          bool      `json:"scaling_limit" yaml:"scaling_limit"`
	InitP50               Duration  `json:"init_p50" yaml:"init_p50"`
	InitP99               Duration  `json:"init_p99" yaml:"init_p99"`
	KeepAlive             Duration  `json:"keep_alive" yaml:"keep_alive"`
	// SLO is policy burnrate's availability objective.
	SLO float64 `json:"slo" yaml:"slo"`
}

// Default is the documented default comparison, deploysim's
// DefaultScenario (root package): a bad candidate whose fault fails an extra
// 2 % of its invocations at 5 req/s (DefaultFaultErrorProb, DefaultRate),
// both versions failing 0.1 % when healthy, 10,000 Zipf users, one CloudWatch error-rate alarm watched by
// CodeDeploy, a 2-hour horizon. Its numbers are read from that scenario, so
// the file and the library cannot drift apart. Only the run count is
// the file's own: enough runs for intervals a few percent wide, few
// enough to finish in seconds.
func Default() File {
	d := deploysim.DefaultScenario()
	c := File{
		RPS:               deploysim.DefaultRate,
		Traffic:           "poisson",
		ErrorRate:         d.Fault.ErrorProb,
		BaselineErrorRate: d.Baseline.ErrorProb,
		FaultOnset:        Duration(d.Fault.OnsetAt),
		LatencyP50:        Duration(d.Baseline.P50),
		LatencyP99:        Duration(d.Baseline.P99),
		LatencyRegression: 1,
		Timeout:           Duration(d.Baseline.Timeout),
		EventModel:        "sync",
		BatchSize:         sim.DefaultQueue().BatchSize,
		Users:             d.Users.N,
		UsersExponent:     d.Users.Exponent,
		Runs:              defaultRuns,
		Seed:              d.Seed,
		Horizon:           Duration(d.Horizon),
		Resolution:        "auto",
		Policy:            "alarms",
		Alarms:            []Alarm{AlarmOf(deploysim.DefaultAlarm())},
		IngestionDelay:    Duration(d.IngestionDelay),
		PollInterval:      Duration(rollback.DefaultPollInterval),
		RollbackLatency:   Duration(d.ActionLatency),
		CompareConfidence: 0.98, // Kayenta's default (rollback.BaselineComparison)
		SequentialAlpha:   0.05,
	}
	c.defaultExecution()
	if p, ok := d.Policy.(rollback.Alarms); ok {
		c.EvaluationInterval = Duration(p.EvaluationInterval)
		c.PollInterval = Duration(p.PollInterval)
	}
	return c
}

// defaultRuns is the command line's default number of runs per strategy.
const defaultRuns = 100

// Duration is a time.Duration written as a Go duration string ("1m30s");
// the scenario reader (YAML, which reads JSON too) also accepts a number of
// seconds.
type Duration time.Duration

// String writes the duration as Go does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalYAML reads a Go duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: must be a duration such as 90s or 5m", n.Line)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
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
	file  string          // the file read, "" if none
	flags map[string]bool // keys set on the command line
}

// name is how an error names setting key: "--error-rate" when a flag set it
// (or there is no file), "scenario.yaml: error_rate" otherwise.
func (c *File) name(key string) string {
	if c.origin.flags[key] || c.origin.file == "" {
		if key == "alarms" {
			return "--alarm"
		}
		return "--" + strings.ReplaceAll(key, "_", "-")
	}
	return c.origin.file + ": " + key
}

// bad formats a broken rule of setting key: "--rps = -1: must be >= 0".
func (c *File) bad(key string, value any, rule string) error {
	return fmt.Errorf("%s = %v: %s", c.name(key), value, rule)
}

// MarkFlag records that the command line's flag set key (a file key, or
// "alarms" for --alarm), so that errors about it name the flag rather than
// the file's key.
func (c *File) MarkFlag(key string) {
	if c.origin.flags == nil {
		c.origin.flags = map[string]bool{}
	}
	c.origin.flags[key] = true
}

// FromFlag reports whether MarkFlag was called for key.
func (c *File) FromFlag(key string) bool { return c.origin.flags[key] }

// Path is the file Load or Decode read (its name), "" for Default.
func (c *File) Path() string { return c.origin.file }

// MaxFileSize bounds a scenario file: it is a page of settings, and a file
// larger than this is refused before it is read into memory.
const MaxFileSize = 8 << 20

// Load reads the scenario file at path (YAML, or JSON, which YAML reads)
// over Default. Unknown keys and bad values are errors naming the file, the
// line and the key; a file larger than MaxFileSize is refused unread.
// Load does not Validate the settings.
func Load(path string) (File, error) {
	data, err := ReadFile(path, MaxFileSize)
	if err != nil {
		return File{}, err
	}
	return Decode(path, data)
}

// ReadFile reads the file at path, refusing one larger than max bytes
// (or a directory) before reading it into memory: it reads at most max+1
// bytes, so a device or a growing file cannot exhaust memory either.
func ReadFile(path string, max int64) ([]byte, error) {
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
	if st.Mode().IsRegular() && st.Size() > max {
		// Refused as it is opened, before a byte is read.
		return nil, fmt.Errorf("%s: larger than %d MiB: must be at most that", path, max>>20)
	}
	data, err := readText(path, io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d MiB: must be at most that", path, max>>20)
	}
	return data, nil
}

// readText reads r whole but stops at the first NUL byte, which no YAML or
// JSON text holds (YAML forbids it, JSON escapes it): /dev/zero or a binary
// file is refused at once instead of after max bytes held in memory (600 MB
// to refuse /dev/zero at 256 MiB). UTF-16 and UTF-32 text, which YAML
// allows with a byte order mark and which holds NULs, is read as before.
func readText(path string, r io.Reader) ([]byte, error) {
	var data []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		data = append(data, buf[:n]...)
		if k := bytes.IndexByte(buf[:n], 0); k >= 0 && !hasWideBOM(data) {
			return nil, fmt.Errorf("%s: a NUL byte at offset %d: not a YAML or JSON text file", path, len(data)-n+k)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// hasWideBOM reports whether data starts with a UTF-16 or UTF-32 byte order
// mark.
func hasWideBOM(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) ||
		bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF})
}

// Decode reads a scenario file's content data (name names it in errors)
// over Default. The document may be the whole output of `deploysim compare
// --format json` (JSON is YAML): then its "scenario" object is read and the
// rest ignored. Unknown keys and bad values are errors naming the file, the
// line and the key.
func Decode(name string, data []byte) (File, error) {
	c := Default()
	if err := decodeInto(name, data, &c); err != nil {
		return File{}, err
	}
	c.origin.file = name
	return c, nil
}

// decodeInto decodes data over c.
func decodeInto(name string, data []byte, c *File) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(oneLine(err.Error()), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return fmt.Errorf("%s: empty scenario file", name)
	}
	// A second document would be ignored: refuse it rather than run
	// settings other than the file seems to give.
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		line := next.Line
		if err != nil || line == 0 {
			return fmt.Errorf("%s: after the first YAML document: want one document only", name)
		}
		return fmt.Errorf("%s: line %d: a second YAML document: a scenario file holds one (split it into files)", name, line)
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
	if err := decodeStrict(name, "", root, reflect.ValueOf(c).Elem()); err != nil {
		return err
	}
	clearNegativeZeros(reflect.ValueOf(c))
	return nil
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
	case v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(Duration(0)):
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
			if f, ok := v.Addr().Interface().(*File); ok && val.Kind == yaml.ScalarNode && val.Tag != "!!null" {
				if st, ok := settingByKey(k.Value); ok {
					// The flag's rules and messages: "runs: 2.7" is
					// refused as --runs 2.7 is, not truncated to 2.
					if err := st.apply(f, val.Value); err != nil {
						return at(val, p, fmt.Sprintf("%q: %v", clip(val.Value), err))
					}
					continue
				}
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

// Write writes the file as YAML that Decode reads back to the same settings
// (keys in the order of File's fields).
func (c *File) Write(w io.Writer) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalYAML writes the Go duration string ("1m30s").
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// clip shortens a value quoted in an error, so that a huge value (a 7 MB
// traffic string) does not become a huge message.
func clip(s string) string { return quote.Clip(s, 80) }
