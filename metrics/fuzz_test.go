package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The fuzz targets check what every parser promises: no panic; an accepted
// input round-trips through String; a refused one gets an error that quotes
// it. Seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzParseStatistic(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatistic(s)
		if err != nil {
			if !strings.Contains(err.Error(), "Statistic = ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if st.Kind == Percentile && !(st.P >= 0 && st.P <= 100) {
			t.Fatalf("ParseStatistic(%q) accepted P = %g", s, st.P)
		}
		back, err := ParseStatistic(st.String())
		if err != nil || back != st {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, st, st.String(), back, err)
		}
	})
}

func FuzzParseMetric(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMetric(s)
		if err != nil {
			if !strings.Contains(err.Error(), "MetricName = ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if m.String() != s {
			t.Fatalf("ParseMetric(%q) = %v", s, m)
		}
	})
}

func FuzzParseDimension(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDimension(s)
		if err != nil {
			if !strings.Contains(err.Error(), "Dimension = ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDimension(%q) = %v", s, d)
		}
	})
}

func FuzzParseFigure(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		fig, err := ParseFigure(s)
		if err != nil {
			if !strings.Contains(err.Error(), "Figure = ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if fig.String() != s || !fig.valid() {
			t.Fatalf("ParseFigure(%q) = %v", s, fig)
		}
	})
}

func FuzzParseFormat(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := ParseFormat(s)
		if err != nil {
			if !strings.Contains(err.Error(), "Format = ") {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		if back, err := ParseFormat(ft.String()); err != nil || back != ft {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, ft, back, err)
		}
	})
}

// FuzzReadTable: ReadTable parses files from other processes (sharded
// sweeps). Whatever it accepts must write back to a table that reads again
// to the same state, and merging it with itself must not panic.
func FuzzReadTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := ReadTable(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := tb.WriteWith(&out, JSON, WriteOptions{WithState: true}); err != nil {
			t.Fatalf("accepted table does not write: %v", err)
		}
		back, err := ReadTable(&out)
		if err != nil {
			t.Fatalf("written table does not read back: %v\n%s", err, out.Bytes())
		}
		if len(back.Rows) != len(tb.Rows) {
			t.Fatalf("rows %d -> %d", len(tb.Rows), len(back.Rows))
		}
		for i := range tb.Rows {
			if !back.Rows[i].Summary.Equal(tb.Rows[i].Summary) {
				t.Fatalf("row %d changed in the round trip", i)
			}
			tb.Rows[i].Summary.Merge(back.Rows[i].Summary)
			for _, fig := range RunFigures {
				tb.Rows[i].Summary.Stats(fig)
			}
		}
		if _, err := json.Marshal(tb); err != nil {
			t.Fatalf("merged table does not write: %v", err)
		}
	})
}

// FuzzSummaryState: a Summary's state comes from files other processes
// wrote (sweep shards) and people may edit. Whatever UnmarshalJSON accepts
// must hold the invariants the derived numbers rely on (min <= mean <= max,
// a deviation that is not negative, quantiles within [min, max]), write
// back to the same state, and merge with itself or be refused without a
// panic. Seeds: testdata/fuzz/FuzzSummaryState/.
func FuzzSummaryState(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		for p := Population(0); p < numPopulations; p++ {
			for _, fig := range RunFigures {
				st := s.StatsOver(fig, p, DefaultConfidence)
				if st.N == 0 {
					continue
				}
				if !(st.Min <= st.Mean && st.Mean <= st.Max) {
					t.Fatalf("%v %v: mean %v outside [%v, %v]", p, fig, st.Mean, st.Min, st.Max)
				}
				if st.StdDev < 0 {
					t.Fatalf("%v %v: stddev %v", p, fig, st.StdDev)
				}
				for _, q := range []float64{st.P50, st.P95, st.P99} {
					if !(st.Min <= q && q <= st.Max) {
						t.Fatalf("%v %v: quantile %v outside [%v, %v]", p, fig, q, st.Min, st.Max)
					}
				}
			}
		}
		out, err := json.Marshal(&s)
		if err != nil {
			t.Fatalf("accepted state does not write: %v", err)
		}
		var back Summary
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("written state does not read back: %v\n%s", err, out)
		}
		if !back.Equal(&s) {
			t.Fatalf("state changed in the round trip")
		}
		c := s.Clone()
		if err := c.Merge(&back); err == nil && s.Fingerprint() != "" && s.Runs() > 0 {
			t.Fatalf("a state with an origin merged with itself")
		}
	})
}
