package eventq

import (
	"container/heap"
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
	allocs := testing.AllocsPerRun(10000, func() {
		e, _ := q.Pop()
		now = e.At
		q.Push(Event{At: now + time.Duration(r.IntN(1e6))})
	})
	if allocs != 0 {
		t.Fatalf("pop+push allocates %v times per event", allocs)
	}
}

type stdHeap []Event

func (h stdHeap) Len() int           { return len(h) }
func (h stdHeap) Less(i, j int) bool { return less(&h[i], &h[j]) }
func (h stdHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *stdHeap) Push(x any)        { *h = append(*h, x.(Event)) }
func (h *stdHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func BenchmarkQueue(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run("4ary/"+itoa(size), func(b *testing.B) {
			var q Queue
			r := rand.New(rand.NewPCG(5, 6))
			for i := 0; i < size; i++ {
				q.Push(Event{At: time.Duration(r.IntN(1e6))})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e, _ := q.Pop()
				q.Push(Event{At: e.At + time.Duration(r.IntN(1e6))})
			}
		})
		b.Run("container-heap/"+itoa(size), func(b *testing.B) {
			h := &stdHeap{}
			r := rand.New(rand.NewPCG(5, 6))
			var seq uint64
			for i := 0; i < size; i++ {
				seq++
				heap.Push(h, Event{At: time.Duration(r.IntN(1e6)), ord: seq})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := heap.Pop(h).(Event)
				seq++
				heap.Push(h, Event{At: e.At + time.Duration(r.IntN(1e6)), ord: seq})
			}
		})
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
