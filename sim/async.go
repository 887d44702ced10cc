package sim

import (
	"time"

	"github.com/deploysim/deploysim/internal/eventq"
)

// EventModel is how the callers invoke the function (docs/model.md: "Event
// models"): Sync (the default; a nil EventModel is Sync), Async or Queue.
type EventModel interface {
	// Name is the model's name ("sync", "async", "queue").
	Name() string
	validate() error
}

// Sync is synchronous invocation (RequestResponse): the caller sees the
// error, timeout or throttle (a 429) of its one invocation, and Lambda never
// retries it [doc].
type Sync struct{}

// Name is "sync".
func (Sync) Name() string    { return "sync" }
func (Sync) validate() error { return nil }

// Defaults of asynchronous invocation [doc].
const (
	DefaultMaxRetries         = 2
	DefaultMaxEventAge        = 6 * time.Hour
	MinEventAge               = 60 * time.Second
	DefaultThrottleBackoff    = time.Second
	DefaultMaxThrottleBackoff = 5 * time.Minute
)

// Async is asynchronous invocation (InvocationType Event), as Lambda's
// internal queue handles it [doc]: an event whose attempt fails (a function
// error or a timeout) is retried up to MaxRetries more times, RetryDelays[0]
// after the first failure and RetryDelays[1] after the second (1 and 2
// minutes by default); an event whose attempt is throttled is retried after
// a backoff that starts at ThrottleBackoff and doubles up to
// MaxThrottleBackoff (1 s up to 5 minutes by default), without using up
// MaxRetries. A retry whose instant would make the event older than
// MaxEventAge is not made: the event is discarded, to the on-failure
// destination or dead-letter queue if Destination is set (counted in
// metrics.Run.DeadLettered), else dropped (LostEvents); so is an event whose
// last retry failed. Each retry is a new invocation of the alias, routed
// afresh by the weight at its instant, so an event that failed on the
// candidate may succeed on the baseline (and the other way round); every
// attempt counts in Requests, Invocations and Errors.
//
// metrics.Run.FailedAttempts counts the attempts that failed and were
// retried; with no throttles, Errors + Timeouts = FailedAttempts +
// LostEvents + DeadLettered over both versions. Lambda's 5xx system errors,
// which it retries like throttles, are not modelled. An event waiting for a
// retry when a run without horizon stops keeps it running until it is
// resolved (the drain waits for it); at a horizon it is in none of the
// counts.
//
// Start from DefaultAsync: the zero Async has no valid MaxEventAge.
type Async struct {
	// MaxRetries is Lambda's MaximumRetryAttempts, in [0, 2] (default 2).
	MaxRetries int
	// RetryDelays are the waits before the first and the second retry of
	// a failed event (default 1 min and 2 min); each must be > 0 when used.
	RetryDelays [2]time.Duration
	// MaxEventAge is Lambda's MaximumEventAgeInSeconds, in [60 s, 6 h]
	// (default 6 h).
	MaxEventAge time.Duration
	// ThrottleBackoff is the first wait after a throttle, doubled after
	// each throttle of the same event up to MaxThrottleBackoff.
	ThrottleBackoff, MaxThrottleBackoff time.Duration
	// Destination is set when the function has an on-failure destination
	// or a dead-letter queue: discarded events are counted in DeadLettered
	// instead of LostEvents.
	Destination bool
}

// DefaultAsync returns Lambda's defaults for asynchronous invocation: 2
// retries after 1 and 2 minutes, a maximum event age of 6 hours, throttle
// backoff from 1 s up to 5 minutes, no destination.
func DefaultAsync() Async {
	return Async{
		MaxRetries:         DefaultMaxRetries,
		RetryDelays:        [2]time.Duration{time.Minute, 2 * time.Minute},
		MaxEventAge:        DefaultMaxEventAge,
		ThrottleBackoff:    DefaultThrottleBackoff,
		MaxThrottleBackoff: DefaultMaxThrottleBackoff,
	}
}

// Name is "async".
func (Async) Name() string { return "async" }

func (a Async) validate() error {
	if a.MaxRetries < 0 || a.MaxRetries > 2 {
		return invalid("Scenario.EventModel.MaxRetries = %d: must be in [0, 2] (Lambda's MaximumRetryAttempts)", a.MaxRetries)
	}
	for i := 0; i < a.MaxRetries; i++ {
		if a.RetryDelays[i] <= 0 {
			return invalid("Scenario.EventModel.RetryDelays[%d] = %v: must be > 0", i, a.RetryDelays[i])
		}
	}
	if a.MaxEventAge < MinEventAge || a.MaxEventAge > DefaultMaxEventAge {
		return invalid("Scenario.EventModel.MaxEventAge = %v: must be in [%v, %v] (Lambda's MaximumEventAgeInSeconds)", a.MaxEventAge, MinEventAge, DefaultMaxEventAge)
	}
	if a.ThrottleBackoff <= 0 {
		return invalid("Scenario.EventModel.ThrottleBackoff = %v: must be > 0", a.ThrottleBackoff)
	}
	if a.MaxThrottleBackoff < a.ThrottleBackoff {
		return invalid("Scenario.EventModel.MaxThrottleBackoff = %v: must be >= ThrottleBackoff = %v", a.MaxThrottleBackoff, a.ThrottleBackoff)
	}
	return nil
}

func (s Scenario) validateEventModel() error {
	if s.EventModel == nil {
		return nil
	}
	if isNil(s.EventModel) {
		return invalid("Scenario.EventModel = (%T)(nil): must be nil, Sync, Async or Queue", s.EventModel)
	}
	return s.EventModel.validate()
}

// asyncEvent is one asynchronous event between its attempts.
type asyncEvent struct {
	origin   time.Duration // when it was sent
	retries  uint8         // retries after failures so far
	backoffs uint8         // throttles so far
	kind     uint8         // its request kind, the same for every attempt
}

// asyncState is the engine's asynchronous-invocation state: events live in
// a slab with a free list, and events carry their index.
type asyncState struct {
	on   bool
	m    Async
	evs  []asyncEvent
	free []int32
}

func (a *asyncState) setup(s *Scenario) {
	a.evs, a.free = a.evs[:0], a.free[:0]
	a.m, a.on = Async{}, false
	if m, ok := s.EventModel.(Async); ok {
		a.m, a.on = m, true
	}
}

func (a *asyncState) alloc(now time.Duration) int32 {
	var i int32
	if n := len(a.free); n > 0 {
		i = a.free[n-1]
		a.free = a.free[:n-1]
	} else {
		i = int32(len(a.evs))
		a.evs = append(a.evs, asyncEvent{})
	}
	a.evs[i] = asyncEvent{origin: now}
	return i
}

// discard ends event i without success.
func (e *engine) discard(i int32) {
	if e.as.m.Destination {
		e.c.run.DeadLettered++
	} else {
		e.c.run.LostEvents++
	}
	e.as.free = append(e.as.free, i)
}

// asyncDone handles the end of an attempt of event i at now.
func (e *engine) asyncDone(i int32, now time.Duration, failed bool) {
	a := &e.as
	if !failed {
		a.free = append(a.free, i)
		return
	}
	ev := &a.evs[i]
	if int(ev.retries) < a.m.MaxRetries {
		t := now + a.m.RetryDelays[ev.retries]
		if t-ev.origin <= a.m.MaxEventAge {
			ev.retries++
			e.c.run.FailedAttempts++
			e.c.pending++
			e.q.Push(eventq.Event{At: t, Kind: evRetry, Idx: i})
			return
		}
	}
	e.discard(i)
}

// asyncThrottled handles a throttled attempt of event i at now.
func (e *engine) asyncThrottled(i int32, now time.Duration) {
	a := &e.as
	ev := &a.evs[i]
	wait := a.m.ThrottleBackoff
	for k := uint8(0); k < ev.backoffs && wait < a.m.MaxThrottleBackoff; k++ {
		wait *= 2
	}
	wait = min(wait, a.m.MaxThrottleBackoff)
	if ev.backoffs < 255 {
		ev.backoffs++
	}
	if t := now + wait; t-ev.origin <= a.m.MaxEventAge {
		e.c.pending++
		e.q.Push(eventq.Event{At: t, Kind: evRetry, Idx: i})
		return
	}
	e.discard(i)
}

// retry makes the next attempt of an event.
func (e *engine) retry(ev *eventq.Event) {
	e.c.pending--
	e.attempt(ev.At, ev.Idx, int(e.as.evs[ev.Idx].kind), 0)
}
