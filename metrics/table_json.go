package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// The JSON schema of a table (WriteJSON), stable for scripts:
//
//	{"confidence": 0.95, "rows": [ROW, ...]}
//
// and of each ROW, in this key order:
//
//	"strategy": label, "params": [{"name", "value"}] (only for grid points), "runs": n,
//	"confidence": level of every interval in the row,
//	"detection_rate", "false_rollback_rate":
//	    {"value", "ci_low", "ci_high", "successes", "trials"} (Wilson interval),
//	"outcomes": {"completed": n, "rolled-back": n, ...} (every outcome),
//	one object per per-run figure, keyed by its Figure name ("candidate_failures",
//	"excess_failures", "users_hit", "candidate_requests", "exposure_s",
//	"time_to_detect_s", "time_to_rollback_s", "duration_s", "throttles",
//	"cold_starts", "lost_events", "failed_attempts", "delayed_messages",
//	"dead_lettered", "candidate_p99_ms", "baseline_p99_ms"):
//	    {"n", "mean", "stddev", "min", "max", "p50", "p95", "p99", "ci_low", "ci_high"}
//	    (times in seconds; null where no run had the figure; read over the
//	    runs the figure is about, Summary.Population: "duration_s" over the
//	    healthy runs, every other figure over the bad ones, unless the row
//	    has none of those),
//	"state": the row's mergeable Summary (Summary.MarshalJSON).
//
// Readers rebuild a row from "strategy", "params" and "state" alone; the
// derived numbers are for people and scripts.

type propJSON struct {
	Value     num   `json:"value"`
	CILow     num   `json:"ci_low"`
	CIHigh    num   `json:"ci_high"`
	Successes int64 `json:"successes"`
	Trials    int64 `json:"trials"`
}

type statsJSON struct {
	N      int64 `json:"n"`
	Mean   num   `json:"mean"`
	StdDev num   `json:"stddev"`
	Min    num   `json:"min"`
	Max    num   `json:"max"`
	P50    num   `json:"p50"`
	P95    num   `json:"p95"`
	P99    num   `json:"p99"`
	CILow  num   `json:"ci_low"`
	CIHigh num   `json:"ci_high"`
}

// obj writes a JSON object whose keys keep the order they are written in.
type obj struct {
	b   bytes.Buffer
	err error
}

func (o *obj) field(key string, v any) {
	if o.err != nil {
		return
	}
	if o.b.Len() == 0 {
		o.b.WriteByte('{')
	} else {
		o.b.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	o.b.Write(k)
	o.b.WriteByte(':')
	b, err := json.Marshal(v)
	if err != nil {
		o.err = fmt.Errorf("metrics: %s: %w", key, err)
		return
	}
	o.b.Write(b)
}

func (o *obj) bytes() ([]byte, error) {
	if o.b.Len() == 0 {
		o.b.WriteByte('{')
	}
	o.b.WriteByte('}')
	return o.b.Bytes(), o.err
}

// MarshalJSON writes the row in the schema above, with intervals at
// DefaultConfidence (Table.WriteJSON uses the table's level).
func (r Row) MarshalJSON() ([]byte, error) { return r.marshal(DefaultConfidence) }

func (r Row) marshal(level float64) ([]byte, error) {
	if r.Summary == nil {
		return nil, fmt.Errorf("metrics: Row %q: Summary is nil", r.Label)
	}
	s := r.Summary
	var o obj
	o.field("strategy", r.Label)
	if len(r.Params) > 0 {
		o.field("params", r.Params)
	}
	o.field("runs", s.Runs())
	o.field("confidence", level)
	for _, f := range []Figure{DetectionRate, FalseRollbackRate} {
		p := s.RateAt(f, level)
		o.field(f.String(), propJSON{Value: num(p.Value), CILow: num(p.CILow), CIHigh: num(p.CIHigh), Successes: p.Successes, Trials: p.Trials})
	}
	var oc obj
	for k := Outcome(0); k < NumOutcomes; k++ {
		oc.field(k.String(), s.Outcomes(k))
	}
	ob, err := oc.bytes()
	if err != nil {
		return nil, err
	}
	o.field("outcomes", json.RawMessage(ob))
	for _, f := range RunFigures {
		st := s.StatsAt(f, level)
		o.field(f.String(), statsJSON{N: st.N, Mean: num(st.Mean), StdDev: num(st.StdDev), Min: num(st.Min), Max: num(st.Max),
			P50: num(st.P50), P95: num(st.P95), P99: num(st.P99), CILow: num(st.CILow), CIHigh: num(st.CIHigh)})
	}
	o.field("state", s)
	return o.bytes()
}

// UnmarshalJSON rebuilds a row from its "strategy", "params" and "state".
func (r *Row) UnmarshalJSON(b []byte) error {
	var j struct {
		Strategy *string         `json:"strategy"`
		Params   []Param         `json:"params"`
		Runs     *int64          `json:"runs"`
		State    json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("metrics: Row: %w", err)
	}
	if j.Strategy == nil {
		return fmt.Errorf("metrics: Row: no \"strategy\" key")
	}
	if len(j.State) == 0 || string(j.State) == "null" {
		return fmt.Errorf("metrics: Row %q: no \"state\" key: only JSON with the mergeable state can be read back", *j.Strategy)
	}
	var s Summary
	if err := s.UnmarshalJSON(j.State); err != nil {
		return fmt.Errorf("metrics: Row %q: %w", *j.Strategy, err)
	}
	if j.Runs != nil && *j.Runs != s.Runs() {
		return fmt.Errorf("metrics: Row %q: runs = %d: must equal the state's runs = %d", *j.Strategy, *j.Runs, s.Runs())
	}
	*r = Row{Label: *j.Strategy, Params: j.Params, Summary: &s}
	return nil
}

// MarshalJSON writes {"confidence": level, "rows": [...]} (schema above).
func (t *Table) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"confidence":`)
	lv, _ := json.Marshal(t.level())
	b.Write(lv)
	b.WriteString(`,"rows":[`)
	for i, r := range t.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		rb, err := r.marshal(t.level())
		if err != nil {
			return nil, err
		}
		b.Write(rb)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// UnmarshalJSON reads any JSON object with a "rows" key in the row schema
// (other keys, such as the command line's "scenario", are ignored).
func (t *Table) UnmarshalJSON(b []byte) error {
	var j struct {
		Confidence *float64 `json:"confidence"`
		Rows       *[]Row   `json:"rows"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("metrics: Table: %w", err)
	}
	if j.Rows == nil {
		return fmt.Errorf("metrics: Table: no \"rows\" key")
	}
	nt := Table{Rows: *j.Rows}
	if j.Confidence != nil {
		if !(*j.Confidence > 0 && *j.Confidence < 1) {
			return fmt.Errorf("metrics: Table.confidence = %g: must be in (0, 1)", *j.Confidence)
		}
		nt.Confidence = *j.Confidence
	}
	if err := nt.checkUnique(); err != nil {
		return err
	}
	*t = nt
	return nil
}

// WriteJSON writes t in the schema above, indented, ending with a newline.
func (t *Table) WriteJSON(w io.Writer) error {
	b, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("metrics: Table: %w", err)
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// ReadTable reads a table that WriteJSON (or a document with a "rows" key in
// the same schema) wrote, ready to Merge with others.
func ReadTable(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("metrics: ReadTable: %w", err)
	}
	var t Table
	if err := t.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return &t, nil
}
