package eventq

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// The queue must return events sorted by (At, Kind, push order) whatever the
// push order: compare with a stable sort of the same events.
func TestOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var q Queue
		n := 1 + r.IntN(300)
		want := make([]Event, 0, n)
		for i := 0; i < n; i++ {
			e := Event{At: time.Duration(r.IntN(20)), Kind: uint8(r.IntN(4)), Idx: int32(i)}
			want = append(want, e)
			q.Push(e)
			// Interleave pops so the heap is exercised while it changes.
			if r.IntN(5) == 0 {
				got, _ := q.Pop()
				sort.SliceStable(want, func(a, b int) bool { return earlier(want[a], want[b]) })
				if got.Idx != want[0].Idx {
					t.Fatalf("trial %d: popped Idx %d, want %d", trial, got.Idx, want[0].Idx)
				}
				want = want[1:]
			}
		}
		sort.SliceStable(want, func(a, b int) bool { return earlier(want[a], want[b]) })
		for i, w := range want {
			got, ok := q.Pop()
			if !ok || got.Idx != w.Idx {
				t.Fatalf("trial %d: pop %d gave Idx %d (ok %v), want %d", trial, i, got.Idx, ok, w.Idx)
			}
		}
		if _, ok := q.Pop(); ok || q.Len() != 0 {
			t.Fatalf("trial %d: queue not empty after popping everything", trial)
		}
	}
}

// earlier: the documented order for events pushed in slice order (a stable
// sort keeps push order among equals).
func earlier(a, b Event) bool {
	if a.At != b.At {
		return a.At < b.At
	}
	return a.Kind < b.Kind
}

func TestReplaceTop(t *testing.T) {
	var q Queue
	if _, ok := q.ReplaceTop(Event{At: 5, Idx: 1}); ok {
		t.Fatal("ReplaceTop on an empty queue reported a removed event")
	}
	q.Push(Event{At: 3, Idx: 2})
	q.Push(Event{At: 9, Idx: 3})
	top, ok := q.ReplaceTop(Event{At: 7, Idx: 4})
	if !ok || top.Idx != 2 {
		t.Fatalf("ReplaceTop removed Idx %d, want 2", top.Idx)
	}
	for _, want := range []int32{1, 4, 3} {
		e, _ := q.Pop()
		if e.Idx != want {
			t.Fatalf("popped Idx %d, want %d", e.Idx, want)
		}
	}
}

func TestNoAllocsSteadyState(t *testing.T) {
	var q Queue
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		q.Push(Event{At: time.Duration(r.IntN(1e6))})
	}
	now := time.Duration(0)
	step := func() {
		e, _ := q.Pop()
		now = e.At
		q.Push(Event{At: now + time.Duration(r.IntN(1e6))})
	}
	for i := 0; i < 100000; i++ { // the geometry settles
		step()
	}
	if allocs := testing.AllocsPerRun(10000, step); allocs != 0 {
		t.Fatalf("pop+push allocates %v times per event", allocs)
	}
}

// hold is a simulation's pattern: arrivals held aside at rate per second
// (Poisson), each pushing a completion a lognormal time later (median
// 100 ms, p99 500 ms), control events far ahead. step handles the next
// event as the simulator does.
type hold struct {
	q          queue
	r          *rand.Rand
	rate       float64
	mu, sigma  float64
	held, next Event
	now        time.Duration
}

// queue is what hold needs of the calendar and of the reference heap.
type queue interface {
	Push(Event)
	Stamp(*Event)
	PopBefore(held, dst *Event) bool
	Len() int
}

func newHold(q queue, rate float64, seed uint64) *hold {
	h := &hold{q: q, r: rand.New(rand.NewPCG(seed, 7)), rate: rate,
		mu: math.Log(100), sigma: (math.Log(500) - math.Log(100)) / 2.3263478740408408}
	q.Push(Event{At: 250 * time.Hour, Kind: 70})
	q.Push(Event{At: time.Minute, Kind: 30})
	h.held = Event{At: 0, Kind: 80}
	q.Stamp(&h.held)
	return h
}

func (h *hold) step() {
	if h.q.PopBefore(&h.held, &h.next) {
		h.now = h.next.At
		if h.next.Kind == 30 { // a publish every minute
			h.q.Push(Event{At: h.now + time.Minute, Kind: 30})
		}
		return
	}
	h.now = h.held.At
	h.held = Event{At: h.now + time.Duration(h.r.ExpFloat64()/h.rate*1e9), Kind: 80}
	h.q.Stamp(&h.held)
	lat := time.Duration(math.Exp(h.mu+h.sigma*h.r.NormFloat64()) * 1e6)
	h.q.Push(Event{At: h.now + lat, Kind: 10})
}

// refHold adapts the reference heap to hold.
type refHold struct{ refQueue }

func (r *refHold) Push(e Event)   { r.pushEv(e) }
func (r *refHold) Stamp(e *Event) { r.stamp(e) }
func (r *refHold) Len() int       { return len(r.h) }
func (r *refHold) PopBefore(held, dst *Event) bool {
	e, ok := r.popBefore(held)
	*dst = e
	return ok
}

// The calendar holds the bulk of a simulation's events, from 0.01 to 10^6
// requests per second, once its geometry has adapted: otherwise it would be
// the heap with extra steps. (At 10^6 req/s about 127,000 completions are
// in flight over a window the ring's 2^18 buckets cannot all cover: most,
// not nearly all.) And no allocation per event in that steady state.
func TestCalendarHoldsASimulation(t *testing.T) {
	for _, c := range []struct {
		rate    float64
		steps   int
		minFrac float64
	}{{0.01, 20000, 0}, {1, 20000, 0}, {1000, 200000, 0.9}, {1e6, 3000000, 0.6}} {
		if testing.Short() && c.rate > 1000 {
			continue
		}
		q := &Queue{}
		h := newHold(q, c.rate, 1)
		for i := 0; i < c.steps; i++ {
			h.step()
		}
		frac := float64(q.nCal) / float64(q.Len())
		if frac < c.minFrac {
			t.Errorf("%g req/s: the calendar holds %d of %d events (%.2f, want >= %.2f); geometry 2^%d ns x %d buckets",
				c.rate, q.nCal, q.Len(), frac, c.minFrac, q.shift, len(q.bkt))
		}
		t.Logf("%g req/s: %d of %d events in the calendar, 2^%d ns x %d buckets", c.rate, q.nCal, q.Len(), q.shift, len(q.bkt))
		if c.rate >= 1000 && len(q.far.h) > q.nCal {
			t.Errorf("%g req/s: %d events in the heap, %d in the calendar", c.rate, len(q.far.h), q.nCal)
		}
		if allocs := testing.AllocsPerRun(20000, h.step); allocs != 0 {
			t.Errorf("%g req/s: %v allocations per event", c.rate, allocs)
		}
	}
}

// Rebuilds stay amortised when the pattern keeps changing: phases of
// gaps a thousand times apart, bursts at one instant and far events each
// epoch (so the width keeps wanting to move) re-file at most as many events
// as were pushed.
func TestRebuildsAmortised(t *testing.T) {
	var q Queue
	r := rand.New(rand.NewPCG(9, 9))
	pushes := 0
	now := time.Duration(0)
	for phase := 0; phase < 60; phase++ {
		scale := time.Duration(1) << (10 * (phase % 4)) // 1 ns to 2^30 ns
		for i := 0; i < 3000; i++ {
			switch {
			case i%500 < 50: // a burst at one instant
				q.Push(Event{At: now, Kind: uint8(i % 3)})
			case i%97 == 0:
				q.Push(Event{At: now + time.Duration(r.Int64N(int64(10*time.Hour)))})
			default:
				q.Push(Event{At: now + time.Duration(r.Int64N(int64(4000*scale)))})
			}
			pushes++
			if q.Len() > 2000 {
				e, _ := q.Pop()
				now = e.At
			}
		}
	}
	if q.refiled > uint64(pushes) || q.rebuilds == 0 {
		t.Fatalf("%d rebuilds re-filed %d events for %d pushes", q.rebuilds, q.refiled, pushes)
	}
	t.Logf("%d rebuilds re-filed %d events for %d pushes", q.rebuilds, q.refiled, pushes)
}

// BenchmarkQueue: the simulation's pattern (hold) at 1, 1,000 and 10^6
// req/s on the calendar and on the 4-ary heap alone (the queue before the
// calendar); one op is one event (an arrival or a completion).
func BenchmarkQueue(b *testing.B) {
	for _, rate := range []float64{1, 1000, 1e6} {
		for _, impl := range []string{"calendar", "heap4"} {
			b.Run(impl+"/rps="+itoa(int(rate)), func(b *testing.B) {
				var q queue = &Queue{}
				if impl == "heap4" {
					q = &refHold{}
				}
				h := newHold(q, rate, 5)
				for i := 0; i < 3000000; i++ { // the geometry settles
					h.step()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					h.step()
				}
			})
		}
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

// An event held aside with Stamp sorts against the queued ones exactly as if
// it had been pushed at that moment: after same-instant, same-kind events
// pushed before it, before those pushed after it, and by Kind first.
func TestStampOrdersAsPush(t *testing.T) {
	var q Queue
	q.Push(Event{At: 5, Kind: 2, Idx: 1})
	held := Event{At: 5, Kind: 2, Idx: 2}
	q.Stamp(&held)
	q.Push(Event{At: 5, Kind: 2, Idx: 3})
	q.Push(Event{At: 5, Kind: 1, Idx: 4})
	var got []int32
	for {
		top, ok := q.Peek()
		if !ok || Less(&held, &top) {
			break
		}
		q.Pop()
		got = append(got, top.Idx)
	}
	// Kind 1 first, then the kind-2 event pushed before held.
	if len(got) != 2 || got[0] != 4 || got[1] != 1 {
		t.Fatalf("events before the held one: %v, want [4 1]", got)
	}
	if top, _ := q.Peek(); top.Idx != 3 || Less(&top, &held) {
		t.Fatalf("after the held one: %+v", top)
	}
}
