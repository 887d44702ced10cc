package observe

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Metric is what a series measures, whichever system published it.
type Metric uint8

// The metrics Recognise knows. Counts are per period (a Sum); Prometheus
// rates are converted to counts per period when read.
const (
	Unknown              Metric = iota
	Invocations                 // Lambda Invocations (calls that ran; throttles excluded)
	Errors                      // Lambda Errors (function errors and timeouts)
	Throttles                   // Lambda Throttles
	Duration                    // Lambda Duration, milliseconds
	ConcurrentExecutions        // Lambda ConcurrentExecutions
	Count                       // API Gateway Count (requests to the stage)
	Error5XX                    // API Gateway 5XXError
	Error4XX                    // API Gateway 4XXError
	Latency                     // API Gateway Latency, milliseconds (request in to response out)
	IntegrationLatency          // API Gateway IntegrationLatency, milliseconds (backend only)
	Requests                    // requests of a service (Prometheus, a trace, a per-minute CSV)
	RequestErrors               // failed requests of a service (Prometheus 5xx)
	numMetrics
)

var metricNames = [...]string{"Unknown", "Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions",
	"Count", "5XXError", "4XXError", "Latency", "IntegrationLatency", "Requests", "RequestErrors"}

// String is the metric's name as CloudWatch spells it ("5XXError").
func (m Metric) String() string {
	if m < numMetrics {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", m)
}

// Point is one period's value; T is the start of the period, as CloudWatch
// stamps a datapoint.
type Point struct {
	T time.Time
	V float64
}

// Series is one metric and one statistic of one source, one value per
// period, oldest first.
type Series struct {
	// Source says where the series came from:
	// `export.json: MetricDataResults Id "err" (Label "Errors")`.
	Source string
	Metric Metric
	// Stat is the statistic: Sum, Average, Minimum, Maximum, SampleCount or
	// a percentile p0..p100 ("p99", "p99.9").
	Stat string
	// Version is the Lambda ExecutedVersion the series is restricted to
	// ("" for the function or alias as a whole), read from the Id or Label.
	Version string
	// Period is the time between datapoints (0 when the series has one
	// point and its file does not say).
	Period time.Duration
	Points []Point
	// Partial is set when the export said PartialData and no later page
	// completed the series.
	Partial bool

	id string // the get-metric-data Id, for a queries file
}

// Gaps counts the periods missing between the first and last point.
func (s *Series) Gaps() int {
	if s.Period <= 0 {
		return 0
	}
	g := 0
	for i := 1; i < len(s.Points); i++ {
		g += int(s.Points[i].T.Sub(s.Points[i-1].T)/s.Period) - 1
	}
	return g
}

// Span is the time the series covers: from its first period's start to its
// last period's end.
func (s *Series) Span() time.Duration {
	if len(s.Points) == 0 {
		return 0
	}
	return s.Points[len(s.Points)-1].T.Sub(s.Points[0].T) + s.Period
}

// Recognise reads what a CloudWatch query measures from its Id and Label
// (the only names get-metric-data prints; get-metric-statistics prints the
// Label, which is the metric name). Both are folded to lower case without
// punctuation, and the first metric whose name or short name occurs is
// taken, in this order: integrationlatency; latency or lat; 5xx (5xxerror);
// 4xx (4xxerror); concurrentexecutions, concurrency or conc; throttles or
// thr; invocations or inv; errors or err; duration or dur; count. The
// statistic is a trailing p50, p99.9 …, avg or average, sum, max or
// maximum, min or minimum, samplecount or n; otherwise the metric's usual
// one (Sum for counts, Average for durations, Maximum for concurrency). A
// version is a trailing "v" and digits or "ExecutedVersion N" ("inv_v12",
// "Invocations ExecutedVersion 12"). Examples: "inv", "errors_v3",
// "dur_p99", "Duration p90", "api_5xx", "Latency".
func Recognise(id, label string) (m Metric, stat, version string) {
	for _, s := range []string{label, id} {
		if m, stat, version = recognise(s); m != Unknown {
			return m, stat, version
		}
	}
	return Unknown, "", ""
}

var (
	statSuffix    = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(p\d{1,3}(?:\.\d+)?|avg|average|sum|max|maximum|min|minimum|samplecount|n)$`)
	versionSuffix = regexp.MustCompile(`(?i)(?:^|[^a-z0-9])(?:v|executedversion[^a-z0-9]*|version[^a-z0-9]*)(\d+)$`)
)

var metricWords = []struct {
	m     Metric
	words []string
}{
	{IntegrationLatency, []string{"integrationlatency"}},
	{Latency, []string{"latency", "lat"}},
	{Error5XX, []string{"5xx"}},
	{Error4XX, []string{"4xx"}},
	{ConcurrentExecutions, []string{"concurrentexecutions", "concurrency", "conc"}},
	{Throttles, []string{"throttles", "throttle", "thr"}},
	{Invocations, []string{"invocations", "invocation", "inv"}},
	{Errors, []string{"errors", "error", "err"}},
	{Duration, []string{"duration", "dur"}},
	{Count, []string{"count"}},
}

func recognise(s string) (Metric, string, string) {
	s = strings.TrimSpace(s)
	version := ""
	if v := versionSuffix.FindStringSubmatch(s); v != nil {
		version = v[1]
		s = s[:len(s)-len(v[0])]
	}
	stat := ""
	if st := statSuffix.FindStringSubmatch(s); st != nil {
		stat = normStat(st[1])
		s = s[:len(s)-len(st[0])]
	}
	if version == "" { // "inv_v3_sum" is read as well as "inv_sum_v3"
		if v := versionSuffix.FindStringSubmatch(s); v != nil {
			version = v[1]
			s = s[:len(s)-len(v[0])]
		}
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	folded := b.String()
	if isRatio(s) {
		return Unknown, "", ""
	}
	for _, mw := range metricWords {
		for _, w := range mw.words {
			if strings.Contains(folded, w) {
				if stat == "" {
					stat = defaultStat(mw.m)
				}
				return mw.m, stat, version
			}
		}
	}
	return Unknown, "", ""
}

// isRatio reports whether a name has a word rate, ratio, percent or pct
// ("error rate", "errors_pct", "ErrorRate"): words are split at
// punctuation, spaces and lower-to-upper case changes.
func isRatio(s string) bool {
	var words []string
	start := -1
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		upperAfterLower := i > 0 && r >= 'A' && r <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z'
		if start >= 0 && (!alnum || upperAfterLower) {
			words = append(words, strings.ToLower(s[start:i]))
			start = -1
		}
		if alnum && start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, strings.ToLower(s[start:]))
	}
	for _, w := range words {
		switch w {
		case "rate", "ratio", "percent", "pct":
			return true
		}
	}
	return false
}

func normStat(s string) string {
	switch l := strings.ToLower(s); l {
	case "avg", "average":
		return "Average"
	case "sum":
		return "Sum"
	case "max", "maximum":
		return "Maximum"
	case "min", "minimum":
		return "Minimum"
	case "samplecount", "n":
		return "SampleCount"
	default:
		return l // p99
	}
}

func defaultStat(m Metric) string {
	switch m {
	case Duration, Latency, IntegrationLatency:
		return "Average"
	case ConcurrentExecutions:
		return "Maximum"
	}
	return "Sum"
}

// percentile reads a statistic "p99.9" as 99.9; ok is false for the others.
func percentile(stat string) (float64, bool) {
	if len(stat) < 2 || stat[0] != 'p' {
		return 0, false
	}
	p, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// finish sorts the points oldest first, merges exact duplicates (the same
// period in two overlapping pages), refuses conflicting ones and infers the
// period as the smallest step between points. dup names the series in the
// error.
func (s *Series) finish() error {
	sort.SliceStable(s.Points, func(i, j int) bool { return s.Points[i].T.Before(s.Points[j].T) })
	out := s.Points[:0]
	for _, p := range s.Points {
		if n := len(out); n > 0 && out[n-1].T.Equal(p.T) {
			if out[n-1].V != p.V {
				return fmt.Errorf("%s: two values at %s (%v and %v): must be one per period", s.Source, p.T.Format(time.RFC3339), out[n-1].V, p.V)
			}
			continue
		}
		out = append(out, p)
	}
	s.Points = out
	if s.Period == 0 {
		for i := 1; i < len(out); i++ {
			if d := out[i].T.Sub(out[i-1].T); s.Period == 0 || d < s.Period {
				s.Period = d
			}
		}
	}
	return nil
}
