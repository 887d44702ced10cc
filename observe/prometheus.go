package observe

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// promResponse is the JSON of Prometheus' /api/v1/query_range.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string   `json:"metric"`
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// ReadPrometheus reads the JSON of Prometheus' /api/v1/query_range (a
// "matrix": per series, [unix_seconds, "value"] pairs at each step). Each
// value is read as a rate per second (what rate(...[1m]) gives) and turned
// into a count per step, so that a series reads like a CloudWatch Sum.
//
// Which series is what: a series with a status label (code, status,
// status_code or response_code) counts towards Requests, and also towards
// RequestErrors when the label is 5xx or starts with 5; a series without one
// is RequestErrors when its __name__ or the file name says "error", else
// Requests. The query README.md suggests, sum by (code)
// (rate(http_requests_total{...}[1m])), gives both in one file.
func ReadPrometheus(r io.Reader, name string) ([]Series, []string, error) {
	lr := &lineReader{r: io.LimitReader(r, maxJSON+1)}
	dec := json.NewDecoder(lr)
	var resp promResponse
	c := cwReader{name: name, lr: lr, dec: dec}
	if err := dec.Decode(&resp); err != nil {
		return nil, nil, c.syntax(err)
	}
	if lr.off > maxJSON {
		return nil, nil, &ParseError{File: name, Rule: fmt.Sprintf("larger than %d MiB: must be at most that", maxJSON>>20)}
	}
	if resp.Status != "success" {
		return nil, nil, &ParseError{File: name, Line: 1, Field: "status", Value: clip(resp.Status), Rule: "must be success (error: " + strings.TrimSpace(resp.ErrorType+" "+resp.Error) + ")"}
	}
	if resp.Data.ResultType != "matrix" {
		return nil, nil, &ParseError{File: name, Line: 1, Field: "data.resultType", Value: clip(resp.Data.ResultType), Rule: "must be matrix (the output of /api/v1/query_range)"}
	}
	var warn []string
	errorsFile := strings.Contains(strings.ToLower(name), "error")
	var req, errs *Series
	reqAt, errAt := map[int64]float64{}, map[int64]float64{}
	for i, res := range resp.Data.Result {
		field := fmt.Sprintf("data.result[%d]", i)
		isErr, counts := false, true
		code := ""
		for _, k := range []string{"code", "status", "status_code", "response_code"} {
			if v, ok := res.Metric[k]; ok {
				code = v
				break
			}
		}
		if code != "" {
			isErr = strings.HasPrefix(strings.ToLower(code), "5")
		} else {
			isErr = strings.Contains(strings.ToLower(res.Metric["__name__"]), "error") || errorsFile
			counts = !isErr
		}
		var prev int64 = math.MinInt64
		for j, pair := range res.Values {
			f := fmt.Sprintf("%s.values[%d]", field, j)
			if len(pair) != 2 {
				return nil, nil, &ParseError{File: name, Field: f, Rule: fmt.Sprintf("has %d elements: want [unix_seconds, \"value\"]", len(pair))}
			}
			ts, err := strconv.ParseFloat(string(pair[0]), 64)
			if err != nil || ts < 0 || ts > 1e11 {
				return nil, nil, &ParseError{File: name, Field: f + "[0]", Value: clip(string(pair[0])), Rule: "must be a Unix time in seconds"}
			}
			var vs string
			if err := json.Unmarshal(pair[1], &vs); err != nil {
				return nil, nil, &ParseError{File: name, Field: f + "[1]", Value: clip(string(pair[1])), Rule: "must be a number in a string, as Prometheus writes it"}
			}
			v, err := strconv.ParseFloat(vs, 64)
			if err != nil || math.IsInf(v, 0) || v < 0 {
				if err == nil && math.IsNaN(v) {
					warn = append(warn, fmt.Sprintf("%s: %s is NaN (a rate over no samples): left out", name, f))
					continue
				}
				return nil, nil, &ParseError{File: name, Field: f + "[1]", Value: clip(vs), Rule: "must be a finite rate >= 0"}
			}
			t := int64(math.Round(ts * 1000))
			if t <= prev {
				return nil, nil, &ParseError{File: name, Field: f + "[0]", Value: clip(string(pair[0])), Rule: "must be later than the value before"}
			}
			prev = t
			if counts {
				reqAt[t] += v
			}
			if isErr {
				errAt[t] += v
			}
		}
	}
	mk := func(m Metric, at map[int64]float64, what string) *Series {
		if len(at) == 0 {
			return nil
		}
		s := &Series{Source: fmt.Sprintf("%s: Prometheus matrix, %s", name, what), Metric: m, Stat: "Sum"}
		keys := make([]int64, 0, len(at))
		for k := range at {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, k := range keys {
			s.Points = append(s.Points, Point{T: time.UnixMilli(k).UTC(), V: at[k]})
		}
		_ = s.finish()
		if s.Period <= 0 {
			s.Period = time.Minute
			warn = append(warn, fmt.Sprintf("%s: one step only: its rate is read over a minute", s.Source))
		}
		for i := range s.Points { // rate per second → count per step
			s.Points[i].V *= s.Period.Seconds()
		}
		return s
	}
	req = mk(Requests, reqAt, "request rate × step")
	errs = mk(RequestErrors, errAt, "5xx / error rate × step")
	var out []Series
	if req != nil {
		out = append(out, *req)
	}
	if errs != nil {
		if req != nil && errs.Period != req.Period {
			return nil, nil, &ParseError{File: name, Rule: fmt.Sprintf("the error series' step %v differs from the request series' %v: query both with the same step", errs.Period, req.Period)}
		}
		out = append(out, *errs)
	}
	if len(out) == 0 {
		return nil, nil, &ParseError{File: name, Field: "data.result", Rule: "no values: the query returned no series"}
	}
	return out, warn, nil
}
