package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/deploysim/deploysim/internal/quote"
)

// Trace replays a recorded per-second request count. By default second i
// of the run has Counts[i] expected arrivals, Poisson-distributed within
// that second (a non-homogeneous Poisson process with a piecewise-constant
// rate): the replay keeps the trace's shape and volume while drawing fresh
// counts per seed, which is what a Monte Carlo over seeds needs, and what a
// bucketed engine can reproduce exactly. With Exact, second i has exactly
// Counts[i] arrivals (whole numbers), placed uniformly at random within the
// second; the counts are then not Poisson. After the last second there is no
// traffic, or the trace starts over when Loop is set.
type Trace struct {
	Counts []float64 // arrivals in each second, >= 0 (whole numbers with Exact)
	Loop   bool      // replay from the start after the last second
	Exact  bool      // exactly Counts[i] arrivals in second i, instead of Poisson(Counts[i])
}

// ParseTrace reads a per-second count trace in CSV. Each non-blank line is
// either a count ("12") or a "second,count" pair ("37,12"); a line starting
// with '#' is a comment, and a first line "second,count" (any case) is a
// header. With pairs, seconds are integers that must increase; seconds
// skipped have count 0. Counts are non-negative numbers (fractions allowed:
// a trace can be a rate profile). name labels errors, which give the line
// number: "sim: trace.csv:7: count = "x": must be a number >= 0". A UTF-8
// byte order mark before the first line is skipped.
func ParseTrace(r io.Reader, name string) (Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var tr Trace
	line := 0
	mode := 0 // 0 unknown, 1 counts only, 2 pairs
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			// A byte order mark, as spreadsheet exports write it: the YAML
			// reader accepts one, so the trace reader does too.
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Split(text, ",")
		if line == 1 || (len(tr.Counts) == 0 && mode == 0) {
			if len(fields) == 2 && strings.EqualFold(strings.TrimSpace(fields[0]), "second") &&
				strings.EqualFold(strings.TrimSpace(fields[1]), "count") {
				mode = 2
				continue
			}
		}
		m := len(fields)
		if m > 2 {
			return Trace{}, fmt.Errorf("sim: %s:%d: %q: want \"count\" or \"second,count\", got %d fields", name, line, clip(text), m)
		}
		if mode == 0 {
			mode = m
		} else if m != mode {
			return Trace{}, fmt.Errorf("sim: %s:%d: %q: has %d fields where earlier lines have %d", name, line, clip(text), m, mode)
		}
		cs := strings.TrimSpace(fields[m-1])
		c, err := strconv.ParseFloat(cs, 64)
		if err != nil || !(c >= 0) || math.IsInf(c, 1) {
			return Trace{}, fmt.Errorf("sim: %s:%d: count = %q: must be a finite number >= 0", name, line, clip(cs))
		}
		if m == 1 {
			if len(tr.Counts) > maxTraceSeconds {
				return Trace{}, fmt.Errorf("sim: %s:%d: more than %d counts (50 days of seconds): a longer trace would be replayed past any deployment", name, line, maxTraceSeconds+1)
			}
			tr.Counts = append(tr.Counts, c)
			continue
		}
		ss := strings.TrimSpace(fields[0])
		sec, err := strconv.ParseInt(ss, 10, 64)
		if err != nil || sec < 0 {
			return Trace{}, fmt.Errorf("sim: %s:%d: second = %q: must be an integer >= 0", name, line, clip(ss))
		}
		if sec < int64(len(tr.Counts)) {
			return Trace{}, fmt.Errorf("sim: %s:%d: second = %d: must be greater than the previous second %d", name, line, sec, len(tr.Counts)-1)
		}
		if sec > maxTraceSeconds {
			return Trace{}, fmt.Errorf("sim: %s:%d: second = %d: must be at most %d (50 days)", name, line, sec, maxTraceSeconds)
		}
		for int64(len(tr.Counts)) < sec {
			tr.Counts = append(tr.Counts, 0)
		}
		tr.Counts = append(tr.Counts, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Trace{}, fmt.Errorf("sim: %s:%d: line too long: %w", name, line+1, err)
		}
		return Trace{}, fmt.Errorf("sim: %s: %w", name, err)
	}
	if len(tr.Counts) == 0 {
		return Trace{}, fmt.Errorf("sim: %s: no counts: want at least one line", name)
	}
	return tr, nil
}

// clip shortens a value quoted in an error: a line may be a megabyte of
// binary junk, and the error is one line on a terminal.
func clip(s string) string { return quote.Clip(s, 40) }

// maxTraceSeconds bounds the seconds of a trace, in either form, so that a
// typo in a second or a runaway file cannot make billions of seconds.
const maxTraceSeconds = 50 * 24 * 3600

// LoadTrace reads the trace file at path (see ParseTrace).
func LoadTrace(path string) (Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return Trace{}, fmt.Errorf("sim: %w", err)
	}
	defer f.Close()
	return ParseTrace(f, path)
}

// Validate checks that there is at least one count and every count is
// finite and non-negative.
func (t Trace) Validate() error {
	if len(t.Counts) == 0 {
		return errors.New("sim: Trace.Counts is empty: must have at least one second")
	}
	for i, c := range t.Counts {
		// Name the field only on error: Validate runs before every run, and
		// formatting a million names cost 0.17 s per run of a long trace.
		if !(c >= 0) || math.IsInf(c, 1) {
			return rate(fmt.Sprintf("Trace.Counts[%d]", i), c)
		}
		if t.Exact && (c != math.Trunc(c) || c > maxExactCount) {
			return fmt.Errorf("sim: Trace.Counts[%d] = %v: must be a whole number <= %g with Exact", i, c, float64(maxExactCount))
		}
	}
	return nil
}

// maxExactCount bounds one second's count in an exact replay (a billion
// requests in one second is beyond any trace; it keeps counts exact in int64).
const maxExactCount = 1e9

// countAt is the rate in second i (0 past the end unless Loop).
func (t Trace) countAt(i int64) float64 {
	n := int64(len(t.Counts))
	if i < 0 {
		return 0
	}
	if i >= n {
		if !t.Loop || n == 0 {
			return 0
		}
		i %= n
	}
	return t.Counts[i]
}

// Integral sums the counts over [a, b), prorating partial seconds. A looped
// trace adds whole replays as multiples of their total, so the cost is at
// most about two replays' worth of seconds however long [a, b) is.
func (t Trace) Integral(a, b time.Duration) float64 {
	if b <= a {
		return 0
	}
	sum := 0.0
	if n := int64(len(t.Counts)); t.Loop && n > 0 && int64((b-a)/time.Second) > 2*n {
		cycle := time.Duration(n) * time.Second
		whole := (b - a) / cycle // replays of n seconds, each summing to the total
		total := 0.0
		for _, c := range t.Counts {
			total += c
		}
		// [a, a+whole·cycle) covers each second of the trace whole times,
		// prorated seconds included, since it is a union of whole cycles
		// shifted by a.
		sum = float64(whole) * total
		a += whole * cycle
	}
	for s := a; s < b; {
		i := int64(s / time.Second)
		end := b // the next whole second, unless past b (where it may overflow)
		if i < int64(b/time.Second) {
			end = time.Duration(i+1) * time.Second
		}
		if !t.Loop && i >= int64(len(t.Counts)) {
			break
		}
		sum += float64(t.countAt(i) * (end - s).Seconds()) // converted: no fused multiply-add on arm64
		s = end
	}
	return sum
}

// Poisson is true unless Exact.
func (t Trace) Poisson() bool { return !t.Exact }

// Arrivals starts the replay at second 0.
func (t Trace) Arrivals(r *rand.Rand) Arrivals {
	total := 0.0
	for _, c := range t.Counts {
		total += c
	}
	if t.Exact {
		return &exactArrivals{tr: t, r: r, total: total, sec: -1}
	}
	return &traceArrivals{tr: t, r: r, total: total}
}

// exactArrivals places exactly Counts[i] arrivals in second i: the sorted
// order statistics of that many uniforms, drawn one at a time (given the
// previous point x and k points left, the next is the minimum of k uniforms
// on (x, 1): x + (1-x)(1 - U^(1/k))).
type exactArrivals struct {
	tr    Trace
	r     *rand.Rand
	total float64
	sec   int64   // current second
	left  int64   // arrivals still to place in it
	x     float64 // position of the last one within the second
}

func (p *exactArrivals) Next() time.Duration {
	if !(p.total > 0) {
		return NoArrival
	}
	n := int64(len(p.tr.Counts))
	for p.left == 0 {
		p.sec++
		if p.sec >= maxTraceSecond || (!p.tr.Loop && p.sec >= n) {
			return NoArrival
		}
		p.left = int64(p.tr.countAt(p.sec))
		p.x = 0
	}
	p.x += float64((1 - p.x) * (1 - math.Pow(p.r.Float64(), 1/float64(p.left)))) // converted: no fused multiply-add on arm64
	p.left--
	if p.x >= 1 {
		p.x = math.Nextafter(1, 0)
	}
	return toDuration((float64(p.sec) + p.x) * secNs)
}

// traceArrivals draws the piecewise-constant-rate Poisson process by
// inversion: an Exp(1) amount of "rate mass" is spent second by second;
// whole cycles of a looped trace are skipped at once.
type traceArrivals struct {
	tr    Trace
	r     *rand.Rand
	total float64 // rate mass of one pass over the trace
	sec   int64   // current second
	frac  float64 // position within it, in [0, 1)
}

// maxTraceSecond is the last second an arrival can be in (NoArrival).
const maxTraceSecond = int64(NoArrival / time.Second)

func (p *traceArrivals) Next() time.Duration {
	if !(p.total > 0) {
		return NoArrival
	}
	e := p.r.ExpFloat64()
	n := int64(len(p.tr.Counts))
	for {
		if p.sec >= maxTraceSecond || (!p.tr.Loop && p.sec >= n) {
			return NoArrival
		}
		if p.tr.Loop && p.frac == 0 && p.sec%n == 0 && e >= p.total {
			// Skip whole passes over the trace.
			cycles := math.Floor(e / p.total)
			if cycles*float64(n) >= float64(maxTraceSecond-p.sec) {
				return NoArrival
			}
			e -= float64(cycles * p.total)
			p.sec += int64(cycles) * n
			continue
		}
		c := p.tr.countAt(p.sec)
		left := float64((1 - p.frac) * c) // converted: not fused into e -= left on arm64
		if e < left {
			p.frac += e / c
			if p.frac >= 1 { // rounding at the end of the second
				p.frac = math.Nextafter(1, 0)
			}
			return toDuration((float64(p.sec) + p.frac) * secNs)
		}
		e -= left
		p.sec++
		p.frac = 0
	}
}
