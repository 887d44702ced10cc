package observe

import (
	"bufio"
	"bytes"
	"container/heap"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AzureMinutes is the number of per-minute counts in a line of the Azure
// Functions 2019 trace: one day.
const AzureMinutes = 1440

// MaxRank bounds rank:N, so that picking a function keeps at most MaxRank
// lines of counts in memory (11.5 MB).
const MaxRank = 1000

// maxAzureLine bounds one line of the trace (a real line is about 3–10 kB).
const maxAzureLine = 1 << 20

// Pick says which function of the Azure trace to read: the one whose
// HashFunction is Hash, or the Rank-th busiest (1 = the busiest) by its
// day's total invocations, ties going to the earlier line.
type Pick struct {
	Hash string
	Rank int
}

// ParsePick reads "busiest", "rank:N" (1 <= N <= MaxRank) or a
// HashFunction (hexadecimal, as the trace writes it).
func ParsePick(s string) (Pick, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "busiest":
		return Pick{Rank: 1}, nil
	case strings.HasPrefix(s, "rank:"):
		n, err := strconv.Atoi(s[len("rank:"):])
		if err != nil || n < 1 || n > MaxRank {
			return Pick{}, fmt.Errorf("observe: function = %s: rank:N needs N in [1, %d]", clip(s), MaxRank)
		}
		return Pick{Rank: n}, nil
	case s != "" && strings.Trim(strings.ToLower(s), "0123456789abcdef") == "":
		return Pick{Hash: strings.ToLower(s)}, nil
	}
	return Pick{}, fmt.Errorf("observe: function = %s: must be busiest, rank:N or a HashFunction (hexadecimal)", clip(s))
}

// String is the pick as ParsePick reads it.
func (p Pick) String() string {
	switch {
	case p.Hash != "":
		return p.Hash
	case p.Rank == 1:
		return "busiest"
	}
	return fmt.Sprintf("rank:%d", p.Rank)
}

// AzureFunction is one line of invocations_per_function_md.anon.dNN.csv.
type AzureFunction struct {
	Owner, App, Function, Trigger string
	Line                          int       // line in the file
	Day                           int       // NN of the file name, 0 if the name has none
	Counts                        []float64 // invocations in each minute of the day
	Total                         float64
	Rank                          int // 1 = busiest of the file; 0 when picked by hash
	Functions                     int // lines read (all of them, unless picked by hash)
}

var dayRe = regexp.MustCompile(`\.d(\d{1,3})\.csv$`)

// azureDay reads NN from "…anon.dNN.csv".
func azureDay(name string) int {
	if m := dayRe.FindStringSubmatch(name); m != nil {
		d, _ := strconv.Atoi(m[1])
		return d
	}
	return 0
}

// Series is the function's day as a per-minute Invocations series. The
// trace has no dates: minute 0 is stamped Day-1 days after the Unix epoch.
func (f *AzureFunction) Series(name string) Series {
	t0 := time.Unix(0, 0).UTC().Add(time.Duration(max(f.Day-1, 0)) * 24 * time.Hour)
	s := Series{
		Source: fmt.Sprintf("%s:%d: HashFunction %s… (trigger %s, app %s…)", name, f.Line, short(f.Function), f.Trigger, short(f.App)),
		Metric: Invocations, Stat: "Sum", Period: time.Minute,
		Points: make([]Point, len(f.Counts)),
	}
	if f.Rank > 0 {
		s.Source += fmt.Sprintf(", rank %d of %d by invocations", f.Rank, f.Functions)
	}
	for i, c := range f.Counts {
		s.Points[i] = Point{T: t0.Add(time.Duration(i) * time.Minute), V: c}
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// lineSource reads lines of at most maxAzureLine bytes with few
// allocations.
type lineSource struct {
	br   *bufio.Reader
	buf  []byte
	line int
}

// next returns the next line without its end, valid until the next call.
func (l *lineSource) next() ([]byte, error) {
	l.line++
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.buf = append(l.buf[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			l.buf = append(l.buf, b...)
			if len(l.buf) > maxAzureLine {
				return nil, fmt.Errorf("longer than %d bytes", maxAzureLine)
			}
		}
		b = l.buf
	}
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

// topN keeps the N busiest lines seen (a min-heap on total, later line
// smaller on ties, so that the earlier of equal lines is kept).
type topN []*AzureFunction

func (h topN) Len() int { return len(h) }
func (h topN) Less(i, j int) bool {
	if h[i].Total != h[j].Total {
		return h[i].Total < h[j].Total
	}
	return h[i].Line > h[j].Line
}
func (h topN) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topN) Push(x any)   { *h = append(*h, x.(*AzureFunction)) }
func (h *topN) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ReadAzureInvocations streams invocations_per_function_md.anon.dNN.csv
// (header HashOwner,HashApp,HashFunction,Trigger,1,…,1440) and returns the
// function pick selects. Memory is bounded by the line length and
// pick.Rank lines of counts, whatever the size of the file: a hash pick
// stops at the first matching line; a rank pick reads every line.
func ReadAzureInvocations(r io.Reader, name string, pick Pick) (AzureFunction, error) {
	if pick.Hash == "" && (pick.Rank < 1 || pick.Rank > MaxRank) {
		return AzureFunction{}, fmt.Errorf("observe: Pick.Rank = %d: must be in [1, %d] (or set Hash)", pick.Rank, MaxRank)
	}
	ls := &lineSource{br: bufio.NewReaderSize(r, 64<<10)}
	perr := func(field, value, rule string) error {
		q := ""
		if value != "" {
			q = clip(value)
		}
		return &ParseError{File: name, Line: ls.line, Field: field, Value: q, Rule: rule}
	}
	head, err := ls.next()
	if err != nil {
		if err == io.EOF {
			return AzureFunction{}, perr("", "", "empty file: want the header HashOwner,HashApp,HashFunction,Trigger,1,…,1440")
		}
		return AzureFunction{}, perr("", "", err.Error())
	}
	cols := strings.Split(string(head), ",")
	if len(cols) != 4+AzureMinutes || cols[0] != "HashOwner" || cols[1] != "HashApp" || cols[2] != "HashFunction" || cols[3] != "Trigger" ||
		cols[4] != "1" || cols[len(cols)-1] != "1440" {
		return AzureFunction{}, perr("header", string(head), "must be HashOwner,HashApp,HashFunction,Trigger,1,…,1440 (invocations_per_function_md.anon.dNN.csv)")
	}
	day := azureDay(name)
	var top topN
	var spare *AzureFunction
	n := 0
	for {
		b, err := ls.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return AzureFunction{}, perr("", "", err.Error())
		}
		if len(b) == 0 {
			continue
		}
		n++
		// The four names.
		var names [4][]byte
		rest := b
		for k := 0; k < 4; k++ {
			i := bytes.IndexByte(rest, ',')
			if i < 0 {
				return AzureFunction{}, perr(cols[k], "", fmt.Sprintf("line ends after %d fields: want %d", k+1, 4+AzureMinutes))
			}
			names[k], rest = rest[:i], rest[i+1:]
		}
		if pick.Hash != "" && string(names[2]) != pick.Hash {
			continue
		}
		f := spare
		if f == nil {
			f = &AzureFunction{Counts: make([]float64, AzureMinutes)}
		}
		total := 0.0
		for k := 0; k < AzureMinutes; k++ {
			i := bytes.IndexByte(rest, ',')
			field := rest
			if i >= 0 {
				field, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			if (i < 0) != (k == AzureMinutes-1) {
				got := k + 1 + 4
				if i >= 0 {
					got = 4 + AzureMinutes + 1
				}
				return AzureFunction{}, perr(fmt.Sprintf("column %d", k+1), "", fmt.Sprintf("line has %d fields or more: want %d", got, 4+AzureMinutes))
			}
			v, ok := parseCount(field)
			if !ok {
				return AzureFunction{}, perr(fmt.Sprintf("column %d (minute %d)", k+5, k+1), string(field), "must be a count >= 0")
			}
			f.Counts[k] = v
			total += v
		}
		keep := pick.Hash != "" || len(top) < pick.Rank || top[0].Total < total
		if !keep {
			spare = f // its counts are scratch for the next line
			continue
		}
		// Names become strings only for the lines kept.
		f.Owner, f.App, f.Function, f.Trigger = string(names[0]), string(names[1]), string(names[2]), string(names[3])
		f.Line, f.Day, f.Total = ls.line, day, total
		if pick.Hash != "" {
			f.Functions = n
			return *f, nil
		}
		spare = nil
		if len(top) < pick.Rank {
			heap.Push(&top, f)
		} else {
			spare = top[0]
			top[0] = f
			heap.Fix(&top, 0)
		}
	}
	if pick.Hash != "" {
		return AzureFunction{}, &ParseError{File: name, Field: "HashFunction", Value: clip(pick.Hash), Rule: fmt.Sprintf("no line of %d has it", n)}
	}
	if len(top) < pick.Rank {
		return AzureFunction{}, &ParseError{File: name, Field: "function", Value: clip(pick.String()), Rule: fmt.Sprintf("the file has %d functions", len(top))}
	}
	f := *top[0] // the smallest of the N busiest: rank N
	f.Rank, f.Functions = pick.Rank, n
	return f, nil
}

// parseCount reads a whole count fast, or any non-negative finite number.
func parseCount(b []byte) (float64, bool) {
	if len(b) > 0 && len(b) < 16 {
		v := int64(0)
		ok := true
		for _, c := range b {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if ok {
			return float64(v), true
		}
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil || !(f >= 0) || math.IsInf(f, 1) {
		return 0, false
	}
	return f, true
}

// AzureDurations is one line of function_durations_percentiles.anon.dNN.csv:
// the day's duration statistics of one function, in milliseconds. The
// trace's description says percentile_Average_P is the weighted P-th
// percentile of the execution time average (of the averages the trace
// keeps per interval), so its spread is narrower than that of single
// invocations.
type AzureDurations struct {
	Line                     int
	Average, Count, Min, Max float64
	Percentiles              map[float64]float64 // percentile_Average_P → P
}

// azureDurationCols are the columns read from the durations file.
var azureDurationCols = []string{"HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum"}

// ReadAzureDurations streams function_durations_percentiles.anon.dNN.csv
// (HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,
// percentile_Average_0,…_1,…_25,…_50,…_75,…_99,…_100) and returns the line
// of the function whose HashOwner, HashApp and HashFunction are f's.
func ReadAzureDurations(r io.Reader, name string, f AzureFunction) (AzureDurations, error) {
	ls := &lineSource{br: bufio.NewReaderSize(r, 64<<10)}
	head, err := ls.next()
	if err != nil {
		return AzureDurations{}, &ParseError{File: name, Line: 1, Rule: "empty file: want the header HashOwner,HashApp,HashFunction,Average,Count,…"}
	}
	cols := strings.Split(string(head), ",")
	idx := map[string]int{}
	for i, c := range cols {
		idx[strings.TrimSpace(c)] = i
	}
	for _, c := range azureDurationCols {
		if _, ok := idx[c]; !ok {
			return AzureDurations{}, &ParseError{File: name, Line: 1, Field: "header", Value: clip(string(head)), Rule: "must have the column " + c + " (function_durations_percentiles.anon.dNN.csv)"}
		}
	}
	pcols := map[int]float64{}
	for i, c := range cols {
		if p, ok := strings.CutPrefix(strings.TrimSpace(c), "percentile_Average_"); ok {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil || v < 0 || v > 100 {
				return AzureDurations{}, &ParseError{File: name, Line: 1, Field: "header", Value: clip(c), Rule: "percentile_Average_P needs P in [0, 100]"}
			}
			pcols[i] = v
		}
	}
	for {
		b, err := ls.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return AzureDurations{}, &ParseError{File: name, Line: ls.line, Rule: err.Error()}
		}
		fs := strings.Split(string(b), ",")
		if len(fs) != len(cols) {
			if len(b) == 0 {
				continue
			}
			return AzureDurations{}, &ParseError{File: name, Line: ls.line, Rule: fmt.Sprintf("has %d fields: the header has %d", len(fs), len(cols))}
		}
		if fs[idx["HashFunction"]] != f.Function || fs[idx["HashApp"]] != f.App || fs[idx["HashOwner"]] != f.Owner {
			continue
		}
		d := AzureDurations{Line: ls.line, Percentiles: map[float64]float64{}}
		num := func(col string, i int) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(fs[i]), 64)
			if err != nil || !(v >= 0) || math.IsInf(v, 1) {
				return 0, &ParseError{File: name, Line: ls.line, Field: col, Value: clip(fs[i]), Rule: "must be a number >= 0"}
			}
			return v, nil
		}
		for _, c := range []struct {
			col string
			dst *float64
		}{{"Average", &d.Average}, {"Count", &d.Count}, {"Minimum", &d.Min}, {"Maximum", &d.Max}} {
			if *c.dst, err = num(c.col, idx[c.col]); err != nil {
				return AzureDurations{}, err
			}
		}
		for i, p := range pcols {
			if d.Percentiles[p], err = num(cols[i], i); err != nil {
				return AzureDurations{}, err
			}
		}
		return d, nil
	}
	return AzureDurations{}, &ParseError{File: name, Field: "HashFunction", Value: clip(f.Function), Rule: "no line has this function (with its HashOwner and HashApp)"}
}

// Series is the day's durations as one-point Duration series (Average and
// each percentile), stamped at t.
func (d AzureDurations) Series(name string, t time.Time) []Series {
	src := fmt.Sprintf("%s:%d", name, d.Line)
	out := []Series{{Source: src + ": Average", Metric: Duration, Stat: "Average", Period: 24 * time.Hour, Points: []Point{{T: t, V: d.Average}}}}
	ps := make([]float64, 0, len(d.Percentiles))
	for p := range d.Percentiles {
		ps = append(ps, p)
	}
	sortFloats(ps)
	for _, p := range ps {
		st := "p" + strconv.FormatFloat(p, 'f', -1, 64)
		out = append(out, Series{Source: src + ": percentile_Average_" + strconv.FormatFloat(p, 'f', -1, 64), Metric: Duration, Stat: st,
			Period: 24 * time.Hour, Points: []Point{{T: t, V: d.Percentiles[p]}}})
	}
	return out
}
