package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Every exported function that returns an error returns one for a nil
// Summary or Table, a row without a Summary, or a zero value it cannot use,
// instead of panicking (issue 13.13).
func TestNilAndZeroValuesAreErrors(t *testing.T) {
	var nilS *Summary
	var nilT *Table
	var s Summary
	noSummary := &Table{Rows: []Row{{Label: "x"}}}
	g, _ := ParseGate("runs < 1")
	var buf bytes.Buffer
	for name, f := range map[string]func() error{
		"Summary.Merge(nil)":         func() error { return s.Merge(nil) },
		"nil.Merge":                  func() error { return nilS.Merge(&s) },
		"nil.SetOrigin":              func() error { return nilS.SetOrigin("x", 0) },
		"nil.MarshalJSON":            func() error { _, err := nilS.MarshalJSON(); return err },
		"nil.UnmarshalJSON":          func() error { return nilS.UnmarshalJSON([]byte("{}")) },
		"Table nil.Merge":            func() error { return nilT.Merge(&Table{}) },
		"Table.Merge(nil)":           func() error { return (&Table{}).Merge(nil) },
		"Table.Merge(no summary)":    func() error { return (&Table{}).Merge(noSummary) },
		"nil.WriteWith":              func() error { return nilT.WriteWith(&buf, Text, WriteOptions{}) },
		"nil.Write":                  func() error { return nilT.Write(&buf, JSON) },
		"nil.WriteText":              func() error { return nilT.WriteText(&buf) },
		"no summary WriteText":       func() error { return noSummary.WriteText(&buf) },
		"no summary WriteCSV":        func() error { return noSummary.WriteCSV(&buf) },
		"no summary WriteJSON":       func() error { return noSummary.WriteJSON(&buf) },
		"no summary MarshalJSON":     func() error { _, err := noSummary.MarshalJSON(); return err },
		"nil Table MarshalJSON":      func() error { _, err := nilT.MarshalJSON(); return err },
		"nil Table UnmarshalJSON":    func() error { return nilT.UnmarshalJSON([]byte(`{"rows":[]}`)) },
		"Row without Summary":        func() error { _, err := json.Marshal(Row{Label: "x"}); return err },
		"nil.CheckComplete":          func() error { return nilT.CheckComplete(1) },
		"CheckComplete(0)":           func() error { return (&Table{}).CheckComplete(0) },
		"CheckComplete(no summary)":  func() error { return noSummary.CheckComplete(1) },
		"CheckComplete(no origin)":   func() error { return (&Table{Rows: []Row{{Label: "x", Summary: &s}}}).CheckComplete(1) },
		"Gate.Check(nil)":            func() error { _, err := g.Check(nil); return err },
		"Gate{}.Check":               func() error { _, err := Gate{}.Check(&Table{}); return err },
		"ReadTable(nil)":             func() error { _, err := ReadTable(nil); return err },
		"Best(nil)":                  func() error { _, err := Best(nil, CandidateFailures); return err },
		"unknown column":             func() error { return (&Table{}).WriteWith(&buf, Text, WriteOptions{Columns: []string{"x"}}) },
		"row JSON with a null state": func() error { var r Row; return json.Unmarshal([]byte(`{"strategy":"x","state":null}`), &r) },
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			if err := f(); err == nil || !strings.Contains(err.Error(), "metrics: ") {
				t.Errorf("%s: err = %v, want a metrics error", name, err)
			}
		}()
	}
	// Reading methods of the zero Summary and Table answer, without error
	// or panic: no runs, NaN figures, an empty table.
	if st := s.Stats(CandidateFailures); st.N != 0 || st.Mean == st.Mean {
		t.Errorf("zero Summary stats: %+v", st)
	}
	if err := (&Table{}).WriteText(&buf); err != nil {
		t.Errorf("empty table: %v", err)
	}
}
