package main

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

// TestRun runs the example fast (20 runs per row) and checks its tables
// against what each event model implies, and its charts.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()

	// The batch failure probabilities: 1-(1-p)^10 with p = 1-(0.999)(0.95)
	// for the bad candidate and p = 0.001 for a healthy one.
	p1 := 1 - 0.999*0.95
	want := "queue batch of 10 " + strconv.FormatFloat(100*(1-math.Pow(1-p1, 10)), 'f', 1, 64) + "% (healthy 1.00%)"
	if !strings.Contains(s, want) {
		t.Errorf("output lacks %q", want)
	}

	view := excheck.Table(t, s, "minute", "sync", "async", "queue")
	for m := 0; m < 5; m++ {
		excheck.Row(t, view, strconv.Itoa(m))
	}

	cost := excheck.Table(t, s, "model", "detected", "rollback s", "failed invocations", "retried", "lost", "delayed", "dead-lettered", "false rollbacks")
	row := func(name string) []string {
		f := excheck.Row(t, cost, name)
		if len(f) != 11 {
			t.Fatalf("%s row %v: %d fields, want 11", name, f, len(f))
		}
		return f
	}
	sync, async, queue := row("sync"), row("async"), row("queue")
	// A 5.1 % bug on 600 canary requests a minute (41 % on 60 batches)
	// breaches a 1 % threshold in minute 0 for certain: seen at 2:00,
	// rolled back at 2:05.
	for _, f := range [][]string{sync, async, queue} {
		if f[1] != "100.0%" || f[2] != "125" {
			t.Errorf("%s: detected %s after %s s, want 100.0%% after 125", f[0], f[1], f[2])
		}
	}
	// Synchronous calls are never retried [doc]; the async and queue
	// counters stay 0.
	if strings.Join(sync[4:8], " ") != "0.0 0.00 0.0 0.00" {
		t.Errorf("sync: retried/lost/delayed/dead-lettered = %v, want all 0", sync[4:8])
	}
	// Async: failed attempts are retried, and losing an event takes three
	// failures in a row, about 2e-7 per event, 0.006 per deployment.
	if r, _ := strconv.ParseFloat(async[4], 64); r <= 0 {
		t.Errorf("async: %s attempts retried, want > 0", async[4])
	}
	if l, _ := strconv.ParseFloat(async[5], 64); l > 0.5 {
		t.Errorf("async: %s events lost per deployment, want about 0.006", async[5])
	}
	// Queue: failed batches delay their messages; dead-lettering takes five
	// failed receives in a row (~3e-7 per message).
	if d, _ := strconv.ParseFloat(queue[6], 64); d <= 0 {
		t.Errorf("queue: %s messages delayed, want > 0", queue[6])
	}
	if dl, _ := strconv.ParseFloat(queue[7], 64); dl > 0.5 {
		t.Errorf("queue: %s dead-lettered per deployment, want about 0", queue[7])
	}
	// Healthy queue under the 1 % alarm: rolled back when any of ~240
	// candidate batches fails, 1-exp(-240 × 0.00995) = 91 %. With 20 runs
	// the standard error is 6.4 points; 4 of them leave 65 %.
	if fr := percent(t, queue[8]); fr < 65 {
		t.Errorf("queue: %.1f%% false rollbacks, want about 91%%", fr)
	}
	// Healthy sync: a minute of ~600 candidate requests needs 6 failures at
	// 0.1 % (expected 0.6) to reach 1 %: 0.003 % a minute.
	if fr := percent(t, sync[8]); fr > 5 {
		t.Errorf("sync: %.1f%% false rollbacks, want about 0", fr)
	}

	tuned := excheck.Table(t, s, "model", "threshold", "detected", "rollback s", "false rollbacks")
	for _, thr := range []string{"1.0%", "5.0%", "10.0%"} {
		f := excheck.Row(t, tuned, "queue", thr)
		if thr == "10.0%" && f != nil && percent(t, f[4]) > 5 {
			// Six failed batches of ~60 at 1 %: 0.003 % a minute.
			t.Errorf("queue at 10%%: %s false rollbacks, want about 0", f[4])
		}
	}

	// Section 5: a one-second window fills every batch (2 minutes, ~12,000
	// messages); whole-batch retry dead-letters q^5 = 86.7 % of them
	// (q = 1-0.7^10), partial batch responses p^5 = 0.24 %. One run of
	// ~1,200 batches: a batch's messages share its fate, so the standard
	// error is about √(0.13·0.87/1200) = 1 point; 4 of them are allowed.
	// Failed invocations are zero with partial responses (their
	// invocations succeed).
	bt := excheck.Table(t, s, "window", "partial", "batches", "mean size", "full", "failed invocations", "failed receives", "dead-lettered", "closed form")
	if f := excheck.Row(t, bt, "1s", "false"); f != nil {
		if dl := percent(t, f[7]); math.Abs(dl-86.7) > 4 {
			t.Errorf("window 1s, whole-batch retry: %.1f%% dead-lettered, want 86.7%%", dl)
		}
		if f[4] != "100.0%" || f[8] != "86.7%" {
			t.Errorf("window 1s: full %s, closed form %s; want 100.0%% and 86.7%%", f[4], f[8])
		}
	}
	if f := excheck.Row(t, bt, "1s", "true"); f != nil {
		if dl := percent(t, f[7]); dl > 1 || f[5] != "0" || f[8] != "0.2%" {
			t.Errorf("partial batch responses: %s dead-lettered, %s failed invocations, closed form %s; want about 0.24%%, 0, 0.2%%", f[7], f[5], f[8])
		}
	}

	excheck.Charts(t, dir, "alarm-view", "outcomes")
	excheck.Page(t, dir)
}

// percent parses "87.6%".
func percent(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Errorf("not a percentage: %q", s)
	}
	return v
}
