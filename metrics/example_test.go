package metrics_test

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// run makes a run of a bad candidate that failed `failures` requests and
// was rolled back `detect` after the fault began (or missed when detect is
// metrics.Never and promoted at 10 minutes).
func run(failures int64, detect time.Duration) *metrics.Run {
	r := &metrics.Run{
		Bad: true, Candidate: metrics.VersionCounts{Requests: 1000, Errors: failures},
		FaultOnset: 0, FirstFailure: 0, Detected: metrics.Never, WeightZero: metrics.Never,
		Drained: metrics.Never, Promoted: metrics.Never, End: time.Hour,
	}
	if detect == metrics.Never {
		r.Outcome, r.Promoted = metrics.Missed, 10*time.Minute
	} else {
		r.Outcome, r.Detected, r.WeightZero = metrics.RolledBack, detect, detect+5*time.Second
	}
	return r
}

// A Summary is built one run at a time; means, deviations, quantiles and
// intervals are derived when read.
func ExampleSummary() {
	var s metrics.Summary
	s.Add(run(12, 2*time.Minute))
	s.Add(run(20, 3*time.Minute))
	s.Add(run(16, 4*time.Minute))
	s.Add(run(80, metrics.Never))

	f := s.Stats(metrics.CandidateFailures)
	fmt.Printf("candidate failures: mean %.1f, sd %.1f, max %.0f, 95%% CI [%.1f, %.1f]\n", f.Mean, f.StdDev, f.Max, f.CILow, f.CIHigh)
	d := s.Stats(metrics.TimeToDetect)
	fmt.Printf("time to detect: %d detections, mean %.0f s\n", d.N, d.Mean)
	p := s.Rate(metrics.DetectionRate)
	fmt.Printf("detection rate: %d/%d = %.2f, Wilson 95%% [%.3f, %.3f]\n", p.Successes, p.Trials, p.Value, p.CILow, p.CIHigh)
	// Output:
	// candidate failures: mean 32.0, sd 32.2, max 80, 95% CI [-19.2, 83.2]
	// time to detect: 3 detections, mean 180 s
	// detection rate: 3/4 = 0.75, Wilson 95% [0.301, 0.954]
}

// Summaries of two shards merge into the summary of all their runs, exactly.
func ExampleSummary_Merge() {
	var a, b, whole metrics.Summary
	for i, r := range []*metrics.Run{run(3, time.Minute), run(5, metrics.Never), run(8, 2*time.Minute)} {
		whole.Add(r)
		if i == 0 {
			a.Add(r)
		} else {
			b.Add(r)
		}
	}
	a.Merge(&b)
	fmt.Println(a.Equal(&whole), a.Stats(metrics.CandidateFailures).Mean)
	// Output: true 5.333333333333333
}

// A Table compares strategies; here two made-up ones. Means carry the
// half-width of their 95% interval (wide with two runs); quantiles are the
// exact nearest-rank values while a figure has at most ExactValues runs.
func ExampleTable() {
	var fast, slow metrics.Summary
	fast.Add(run(40, 5*time.Minute))
	fast.Add(run(60, metrics.Never))
	slow.Add(run(4, 2*time.Minute))
	slow.Add(run(6, 3*time.Minute))

	var t metrics.Table
	t.Add("Linear10PercentEvery1Minute", &fast)
	t.Add("Canary10Percent5Minutes", &slow)
	t.WriteWith(os.Stdout, metrics.Text, metrics.WriteOptions{
		Columns: []string{"runs", "detection_rate", "candidate_failures", "candidate_failures.p95", "time_to_detect_s", "time_to_detect_s.p99"},
	})
	// Output:
	// strategy                     runs  detected [95% CI]  failures  failures p95  detect (s)  detect p99 (s)
	// Linear10PercentEvery1Minute     2     50% [9.5,90.5]   50 ±127            60         300             300
	// Canary10Percent5Minutes         2    100% [34.2,100]     5 ±13             6    150 ±381             180
}

// Shards of a sweep write JSON with their state; ReadTable and Merge
// rebuild the whole table. Each shard records where its runs come from
// (SetOrigin), so a shard given twice is refused.
func ExampleReadTable() {
	fp := metrics.Fingerprint("scenario: rps 100, error rate 5%", "Canary10Percent5Minutes")
	var shard1, shard2 metrics.Table
	var s1, s2 metrics.Summary
	s1.Add(run(10, time.Minute))
	s2.Add(run(30, metrics.Never))
	s1.SetOrigin(fp, 0) // run 0
	s2.SetOrigin(fp, 1) // run 1
	shard1.Add("Canary10Percent5Minutes", &s1)
	shard2.Add("Canary10Percent5Minutes", &s2)

	var merged metrics.Table
	for _, sh := range []*metrics.Table{&shard1, &shard2, &shard2} {
		var file bytes.Buffer
		sh.WriteWith(&file, metrics.JSON, metrics.WriteOptions{WithState: true})
		t, err := metrics.ReadTable(&file)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := merged.Merge(t); err != nil {
			fmt.Println(err)
		}
	}
	r := merged.Rows[0]
	fmt.Println(r.Label, r.Summary.Runs(), r.Summary.Value(metrics.CandidateFailures), r.Summary.Value(metrics.DetectionRate))
	fmt.Println(merged.CheckComplete(2))
	// Output:
	// metrics: Table row "Canary10Percent5Minutes": metrics: Summary.Merge: bad runs [1, 2) counted twice: a shard given twice, or a copy of one under another name
	// Canary10Percent5Minutes 2 20 0.5
	// <nil>
}

// Pareto keeps the strategies that no other beats on both figures.
func ExamplePareto() {
	mk := func(failures int64, minutes int) *metrics.Summary {
		var s metrics.Summary
		r := run(failures, metrics.Never)
		r.Promoted = time.Duration(minutes) * time.Minute
		s.Add(r)
		return &s
	}
	var t metrics.Table
	t.Add("AllAtOnce", mk(500, 0))
	t.Add("Linear10PercentEvery1Minute", mk(250, 9))
	t.Add("Linear10PercentEvery3Minutes", mk(260, 27)) // slower and worse than the one above
	t.Add("Canary10Percent30Minutes", mk(60, 30))
	for _, r := range metrics.Pareto(t.Rows, metrics.DeployDuration, metrics.CandidateFailures) {
		fmt.Println(r.Label, r.Summary.Value(metrics.DeployDuration), r.Summary.Value(metrics.CandidateFailures))
	}
	// Output:
	// AllAtOnce 0 500
	// Linear10PercentEvery1Minute 540 250
	// Canary10Percent30Minutes 1800 60
}

// Best minimises one figure under constraints and says why the others lost.
func ExampleBest() {
	mk := func(failures int64, minutes int) *metrics.Summary {
		var s metrics.Summary
		r := run(failures, metrics.Never)
		r.Promoted = time.Duration(minutes) * time.Minute
		s.Add(r)
		return &s
	}
	var t metrics.Table
	t.Add("AllAtOnce", mk(500, 0))
	t.Add("Linear10PercentEvery1Minute", mk(250, 9))
	t.Add("Canary10Percent30Minutes", mk(60, 30))
	t.Add("Linear10PercentEvery10Minutes", mk(40, 90))
	rec, err := metrics.Best(&t, metrics.CandidateFailures, metrics.AtMost(metrics.DeployDuration, 30*60))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("recommended:", rec.Row.Label)
	for _, o := range rec.Others {
		fmt.Printf("  %s: %s\n", o.Row.Label, o.Reason)
	}
	// Output:
	// recommended: Canary10Percent30Minutes
	//   AllAtOnce: candidate_failures = 500, worse than Canary10Percent30Minutes's 60
	//   Linear10PercentEvery1Minute: candidate_failures = 250, worse than Canary10Percent30Minutes's 60
	//   Linear10PercentEvery10Minutes: fails duration_s <= 1800: 5400
}
