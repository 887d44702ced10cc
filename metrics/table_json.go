package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// The JSON of a table (WriteWith with JSON, WriteJSON, MarshalJSON), stable
// for scripts and published as a JSON Schema (JSONSchema, schema.json);
// every key is snake_case:
//
//	{"confidence": 0.95, "rows": [ROW, ...]}
//
// and each ROW, in this key order:
//
//	"strategy": label, "params": [{"name", "value"}] (only for grid points), "runs": n,
//	"confidence": level of every interval in the row,
//	"detection_rate", "false_rollback_rate":
//	    {"value", "ci_low", "ci_high", "successes", "trials"} (Wilson interval),
//	"outcomes": {"completed": n, "rolled_back": n, "false_rollback": n,
//	    "missed": n, "hook_aborted": n, "unfinished": n},
//	one object per per-run figure, keyed by its Figure name ("candidate_failures",
//	"excess_failures", "users_hit", "candidate_requests", "exposure_s",
//	"time_to_detect_s", "time_to_rollback_s", "duration_s", "throttles",
//	"cold_starts", "lost_events", "failed_attempts", "delayed_messages",
//	"dead_lettered", "candidate_p99_ms", "baseline_p99_ms"):
//	    {"n", "mean", "stddev", "min", "max", "p50", "p95", "p99", "ci_low", "ci_high",
//	     "quantiles": "exact" (order statistics, n <= ExactValues) or "sketch" (within SketchAccuracy)}
//	    (times in seconds; null where no run had the figure; read over the
//	    runs the figure is about, Summary.Population: "duration_s" over the
//	    healthy runs, every other figure over the bad ones, unless the row
//	    has none of those),
//	"state": the row's mergeable Summary (Summary.MarshalJSON), only with
//	    WriteOptions.WithState (and always from MarshalJSON).
//
// Readers (ReadTable) rebuild a row from "strategy", "params" and "state"
// alone; the derived numbers are for people and scripts.

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
	// Quantiles says where p50, p95 and p99 come from: "exact" or "sketch".
	Quantiles string `json:"quantiles"`
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

// MarshalJSON writes the row in the schema above with its state, with
// intervals at DefaultConfidence (a Table writes its own level).
func (r Row) MarshalJSON() ([]byte, error) { return r.marshal(DefaultConfidence, true) }

func (r Row) marshal(level float64, withState bool) ([]byte, error) {
	if r.Summary == nil {
		return nil, fmt.Errorf("metrics: Row %s: Summary is nil", r.name())
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
		oc.field(k.Key(), s.Outcomes(k))
	}
	ob, err := oc.bytes()
	if err != nil {
		return nil, err
	}
	o.field("outcomes", json.RawMessage(ob))
	for _, f := range RunFigures {
		st := s.StatsAt(f, level)
		q := "sketch"
		if st.Exact || st.N == 0 {
			q = "exact"
		}
		o.field(f.String(), statsJSON{N: st.N, Mean: num(st.Mean), StdDev: num(st.StdDev), Min: num(st.Min), Max: num(st.Max),
			P50: num(st.P50), P95: num(st.P95), P99: num(st.P99), CILow: num(st.CILow), CIHigh: num(st.CIHigh), Quantiles: q})
	}
	if withState {
		o.field("state", s)
	}
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

// MarshalJSON writes {"confidence": level, "rows": [...]} (schema above),
// each row with its mergeable state, so that UnmarshalJSON reads it back.
func (t *Table) MarshalJSON() ([]byte, error) { return t.marshal(true) }

func (t *Table) marshal(withState bool) ([]byte, error) {
	if t == nil {
		return nil, fmt.Errorf("metrics: Table.MarshalJSON: nil Table")
	}
	var b bytes.Buffer
	b.WriteString(`{"confidence":`)
	lv, _ := json.Marshal(t.level())
	b.Write(lv)
	b.WriteString(`,"rows":[`)
	for i, r := range t.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		rb, err := r.marshal(t.level(), withState)
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
	if t == nil {
		return fmt.Errorf("metrics: Table.UnmarshalJSON: nil Table")
	}
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

// WriteJSON writes t in the schema above without the rows' state,
// indented, ending with a newline; WriteWith with WithState writes the
// document ReadTable reads back.
func (t *Table) WriteJSON(w io.Writer) error { return t.WriteWith(w, JSON, WriteOptions{}) }

func (t *Table) writeJSON(w io.Writer, withState bool) error {
	b, err := t.marshal(withState)
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

// ReadTable reads a table that WriteWith wrote in JSON with WithState (or
// any document with a "rows" key in the same schema, such as the command
// line's shards), ready to Merge with others. Every row's state is checked
// (Summary.UnmarshalJSON) and the rows must be unique, also by fingerprint.
func ReadTable(r io.Reader) (*Table, error) {
	if r == nil {
		return nil, fmt.Errorf("metrics: ReadTable: nil Reader")
	}
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
