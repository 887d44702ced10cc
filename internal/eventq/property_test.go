package eventq

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// refQueue is the queue as it was before the calendar (a 4-ary heap with the
// same stamping), the reference the calendar must agree with event for event.
type refQueue struct {
	heap4
	seq uint64
}

func (r *refQueue) stamp(e *Event) {
	e.ord = uint64(e.Kind)<<56 | (r.seq & maxSeq)
	r.seq++
}

func (r *refQueue) pushEv(e Event) {
	r.stamp(&e)
	r.push(e)
}

func (r *refQueue) popBefore(held *Event) (Event, bool) {
	if len(r.h) == 0 || (held != nil && !less(&r.h[0], held)) {
		return Event{}, false
	}
	return r.pop(), true
}

func (r *refQueue) reset() {
	r.h = r.h[:0]
	r.seq = 0
}

// check verifies the calendar's invariants: every bucket's list is sorted
// and holds only events of that bucket within the window, the bitmap marks
// exactly the non-empty buckets, the counts add up and the geometry is in
// range.
func (q *Queue) check() error {
	if q.bkt == nil {
		if q.nCal != 0 {
			return fmt.Errorf("no buckets but nCal %d", q.nCal)
		}
		return nil
	}
	nb := len(q.bkt)
	if nb&(nb-1) != 0 || nb < 1<<minLogB || nb > 1<<maxLogB || len(q.bits) != nb>>6 {
		return fmt.Errorf("%d buckets, %d bitmap words", nb, len(q.bits))
	}
	if q.shift < minShift || q.shift > maxShift {
		return fmt.Errorf("shift %d", q.shift)
	}
	if len(q.sum) != (len(q.bits)+63)>>6 {
		return fmt.Errorf("%d summary words for %d bitmap words", len(q.sum), len(q.bits))
	}
	for w, word := range q.bits {
		if (word != 0) != (q.sum[w>>6]>>(w&63)&1 == 1) {
			return fmt.Errorf("summary bit of word %d wrong", w)
		}
	}
	seen := 0
	for b := range q.bkt {
		bk := q.bkt[b]
		bit := q.bits[b>>6]>>(b&63)&1 == 1
		if (bk.head >= 0) != bit || (bk.head >= 0) != (bk.tail >= 0) {
			return fmt.Errorf("bucket %d: head %d tail %d bit %v", b, bk.head, bk.tail, bit)
		}
		var prev *Event
		last := int32(-1)
		for n := bk.head; n >= 0; n = q.nodes[n].next {
			if seen++; seen > len(q.nodes) {
				return fmt.Errorf("bucket %d: a cycle", b)
			}
			e := &q.nodes[n].ev
			v := int64(e.At) >> q.shift
			if uint64(v)-uint64(q.cur) >= uint64(nb) || int(uint64(v)&uint64(nb-1)) != b {
				return fmt.Errorf("bucket %d holds At %d (virtual %d) outside the window from %d", b, e.At, v, q.cur)
			}
			if prev != nil && !less(prev, e) {
				return fmt.Errorf("bucket %d not sorted", b)
			}
			prev, last = e, n
		}
		if last != bk.tail {
			return fmt.Errorf("bucket %d: tail %d, last node %d", b, bk.tail, last)
		}
	}
	if seen != q.nCal {
		return fmt.Errorf("%d events in buckets, nCal %d", seen, q.nCal)
	}
	free := 0
	for n := q.free; n >= 0; n = q.nodes[n].next {
		if free++; free > len(q.nodes) {
			return fmt.Errorf("free list: a cycle")
		}
	}
	if free+q.nCal != len(q.nodes) {
		return fmt.Errorf("%d free + %d used nodes != %d", free, q.nCal, len(q.nodes))
	}
	return nil
}

// withGeometry returns an empty queue with 2^logB buckets 2^shift ns wide,
// so that a short test meets the geometries a long run adapts to.
func withGeometry(shift, logB uint) *Queue {
	q := &Queue{}
	q.init()
	q.shift = shift
	q.setBuckets(logB)
	return q
}

// extremes are the instants where arithmetic on time.Duration overflows.
var extremes = [...]time.Duration{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64 / 2, math.MinInt64 / 2}

var kinds = [...]uint8{0, 1, 10, 80, 255}

// addSat is a + b, saturated.
func addSat(a, b time.Duration) time.Duration {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return s
}

// replay decodes each word of ops into an operation (a push at an instant
// chosen relative to the last popped one, mostly as a simulation does, a
// pop, a pop before a held event, a peek, a burst of pushes at one instant,
// a reset) and applies it to q and to the reference heap, and reports the
// first difference: popped events (At, Kind, sequence and payload), Len,
// Peek, or the calendar's invariants. mix biases the instants: 0 spreads
// them over every class, 1 keeps them mostly a few ms to seconds ahead
// (lognormal-like, so the calendar fills), 2 mostly at few distinct
// instants.
func replay(q *Queue, ops []uint64, mix uint8) error {
	var ref refQueue
	now := time.Duration(0)
	idx := int32(0)
	at := func(w uint64) time.Duration {
		class := w >> 4 % 8
		switch mix % 3 {
		case 1:
			if w>>60 != 0 { // 15 in 16
				class = 2 + w>>7%2
			}
		case 2:
			if w>>60 != 0 {
				class = w >> 7 % 2
			}
		}
		x := w >> 8
		switch class {
		case 0:
			return now // same instant
		case 1:
			return addSat(now, time.Duration(x%4)) // a few ns
		case 2:
			return addSat(now, time.Duration(x%(500*uint64(time.Millisecond)))) // within 0.5 s
		case 3:
			return addSat(now, time.Duration(1)<<(x%40)+time.Duration(x>>8%1024)) // heavy tail, to 18 min
		case 4:
			return addSat(now, time.Duration(x%uint64(10*time.Hour))) // control events hours ahead
		case 5:
			return addSat(now, -time.Duration(x%uint64(time.Second))) // in the past
		case 6:
			return extremes[x%uint64(len(extremes))]
		default:
			return time.Duration(x<<8 | x>>48) // anywhere, either sign
		}
	}
	ev := func(w uint64) Event {
		idx++
		return Event{At: at(w), Kind: kinds[w>>56%uint64(len(kinds))], Idx: idx, Aux: int64(w), A: uint8(w >> 40), B: uint8(w >> 48)}
	}
	popped := func(step int, e Event, ok bool, r Event, rok bool) error {
		if ok != rok || e != r {
			return fmt.Errorf("op %d: popped %+v (ok %v), the heap %+v (ok %v)", step, e, ok, r, rok)
		}
		if ok {
			now = e.At
		}
		return nil
	}
	for step, w := range ops {
		switch w % 16 {
		case 0, 1, 2, 3, 4, 5:
			e := ev(w)
			q.Push(e)
			ref.pushEv(e)
		case 6, 7, 8, 9:
			e, ok := q.Pop()
			r, rok := ref.popBefore(nil)
			if err := popped(step, e, ok, r, rok); err != nil {
				return err
			}
		case 10, 11:
			h := ev(w)
			q.Stamp(&h)
			ref.stamp(&h)
			var e Event
			ok := q.PopBefore(&h, &e)
			r, rok := ref.popBefore(&h)
			if err := popped(step, e, ok, r, rok); err != nil {
				return err
			}
		case 12:
			e, ok := q.Peek()
			m := q.Min()
			var r Event
			rok := len(ref.h) > 0
			if rok {
				r = ref.h[0]
			}
			if ok != rok || e != r || (m == nil) != !ok || (m != nil && *m != e) {
				return fmt.Errorf("op %d: Peek %+v (ok %v), Min %v, the heap %+v", step, e, ok, m, r)
			}
		case 13:
			if err := q.check(); err != nil {
				return fmt.Errorf("op %d: %w", step, err)
			}
		case 14:
			if w>>8%32 == 0 {
				q.Reset()
				ref.reset()
				now = 0
				continue
			}
			e, ok := q.Pop()
			r, rok := ref.popBefore(nil)
			if err := popped(step, e, ok, r, rok); err != nil {
				return err
			}
		case 15:
			// A burst at one instant, kinds mixed: long buckets.
			n := int(w >> 8 % 40)
			for i := 0; i < n; i++ {
				e := ev(w)
				e.Kind = kinds[(w>>20+uint64(i)*7)%uint64(len(kinds))]
				q.Push(e)
				ref.pushEv(e)
			}
		}
		if q.Len() != ref.Len() {
			return fmt.Errorf("op %d: Len %d, the heap's %d", step, q.Len(), ref.Len())
		}
	}
	if err := q.check(); err != nil {
		return fmt.Errorf("after the ops: %w", err)
	}
	for i := 0; ; i++ {
		e, ok := q.Pop()
		r, rok := ref.popBefore(nil)
		if ok != rok || e != r {
			return fmt.Errorf("drain %d: popped %+v (ok %v), the heap %+v (ok %v)", i, e, ok, r, rok)
		}
		if !ok {
			return q.check()
		}
	}
}

func (r *refQueue) Len() int { return len(r.h) }

// The calendar returns exactly the events the heap returns, in the same
// order, for generated sequences of pushes (equal instants, all kinds, the
// near future, heavy tails, hours ahead, the past, time.Duration's extremes,
// bursts at one instant), pops, pops before a held event, peeks and resets,
// from generated starting geometries (bucket widths 2 ns to 2^62 ns, 64 to
// 4096 buckets) and from the zero Queue. Sequences run to 6,000 operations,
// so the geometry adapts several times within one (an epoch is 1,024
// pushes).
func TestCalendarMatchesHeapProperty(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20261203)
	params.MinSuccessfulTests = 300
	params.MaxSize = 6000 // the slices' length: several epochs
	if testing.Short() {
		params.MinSuccessfulTests = 60
	}
	properties := gopter.NewProperties(params)
	properties.Property("same events in the same order as the heap", prop.ForAll(
		func(ops []uint64, shift, logB, mix uint8, zero bool) string {
			q := &Queue{}
			if !zero {
				q = withGeometry(uint(shift), uint(logB))
			}
			if err := replay(q, ops, mix); err != nil {
				return err.Error()
			}
			// Again on the same queue after a Reset: memory and geometry
			// kept from the first sequence.
			q.Reset()
			if err := replay(q, ops, mix+1); err != nil {
				return "after Reset: " + err.Error()
			}
			return ""
		},
		gen.SliceOf(gen.UInt64()).WithShrinker(gen.SliceShrinker(gen.UInt64Shrinker)),
		gen.UInt8Range(minShift, maxShift), gen.UInt8Range(minLogB, 12), gen.UInt8Range(0, 2), gen.Bool(),
	))
	properties.TestingRun(t)
}

// Long sequences (gopter's slices are short by default): 6,000 to 30,000
// operations each, every mix.
func TestCalendarMatchesHeapLong(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(20261204)
	params.MinSuccessfulTests = 40
	if testing.Short() {
		params.MinSuccessfulTests = 8
	}
	properties := gopter.NewProperties(params)
	properties.Property("same events in the same order as the heap", prop.ForAll(
		func(n int, seed uint64, mix uint8) string {
			if err := replay(&Queue{}, splitmixOps(n, seed), mix); err != nil {
				return err.Error()
			}
			return ""
		},
		gen.IntRange(6000, 30000), gen.UInt64(), gen.UInt8Range(0, 2),
	))
	properties.TestingRun(t)
}

// FuzzCalendar replays the fuzzer's bytes as operations (8 bytes each; the
// first byte picks the mix and the starting geometry). Seeds in
// testdata/fuzz/FuzzCalendar: a simulation's pattern, time.Duration's
// extremes, bursts at one instant, resets between phases.
//
//	go test -run '^$' -fuzz FuzzCalendar -fuzztime 5m ./internal/eventq/
func FuzzCalendar(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x01\x06\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		head := data[0]
		data = data[1:]
		// At most 2,048 operations: the invariant checks are linear in the
		// queue's size, and a longer input only tries the fuzzer's patience.
		ops := make([]uint64, 0, len(data)/8+1)
		for len(data) >= 8 && len(ops) < 2048 {
			ops = append(ops, binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		q := &Queue{}
		if head&0x80 != 0 {
			q = withGeometry(uint(minShift+head>>2%(maxShift-minShift+1)), minLogB+uint(head>>1&1)*4)
		}
		if err := replay(q, ops, head%3); err != nil {
			t.Fatal(err)
		}
	})
}

// The calendar's arithmetic on nanosecond instants (bucket numbers, shifts,
// bitmaps) must not depend on the width of int: .ci/run runs the tests
// named TestCrossArch* as arm64 and 386 binaries under qemu, and this one
// replays fixed sequences of every mix, time.Duration's extremes included,
// against the heap there.
func TestCrossArchCalendarMatchesHeap(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		ops := splitmixOps(20000, seed)
		for mix := uint8(0); mix <= 2; mix++ {
			if err := replay(&Queue{}, ops, mix); err != nil {
				t.Fatalf("seed %d, mix %d: %v", seed, mix, err)
			}
		}
	}
}

// splitmixOps is n operations for replay from a splitmix64 stream.
func splitmixOps(n int, seed uint64) []uint64 {
	ops := make([]uint64, n)
	x := seed
	for i := range ops {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		ops[i] = z ^ z>>31
	}
	return ops
}
