// Package eventq is the simulator's event queue: small value events ordered
// by (At, Kind, insertion sequence).
//
// Events are plain values with a kind and a few integer payload fields, so a
// push or a pop moves 32 bytes and allocates nothing once the queue's memory
// has grown to its working size. The kind doubles as the priority of events
// at the same instant: at equal At, a smaller Kind comes first, and events
// of the same kind come out in the order they were pushed. The simulator
// numbers its kinds in the order it wants simultaneous events handled, which
// makes that order part of the model rather than an accident of scheduling.
//
// # Structure
//
// Most of a simulation's events are completions a few hundred milliseconds
// ahead, pushed in no particular order and popped in time order. They go to
// a calendar (Brown's calendar queue, R. Brown, "Calendar queues: a fast
// O(1) priority queue implementation for the simulation event set problem",
// Communications of the ACM 31(10), 1988): a ring of buckets, each 2^shift
// nanoseconds wide and holding a short list sorted by (At, Kind, sequence),
// covering a window that starts at the current time; a bitmap of the
// non-empty buckets and a summary of its non-zero words make finding the
// next one a read of a word or two (at most 68). A push is a shift, a mask
// and (usually) an append to a bucket's tail; a pop takes the head of the first
// non-empty bucket. Unlike Brown's, the calendar has no "years": an event
// beyond the window (control events hours ahead, the far tail of a latency),
// before it, or that would need a long walk into an overfull bucket goes to
// a 4-ary heap instead, and a pop takes the smaller of the two minima. So
// every event is in exactly one of two structures that each yield their
// minimum exactly, and the queue's order is the total order (At, Kind,
// sequence) whatever the calendar's geometry.
//
// The geometry adapts, deterministically (it depends only on the sequence of
// operations, and never on anything but speed): every epoch of pushes, the
// bucket width is set to the power of two just above the mean gap between
// popped events (about one event per bucket), or left at half that, a dead
// band that keeps noise from rebuilding it; and the ring doubles (up to 2^18
// buckets and 16 times the queue's length) while more than one push in 16
// lands beyond the window. A rebuild re-files the calendar's events in order
// (an append each) and happens at most once per as many pushes as the
// calendar holds, so its cost is O(1) per operation amortised; no push walks
// more than 16 events of a bucket (it goes to the heap instead). The memory
// (nodes, buckets, heap) is kept by Reset, and so is the geometry, which
// suits the next run of the same scenario.
//
// Measured (BENCHMARKS.md, issue 14; medians of 5 runs alternating with the
// heap-only queue): the simulator's per-request loop went from 13.7 M to
// 17.7 M events per CPU second (sim's BenchmarkEventLoop, about 130 events
// queued), 11.1 M to 16.2 M with the execution model on, 8.1 M to 12.3 M at
// 10^6 req/s (127,000 queued); on the queue alone with the simulator's
// pattern (BenchmarkQueue, its draws included), 44 ns an event against the
// heap's 61 at 1,000 req/s, 96 against 111 at 10^6, 38 against 40 at 1.
package eventq

import (
	"math/bits"
	"time"
)

// Event is one scheduled happening. At, Kind and the payload fields are set
// by the caller; the queue fills the ordering key.
type Event struct {
	At   time.Duration // when it happens
	ord  uint64        // Kind<<56 | insertion sequence: the tie-break at equal At
	Aux  int64         // payload (e.g. the start instant of a request)
	Idx  int32         // payload (e.g. an index into a schedule)
	Kind uint8         // what happens; also the priority at equal instants (smaller first)
	A, B uint8         // small payload (e.g. a version and an outcome)
}

// Queue is a priority queue of events. The zero value is an empty queue
// ready to use.
type Queue struct {
	far heap4 // events the calendar does not hold
	seq uint64

	// The calendar: bucket b holds, as a list of nodes sorted by (At, ord),
	// the events whose virtual bucket At>>shift is v with v&mask == b and
	// cur <= v < cur+len(bkt).
	bkt   []bucket
	bits  []uint64 // bit b set iff bkt[b] is not empty
	sum   []uint64 // bit w set iff bits[w] is not 0: a search reads at most len(sum)+4 words
	nodes []node   // the lists' nodes; free ones are chained from free
	free  int32    // first free node, -1: none
	shift uint     // bucket width: 2^shift ns, in [minShift, maxShift]
	cur   int64    // virtual bucket of the window's first bucket
	nCal  int      // events in the calendar

	// Adaptation (see the package comment).
	nPush, nFar  int    // pushes this epoch, and those beyond the window
	sinceRebuild int    // pushes since the geometry last changed
	gapSum       uint64 // sum of the gaps between pops this epoch (each capped)
	gapN         uint64
	lastPop      time.Duration
	popped       bool // lastPop is set

	scratch []int32 // a rebuild's list of nodes, reused

	rebuilds, refiled uint64 // rebuilds and the events they re-filed (tests check the amortisation)
}

type bucket struct{ head, tail int32 }

type node struct {
	ev   Event
	next int32
}

const (
	// maxSeq bounds the sequence part of the key (56 bits): 7·10^16 pushes.
	maxSeq = 1<<56 - 1

	minLogB  = 6  // 64 buckets: one bitmap word
	maxLogB  = 18 // 2^18 buckets (2 MiB): 2^20 was no faster at 10^6 req/s, with 4 times the memory
	minShift = 1  // so that a virtual bucket difference never overflows int64
	maxShift = 62
	// initShift is the first bucket width, 2^20 ns ≈ 1 ms, until the first
	// epoch measures the gaps.
	initShift = 20
	// epoch is the number of pushes between two looks at the geometry.
	epoch = 1024
	// maxWalk bounds the nodes a push walks in a bucket before it gives up
	// and sends the event to the heap.
	maxWalk = 16
	// maxGap caps one gap in the mean (2^40 ns ≈ 18 min) so that a quiet
	// hour does not decide the width for the busy ones around it.
	maxGap = 1 << 40
)

// Len is the number of events in the queue.
func (q *Queue) Len() int { return len(q.far.h) + q.nCal }

// Reset empties the queue, keeping its memory and its calendar's geometry,
// and restarts the sequence.
func (q *Queue) Reset() {
	q.far.h = q.far.h[:0]
	q.seq = 0
	q.clearCal()
	q.nodes = q.nodes[:0]
	q.free = -1
	q.cur = 0
	q.nPush, q.nFar, q.sinceRebuild, q.gapSum, q.gapN = 0, 0, 0, 0, 0
	q.popped = false
}

// clearCal empties the buckets the bitmap marks.
func (q *Queue) clearCal() {
	for w, word := range q.bits {
		for word != 0 {
			q.bkt[w<<6+bits.TrailingZeros64(word)] = bucket{-1, -1}
			word &= word - 1
		}
		q.bits[w] = 0
	}
	clear(q.sum)
	q.nCal = 0
}

func less(a, b *Event) bool {
	return a.At < b.At || (a.At == b.At && a.ord < b.ord)
}

// Less reports whether a comes before b: earlier At, then smaller Kind,
// then pushed (or stamped) first.
func Less(a, b *Event) bool { return less(a, b) }

// Stamp gives e the ordering key Push would give it, without queueing it:
// for a caller that holds one event aside (the simulator's next arrival,
// which is replaced at every step) and compares it with the queue's next
// event by Less or PopBefore. The events pushed afterwards are numbered as
// if e had been pushed, so the order of everything is the same as with Push.
func (q *Queue) Stamp(e *Event) {
	e.ord = uint64(e.Kind)<<56 | (q.seq & maxSeq)
	q.seq++
}

// Push schedules e. The usual case (a bucket in the window, empty or with
// e after its tail) is inline here: it is half the simulator's queue work.
func (q *Queue) Push(e Event) {
	q.Stamp(&e)
	if q.nPush++; q.nPush >= epoch || q.bkt == nil {
		q.adapt()
	}
	v := int64(e.At) >> (q.shift & 63)
	if uint64(v)-uint64(q.cur) >= uint64(len(q.bkt)) {
		if q.nCal != 0 || v > q.cur {
			if v > q.cur {
				q.nFar++
			}
			q.far.push(e)
			return
		}
		q.cur = v // an empty calendar can move back to it
	}
	b := int(uint64(v) & uint64(len(q.bkt)-1))
	bk := &q.bkt[b]
	switch {
	case bk.head < 0:
		n := q.alloc(&e)
		bk.head, bk.tail = n, n
		q.mark(b)
	case !less(&e, &q.nodes[bk.tail].ev): // after the rest
		n := q.alloc(&e)
		q.nodes[bk.tail].next = n
		bk.tail = n
	default:
		if !q.insert(bk, &e) {
			q.far.push(e)
			return
		}
	}
	q.nCal++
}

func (q *Queue) init() {
	q.shift = initShift
	q.setBuckets(minLogB)
	q.free = -1
}

// setBuckets sizes the empty ring to 2^logB buckets. The ring only grows,
// so a new size is new memory, set once; an unchanged one is already clear.
func (q *Queue) setBuckets(logB uint) {
	n := 1 << logB
	if n == len(q.bkt) {
		return
	}
	q.bkt = make([]bucket, n)
	q.bits = make([]uint64, n>>6)
	q.sum = make([]uint64, (n>>6+63)>>6)
	for i := range q.bkt {
		q.bkt[i] = bucket{-1, -1}
	}
}

// insert files e in order in bucket bk, which holds events after it, or
// reports false when that would walk more than maxWalk nodes.
func (q *Queue) insert(bk *bucket, e *Event) bool {
	if less(e, &q.nodes[bk.head].ev) {
		n := q.alloc(e)
		q.nodes[n].next = bk.head
		bk.head = n
		return true
	}
	// Between head and tail: find the last node before e.
	p := bk.head
	for k := 0; ; k++ {
		nx := q.nodes[p].next
		if less(e, &q.nodes[nx].ev) {
			n := q.alloc(e)
			q.nodes[n].next = nx
			q.nodes[p].next = n
			return true
		}
		if k == maxWalk {
			return false
		}
		p = nx
	}
}

// alloc takes a node for e (next: -1).
func (q *Queue) alloc(e *Event) int32 {
	if n := q.free; n >= 0 {
		nd := &q.nodes[n]
		q.free = nd.next
		nd.ev, nd.next = *e, -1
		return n
	}
	q.nodes = append(q.nodes, node{ev: *e, next: -1})
	return int32(len(q.nodes) - 1)
}

// mark notes that bucket b is no longer empty.
func (q *Queue) mark(b int) {
	if q.bits[b>>6] == 0 {
		q.sum[b>>12] |= 1 << (b >> 6 & 63)
	}
	q.bits[b>>6] |= 1 << (b & 63)
}

// first returns the first non-empty bucket of the window (the calendar must
// not be empty) and moves the window's start to it: no event lies between.
func (q *Queue) first() int {
	mask := len(q.bkt) - 1
	i := int(q.cur) & mask
	w := i >> 6
	var b int
	if word := q.bits[w] >> (i & 63); word != 0 {
		b = i + bits.TrailingZeros64(word)
	} else {
		w = q.nextWord(w)
		b = w<<6 + bits.TrailingZeros64(q.bits[w])
	}
	q.cur += int64((b - i) & mask)
	return b
}

// nextWord returns the first non-zero bitmap word after w, round the ring
// (w itself last): a scan of the summary, at most len(sum)+1 words.
func (q *Queue) nextWord(w int) int {
	nw := len(q.bits)
	from := (w + 1) & (nw - 1)
	s0 := from >> 6
	if x := q.sum[s0] >> (from & 63); x != 0 {
		return from + bits.TrailingZeros64(x)
	}
	ns := len(q.sum)
	for k := 1; k <= ns; k++ {
		s := (s0 + k) & (ns - 1)
		if x := q.sum[s]; x != 0 {
			return s<<6 + bits.TrailingZeros64(x)
		}
	}
	panic("eventq: calendar count and bitmap disagree")
}

// unlink removes bucket b's head node n.
func (q *Queue) unlink(b int, n int32) {
	bk := &q.bkt[b]
	bk.head = q.nodes[n].next
	if bk.head < 0 {
		bk.tail = -1
		if q.bits[b>>6] &^= 1 << (b & 63); q.bits[b>>6] == 0 {
			q.sum[b>>12] &^= 1 << (b >> 6 & 63)
		}
	}
	q.nodes[n].next = q.free
	q.free = n
	q.nCal--
}

// Peek returns the next event without removing it; ok is false when the
// queue is empty.
func (q *Queue) Peek() (e Event, ok bool) {
	if p := q.Min(); p != nil {
		return *p, true
	}
	return Event{}, false
}

// Min returns the next event in place, or nil when the queue is empty. The
// pointer is valid until the queue next changes.
func (q *Queue) Min() *Event {
	var m *Event
	if q.nCal > 0 {
		m = &q.nodes[q.bkt[q.first()].head].ev
	}
	if len(q.far.h) > 0 && (m == nil || less(&q.far.h[0], m)) {
		m = &q.far.h[0]
	}
	return m
}

// Pop removes and returns the next event; ok is false when the queue is empty.
func (q *Queue) Pop() (e Event, ok bool) {
	ok = q.PopBefore(nil, &e)
	return e, ok
}

// PopBefore removes the next event into *dst and reports true if it comes
// before held (by Less), or whatever it is when held is nil; it reports
// false, and removes nothing, when the queue is empty or held comes first.
// It does in one pass, with one copy of the event, what Min, Less and Pop
// do, for a caller that holds an event aside (see Stamp).
func (q *Queue) PopBefore(held, dst *Event) bool {
	if q.nCal > 0 {
		b := q.first()
		n := q.bkt[b].head
		m := &q.nodes[n].ev
		if len(q.far.h) == 0 || less(m, &q.far.h[0]) {
			if held != nil && !less(m, held) {
				return false
			}
			*dst = *m
			q.unlink(b, n)
			q.gap(dst.At)
			return true
		}
	}
	if len(q.far.h) == 0 || (held != nil && !less(&q.far.h[0], held)) {
		return false
	}
	*dst = q.far.pop()
	at := dst.At
	q.gap(at)
	// The calendar's window may start at the popped instant: nothing in it
	// comes earlier.
	if v := int64(at) >> (q.shift & 63); q.nCal == 0 || v > q.cur {
		q.cur = v
	}
	return true
}

// gap records the time between two pops for the width's estimate.
func (q *Queue) gap(at time.Duration) {
	// The sum stops (and so does the count) short of overflowing, which
	// only a pop of more than 2^22 events without a push could reach.
	if q.popped && q.gapSum < 1<<62 {
		if at > q.lastPop {
			q.gapSum += min(uint64(at-q.lastPop), maxGap)
		}
		q.gapN++
	}
	q.lastPop, q.popped = at, true
}

// ReplaceTop removes the next event and schedules e, numbered before the
// removal as Push would. It returns the removed event; ok is false (and e
// is simply pushed) when the queue was empty.
func (q *Queue) ReplaceTop(e Event) (top Event, ok bool) {
	top, ok = q.Pop() // a pop takes no number: e's is the same after it
	q.Push(e)
	return top, ok
}

// adapt ends an epoch: it sets the bucket width from the mean gap between
// pops and grows the ring when too many pushes landed beyond it, rebuilding
// the calendar if either changed and it has been stable for at least as
// many pushes as it holds (so that rebuilds cost O(1) per push).
func (q *Queue) adapt() {
	if q.bkt == nil {
		q.init()
		return
	}
	shift, logB := q.shift, uint(bits.TrailingZeros(uint(len(q.bkt))))
	if q.gapN > 0 && q.gapSum > 0 {
		// 2^s is the power of two just above the mean gap: about one event
		// per bucket. A width half that is as fast, so it stays (the dead
		// band that keeps noise from rebuilding); one twice wider is not
		// (walks in fuller buckets: 40 % slower a step), nor narrower
		// (more empty buckets to skip and more events beyond the window).
		s := uint(bits.Len64(q.gapSum / q.gapN))
		s = max(minShift, min(maxShift, s))
		if s > shift+1 || s < shift {
			shift = s
		}
	}
	if q.nFar*16 > q.nPush && logB < maxLogB && 1<<logB < 16*q.Len() {
		logB++
	}
	q.sinceRebuild += q.nPush
	q.nPush, q.nFar, q.gapSum, q.gapN = 0, 0, 0, 0
	if (shift != q.shift || logB != uint(bits.TrailingZeros(uint(len(q.bkt))))) && q.sinceRebuild >= q.nCal {
		q.rebuild(shift, logB)
		q.sinceRebuild = 0
	}
}

// rebuild re-files the calendar's events with a new geometry, in order, so
// that each is an append to its bucket's tail; those the new window does
// not cover go to the heap.
func (q *Queue) rebuild(shift, logB uint) {
	s := q.scratch[:0]
	if q.nCal > 0 {
		// The buckets in window order: from the first one's bit in its
		// word, round the ring, back to the bits below it in that word.
		i := q.first()
		nw := len(q.bits)
		w0 := i >> 6
		for k := 0; k <= nw; k++ {
			w := (w0 + k) & (nw - 1)
			word := q.bits[w]
			if k == 0 {
				word &= ^uint64(0) << (i & 63)
			} else if k == nw {
				word &= 1<<(i&63) - 1
			}
			for ; word != 0; word &= word - 1 {
				for n := q.bkt[w<<6+bits.TrailingZeros64(word)].head; n >= 0; n = q.nodes[n].next {
					s = append(s, n)
				}
			}
		}
	}
	q.scratch = s
	q.rebuilds++
	q.refiled += uint64(len(s))
	q.clearCal()
	q.setBuckets(logB)
	q.shift = shift
	switch {
	case len(s) > 0:
		q.cur = int64(q.nodes[s[0]].ev.At) >> shift
	case q.popped:
		q.cur = int64(q.lastPop) >> shift
	default:
		q.cur = 0
	}
	mask := uint64(len(q.bkt) - 1)
	for _, n := range s {
		nd := &q.nodes[n]
		v := int64(nd.ev.At) >> shift
		if uint64(v)-uint64(q.cur) > mask {
			q.far.push(nd.ev)
			nd.next = q.free
			q.free = n
			continue
		}
		b := int(uint64(v) & mask)
		bk := &q.bkt[b]
		nd.next = -1
		if bk.head < 0 {
			bk.head = n
			q.mark(b)
		} else {
			q.nodes[bk.tail].next = n
		}
		bk.tail = n
		q.nCal++
	}
}
