package sim

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// queueScenario sends exactly rate messages per second for d (an exact
// trace) through a queue with batches of 10 filled by a 10 s batching
// window, with both versions failing each message with probability p, no
// timeout, and a run that drains the queue after the last step.
func queueScenario(rate float64, d time.Duration, p float64, q Queue) Scenario {
	counts := make([]float64, int(d/time.Second))
	for i := range counts {
		counts[i] = rate
	}
	s := perRequestScenario()
	s.Workload = Trace{Counts: counts, Exact: true}
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = p, p
	s.Baseline.Timeout, s.Candidate.Timeout = 0, 0
	s.Strategy = steps{{At: 0, Weight: 0.5}, {At: d, Weight: 1}}
	s.EventModel = q
	return s
}

// A batch of 10 fails when any of its messages fails: f = 1-(1-p)^10. A
// message goes to the dead-letter queue after MaxReceiveCount = 3 failed
// receives, each in a fresh (full) batch, so with probability f³; it is
// delivered late when its first receive failed and a later one succeeded:
// f - f³. The messages of one batch share its fate, so the counts have up
// to 10 times the binomial variance: tolerance 4·√(10·q(1-q)/N).
func TestQueueBatchRetriesClosedForm(t *testing.T) {
	const p = 0.02
	d := time.Hour
	if testing.Short() {
		d = 15 * time.Minute
	}
	q := DefaultQueue()
	q.BatchWindow = 10 * time.Second
	q.MaxReceiveCount = 3
	s := queueScenario(50, d, p, q)
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkExec(s, r); msg != "" {
		t.Fatal(msg)
	}
	n := 50 * d.Seconds()
	f := 1 - math.Pow(1-p, 10)
	for _, x := range []struct {
		name      string
		got, want float64
	}{
		{"dead-lettered", float64(r.DeadLettered) / n, f * f * f},
		{"delayed", float64(r.DelayedMessages) / n, f - f*f*f},
	} {
		if se := math.Sqrt(10 * x.want * (1 - x.want) / n); math.Abs(x.got-x.want) > 4*se {
			t.Errorf("%s fraction %.5f of %v messages, want %.5f ± %.5f", x.name, x.got, n, x.want, 4*se)
		}
	}
	// Full batches: about (N + retried receives)/10 invocations, a fraction
	// f of them failed.
	inv := float64(r.Candidate.Requests + r.Baseline.Requests)
	receives := n * (1 + f + f*f)
	if math.Abs(inv-receives/10) > 0.02*receives/10 {
		t.Errorf("%v invocations, want about %v full batches", inv, receives/10)
	}
	if got := float64(r.Candidate.Failures()+r.Baseline.Failures()) / inv; math.Abs(got-f) > 4*math.Sqrt(f*(1-f)/inv) {
		t.Errorf("failed batch fraction %.4f, want 1-(1-p)^10 = %.4f", got, f)
	}
	if r.LostEvents != 0 || r.FailedAttempts != r.Candidate.Failures()+r.Baseline.Failures() {
		t.Errorf("LostEvents %d, FailedAttempts %d; want 0 and the failed batches", r.LostEvents, r.FailedAttempts)
	}
}

// With partial batch responses only the failed messages are retried, each
// independently: a message is dead-lettered after 3 failed receives with
// probability p³ and delivered late with p - p³; the invocations themselves
// do not fail (no timeout here). Tolerances: 4 binomial standard errors
// (the messages' fates are independent now).
func TestQueuePartialBatchResponse(t *testing.T) {
	const p = 0.1
	d := time.Hour
	if testing.Short() {
		d = 15 * time.Minute
	}
	q := DefaultQueue()
	q.BatchWindow = 10 * time.Second
	q.MaxReceiveCount = 3
	q.PartialBatchResponse = true
	s := queueScenario(50, d, p, q)
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if msg := checkExec(s, r); msg != "" {
		t.Fatal(msg)
	}
	n := 50 * d.Seconds()
	for _, x := range []struct {
		name      string
		got, want float64
	}{
		{"dead-lettered", float64(r.DeadLettered) / n, p * p * p},
		{"delayed", float64(r.DelayedMessages) / n, p - p*p*p},
	} {
		if se := math.Sqrt(x.want * (1 - x.want) / n); math.Abs(x.got-x.want) > 4*se {
			t.Errorf("%s fraction %.5f of %v messages, want %.5f ± %.5f", x.name, x.got, n, x.want, 4*se)
		}
	}
	if f := r.Candidate.Failures() + r.Baseline.Failures(); f != 0 || r.ExcessFailures != 0 {
		t.Errorf("%d failed invocations, ExcessFailures %v; want 0 (failures are reported per message)", f, r.ExcessFailures)
	}
}

// Without a batching window a poller takes what is visible: at a low rate
// every batch is one message. A failed message waits for its visibility
// timeout before its next receive.
func TestQueueNoWindowAndVisibility(t *testing.T) {
	q := DefaultQueue()
	q.MaxReceiveCount = 2
	q.VisibilityTimeout = 5 * time.Minute
	s := queueScenario(1, 10*time.Minute, 1, q) // every message fails
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.DeadLettered != 600 || r.DelayedMessages != 0 {
		t.Errorf("DeadLettered %d, DelayedMessages %d; want 600 and 0", r.DeadLettered, r.DelayedMessages)
	}
	if inv := r.Candidate.Requests + r.Baseline.Requests; inv != 1200 {
		t.Errorf("%d invocations, want 2 receives of each of 600 single-message batches", inv)
	}
	// The last message arrives before 10 min and is received again 5 min
	// later: the run (draining the queue) ends after 15 min.
	if r.End < 14*time.Minute+59*time.Second || r.End > 15*time.Minute+10*time.Second {
		t.Errorf("End = %v, want about 15m", r.End)
	}
}

// MaxConcurrency caps the batches in progress and the pollers never invoke
// beyond the function's limit: messages wait instead of being throttled.
func TestQueueConcurrency(t *testing.T) {
	q := DefaultQueue()
	q.MaxConcurrency = 2
	s := queueScenario(100, 2*time.Minute, 0, q)
	s.Baseline.P50, s.Baseline.P99 = time.Second, time.Second
	s.Candidate.P50, s.Candidate.P99 = time.Second, time.Second
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 5
	s.KeepSeries = true
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Throttles() != 0 || r.DeadLettered != 0 {
		t.Errorf("%d throttles, %d dead-lettered; want none", r.Throttles(), r.DeadLettered)
	}
	for i := range r.Series.Periods {
		if m := r.Series.Periods[i].Dims[0].Concurrency.Max(); m > 2 {
			t.Fatalf("period %d: concurrency %v above MaxConcurrency 2", i, m)
		}
	}
	// 12,000 messages at 2 batches of 10 per second (plus cold starts)
	// take about 600 s.
	if r.End < 590*time.Second {
		t.Errorf("End = %v, want the backlog to take about 10 min", r.End)
	}
	if ok := r.Candidate.Successes + r.Baseline.Successes; ok < 1200 || ok > 1300 {
		t.Errorf("%d batches, want about 1,200 (12,000 messages, mostly full batches)", ok)
	}
}

func TestBadQueueSettings(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Queue)
		want string
	}{
		{func(q *Queue) { q.BatchSize = 11 }, "Scenario.EventModel.BatchSize = 11: must be in [1, 10]"},
		{func(q *Queue) { q.BatchWindow = 301 * time.Second }, "Scenario.EventModel.BatchWindow = 5m1s: must be in [0, 5m0s]"},
		{func(q *Queue) { q.MaxConcurrency = 1 }, "Scenario.EventModel.MaxConcurrency = 1: must be 0 (none) or in [2, 1000]"},
		{func(q *Queue) { q.VisibilityTimeout = -time.Second }, "Scenario.EventModel.VisibilityTimeout = -1s: must be in [0, 12h0m0s]"},
		{func(q *Queue) { q.MaxReceiveCount = 0 }, "Scenario.EventModel.MaxReceiveCount = 0: must be in [1, 1000]"},
	} {
		q := DefaultQueue()
		tc.mod(&q)
		s := queueScenario(1, time.Minute, 0, q)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
}

// The queue's steady state allocates nothing per event: message and batch
// slabs, free lists and the visible list reach their working size during
// the warm-up.
func TestNoAllocsPerEventQueue(t *testing.T) {
	s := benchScenario()
	s.Period = time.Hour
	q := DefaultQueue()
	q.BatchWindow = time.Second
	s.EventModel = q
	s.Concurrency = DefaultConcurrency()
	s.Concurrency.AccountLimit, s.Concurrency.ReservedLimit = 0, 30
	s.Baseline.ErrorProb, s.Candidate.ErrorProb = 0.002, 0.002
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var e engine
	e.setup(&s)
	for e.now < 5*time.Minute {
		e.step()
	}
	allocs := testing.AllocsPerRun(100000, func() {
		if e.step() {
			t.Fatal("run ended")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per event", allocs)
	}
	if e.c.run.DelayedMessages == 0 {
		t.Error("no message was delayed: the retry path is not exercised")
	}
}

// Same scenario, same run, with the queue model.
func TestQueueDeterminism(t *testing.T) {
	q := DefaultQueue()
	q.BatchWindow = 3 * time.Second
	s := richExecScenario(5)
	s.EventModel = q
	a, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	var rn Runner
	rn.Run(richExecScenario(4))
	b, err := rn.Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different runs:\n%+v\n%+v", a, b)
	}
}

// An event source mapping processes at most as many batches as it has
// pollers, each invocation holding its poller (issue 18.4). With two
// pollers (MaxConcurrency 2), 100 messages/s and invocations of 1 s, at
// most 20 messages/s can be received in batches of 10, far below the 100
// sent, so messages always wait and every batch but the first is full
// (until the last few messages): a receive fails with q = 1 − (1 − p)^10 and a message
// is dead-lettered after MaxReceiveCount = 5 failed receives with
// probability q^5 (p = 0.3: 0.9718^5 = 0.866, the figure; without
// the pollers each message was invoked alone, 0.3^5 = 0.24 %). With partial
// batch response only the reported messages are retried: p^5 = 0.243 %.
// The run drains the queue, so every message ends delivered or
// dead-lettered. Tolerances: 4 standard errors, with 10 times the binomial
// variance for whole-batch retry (a batch's messages share its fate).
func TestQueuePollersFillBatches(t *testing.T) {
	const p, R = 0.3, 5
	d := 2 * time.Minute
	for _, pbr := range []bool{false, true} {
		q := DefaultQueue()
		q.MaxConcurrency = 2
		q.PartialBatchResponse = pbr
		s := queueScenario(100, d, p, q)
		s.Baseline.P50, s.Baseline.P99, s.Candidate.P50, s.Candidate.P99 = time.Second, time.Second, time.Second, time.Second
		r, err := Run(s)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkExec(s, r); msg != "" {
			t.Fatal(msg)
		}
		n := 100 * d.Seconds()
		want, infl := math.Pow(1-math.Pow(1-p, 10), R), 10.0
		if pbr {
			want, infl = math.Pow(p, R), 1
		}
		got := float64(r.DeadLettered) / n
		if se := math.Sqrt(infl * want * (1 - want) / n); math.Abs(got-want) > 4*se {
			t.Errorf("partial batch response %v: dead-lettered %.5f of %v messages, want %.5f ± %.5f", pbr, got, n, want, 4*se)
		}
		// Whole-batch retry needs full batches for q; with partial batch
		// response a message's fate does not depend on its batch (the
		// retried few trickle back in small batches at the end).
		total := batchTotal(r)
		if full := float64(r.BatchSizes[10]) / float64(total); !pbr && full < 0.99 {
			t.Errorf("partial batch response %v: %.4f of %d batches full, want >= 0.99 (sizes %v)", pbr, full, total, r.BatchSizes)
		}
		// Every receive that did not succeed counts in FailedMessages:
		// each dead-lettered message failed R times.
		if r.FailedMessages < R*r.DeadLettered {
			t.Errorf("FailedMessages %d < %d × DeadLettered %d", r.FailedMessages, R, r.DeadLettered)
		}
		t.Logf("partial batch response %v: dead-lettered %.5f (closed form %.5f), %d batches, sizes %v, failed invocations %d, failed receives %d",
			pbr, got, want, total, r.BatchSizes, r.FailedAttempts, r.FailedMessages)
	}
}

// A free poller long-polls and takes a message the moment it arrives, so at
// 1 message/s (about 0.1 invocations in progress, far from the five
// pollers) every batch holds one message, whatever BatchSize: the batch
// size distribution is the point mass at 1.
func TestQueueIdlePollersTakeSingleMessages(t *testing.T) {
	s := perRequestScenario()
	s.Workload = Poisson{Rate: 1}
	s.Strategy = steps{{At: 0, Weight: 0.5}, {At: 10 * time.Minute, Weight: 1}}
	s.EventModel = DefaultQueue()
	r, err := Run(s)
	if err != nil {
		t.Fatal(err)
	}
	if total := batchTotal(r); total == 0 || r.BatchSizes[1] != total {
		t.Errorf("batch sizes %v: want all %d of size 1", r.BatchSizes, total)
	}
}
