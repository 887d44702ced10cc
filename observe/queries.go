package observe

import (
	"encoding/json"
	"fmt"
	"io"
)

// Query is one entry of the --metric-data-queries JSON a user gave
// `aws cloudwatch get-metric-data`: what the result with its Id measures.
type Query struct {
	ID         string `json:"Id"`
	Expression string `json:"Expression"`
	MetricStat *struct {
		Metric struct {
			Namespace  string `json:"Namespace"`
			MetricName string `json:"MetricName"`
			Dimensions []struct {
				Name  string `json:"Name"`
				Value string `json:"Value"`
			} `json:"Dimensions"`
		} `json:"Metric"`
		Period int    `json:"Period"`
		Stat   string `json:"Stat"`
	} `json:"MetricStat"`
}

// ReadQueries reads the --metric-data-queries JSON (a list of queries, as
// written in a file passed with file://). Passed to ReadFiles beside the
// export, it says what each Id measures by metric name, statistic and
// ExecutedVersion dimension, whatever the Ids are called.
func ReadQueries(r io.Reader, name string) ([]Query, error) {
	lr := &lineReader{r: io.LimitReader(r, maxJSON+1)}
	dec := json.NewDecoder(lr)
	c := cwReader{name: name, lr: lr, dec: dec}
	var qs []Query
	if err := dec.Decode(&qs); err != nil {
		return nil, c.syntax(err)
	}
	for i, q := range qs {
		if q.ID == "" {
			return nil, &ParseError{File: name, Field: fmt.Sprintf("[%d].Id", i), Rule: "missing: every query has an Id"}
		}
	}
	return qs, nil
}

// metricOf maps a query's namespace and metric name to a Metric.
func (q *Query) metric() (Metric, string, string) {
	if q.MetricStat == nil {
		return Unknown, "", ""
	}
	ms := q.MetricStat
	var m Metric
	switch ms.Metric.Namespace + "/" + ms.Metric.MetricName {
	case "AWS/Lambda/Invocations":
		m = Invocations
	case "AWS/Lambda/Errors":
		m = Errors
	case "AWS/Lambda/Throttles":
		m = Throttles
	case "AWS/Lambda/Duration":
		m = Duration
	case "AWS/Lambda/ConcurrentExecutions":
		m = ConcurrentExecutions
	case "AWS/ApiGateway/Count":
		m = Count
	case "AWS/ApiGateway/5XXError":
		m = Error5XX
	case "AWS/ApiGateway/4XXError":
		m = Error4XX
	case "AWS/ApiGateway/Latency":
		m = Latency
	case "AWS/ApiGateway/IntegrationLatency":
		m = IntegrationLatency
	default:
		return Unknown, "", ""
	}
	version := ""
	for _, d := range ms.Metric.Dimensions {
		if d.Name == "ExecutedVersion" {
			version = d.Value
		}
	}
	return m, normStat(ms.Stat), version
}

// applyQueries sets the metric, statistic and version of the series whose
// Id a query names (get-metric-data results only).
func applyQueries(ss []Series, qs []Query) {
	byID := map[string]*Query{}
	for i := range qs {
		byID[qs[i].ID] = &qs[i]
	}
	for i := range ss {
		s := &ss[i]
		if s.id == "" {
			continue
		}
		q, ok := byID[s.id]
		if !ok {
			continue
		}
		if q.MetricStat == nil {
			// A metric-math result: a ratio or a sum observe cannot take
			// for a count, whatever its Label says.
			s.Metric, s.Stat, s.Version = Unknown, "", ""
			s.Source += " = the expression " + clip(q.Expression)
			continue
		}
		if m, stat, ver := q.metric(); m != Unknown {
			s.Metric, s.Stat, s.Version = m, stat, ver
			s.Source += fmt.Sprintf(" = %s %s of %s", q.MetricStat.Stat, q.MetricStat.Metric.MetricName, q.MetricStat.Metric.Namespace)
		}
	}
}
