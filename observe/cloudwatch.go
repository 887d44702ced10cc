package observe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// maxJSON bounds a JSON export: get-metric-data returns at most 100,800
// datapoints per query per page, so even many pages of many queries are a
// few tens of megabytes.
const maxJSON = 512 << 20

// metricDataResult is one entry of get-metric-data's MetricDataResults.
type metricDataResult struct {
	ID         string    `json:"Id"`
	Label      string    `json:"Label"`
	Timestamps []string  `json:"Timestamps"`
	Values     []float64 `json:"Values"`
	StatusCode string    `json:"StatusCode"`
}

// datapoint is one entry of get-metric-statistics' Datapoints.
type datapoint struct {
	Timestamp          string             `json:"Timestamp"`
	Sum                *float64           `json:"Sum"`
	Average            *float64           `json:"Average"`
	Minimum            *float64           `json:"Minimum"`
	Maximum            *float64           `json:"Maximum"`
	SampleCount        *float64           `json:"SampleCount"`
	ExtendedStatistics map[string]float64 `json:"ExtendedStatistics"`
	Unit               string             `json:"Unit"`
}

// ReadCloudWatch reads the JSON the AWS CLI prints for
// `aws cloudwatch get-metric-data` or `aws cloudwatch get-metric-statistics`
// (one or several documents, one after the other, as a loop over NextToken
// pages appends them to a file). Results with the same Id (get-metric-data)
// or Label (get-metric-statistics) in several documents are one series.
// name labels errors and sources. Series whose Id and Label Recognise does
// not know are returned with Metric Unknown; the caller decides.
func ReadCloudWatch(r io.Reader, name string) ([]Series, []string, error) {
	lr := &lineReader{r: io.LimitReader(r, maxJSON+1)}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	c := cwReader{name: name, lr: lr, dec: dec, byKey: map[string]int{}}
	for doc := 0; ; doc++ {
		tok, err := dec.Token()
		if err == io.EOF {
			if doc == 0 {
				return nil, nil, &ParseError{File: name, Rule: "empty file: want the JSON of aws cloudwatch get-metric-data or get-metric-statistics"}
			}
			break
		}
		if err != nil {
			return nil, nil, c.syntax(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return nil, nil, c.errAt(dec.InputOffset(), "", fmt.Sprint(tok), "want a JSON object (the output of aws cloudwatch get-metric-data or get-metric-statistics)")
		}
		if err := c.document(doc); err != nil {
			return nil, nil, err
		}
	}
	if lr.off > maxJSON {
		return nil, nil, &ParseError{File: name, Rule: fmt.Sprintf("larger than %d MiB: must be at most that", maxJSON>>20)}
	}
	out := make([]Series, 0, len(c.series))
	for i := range c.series {
		s := &c.series[i]
		if err := s.finish(); err != nil {
			return nil, nil, fmt.Errorf("observe: %w", err)
		}
		if s.Partial {
			c.warn = append(c.warn, fmt.Sprintf("%s: the last page says StatusCode PartialData: the export stops before the end of the range (repeat the command with --next-token and append the pages)", s.Source))
		}
		out = append(out, *s)
	}
	return out, c.warn, nil
}

type cwReader struct {
	name   string
	lr     *lineReader
	dec    *json.Decoder
	series []Series
	byKey  map[string]int
	warn   []string
}

func (c *cwReader) errAt(off int64, field, value, rule string) error {
	q := ""
	if value != "" {
		q = clip(value)
	}
	return &ParseError{File: c.name, Line: c.lr.line(off), Field: field, Value: q, Rule: rule}
}

func (c *cwReader) syntax(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &ParseError{File: c.name, Line: c.lr.line(se.Offset), Rule: "invalid JSON: " + se.Error(), Err: err}
	case errors.As(err, &te):
		return &ParseError{File: c.name, Line: c.lr.line(te.Offset), Field: te.Field, Rule: fmt.Sprintf("want a %v, got a JSON %s", te.Type, te.Value), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ParseError{File: c.name, Line: c.lr.line(c.lr.off), Rule: "unexpected end of file: the JSON is cut short", Err: err}
	}
	return &ParseError{File: c.name, Line: c.lr.line(c.dec.InputOffset()), Rule: err.Error(), Err: err}
}

// document reads one top-level object, its '{' already consumed.
func (c *cwReader) document(doc int) error {
	dec := c.dec
	label, labelOff := "", int64(0)
	var points []datapoint
	var pointOff []int64
	kind := ""
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return c.syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "MetricDataResults":
			kind = "data"
			if err := c.expect('['); err != nil {
				return err
			}
			for i := 0; dec.More(); i++ {
				off := dec.InputOffset()
				var m metricDataResult
				if err := dec.Decode(&m); err != nil {
					return c.syntax(err)
				}
				if err := c.result(doc, i, off, &m); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return c.syntax(err)
			}
		case "Label":
			labelOff = dec.InputOffset()
			if err := dec.Decode(&label); err != nil {
				return c.syntax(err)
			}
		case "Datapoints":
			kind = "stats"
			if err := c.expect('['); err != nil {
				return err
			}
			for dec.More() {
				pointOff = append(pointOff, dec.InputOffset())
				var p datapoint
				if err := dec.Decode(&p); err != nil {
					return c.syntax(err)
				}
				points = append(points, p)
			}
			if _, err := dec.Token(); err != nil {
				return c.syntax(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return c.syntax(err)
			}
		}
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != nil {
		return c.syntax(err)
	}
	switch kind {
	case "data":
		return nil
	case "stats":
		return c.statistics(doc, label, labelOff, points, pointOff)
	}
	return c.errAt(end, fmt.Sprintf("document %d", doc+1), "", "has neither MetricDataResults (get-metric-data) nor Datapoints (get-metric-statistics)")
}

func (c *cwReader) expect(d json.Delim) error {
	off := c.dec.InputOffset()
	tok, err := c.dec.Token()
	if err != nil {
		return c.syntax(err)
	}
	if t, ok := tok.(json.Delim); !ok || t != d {
		return c.errAt(off, "", fmt.Sprint(tok), fmt.Sprintf("want %q", string(d)))
	}
	return nil
}

// parseTime reads a timestamp as the AWS CLI prints it (ISO 8601 with an
// offset, "2024-05-01T10:00:00+00:00" or "…Z", fractions allowed).
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (c *cwReader) series1(key, source string, m Metric, stat, version string) *Series {
	if i, ok := c.byKey[key]; ok {
		return &c.series[i]
	}
	c.byKey[key] = len(c.series)
	c.series = append(c.series, Series{Source: source, Metric: m, Stat: stat, Version: version})
	return &c.series[len(c.series)-1]
}

func (c *cwReader) result(doc, i int, off int64, m *metricDataResult) error {
	field := fmt.Sprintf("MetricDataResults[%d]", i)
	if doc > 0 {
		field = fmt.Sprintf("document %d: %s", doc+1, field)
	}
	if m.ID == "" {
		return c.errAt(off, field+".Id", "", "missing: every result has the Id of its query")
	}
	if len(m.Timestamps) != len(m.Values) {
		return c.errAt(off, field, "", fmt.Sprintf("has %d Timestamps and %d Values: must have as many", len(m.Timestamps), len(m.Values)))
	}
	switch m.StatusCode {
	case "Complete", "PartialData", "":
	case "InternalError", "Forbidden":
		c.warn = append(c.warn, fmt.Sprintf("%s:%d: %s (Id %q): StatusCode %s: its values are left out", c.name, c.lr.line(off), field, m.ID, m.StatusCode))
		return nil
	default:
		return c.errAt(off, field+".StatusCode", m.StatusCode, "must be Complete, PartialData, InternalError or Forbidden")
	}
	met, stat, ver := Recognise(m.ID, m.Label)
	src := fmt.Sprintf("%s: MetricDataResults Id %q (Label %q)", c.name, m.ID, m.Label)
	s := c.series1("id:"+m.ID, src, met, stat, ver)
	s.id = m.ID
	for j, ts := range m.Timestamps {
		t, ok := parseTime(ts)
		if !ok {
			return c.errAt(off, fmt.Sprintf("%s.Timestamps[%d]", field, j), ts, "must be an ISO 8601 time such as 2024-05-01T10:00:00+00:00")
		}
		v := m.Values[j]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return c.errAt(off, fmt.Sprintf("%s.Values[%d]", field, j), fmt.Sprint(v), "must be a finite number")
		}
		s.Points = append(s.Points, Point{T: t, V: v})
	}
	s.Partial = m.StatusCode == "PartialData"
	return nil
}

func (c *cwReader) statistics(doc int, label string, labelOff int64, points []datapoint, offs []int64) error {
	if label == "" && len(points) > 0 {
		return c.errAt(labelOff, fmt.Sprintf("document %d: Label", doc+1), "", "missing: get-metric-statistics prints the metric name as Label")
	}
	met, _, ver := Recognise("", label)
	src := func(stat string) string { return fmt.Sprintf("%s: Label %q, %s", c.name, label, stat) }
	add := func(stat string, t time.Time, v float64) {
		s := c.series1("label:"+label+"\x00"+stat, src(stat), met, stat, ver)
		s.Points = append(s.Points, Point{T: t, V: v})
	}
	for i, p := range points {
		field := fmt.Sprintf("Datapoints[%d]", i)
		if doc > 0 {
			field = fmt.Sprintf("document %d: %s", doc+1, field)
		}
		t, ok := parseTime(p.Timestamp)
		if !ok {
			return c.errAt(offs[i], field+".Timestamp", p.Timestamp, "must be an ISO 8601 time such as 2024-05-01T10:00:00+00:00")
		}
		for _, st := range []struct {
			name string
			v    *float64
		}{{"Sum", p.Sum}, {"Average", p.Average}, {"Minimum", p.Minimum}, {"Maximum", p.Maximum}, {"SampleCount", p.SampleCount}} {
			if st.v != nil {
				add(st.name, t, *st.v)
			}
		}
		for _, k := range sortedKeys(p.ExtendedStatistics) {
			if _, ok := percentile(strings.ToLower(k)); !ok {
				return c.errAt(offs[i], field+".ExtendedStatistics", k, "keys must be percentiles p0..p100")
			}
			add(strings.ToLower(k), t, p.ExtendedStatistics[k])
		}
	}
	return nil
}
