package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// comparison builds a table of three strategies from runs whose figures are
// known: A fails 2 and 4 requests and is detected at 60 s and 120 s; B
// misses both faults (10 and 20 failures, promoted at 600 s); C has one
// healthy run, promoted at 540 s.
func comparison() *Table {
	var a, b, c Summary
	a.Add(badRun(2, time.Minute))
	a.Add(badRun(4, 2*time.Minute))
	b.Add(badRun(10, Never))
	b.Add(badRun(20, Never))
	c.Add(healthyRun(false))
	var t Table
	t.Add("A", &a)
	t.Add("B", &b)
	t.Add("C", &c)
	return &t
}

func TestTableText(t *testing.T) {
	var buf bytes.Buffer
	if err := comparison().Write(&buf, Text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want header + 3 rows, got %d lines:\n%s", len(lines), buf.String())
	}
	for _, h := range []string{"strategy", "detected [95% CI]", "false rollbacks", "failures", "failures p95", "detect (s)", "duration (s)"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header lacks %q: %s", h, lines[0])
		}
	}
	// A percentile column says whose it is: no bare "p95".
	if strings.Contains(lines[0], "  p95") {
		t.Errorf("header has a bare p95 column: %s", lines[0])
	}
	// Every line has the same width (right-aligned last column).
	for i, l := range lines {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("line %d width %d, header %d:\n%s", i, len([]rune(l)), len([]rune(lines[0])), buf.String())
		}
	}
	// A: detection 2/2 -> 100%; mean failures 3 (p95 of {2, 4}: 4); mean detect 90 s.
	if f := strings.Fields(lines[1]); !strings.HasPrefix(lines[1], "A ") || f[1] != "100%" || f[4] != "3" || f[6] != "4" || f[7] != "90" {
		t.Errorf("row A: %s", lines[1])
	}
	// B: detection 0/2; no detection -> "-" for the times.
	if !strings.HasPrefix(lines[2], "B ") || !strings.Contains(lines[2], "0% [0,") || !strings.Contains(lines[2], " - ") {
		t.Errorf("row B: %s", lines[2])
	}
}

func TestTableTextParams(t *testing.T) {
	tb := comparison()
	tb.Rows[0].Params = []Param{{"rps", "1"}, {"error", "5%"}}
	tb.Rows[2].Params = []Param{{"rps", "10000"}}
	var buf bytes.Buffer
	if err := tb.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if f := strings.Fields(lines[0]); f[0] != "strategy" || f[1] != "rps" || f[2] != "error" || f[3] != "detected" {
		t.Errorf("header: %s", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "A" || f[1] != "1" || f[2] != "5%" || f[3] != "100%" {
		t.Errorf("row A: %s", lines[1])
	}
	if f := strings.Fields(lines[3]); f[0] != "C" || f[1] != "10000" || f[2] != "-" {
		t.Errorf("row C (no error param): %s", lines[3])
	}
}

func TestTableMarkdown(t *testing.T) {
	var buf bytes.Buffer
	tb := comparison()
	tb.Rows[0].Label = "A|pipe"
	if err := tb.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("want header, rule and 3 rows, got %d", len(lines))
	}
	// The strategy and the default columns; a pipe in a label is escaped.
	cols := 1 + len(DefaultColumns)
	for i, l := range lines {
		if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != cols+1 {
			t.Errorf("line %d has %d pipes, want %d: %s", i, n, cols+1, l)
		}
	}
	if !strings.HasPrefix(lines[1], "| --- | ---: |") {
		t.Errorf("rule line: %s", lines[1])
	}
	if !strings.HasPrefix(lines[2], `| A\|pipe |`) {
		t.Errorf("escaped label: %s", lines[2])
	}
}

func TestTableCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := comparison().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("want 4 records, got %d", len(recs))
	}
	want := 1 + 1 + 6 + int(NumOutcomes) + len(statColumns)*len(RunFigures)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if len(recs[0]) != want || len(col) != want {
		t.Errorf("header has %d columns (%d distinct), want %d", len(recs[0]), len(col), want)
	}
	get := func(row int, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("no column %q", name)
		}
		return recs[row][i]
	}
	num := func(row int, name string) float64 {
		v, err := strconv.ParseFloat(get(row, name), 64)
		if err != nil {
			t.Fatalf("%s row %d: %v", name, row, err)
		}
		return v
	}
	if get(1, "strategy") != "A" || get(1, "runs") != "2" || num(1, "candidate_failures_mean") != 3 || num(1, "time_to_detect_s_mean") != 90 || num(1, "detection_rate") != 1 {
		t.Errorf("row A: %v", recs[1])
	}
	// sd of 2 and 4 is sqrt(2); of 60 s and 120 s is sqrt(1800).
	if !close(num(1, "candidate_failures_stddev"), math.Sqrt2, 1e-12) || !close(num(1, "time_to_detect_s_stddev"), math.Sqrt(1800), 1e-12) {
		t.Errorf("row A stddevs: %s %s", get(1, "candidate_failures_stddev"), get(1, "time_to_detect_s_stddev"))
	}
	if get(2, "time_to_detect_s_mean") != "" || get(2, "time_to_detect_s_n") != "0" || num(2, "duration_s_mean") != 600 || get(2, "missed") != "2" {
		t.Errorf("row B: %v", recs[2])
	}
	if get(3, "detection_rate") != "" || num(3, "false_rollback_rate") != 0 || num(3, "duration_s_mean") != 540 {
		t.Errorf("row C: %v", recs[3])
	}
}

// TestTableJSONSchema: the keys the command line promises (issue 8).
func TestTableJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := comparison().WriteWith(&buf, JSON, WriteOptions{WithState: true}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Confidence float64                      `json:"confidence"`
		Rows       []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Confidence != 0.95 || len(doc.Rows) != 3 {
		t.Fatalf("confidence %g rows %d", doc.Confidence, len(doc.Rows))
	}
	for i, row := range doc.Rows {
		for _, k := range []string{"strategy", "runs", "state", "outcomes"} {
			if _, ok := row[k]; !ok {
				t.Errorf("row %d lacks %q", i, k)
			}
		}
		for _, k := range []string{"detection_rate", "false_rollback_rate"} {
			var p map[string]*float64
			if err := json.Unmarshal(row[k], &p); err != nil {
				t.Fatalf("row %d %s: %v", i, k, err)
			}
			for _, f := range []string{"value", "ci_low", "ci_high"} {
				if _, ok := p[f]; !ok {
					t.Errorf("row %d %s lacks %q", i, k, f)
				}
			}
		}
		for _, f := range RunFigures {
			var st map[string]any
			if err := json.Unmarshal(row[f.String()], &st); err != nil {
				t.Fatalf("row %d %v: %v", i, f, err)
			}
			for _, k := range []string{"mean", "stddev", "p50", "p95", "p99", "ci_low", "ci_high"} {
				if _, ok := st[k]; !ok {
					t.Errorf("row %d %v lacks %q", i, f, k)
				}
			}
		}
	}
	var a map[string]map[string]*float64
	b, _ := json.Marshal(map[string]json.RawMessage{"cf": doc.Rows[0]["candidate_failures"], "ttd": doc.Rows[1]["time_to_detect_s"], "det": doc.Rows[0]["detection_rate"]})
	b = bytes.ReplaceAll(b, []byte(`"exact"`), []byte("0"))
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if *a["cf"]["mean"] != 3 || *a["det"]["value"] != 1 || a["ttd"]["mean"] != nil {
		t.Errorf("values: cf mean %v, detection %v, B's time to detect %v (want 3, 1, null)", *a["cf"]["mean"], *a["det"]["value"], a["ttd"]["mean"])
	}
}

func TestTableJSONRoundTrip(t *testing.T) {
	tb := comparison()
	tb.Rows[1].Params = []Param{{"rps", "100"}}
	var buf bytes.Buffer
	if err := tb.WriteWith(&buf, JSON, WriteOptions{WithState: true}); err != nil {
		t.Fatal(err)
	}
	first := append([]byte(nil), buf.Bytes()...)
	back, err := ReadTable(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 3 || back.Rows[1].Params[0] != (Param{"rps", "100"}) {
		t.Fatalf("rows: %+v", back.Rows)
	}
	for i := range tb.Rows {
		if !back.Rows[i].Summary.Equal(tb.Rows[i].Summary) || back.Rows[i].Label != tb.Rows[i].Label {
			t.Errorf("row %d changed", i)
		}
	}
	var again bytes.Buffer
	if err := back.WriteWith(&again, JSON, WriteOptions{WithState: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again.Bytes()) {
		t.Errorf("second write differs")
	}
}

// TestTableShardedMerge: a sweep split by runs and by grid points, written
// as JSON by each shard, read back and merged, reproduces the unsharded
// table byte for byte.
func TestTableShardedMerge(t *testing.T) {
	labels := []string{"Canary10Percent5Minutes", "Linear10PercentEvery1Minute", "AllAtOnce"}
	runs := map[string][]*Run{}
	for i, l := range labels {
		runs[l] = randomRuns(uint64(100+i), 40)
	}
	build := func(keep func(label string, i int) bool) *Table {
		var tb Table
		for _, l := range labels {
			var s Summary
			any := false
			for i, r := range runs[l] {
				if keep(l, i) {
					s.Add(r)
					any = true
				}
			}
			if any {
				tb.Add(l, &s, Param{"rps", "100"})
			}
		}
		return &tb
	}
	whole := build(func(string, int) bool { return true })
	var want bytes.Buffer
	if err := whole.WriteWith(&want, JSON, WriteOptions{WithState: true}); err != nil {
		t.Fatal(err)
	}
	splits := map[string][]func(string, int) bool{
		"by runs":  {func(_ string, i int) bool { return i%3 == 0 }, func(_ string, i int) bool { return i%3 == 1 }, func(_ string, i int) bool { return i%3 == 2 }},
		"by rows":  {func(l string, _ int) bool { return l == labels[0] }, func(l string, _ int) bool { return l != labels[0] }},
		"uneven":   {func(_ string, i int) bool { return i < 1 }, func(_ string, i int) bool { return i >= 1 }},
		"one file": {func(string, int) bool { return true }},
	}
	for name, shards := range splits {
		var merged Table
		for _, keep := range shards {
			var file bytes.Buffer
			if err := build(keep).WriteWith(&file, JSON, WriteOptions{WithState: true}); err != nil {
				t.Fatal(err)
			}
			part, err := ReadTable(&file)
			if err != nil {
				t.Fatal(err)
			}
			if err := merged.Merge(part); err != nil {
				t.Fatal(err)
			}
		}
		var got bytes.Buffer
		if err := merged.WriteWith(&got, JSON, WriteOptions{WithState: true}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: merged table differs from the unsharded one", name)
		}
	}
}

// TestReadTableHandWritten reads a file written by hand from the schema: a
// bad run rolled back after 4 candidate failures and 0 excess ones, and a
// healthy run that completed with 3 failures, 1.5 fewer than the baseline's
// rate predicts.
func TestReadTableHandWritten(t *testing.T) {
	f, err := os.Open("testdata/handwritten_table.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := ReadTable(f)
	if err != nil {
		t.Fatal(err)
	}
	s := tb.Rows[0].Summary
	// Failures are read over the one bad run; the healthy one is kept apart.
	if cf := s.Stats(CandidateFailures); cf.N != 1 || cf.Mean != 4 || cf.Min != 4 || cf.Max != 4 || !math.IsNaN(cf.StdDev) {
		t.Errorf("candidate failures: %+v", cf)
	}
	if ex := s.Stats(ExcessFailures); ex.N != 1 || ex.Mean != 0 || ex.P50 != 0 {
		t.Errorf("excess failures: %+v", ex)
	}
	if cf := s.StatsOver(CandidateFailures, HealthyCandidate, DefaultConfidence); cf.N != 1 || cf.Mean != 3 || math.Abs(cf.P50-3) > 0.03 {
		t.Errorf("healthy candidate failures: %+v", cf)
	}
	if ex := s.StatsOver(ExcessFailures, HealthyCandidate, DefaultConfidence); ex.Mean != -1.5 || math.Abs(ex.P50+1.5) > 0.015 {
		t.Errorf("healthy excess failures: %+v", ex)
	}
	if d := s.Rate(DetectionRate); d.Value != 1 || d.Trials != 1 {
		t.Errorf("detection: %+v", d)
	}
	if fr := s.Rate(FalseRollbackRate); fr.Value != 0 || fr.Trials != 1 {
		t.Errorf("false rollbacks: %+v", fr)
	}
}

// A format-1 state (one pooled "figures" map) is read when all its runs are
// of one kind, and refused when it mixes them, since its pooled sums cannot
// be split.
func TestReadSummaryFormat1(t *testing.T) {
	const healthyOnly = `{"format": 1, "runs": 2, "bad_runs": 0, "bad_stopped": 0, "healthy_stopped": 0,
		"outcomes": {"completed": 2}, "figures": {"candidate_failures": {"per": 1, "n": 2, "sum": "2", "sum_sq": "2", "min": 1, "max": 1,
		"pos": {"offset": 0, "counts": [2]}}}}`
	var s Summary
	if err := json.Unmarshal([]byte(healthyOnly), &s); err != nil {
		t.Fatal(err)
	}
	if st := s.StatsOver(CandidateFailures, HealthyCandidate, DefaultConfidence); st.N != 2 || st.Mean != 1 {
		t.Errorf("format 1, healthy only: %+v", st)
	}
	if st := s.StatsOver(CandidateFailures, BadCandidate, DefaultConfidence); st.N != 0 {
		t.Errorf("format 1, healthy only, read as bad: %+v", st)
	}
	badOnly := strings.Replace(strings.Replace(healthyOnly, `"bad_runs": 0`, `"bad_runs": 2`, 1), `"completed": 2`, `"missed": 2`, 1)
	if err := json.Unmarshal([]byte(badOnly), &s); err != nil {
		t.Fatal(err)
	}
	if st := s.StatsOver(CandidateFailures, BadCandidate, DefaultConfidence); st.N != 2 || st.Mean != 1 {
		t.Errorf("format 1, bad only: %+v", st)
	}
	mixed := strings.Replace(healthyOnly, `"bad_runs": 0`, `"bad_runs": 1`, 1)
	if err := json.Unmarshal([]byte(mixed), &s); err == nil || !strings.Contains(err.Error(), "bad_runs = 1 of runs = 2") {
		t.Errorf("format 1, mixed: err = %v", err)
	}
}

func TestReadTableErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/handwritten_table.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ from, to, want string }{
		"no state":      {`"state"`, `"stateX"`, `no "state" key`},
		"runs mismatch": {`"runs": 2,`, `"runs": 3,`, "must equal the state's runs"},
		"bad format":    {`"format": 2`, `"format": 4`, "Summary.format = 4"},
		"n > bad runs":  {`"n": 1,`, `"n": 2,`, "figures.candidate_failures.n = 2: must be in [0, bad runs = 1]"},
		"counts":        {`"max": 4,`, `"max": 4, "zeros": 1,`, "candidate_failures: zeros and bucket counts add up to 2: must equal n = 1"},
		"healthy key": {`"healthy_figures": {
          "candidate_failures"`, `"healthy_figures": {
          "failures"`, `healthy_figures key "failures"`},
		"outcome name":   {`"completed"`, `"done"`, `outcomes key "done"`},
		"outcome total":  {`"completed": 1`, `"completed": 0`, "outcomes add up to 1"},
		"per":            {`"per": 1,`, `"per": 2,`, "candidate_failures.per = 2"},
		"figure name":    {`"candidate_failures"`, `"failures"`, `figures key "failures"`},
		"bad sum":        {`"sum": "4"`, `"sum": "seven"`, `candidate_failures.sum = "seven"`},
		"bad stopped":    {`"bad_stopped": 1`, `"bad_stopped": 2`, "bad_stopped = 2"},
		"no rows":        {`"rows"`, `"lines"`, `no "rows" key`},
		"min > max":      {`"min": 4,`, `"min": 5,`, "min, max = 5, 4"},
		"confidence > 1": {`"confidence": 0.95`, `"confidence": 95`, "confidence = 95"},
	}
	for name, c := range cases {
		in := strings.Replace(string(good), c.from, c.to, 1)
		if in == string(good) {
			t.Fatalf("%s: %q not in the file", name, c.from)
		}
		_, err := ReadTable(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
		}
	}
	dup := comparison()
	dup.Rows = append(dup.Rows, dup.Rows[0])
	var m Table
	if err := m.Merge(dup); err == nil || !strings.Contains(err.Error(), "duplicates row 0") {
		t.Errorf("duplicate rows: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"table": Text, "text": Text, "markdown": Markdown, "md": Markdown, "csv": CSV, "json": JSON} {
		if got, err := ParseFormat(s); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), `Format = "yaml"`) {
		t.Errorf("ParseFormat(yaml): %v", err)
	}
	if err := comparison().Write(&bytes.Buffer{}, Format(9)); err == nil {
		t.Errorf("Write with an unknown format: no error")
	}
}

func TestShowTables(t *testing.T) {
	if os.Getenv("SHOW") == "" {
		t.Skip()
	}
	tb := comparison()
	tb.WriteText(os.Stdout)
	tb.WriteMarkdown(os.Stdout)
	tb.WriteCSV(os.Stdout)
}
