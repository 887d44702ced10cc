package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deploysim/deploysim/internal/quote"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Format is the kind of configuration a file holds.
type Format uint8

const (
	// CloudFormation is an AWS CloudFormation or SAM template, YAML or JSON.
	CloudFormation Format = iota + 1
	// Kubernetes is one or more Kubernetes objects: Argo Rollouts Rollout and
	// AnalysisTemplate, Flagger Canary.
	Kubernetes
)

// String returns "CloudFormation" or "Kubernetes".
func (f Format) String() string {
	switch f {
	case CloudFormation:
		return "CloudFormation"
	case Kubernetes:
		return "Kubernetes"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Source says where a deployable was declared.
type Source struct {
	Kind string // AWS::Serverless::Function, AWS::CodeDeploy::DeploymentGroup, argoproj.io/Rollout, flagger.app/Canary
	File string
	Line int
	Path string // e.g. Resources.MyFn, or "Rollout/checkout" for a Kubernetes object
}

// String is "Kind at file:line".
func (s Source) String() string { return fmt.Sprintf("%s at %s:%d", s.Kind, s.File, s.Line) }

// Deployable is one thing the file deploys progressively, read into the
// pieces a simulation needs: how traffic moves (Strategy) and what rolls it
// back (Policy), with what the reader could not model listed in Warnings.
type Deployable struct {
	Name   string // logical id (CloudFormation) or metadata.name (Kubernetes)
	Source Source
	// Strategy is the traffic schedule the deployment follows when nothing
	// rolls it back.
	Strategy strategy.Strategy
	// Policy rolls the deployment back; nil when nothing in the file watches
	// the deployment's metrics (it then completes unless a hook fails).
	Policy rollback.Policy
	// Alarms are the CloudWatch alarms CodeDeploy watches (SAM,
	// CloudFormation), as modelled; Policy is built from them.
	Alarms []rollback.Alarm
	// Composite holds the composite alarms CodeDeploy watches (with the
	// metric alarms their rules refer to), nil when there are none;
	// Policy is then a rollback.Composite (composite.go).
	Composite *rollback.Composite
	// Checks are the metric checks of an Argo Rollouts analysis or a Flagger
	// canary analysis, as modelled; Policy is built from them.
	Checks []Check
	// PreTrafficHook and PostTrafficHook name the validation functions
	// CodeDeploy runs before the first and after the last traffic shift
	// (SAM Hooks), or the Flagger webhooks of the matching kinds; "" if none.
	// (An Argo Rollouts blue/green prePromotionAnalysis is read as a
	// pre-traffic hook named "prePromotionAnalysis".)
	PreTrafficHook, PostTrafficHook string
	// PreTraffic and PostTraffic are those hooks as the simulator runs them
	// (sim.Hook); the zero Hook where the file declares none. What the file
	// fixes is read: an Argo pre-promotion analysis lasts its measurements,
	// a Flagger pre-rollout webhook runs inside the first analysis tick and
	// takes none of the schedule's time. The rest is assumed,
	// DefaultHookDuration and DefaultHookCatchProb, with a warning. Apply
	// puts them in the scenario.
	PreTraffic, PostTraffic sim.Hook
	// IngestionDelay and Period describe the metric pipeline of the system
	// that watches the deployment when it is not CloudWatch (whose delay and
	// 1-minute period are the sim.Scenario defaults): Argo Rollouts and
	// Flagger query Prometheus, which sees a request within a scrape
	// interval (PrometheusDelay, PrometheusPeriod). Zero keeps the
	// scenario's. Apply sets them.
	IngestionDelay, Period time.Duration
	// Declared is the strategy in the file's own words (Explain).
	Declared string
	// Watched is how many alarms or analysis metrics the file declares to
	// watch this deployment, modelled or not; Alarms and Checks hold the
	// modelled ones. Declared ones of which none is modelled make a policy
	// that never fires (Explanation.PolicyNeverFires).
	Watched int
	// Warnings lists what was read but cannot be modelled, or is modelled
	// under an assumption.
	Warnings []Warning
}

// The metric pipeline assumed for the Prometheus queries of Argo Rollouts and
// Flagger. [assumed] A request shows in a query after the next scrape:
// 15 s is a common scrape_interval (Prometheus's own default is 1 m). The
// 10 s period is the finest the simulator publishes; Prometheus has no
// periods, so it stands in for "up to the last scrape". With CloudWatch's
// 60 s delay instead, Flagger's first check would find no data and fail.
const (
	PrometheusDelay  = 15 * time.Second
	PrometheusPeriod = 10 * time.Second
)

// How a declared hook runs when the file does not say. [assumed] Neither
// value is in a configuration: a CodeDeploy hook is a Lambda function that
// reports Succeeded or Failed when its own tests are done, within 1 hour
// (docs/model.md, "CodeDeploy during a deployment"), and an Argo or
// Flagger gate runs whatever checks its authors wrote. DefaultHookDuration
// stands for a short integration test; DefaultHookCatchProb says the hook's
// tests catch half the faults active while they run — a guess, to be
// replaced by what a team knows of its own hooks (set Scenario.PreTraffic
// or PostTraffic before Apply; --pre-traffic-catch on the command line).
const (
	DefaultHookDuration  = time.Minute
	DefaultHookCatchProb = 0.5
)

// declaredHook is a hook the file declares and does not describe.
func declaredHook() sim.Hook {
	return sim.Hook{Duration: DefaultHookDuration, CatchProb: DefaultHookCatchProb}
}

// hookAssumption is the warning on a hook whose catch probability is assumed.
func hookAssumption(h sim.Hook) string {
	return fmt.Sprintf("simulated as running %v and catching a fault active while it runs with probability %g (assumed: set it to what the hook's tests catch)", h.Duration, h.CatchProb)
}

// File is what Read found in one file.
type File struct {
	Name        string
	Format      Format
	Deployables []Deployable
	// Warnings that belong to no deployable: skipped functions, objects of
	// kinds deploysim does not read, analysis templates nobody uses.
	Warnings []Warning
}

// AllWarnings returns the file's warnings and every deployable's, sorted by
// line.
func (f *File) AllWarnings() []Warning {
	out := append([]Warning(nil), f.Warnings...)
	for _, d := range f.Deployables {
		out = append(out, d.Warnings...)
	}
	sortWarnings(out)
	return out
}

// Options tune the assumptions a reader makes where a file leaves a value to a
// human or to the runtime.
type Options struct {
	// ManualPause stands in for an Argo Rollouts `pause: {}` and for
	// `autoPromotionEnabled: false`, which wait for a human to promote. Zero
	// means strategy.DefaultManualPromotion (one hour, an assumption).
	ManualPause time.Duration
	// DeploymentConfigs are CodeDeploy deployment configurations defined
	// outside the file (a custom AWS::CodeDeploy::DeploymentConfig of another
	// stack, or made with the CLI), by name: a DeploymentPreference.Type or
	// DeploymentConfigName that is neither a predefined configuration nor
	// defined in the template is looked up here. Without it, the function
	// is skipped with a warning that says how to supply it
	// (ParseDeploymentConfig reads the command line's Name=Linear:20%,2m).
	DeploymentConfigs map[string]strategy.Strategy
}

// ParseDeploymentConfig reads a deployment configuration defined outside a
// file, written NAME=STRATEGY with STRATEGY in strategy.Parse's grammar:
// TestDeploymentConfiguration=Linear:20%,2m, MyConfig=Canary10Percent7Minutes,
// Slow=AllAtOnce. The strategy must be one CodeDeploy can run for Lambda
// (AllAtOnce, Canary or Linear).
func ParseDeploymentConfig(s string) (name string, st strategy.Strategy, err error) {
	name, spec, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", nil, fmt.Errorf("deployment config %q: want NAME=STRATEGY, e.g. TestDeploymentConfiguration=Linear:20%%,2m", clipString(s))
	}
	st, err = strategy.Parse(spec)
	if err != nil {
		return "", nil, fmt.Errorf("deployment config %s: %w", name, err)
	}
	switch st.(type) {
	case strategy.AllAtOnce, strategy.Canary, strategy.Linear:
	default:
		return "", nil, fmt.Errorf("deployment config %s = %v: a CodeDeploy configuration is AllAtOnce, Canary or Linear (TimeBasedCanary, TimeBasedLinear)", name, st)
	}
	return name, st, nil
}

func clipString(s string) string { return quote.Clip(s, maxQuoted) }

func (o Options) manualPause() time.Duration {
	if o.ManualPause > 0 {
		return o.ManualPause
	}
	return strategy.DefaultManualPromotion
}

// maxInput bounds the size of a file Read accepts: rollout configurations are
// kilobytes, and the YAML parser's memory grows with its input.
const maxInput = 8 << 20

// ReadFile reads the file at path with the default Options.
func ReadFile(path string) (*File, error) { return Options{}.ReadFile(path) }

// Read reads a file's content with the default Options; name is used in
// errors and warnings.
func Read(name string, data []byte) (*File, error) { return Options{}.Read(name, data) }

// ReadFile reads the file at path. A file larger than 8 MiB is refused
// unread (a device or pipe after 8 MiB), with its name, size and the limit.
func (o Options) ReadFile(path string) (*File, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return o.Read(path, data)
}

// Read reads a CloudFormation/SAM template (YAML or JSON) or a stream of
// Kubernetes objects (Argo Rollouts, Flagger) and returns the deployables it
// declares. A malformed file, or a value no tool would accept, is an *Error
// naming the file, line and path; what is valid but cannot be simulated is a
// Warning. It never panics.
func (o Options) Read(name string, data []byte) (f *File, err error) {
	files, err := o.readAll([]string{name}, [][]byte{data})
	if err != nil {
		return nil, err
	}
	return files[0], nil
}

// ReadFiles reads several files: each CloudFormation template on its own,
// the Kubernetes manifests together, so that a Rollout may use the
// AnalysisTemplates of another file and a Canary its MetricTemplates. It
// returns one File per path, in order; errors and warnings name the file
// they are about. Each file is checked as it is opened: one larger than
// 8 MiB is refused unread (a device or pipe after 8 MiB), with its name,
// size and the limit, before the next is read.
func (o Options) ReadFiles(paths ...string) ([]*File, error) {
	datas := make([][]byte, len(paths))
	for i, p := range paths {
		var err error
		if datas[i], err = readFile(p); err != nil {
			return nil, err
		}
	}
	return o.readAll(paths, datas)
}

func (o Options) readAll(names []string, datas [][]byte) (files []*File, err error) {
	defer func() {
		// The readers are written not to panic; this is the last line of
		// defence for a user-facing parser fed arbitrary files.
		if p := recover(); p != nil {
			files, err = nil, &Error{File: strings.Join(names, ", "), Err: fmt.Errorf("internal error reading the file: %v", p)}
		}
	}()
	files = make([]*File, len(names))
	var kube []kdocs
	var kubeOut []*File
	for i, name := range names {
		data := datas[i]
		if len(data) > maxInput {
			return nil, tooLarge(name, fmt.Sprintf("%d bytes", len(data)))
		}
		docs, err := parseDocuments(name, data)
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			return nil, &Error{File: name, Line: 1, Err: errors.New("empty file: expected a CloudFormation/SAM template or Kubernetes objects")}
		}
		files[i] = &File{Name: name}
		first := at{n: docs[0]}
		if len(docs) == 1 && isTemplate(first) {
			files[i].Format = CloudFormation
			r := &reader{file: name, opts: o}
			if err := r.readTemplate(first, files[i]); err != nil {
				return nil, err
			}
			continue
		}
		files[i].Format = Kubernetes
		kube = append(kube, kdocs{file: name, docs: docs})
		kubeOut = append(kubeOut, files[i])
	}
	if len(kube) > 0 {
		r := &reader{file: kube[0].file, opts: o}
		if err := r.readKubernetesFiles(kube, kubeOut); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		for i := range f.Deployables {
			f.Deployables[i].Warnings = dedupe(f.Deployables[i].Warnings)
		}
		f.Warnings = dedupe(f.Warnings)
	}
	return files, nil
}

// parseDocuments splits a YAML stream (JSON is YAML) into its non-empty
// documents.
func parseDocuments(name string, data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			if line, msg, ok := jsonSyntaxError(data); ok {
				return nil, &Error{File: name, Line: line, Err: fmt.Errorf("not valid JSON: %s", msg)}
			}
			return nil, &Error{File: name, Line: yamlErrLine(err), Err: fmt.Errorf("not valid YAML or JSON: %s", trimYAMLErr(err))}
		}
		if d := deref(&n); d != nil && !(d.Kind == yaml.ScalarNode && d.Tag == "!!null") {
			docs = append(docs, &n)
		}
		if len(docs) > 10000 {
			return nil, &Error{File: name, Err: errors.New("more than 10000 documents")}
		}
	}
	return docs, nil
}

// yamlErrLine digs the line out of yaml.v3's "yaml: line N: …" messages.
func yamlErrLine(err error) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		n := 0
		for _, c := range s[i+5:] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
			if n > 1e8 {
				return 0
			}
		}
		return n
	}
	return 0
}

func trimYAMLErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		s = s[i+2:]
	}
	return s
}

// isTemplate tells a CloudFormation template from a Kubernetes object.
func isTemplate(a at) bool {
	if !a.isMap() {
		return false
	}
	if _, ok := a.get("apiVersion"); ok {
		return false
	}
	for _, k := range []string{"Resources", "AWSTemplateFormatVersion", "Transform", "Globals"} {
		if _, ok := a.get(k); ok {
			return true
		}
	}
	// A template whose resources were written at the top level (the AWS SAM
	// documentation's own example does this): any mapping entry with a Type
	// that names an AWS resource type.
	for _, e := range a.entries() {
		if ty, ok := e.val.get("Type"); ok {
			if s, ok := ty.scalar(); ok && strings.HasPrefix(s, "AWS::") {
				return true
			}
		}
	}
	return false
}

func dedupe(ws []Warning) []Warning {
	if len(ws) == 0 {
		return nil
	}
	seen := make(map[Warning]bool, len(ws))
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func sortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].File != ws[j].File {
			return ws[i].File < ws[j].File
		}
		return ws[i].Line < ws[j].Line
	})
}

// Check is one metric check of an Argo Rollouts analysis or a Flagger canary
// analysis, in the simulator's terms: a measurement of Statistic of Metric on
// Dimension over the last Window, which fails when its value is FailWhen
// Threshold (ErrorRate > 0.01 fails; a success rate >= 99 % reads so).
//
// Measurements are taken at Start, Start+Interval, …, Count of them (0: for
// as long as the deployment runs). For Argo, a check fails the rollout when
// more than Limit (failureLimit) of its measurements fail; for Flagger, Limit
// is 0 and the failed-checks threshold, shared by all checks, is the
// policy's (rollback.FailedChecks.Threshold).
type Check struct {
	Name      string
	Metric    metrics.Metric
	Dimension metrics.Dimension
	Statistic metrics.Statistic
	FailWhen  rollback.Comparison
	Threshold float64
	Window    time.Duration // data each measurement reads (PromQL range, Flagger metric interval)
	Interval  time.Duration // time between measurements
	Count     int           // measurements in all; 0: until the deployment ends
	Limit     int           // Argo failureLimit: failed measurements tolerated
	Start     time.Duration // instant of the first measurement, since the deployment started
	// PassOnNoData: a window with no samples passes (Argo's
	// `len(result) == 0 || …`). Otherwise Argo counts it as a measurement
	// error, and more than ErrorLimit errors in a row fail the rollout;
	// Flagger counts it as a failed check.
	PassOnNoData bool
	ErrorLimit   int // Argo consecutiveErrorLimit (default 4)
}

// Apply returns base with what the configuration decides: the deployable's
// strategy and rollback policy, its hooks, and, for deployables watched
// through Prometheus, its metric delay and period. The workload, the versions
// and the fault stay the caller's; set a field after Apply to override it.
//
// The file says which hooks exist, so Apply removes base's PreTraffic or
// PostTraffic where the file declares none. For a hook the file declares,
// base's hook, when set, says how it behaves: each of its non-zero fields
// (Duration, CatchProb) replaces the deployable's (read or assumed, see
// PreTraffic). A declared hook with a zero field is set after Apply.
func (d *Deployable) Apply(base sim.Scenario) sim.Scenario {
	base.Strategy = d.Strategy
	base.Policy = d.Policy
	if d.IngestionDelay > 0 {
		base.IngestionDelay = d.IngestionDelay
	}
	if d.Period > 0 {
		base.Period = d.Period
	}
	base.PreTraffic = applyHook(d.PreTraffic, base.PreTraffic)
	base.PostTraffic = applyHook(d.PostTraffic, base.PostTraffic)
	return base
}

// applyHook is the file's hook with the caller's non-zero fields, or no hook
// where the file declares none.
func applyHook(file, caller sim.Hook) sim.Hook {
	if !file.Enabled() {
		return sim.Hook{}
	}
	if caller.Duration != 0 {
		file.Duration = caller.Duration
	}
	if caller.CatchProb != 0 {
		file.CatchProb = caller.CatchProb
	}
	return file
}

// jsonSyntaxError locates the error in a file that looks like JSON: YAML's
// parser names the line where the enclosing flow collection began, JSON's
// the byte where it went wrong.
func jsonSyntaxError(data []byte) (line int, msg string, ok bool) {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return 0, "", false
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return 0, "", false
	}
	off := se.Offset
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1, se.Error(), true
}

// ReadFiles reads several files together with the default Options (see
// Options.ReadFiles).
func ReadFiles(paths ...string) ([]*File, error) { return Options{}.ReadFiles(paths...) }
