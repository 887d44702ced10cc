package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/deploysim/deploysim/observe"
	"github.com/deploysim/deploysim/scenario"
)

// calibrateOptions are calibrate's own flags: how to read and replay the
// exports.
type calibrateOptions struct {
	start    string
	loop     bool
	scale    float64
	function string
	out      string
}

// newCalibrateCmd is `deploysim calibrate FILE...`: a scenario file from
// metric exports.
func newCalibrateCmd(s streams) *cobra.Command {
	var o calibrateOptions
	cmd := &cobra.Command{
		Use:   "calibrate FILE...",
		Short: "Write a scenario file from your metrics (CloudWatch, Prometheus, Azure trace, CSV)",
		Long: `Reads metric exports and writes the scenario file (YAML, as --scenario reads it)
they describe, each value with a comment saying where it came from:

  - the traffic as a replayed per-minute profile (a Poisson rate constant
    within each minute) from the first datapoint or --start, optionally
    --loop'ed and --scale'd: Lambda Invocations + Throttles, API Gateway
    Count, a Prometheus request rate, an Azure trace or a timestamp,count CSV;
  - the baseline error rate (Errors/Invocations, 5XXError/Count, Prometheus
    5xx) and, when errors vary from period to period more than a binomial,
    their dispersion (error_dispersion, a beta-binomial's correlation);
  - latency as a lognormal fitted to Duration's percentiles (p50, p90, p99,
    Average) or API Gateway's Latency;
  - the concurrency limit the function ran into (throttles at a peak of
    ConcurrentExecutions).

Formats (told apart by content): aws cloudwatch get-metric-data JSON (pages
appended one after the other), aws cloudwatch get-metric-statistics JSON,
Prometheus /api/v1/query_range JSON, the Azure Functions 2019 trace
(invocations_per_function_md.anon.dNN.csv, with its
function_durations_percentiles file), a CSV of timestamp,count. Queries are
recognised by their Id or Label: inv, err, thr, dur_p50, dur_p90, dur_p99,
conc, count, 5xx, 4xx, latency, integration_latency (or the metric names).

Warnings (gaps, PartialData, a series shorter than the horizon, what the
exports do not say) go to stderr and into the file's header. Every other
command reads the exports directly with --from FILE,...`,
		Example: `  deploysim calibrate metrics.json > scenario.yaml && deploysim compare --scenario scenario.yaml
  deploysim calibrate --function busiest invocations_per_function_md.anon.d01.csv function_durations_percentiles.anon.d01.csv
  deploysim calibrate --scale 2 --loop requests.csv -o scenario.yaml
  deploysim compare --from metrics.json --error-rate 0.02`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCalibrate(s, &o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.start, "start", "", "replay from this `TIME` (RFC 3339) instead of the first datapoint")
	fs.BoolVar(&o.loop, "loop", false, "replay the traffic from its start again after its end")
	fs.Float64Var(&o.scale, "scale", 1, "multiply the traffic by `FACTOR` (2: the growth you plan for)")
	fs.StringVar(&o.function, "function", "busiest", "Azure trace: the function to read: busiest, rank:N or a HashFunction")
	fs.StringVarP(&o.out, "output", "o", "", "write the scenario to `FILE` instead of standard output")
	return cmd
}

func runCalibrate(s streams, o *calibrateOptions, paths []string) error {
	pick, err := observe.ParsePick(o.function)
	if err != nil {
		return fmt.Errorf("--function: %w", err)
	}
	opt := observe.Options{Loop: o.loop, Scale: o.scale}
	if o.start != "" {
		t, err := time.Parse(time.RFC3339Nano, o.start)
		if err != nil {
			return fmt.Errorf("--start = %q: must be an RFC 3339 time such as 2024-05-01T10:00:00Z", clip(o.start))
		}
		opt.Start = t
	}
	if !(o.scale > 0) {
		return fmt.Errorf("--scale = %v: must be a factor > 0", o.scale)
	}
	c := scenario.Default()
	notes, warns, err := c.CalibrateFiles(paths, pick, opt)
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("the calibrated scenario is not valid: %w", err)
	}
	header := []string{"deploysim calibrate " + strings.Join(paths, " "),
		"Values from the exports say where they came from; the rest are deploysim's defaults",
		"(the fault, the strategies, the alarms: edit them, or override with flags)."}
	for _, w := range warns {
		header = append(header, "warning: "+w)
		fmt.Fprintf(s.err, "deploysim calibrate: warning: %s\n", w)
	}
	var b bytes.Buffer
	if err := c.WriteCommented(&b, header, notes); err != nil {
		return err
	}
	if o.out == "" {
		_, err = s.out.Write(b.Bytes())
		return err
	}
	return os.WriteFile(o.out, b.Bytes(), 0o644)
}

// calibrateFrom applies --from: the exports' calibration over c, with the
// warnings on w (standard error when nil).
func calibrateFrom(c *scenario.File, paths []string, w io.Writer) error {
	if len(paths) == 0 {
		return nil
	}
	_, warns, err := c.CalibrateFiles(paths, observe.Pick{}, observe.Options{})
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if w == nil {
		w = os.Stderr
	}
	for _, m := range warns {
		fmt.Fprintf(w, "deploysim: --from: warning: %s\n", m)
	}
	return nil
}
