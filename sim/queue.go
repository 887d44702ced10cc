package sim

import (
	"math"
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
)

// Limits and defaults of the queue model, from SQS and Lambda's SQS event
// source mapping.
const (
	MaxBatchSize             = 10                // larger batches need a batching window; not modelled
	MaxBatchWindow           = 300 * time.Second // MaximumBatchingWindowInSeconds: 0–300
	MaxMaxReceiveCount       = 1000              // SQS redrive policy: maxReceiveCount 1–1,000
	MaxVisibilityTimeout     = 12 * time.Hour    // SQS: 0 s – 12 h
	DefaultVisibilityTimeout = 30 * time.Second  // SQS's default
	DefaultMaxReceiveCount   = 5                 // [assumed]: a common redrive setting

	// DefaultPollers is how many batches an SQS event source mapping
	// processes at once when messages become available: five [doc]
	// ("Configuring scaling behavior for SQS event source mappings").
	DefaultPollers = 5
	// MaxPollers is the most batches a mapping processes at once: 1,000 [doc].
	MaxPollers = 1000
	// PollerScaleStep and PollerScaleEvery: while messages are still
	// available with every poller busy, Lambda adds up to 300 pollers a
	// minute [doc], modelled as 5 every second; with none waiting it scales
	// back by as many down to DefaultPollers ([assumed]: AWS says only that
	// it scales back when traffic is low).
	PollerScaleStep  = 5
	PollerScaleEvery = time.Second
)

// Queue is an SQS queue read by a Lambda event source mapping (docs/model.md,
// "Event sources"): each arrival of the workload is a message sent to the
// queue; the mapping's pollers receive up to BatchSize messages at a time and
// invoke the alias once per batch, routed by the weight at that instant.
//
// How it maps to a real SQS event source mapping:
//
//   - Pollers: the mapping processes at most as many batches at once as it
//     has pollers, each invocation holding its poller until it ends. It
//     starts with Pollers (0: DefaultPollers, AWS's five); while messages
//     are waiting with every poller busy it adds PollerScaleStep every
//     PollerScaleEvery (300 a minute, as AWS documents), up to
//     MaxConcurrency or MaxPollers, and with none waiting it scales back as
//     fast down to DefaultPollers. A free poller long-polls: it receives what
//     is available the moment a message is, so batches fill only when
//     messages wait (every poller busy) or with a batching window.
//   - BatchSize is the mapping's BatchSize (1–10 here; larger batches, which
//     need a batching window, are not modelled); BatchWindow its
//     MaximumBatchingWindowInSeconds: a batch smaller than BatchSize waits
//     until the oldest message has waited that long.
//   - MaxConcurrency is the mapping's ScalingConfig.MaximumConcurrency (0:
//     MaxPollers and the function's concurrency are the bounds). The pollers
//     never invoke beyond the concurrency limit: messages wait in the queue
//     instead of being throttled, as the mapping backs off when throttled (a
//     throttle from the scaling limit returns the batch to the queue like a
//     failure).
//   - A batch fails when any of its messages fails (each independently with
//     the version's error probability, the fault's included) or when the
//     invocation times out; its messages then become visible again
//     VisibilityTimeout after they were received (or when the invocation
//     ends, if later) and are received again, each receive counting towards
//     MaxReceiveCount, the queue's redrive policy. A message whose receive
//     count has reached MaxReceiveCount goes to the dead-letter queue
//     (metrics.Run.DeadLettered) instead. With PartialBatchResponse the
//     function reports its failed messages (the mapping's
//     ReportBatchItemFailures): only those are retried, and the invocation
//     itself succeeds (no Error) unless it timed out, which fails the whole
//     batch. Streams (Kinesis, DynamoDB), which block a shard on a failing
//     batch, are not modelled.
//   - A batch's request kind (Scenario.Kinds) is drawn once per batch.
//   - A message delivered after at least one failed receive counts in
//     metrics.Run.DelayedMessages.
//
// Metrics count invocations (batches), as Lambda does: one Invocation and at
// most one Error per batch. metrics.Run counts the rest apart:
// FailedAttempts the failed invocations (batches that failed or were
// throttled), FailedMessages the failed receives of messages (every message
// of a failed batch, or with PartialBatchResponse each reported one),
// DeadLettered the messages sent to the dead-letter queue, BatchSizes the
// batches by size. A message's receives fail independently, so with batches
// of n it is dead-lettered with probability q^MaxReceiveCount, q = 1 −
// (1 − p)^n, and p^MaxReceiveCount with PartialBatchResponse. Messages waiting in the queue when a run without
// horizon stops keep it running until the queue is empty; at a horizon they
// are in none of the counts. Start from DefaultQueue.
type Queue struct {
	// BatchSize is the most messages per invocation, in [1, 10].
	BatchSize int
	// BatchWindow is how long a batch smaller than BatchSize waits, in
	// [0, 300 s].
	BatchWindow time.Duration
	// MaxConcurrency caps the batches in progress (0: no cap but the
	// function's; else in [2, 1000], as Lambda allows).
	MaxConcurrency int
	// VisibilityTimeout is how long a received message stays invisible, in
	// [0, 12 h] (SQS's default 30 s; AWS advises at least six times the
	// function's timeout).
	VisibilityTimeout time.Duration
	// MaxReceiveCount is the redrive policy's maxReceiveCount, in [1, 1000]:
	// a message received that many times without success goes to the
	// dead-letter queue.
	MaxReceiveCount int
	// PartialBatchResponse is the mapping's ReportBatchItemFailures: the
	// function reports which messages failed and only those are retried.
	PartialBatchResponse bool
	// Pollers is how many batches the mapping processes at once at the
	// start (0: DefaultPollers), in [0, MaxPollers]; a deployment to a
	// function under steady load may start with the count its load needs.
	Pollers int
}

// DefaultQueue returns a queue with batches of 10, no batching window, no
// concurrency cap, SQS's default 30 s visibility timeout and a
// maxReceiveCount of 5 ([assumed]).
func DefaultQueue() Queue {
	return Queue{BatchSize: MaxBatchSize, VisibilityTimeout: DefaultVisibilityTimeout, MaxReceiveCount: DefaultMaxReceiveCount}
}

// Name is "queue".
func (Queue) Name() string { return "queue" }

func (q Queue) validate() error {
	if q.BatchSize < 1 || q.BatchSize > MaxBatchSize {
		return invalid("Scenario.EventModel.BatchSize = %d: must be in [1, %d]", q.BatchSize, MaxBatchSize)
	}
	if q.BatchWindow < 0 || q.BatchWindow > MaxBatchWindow {
		return invalid("Scenario.EventModel.BatchWindow = %v: must be in [0, %v]", q.BatchWindow, MaxBatchWindow)
	}
	if q.MaxConcurrency != 0 && (q.MaxConcurrency < 2 || q.MaxConcurrency > 1000) {
		return invalid("Scenario.EventModel.MaxConcurrency = %d: must be 0 (none) or in [2, 1000]", q.MaxConcurrency)
	}
	if q.VisibilityTimeout < 0 || q.VisibilityTimeout > MaxVisibilityTimeout {
		return invalid("Scenario.EventModel.VisibilityTimeout = %v: must be in [0, %v]", q.VisibilityTimeout, MaxVisibilityTimeout)
	}
	if q.MaxReceiveCount < 1 || q.MaxReceiveCount > MaxMaxReceiveCount {
		return invalid("Scenario.EventModel.MaxReceiveCount = %d: must be in [1, %d]", q.MaxReceiveCount, MaxMaxReceiveCount)
	}
	if q.Pollers < 0 || q.Pollers > MaxPollers {
		return invalid("Scenario.EventModel.Pollers = %d: must be in [0, %d]", q.Pollers, MaxPollers)
	}
	return nil
}

// pollerBounds are the least and most pollers of q, and the count at the
// start.
func (q Queue) pollerBounds() (lo, hi, start int) {
	hi = MaxPollers
	if q.MaxConcurrency > 0 {
		hi = q.MaxConcurrency
	}
	lo = min(DefaultPollers, hi)
	start = lo
	if q.Pollers > 0 {
		start = min(q.Pollers, hi)
	}
	return lo, hi, start
}

// message is one queue message.
type message struct {
	readyAt  time.Duration // when it (last) became visible
	receives int32
}

// batch is one invocation's messages.
type batch struct {
	msgs   [MaxBatchSize]int32
	n      int32
	failed uint16 // with PartialBatchResponse: the messages that failed
}

// queueState is the engine's queue: messages and batches in slabs with free
// lists, and the visible messages in arrival order (a slice with a moving
// head, compacted when half consumed), so nothing is allocated per message
// once the slabs have grown.
type queueState struct {
	on       bool
	m        Queue
	msgs     []message
	freeMsgs []int32
	batches  []batch
	freeB    []int32
	ready    []int32
	head     int
	running  int  // batches in progress
	armed    bool // a batching-window timer is queued

	// Pollers: pollers in [lo, hi]; scaleAt is the next scaling instant
	// when scaling is armed.
	pollers, lo, hi int
	scaling         bool
	scaleAt         time.Duration

	// Batches by size and by whether the fault affected them, for
	// ExcessFailures (a batch fails with 1-(1-p)^n).
	nHealthy, nFaulty [MaxBatchSize + 1]int64
}

func (q *queueState) setup(s *Scenario) {
	q.msgs, q.freeMsgs = q.msgs[:0], q.freeMsgs[:0]
	q.batches, q.freeB = q.batches[:0], q.freeB[:0]
	q.ready, q.head, q.running, q.armed = q.ready[:0], 0, 0, false
	q.nHealthy, q.nFaulty = [MaxBatchSize + 1]int64{}, [MaxBatchSize + 1]int64{}
	q.m, q.on = Queue{}, false
	q.scaling, q.scaleAt = false, 0
	if m, ok := s.EventModel.(Queue); ok {
		q.m, q.on = m, true
		q.lo, q.hi, q.pollers = m.pollerBounds()
	}
}

func (q *queueState) visible() int { return len(q.ready) - q.head }

func (q *queueState) push(i int32, now time.Duration) {
	q.msgs[i].readyAt = now
	if q.head > 0 && q.head*2 >= len(q.ready) {
		n := copy(q.ready, q.ready[q.head:])
		q.ready, q.head = q.ready[:n], 0
	}
	q.ready = append(q.ready, i)
}

// send puts a new message in the queue at now.
func (e *engine) send(now time.Duration) {
	q := &e.qs
	var i int32
	if n := len(q.freeMsgs); n > 0 {
		i = q.freeMsgs[n-1]
		q.freeMsgs = q.freeMsgs[:n-1]
	} else {
		i = int32(len(q.msgs))
		q.msgs = append(q.msgs, message{})
	}
	q.msgs[i] = message{}
	q.push(i, now)
	e.c.pending++
	e.pump(now)
}

// pump invokes the function with batches while messages are visible and
// concurrency allows.
func (e *engine) pump(now time.Duration) {
	q := &e.qs
	for q.visible() > 0 {
		if e.x.on && e.x.limit > 0 && e.c.busy() >= e.x.limit {
			return
		}
		if q.running >= q.pollers {
			e.armScaling(now)
			return // every poller holds an invocation
		}
		n := min(q.visible(), q.m.BatchSize)
		if n < q.m.BatchSize && q.m.BatchWindow > 0 {
			due := q.msgs[q.ready[q.head]].readyAt + q.m.BatchWindow
			if now < due {
				if !q.armed {
					q.armed = true
					e.q.Push(eventq.Event{At: due, Kind: evBatchWindow})
				}
				return
			}
		}
		var b int32
		if k := len(q.freeB); k > 0 {
			b = q.freeB[k-1]
			q.freeB = q.freeB[:k-1]
		} else {
			b = int32(len(q.batches))
			q.batches = append(q.batches, batch{})
		}
		bt := &q.batches[b]
		bt.n = int32(n)
		for j := 0; j < n; j++ {
			m := q.ready[q.head]
			q.head++
			q.msgs[m].receives++
			q.msgs[m].readyAt = now // the receive instant while invisible
			bt.msgs[j] = m
		}
		e.c.pending -= int64(n)
		q.running++
		e.c.run.BatchSizes[n]++
		e.attempt(now, b, -1, n)
	}
	if q.pollers > q.lo {
		e.armScaling(now) // to scale back while nothing waits
	}
}

// armScaling queues the next scaling instant, if none is, while the pollers
// may change: more are allowed, or more than the floor are running idle.
func (e *engine) armScaling(now time.Duration) {
	q := &e.qs
	if q.scaling || (q.pollers >= q.hi && q.pollers <= q.lo) {
		return
	}
	q.scaling, q.scaleAt = true, now+PollerScaleEvery
	// The batching window's event kind: its handler serves both timers.
	e.q.Push(eventq.Event{At: q.scaleAt, Kind: evBatchWindow})
}

// batchWindow handles a batching-window timer or a scaling instant.
func (e *engine) batchWindow(now time.Duration) {
	q := &e.qs
	q.armed = false
	if q.scaling && now >= q.scaleAt {
		q.scaling = false
		if q.visible() > 0 && q.running >= q.pollers {
			q.pollers = min(q.hi, q.pollers+PollerScaleStep)
		} else if q.visible() == 0 {
			q.pollers = max(q.lo, q.pollers-PollerScaleStep)
		}
	}
	e.pump(now)
}

// batchDone handles the end of batch b at now and invokes the next batches.
func (e *engine) batchDone(b int32, now time.Duration, failed bool) {
	e.batchRelease(b, now, failed)
	e.pump(now)
}

// batchRelease ends batch b at now: its messages are delivered, or go back
// to the queue after their visibility timeout, or to the dead-letter queue.
// A throttled batch is released as failed.
func (e *engine) batchRelease(b int32, now time.Duration, failed bool) {
	q := &e.qs
	q.running--
	bt := &q.batches[b]
	if failed {
		e.c.run.FailedAttempts++
	}
	for j := int32(0); j < bt.n; j++ {
		m := bt.msgs[j]
		msg := &q.msgs[m]
		switch {
		case !failed && bt.failed>>j&1 == 0:
			if msg.receives > 1 {
				e.c.run.DelayedMessages++
			}
			q.freeMsgs = append(q.freeMsgs, m)
		case int(msg.receives) >= q.m.MaxReceiveCount:
			e.c.run.FailedMessages++
			e.c.run.DeadLettered++
			q.freeMsgs = append(q.freeMsgs, m)
		default:
			// Received at the batch's start, visible again VisibilityTimeout
			// later (not before the invocation has ended).
			e.c.run.FailedMessages++
			e.c.pending++
			e.q.Push(eventq.Event{At: max(now, msg.readyAt+q.m.VisibilityTimeout), Kind: evVisible, Idx: m})
		}
	}
	q.freeB = append(q.freeB, b)
}

// visibleAgain puts a message back in the queue.
func (e *engine) visibleAgain(m int32, now time.Duration) {
	e.qs.push(m, now) // still pending: now visible
	e.pump(now)
}

// batchErrorProb is the probability that batch b of n messages, each
// failing with p, ends in a function error: 1-(1-p)^n; with
// PartialBatchResponse the messages' failures are drawn here and reported
// apart, and the invocation does not fail.
func (e *engine) batchErrorProb(b int32, n int, p float64) float64 {
	bt := &e.qs.batches[b]
	bt.failed = 0
	if !e.qs.m.PartialBatchResponse {
		return 1 - math.Pow(1-p, float64(n))
	}
	for j := 0; j < n; j++ {
		if p > 0 && e.r.Float64() < p {
			bt.failed |= 1 << j
		}
	}
	return 0
}

// batchFailProb is the probability that a batch of n messages fails:
// P(timeout) + P(no timeout)·(1-(1-p)^n), each message failing with p.
func batchFailProb(lat Sampler, factor float64, timeout time.Duration, p float64, n int) float64 {
	return failProb(lat, factor, timeout, 1-math.Pow(1-p, float64(n)))
}
