package eventq

// heap4 is a 4-ary min-heap of stamped events in (At, ord) order: the
// queue's store for the events its calendar does not hold (far ahead, in the
// past of the calendar's window, or in an overfull bucket).
//
// A 4-ary heap halves the depth of a binary heap; its sift-down compares
// four children that share a cache line or two, which is faster than the
// binary heap for the sizes a simulation sees (tens to thousands of events).
type heap4 struct {
	h []Event
}

// push adds a stamped event.
func (q *heap4) push(e Event) {
	q.h = append(q.h, e)
	q.up(len(q.h) - 1)
}

// pop removes and returns the smallest event; the heap must not be empty.
func (q *heap4) pop() Event {
	e := q.h[0]
	n := len(q.h) - 1
	if n > 0 {
		last := q.h[n]
		q.h = q.h[:n]
		q.holeDown(last)
	} else {
		q.h = q.h[:0]
	}
	return e
}

// holeDown refills the root after a pop with last (the former last element)
// the bottom-up way (Floyd; Wegener's bottom-up heapsort): the hole moves to
// a leaf along the smallest children without comparing them with last, then
// last rises from there. The former last element usually belongs near the
// bottom (in a simulation, a completion far in the future), so this saves
// one comparison per level over the classic sift-down.
func (q *heap4) holeDown(last Event) {
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

func (q *heap4) up(i int) {
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
