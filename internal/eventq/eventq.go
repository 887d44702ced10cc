// Package eventq is the simulator's event queue: a 4-ary min-heap of small
// value events ordered by (At, Kind, insertion sequence).
//
// Events are plain values with a kind and a few integer payload fields, so a
// push or a pop moves 32 bytes and allocates nothing once the backing slice
// has grown to the queue's working size. The kind doubles as the priority of
// events at the same instant: at equal At, a smaller Kind comes first, and
// events of the same kind come out in the order they were pushed. The
// simulator numbers its kinds in the order it wants simultaneous events
// handled, which makes that order part of the model rather than an accident
// of scheduling.
//
// A 4-ary heap halves the depth of a binary heap; its sift-down compares
// four children that share a cache line or two, which is faster than the
// binary heap for the sizes a simulation sees (tens to thousands of events).
package eventq

import "time"

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
	h   []Event
	seq uint64
}

// maxSeq bounds the sequence part of the key (56 bits): 7·10^16 pushes.
const maxSeq = 1<<56 - 1

// Len is the number of events in the queue.
func (q *Queue) Len() int { return len(q.h) }

// Reset empties the queue, keeping its memory, and restarts the sequence.
func (q *Queue) Reset() {
	q.h = q.h[:0]
	q.seq = 0
}

func less(a, b *Event) bool {
	return a.At < b.At || (a.At == b.At && a.ord < b.ord)
}

// Less reports whether a comes before b: earlier At, then smaller Kind,
// then pushed (or stamped) first.
func Less(a, b *Event) bool { return less(a, b) }

// Stamp gives e the ordering key Push would give it, without queueing it:
// for a caller that holds one event aside (the simulator's next arrival,
// which is replaced at every step) and compares it with Peek by Less. The
// events pushed afterwards are numbered as if e had been pushed, so the
// order of everything is the same as with Push.
func (q *Queue) Stamp(e *Event) {
	e.ord = uint64(e.Kind)<<56 | (q.seq & maxSeq)
	q.seq++
}

// Push schedules e.
func (q *Queue) Push(e Event) {
	q.Stamp(&e)
	q.h = append(q.h, e)
	q.up(len(q.h) - 1)
}

// Peek returns the next event without removing it; ok is false when the
// queue is empty.
func (q *Queue) Peek() (e Event, ok bool) {
	if len(q.h) == 0 {
		return Event{}, false
	}
	return q.h[0], true
}

// Pop removes and returns the next event; ok is false when the queue is empty.
func (q *Queue) Pop() (e Event, ok bool) {
	n := len(q.h)
	if n == 0 {
		return Event{}, false
	}
	e = q.h[0]
	n--
	if n > 0 {
		last := q.h[n]
		q.h = q.h[:n]
		q.holeDown(last)
	} else {
		q.h = q.h[:0]
	}
	return e, true
}

// holeDown refills the root after a pop with last (the former last element)
// the bottom-up way (Floyd; Wegener's bottom-up heapsort): the hole moves to
// a leaf along the smallest children without comparing them with last, then
// last rises from there. The former last element usually belongs near the
// bottom (in a simulation, a completion far in the future), so this saves
// one comparison per level over the classic sift-down.
func (q *Queue) holeDown(last Event) {
	h := q.h
	n := len(h)
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if less(&h[j], &h[m]) {
				m = j
			}
		}
		h[i] = h[m]
		i = m
	}
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&last, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = last
}

// ReplaceTop removes the next event and schedules e in one pass, which is
// cheaper than Pop followed by Push. It returns the removed event; ok is
// false (and e is simply pushed) when the queue was empty.
func (q *Queue) ReplaceTop(e Event) (top Event, ok bool) {
	e.ord = uint64(e.Kind)<<56 | (q.seq & maxSeq)
	q.seq++
	if len(q.h) == 0 {
		q.h = append(q.h, e)
		return Event{}, false
	}
	top = q.h[0]
	q.down(0, e)
	return top, true
}

func (q *Queue) up(i int) {
	h := q.h
	e := h[i]
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// down places e, which replaces the element at i, by moving the smallest
// child up until e fits.
func (q *Queue) down(i int, e Event) {
	h := q.h
	n := len(h)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if less(&h[j], &h[m]) {
				m = j
			}
		}
		if !less(&h[m], &e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}
