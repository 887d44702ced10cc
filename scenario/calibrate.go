package scenario

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deploysim/deploysim/observe"
)

// Notes says where each calibrated setting came from: key → one line.
type Notes map[string]string

// Calibrate sets in c what a calibration read from metric exports (see
// package observe): the traffic as a replayed per-minute profile (traffic
// minutes, per_minute, rps its mean, traffic_loop), the baseline error rate
// and its dispersion, the latency percentiles and the concurrency limit the
// function ran into. What the exports did not say keeps c's value. It
// returns where each value came from.
func (c *File) Calibrate(cal *observe.Calibration) Notes {
	n := Notes{}
	c.Traffic = "minutes"
	c.PerMinute = append([]float64(nil), cal.PerMinute...)
	c.RPS = cal.MeanRate.Value
	c.TrafficLoop = cal.Loop
	n["traffic"] = "replayed per minute from " + cal.Start.Format(time.RFC3339) + ": " + cal.Traffic
	n["rps"] = fmt.Sprintf("%s; peak %.4g req/s (%s)", cal.MeanRate.Source, cal.PeakRate.Value, "the largest per-minute count / 60")
	n["per_minute"] = fmt.Sprintf("expected requests in each of %d minutes, scaled ×%g; a Poisson rate, constant within a minute", len(cal.PerMinute), cal.Scale)
	if cal.Loop {
		n["traffic_loop"] = "--loop: the profile starts over after its end"
	}
	if cal.ErrorRate.Value >= 0 {
		c.BaselineErrorRate = cal.ErrorRate.Value
		n["baseline_error_rate"] = fmt.Sprintf("± %.2g (standard error): %s", cal.ErrorRate.StdErr, cal.ErrorRate.Source)
		d := cal.Dispersion
		if d.Overdispersed && d.Rho.Value > 0 {
			c.ErrorDispersion = d.Rho.Value
			if d.Period >= time.Second {
				c.ErrorDispersionPeriod = Duration(d.Period)
			}
			n["error_dispersion"] = d.Rho.Source
			n["error_dispersion_period"] = "the period of the error series"
		} else if d.Periods > 1 {
			c.ErrorDispersion = 0
			n["error_dispersion"] = d.Rho.Source
		}
	}
	if cal.LatencyP50.Value > 0 {
		c.LatencyP50 = Duration(roundMs(cal.LatencyP50.Value))
		c.LatencyP99 = Duration(max(roundMs(cal.LatencyP99.Value), time.Duration(c.LatencyP50)))
		var fit []string
		for _, f := range cal.LatencyFit {
			fit = append(fit, fmt.Sprintf("p%g %.4g ms (file %.4g)", f.P, f.Model, f.File))
		}
		n["latency_p50"] = cal.LatencyP50.Source
		if len(fit) > 0 {
			n["latency_p99"] = "the lognormal's percentiles: " + strings.Join(fit, ", ")
		}
	}
	if cal.ConcurrencyLimit.Value > 0 {
		c.ConcurrencyLimit = int(cal.ConcurrencyLimit.Value)
		n["concurrency_limit"] = cal.ConcurrencyLimit.Source
	} else if cal.MaxConcurrency.Value > 0 {
		n["concurrency_limit"] = fmt.Sprintf("no throttles: no limit reached (peak ConcurrentExecutions %g, %s)", cal.MaxConcurrency.Value, cal.MaxConcurrency.Source)
	}
	if cal.ThrottleRate.Value > 0 {
		n["execution_model"] = fmt.Sprintf("throttle rate %.3g (%s)", cal.ThrottleRate.Value, cal.ThrottleRate.Source)
	}
	return n
}

func roundMs(ms float64) time.Duration {
	return time.Duration(math.Round(ms*10)) * time.Millisecond / 10
}

// WriteCommented writes c as YAML (as Write does) with header lines first
// and each key's note as a comment above it. Decode reads it back.
func (c *File) WriteCommented(w io.Writer, header []string, notes Notes) error {
	var doc yaml.Node
	if err := doc.Encode(c); err != nil {
		return err
	}
	var hb strings.Builder
	for _, h := range header {
		hb.WriteString(h + "\n")
	}
	doc.HeadComment = strings.TrimSuffix(hb.String(), "\n")
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if note, ok := notes[k.Value]; ok {
			k.HeadComment = wrap(note, 100)
		}
		if k.Value == "per_minute" {
			v.Style = yaml.FlowStyle
		}
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// wrap breaks s into lines of at most n bytes at spaces.
func wrap(s string, n int) string {
	var lines []string
	for len(s) > n {
		i := strings.LastIndexByte(s[:n], ' ')
		if i <= 0 {
			i = n
		}
		lines = append(lines, s[:i])
		s = strings.TrimLeft(s[i:], " ")
	}
	return strings.Join(append(lines, s), "\n")
}

// CalibrateFiles reads the metric exports at paths (any format
// observe.ReadFiles reads; pick chooses the function of an Azure trace),
// fits them (opt; a zero opt.Deployment is taken as c's horizon) and sets
// the result in c (Calibrate). It returns where each value came from, and
// warnings: the readers', the fit's, and one per setting the exports could
// not say.
func (c *File) CalibrateFiles(paths []string, pick observe.Pick, opt observe.Options) (Notes, []string, error) {
	d, err := observe.ReadFiles(paths, pick)
	if err != nil {
		return nil, nil, err
	}
	if opt.Deployment == 0 {
		opt.Deployment = time.Duration(c.Horizon)
	}
	cal, err := observe.Fit(d.Series, opt)
	if err != nil {
		return nil, nil, err
	}
	notes := c.Calibrate(&cal)
	warn := append(d.Warnings, cal.Warnings...)
	for _, k := range []string{"baseline_error_rate", "latency_p50"} {
		if _, ok := notes[k]; !ok {
			warn = append(warn, fmt.Sprintf("%s not in the exports: kept at %s", k, Settings()[settingIndex(k)].Show(c)))
		}
	}
	return notes, warn, nil
}

func settingIndex(key string) int {
	for i, s := range settings {
		if s.Key == key {
			return i
		}
	}
	return -1
}
