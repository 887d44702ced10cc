package main

import (
	"encoding/json"
	"testing"
)

// halvesRows runs a command with --format json and returns its rows.
func halvesRows(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	out := mustRun(t, append([]string{args[0], "--format", "json"}, args[1:]...)...)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return doc.Rows
}

// rowNum reads row[key][field] as a number (NaN-free fields only).
func rowNum(t *testing.T, row map[string]any, key, field string) float64 {
	t.Helper()
	v, ok := row[key].(map[string]any)[field].(float64)
	if !ok {
		t.Fatalf("row %v has no number %s.%s: %v", row["strategy"], key, field, row[key])
	}
	return v
}

// checkHalves checks one row of a bad candidate run with its healthy twins:
// detection over the runs bad runs, the false-rollback rate over as many
// healthy ones, the failures over the bad runs only, and the duration over
// the healthy runs not rolled back, each exactly the preset's schedule
// (reference: Canary10Percent5Minutes shifts the rest at 5 minutes,
// Linear10PercentEvery1Minute reaches 100 % after 9 one-minute steps).
func checkHalves(t *testing.T, row map[string]any, runs, durationS float64) {
	t.Helper()
	name := row["strategy"]
	if got := row["runs"].(float64); got != 2*runs {
		t.Errorf("%v: runs = %v, want %v bad + %v healthy twins", name, got, runs, runs)
	}
	if n := rowNum(t, row, "detection_rate", "trials"); n != runs {
		t.Errorf("%v: detection rate over %v runs, want the %v bad ones", name, n, runs)
	}
	if n := rowNum(t, row, "false_rollback_rate", "trials"); n != runs {
		t.Errorf("%v: false-rollback rate over %v runs, want the %v healthy twins", name, n, runs)
	}
	if n := rowNum(t, row, "candidate_failures", "n"); n != runs {
		t.Errorf("%v: failures over %v runs, want the %v bad ones", name, n, runs)
	}
	fr := rowNum(t, row, "false_rollback_rate", "successes")
	if n := rowNum(t, row, "duration_s", "n"); n+fr != runs || n == 0 {
		t.Fatalf("%v: duration over %v runs with %v false rollbacks, want every twin not rolled back (%v)", name, n, fr, runs)
	}
	if lo, hi := rowNum(t, row, "duration_s", "min"), rowNum(t, row, "duration_s", "max"); lo != durationS || hi != durationS {
		t.Errorf("%v: duration in [%v, %v] s, want exactly %v s", name, lo, hi, durationS)
	}
}

// compare, sweep and evaluate all answer both halves of the question: a
// bad candidate's runs and their healthy twins (deploysim.Estimate) in one
// row, so none prints "-" for false rollbacks or duration.
func TestEveryCommandReportsBothHalves(t *testing.T) {
	const runs = 4
	rows := halvesRows(t, "compare", "--runs", "4", "--strategies", "Canary10Percent5Minutes,Linear10PercentEvery1Minute")
	if len(rows) != 2 {
		t.Fatalf("compare: %d rows, want 2", len(rows))
	}
	checkHalves(t, rows[0], runs, 300)
	checkHalves(t, rows[1], runs, 540)

	// A sweep point with a fault has twins; one without is its own healthy
	// half: runs runs, no bad run to detect.
	rows = halvesRows(t, "sweep", "--runs", "4", "--rps", "20", "--error-rate", "0,0.05", "--strategies", "Canary10Percent5Minutes")
	if len(rows) != 2 {
		t.Fatalf("sweep: %d rows, want 2", len(rows))
	}
	if got := rows[0]["runs"].(float64); got != runs || rowNum(t, rows[0], "detection_rate", "trials") != 0 || rowNum(t, rows[0], "false_rollback_rate", "trials") != runs {
		t.Errorf("sweep, error rate 0: runs %v, detection %v, false rollbacks %v; want %d runs, all healthy", got, rows[0]["detection_rate"], rows[0]["false_rollback_rate"], runs)
	}
	checkHalves(t, rows[1], runs, 300)

	// testdata/sam.yaml: WatchedFn is Canary10Percent5Minutes with an error
	// alarm, UnwatchedFn Linear10PercentEvery1Minute with none.
	rows = halvesRows(t, "evaluate", "--runs", "4", "--rps", "20", "testdata/sam.yaml")
	if len(rows) != 2 {
		t.Fatalf("evaluate: %d rows, want 2", len(rows))
	}
	checkHalves(t, rows[0], runs, 300)
	checkHalves(t, rows[1], runs, 540)
	if fr := rowNum(t, rows[1], "false_rollback_rate", "successes"); fr != 0 {
		t.Errorf("evaluate: %v false rollbacks with no alarm, want 0", fr)
	}
}
