package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func noPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", name, r)
		}
	}()
	f()
}

// A nil *Summary, *Run, *Sketch or *Series reads as an empty one, and the
// calls that cannot answer return an error naming what is nil; none panics.
func TestNilReceiversAndArguments(t *testing.T) {
	var s *Summary
	noPanic(t, "nil Summary readers", func() {
		if s.Runs() != 0 || s.BadRuns() != 0 || s.Outcomes(RolledBack) != 0 {
			t.Errorf("nil Summary counts: %d runs, %d bad, %d rolled back; want 0", s.Runs(), s.BadRuns(), s.Outcomes(RolledBack))
		}
		if st := s.Stats(CandidateFailures); st.N != 0 || !math.IsNaN(st.Mean) {
			t.Errorf("nil Summary Stats = %+v, want N 0 and NaN", st)
		}
		if p := s.Rate(DetectionRate); p.Trials != 0 || !math.IsNaN(p.Value) || !math.IsNaN(p.CIHigh) {
			t.Errorf("nil Summary Rate = %+v, want 0 trials and NaN", p)
		}
		if v := s.Value(DeployDuration); !math.IsNaN(v) {
			t.Errorf("nil Summary Value = %v, want NaN", v)
		}
		if q := s.Quantile(CandidateFailures, 0.5); !math.IsNaN(q) {
			t.Errorf("nil Summary Quantile = %v, want NaN", q)
		}
		if p := s.Population(DeployDuration); p != HealthyCandidate {
			t.Errorf("nil Summary Population = %v, want the figure's own", p)
		}
		if s.Clone() != nil || !s.Equal(nil) || s.Equal(&Summary{}) || (&Summary{}).Equal(nil) {
			t.Errorf("nil Summary: Clone or Equal is wrong")
		}
		s.Reset()
	})
	noPanic(t, "Summary.Add(nil)", func() {
		var z Summary
		z.Add(nil)
		if z.Runs() != 0 {
			t.Errorf("Add(nil) counted %d runs, want 0", z.Runs())
		}
	})
	var r *Run
	noPanic(t, "nil Run", func() {
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "nil Run") {
			t.Errorf("nil Run Validate = %v, want an error naming the nil Run", err)
		}
		_, d := r.DeployDuration()
		_, td := r.TimeToDetect()
		_, tr := r.TimeToRollback()
		if r.Stopped() || d || td || tr || r.CandidateFailures() != 0 || r.Throttles() != 0 || r.ColdStarts() != 0 {
			t.Errorf("nil Run readers are not zero")
		}
		if _, ok := CandidateFailures.Of(nil); ok {
			t.Errorf("Figure.Of(nil) has a value")
		}
	})
	var sk *Sketch
	noPanic(t, "nil Sketch", func() {
		if sk.Count() != 0 || sk.Sum() != 0 || sk.Min() != 0 || sk.Max() != 0 || !math.IsNaN(sk.Mean()) || !math.IsNaN(sk.Quantile(0.5)) {
			t.Errorf("nil Sketch does not read as empty")
		}
		var c Sketch
		c.Add(3)
		c.CopyFrom(nil)
		if c.Count() != 0 {
			t.Errorf("CopyFrom(nil) left %v values, want an empty sketch", c.Count())
		}
	})
	noPanic(t, "nil Series and VersionStats", func() {
		vs := VersionStats{Invocations: 7}
		var se *Series
		se.Aggregate(Candidate, 0, 3, &vs)
		if vs.Invocations != 0 {
			t.Errorf("nil Series Aggregate left %v invocations, want the empty datapoint", vs.Invocations)
		}
		(&Series{Periods: make([]Period, 2)}).Aggregate(Candidate, 0, 2, nil)
		vs.Invocations = 5
		vs.Merge(nil)
		if vs.Invocations != 5 {
			t.Errorf("Merge(nil) changed the stats")
		}
	})
	var tb *Table
	noPanic(t, "nil Table", func() {
		if tb.Find("x") != nil {
			t.Errorf("nil Table Find found a row")
		}
		x := &Table{}
		x.Add("AllAtOnce", &Summary{})
		for _, f := range []Format{Text, Markdown, CSV, JSON} {
			if err := tb.Write(&bytes.Buffer{}, f); err == nil || !strings.Contains(err.Error(), "nil Table") {
				t.Errorf("nil Table Write(%s) = %v, want an error naming the nil Table", f, err)
			}
			if err := x.Write(nil, f); err == nil || !strings.Contains(err.Error(), "nil io.Writer") {
				t.Errorf("Write(nil writer, %s) = %v, want an error naming the nil writer", f, err)
			}
		}
	})
}
