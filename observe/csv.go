package observe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxCSVLines bounds a per-minute CSV: 100 days of minutes.
const maxCSVLines = 100 * 1440

// ReadCSV reads a per-minute count CSV, as a console export gives: lines of
// timestamp,count with an optional header line (any line whose count is not
// a number, if it is the first), '#' comments and blank lines skipped. A
// timestamp is RFC 3339 ("2024-05-01T10:00:00Z") or Unix seconds
// ("1714557600"); a Unix number of 10^12 or more is read as milliseconds.
// Rows may come in any order. The counts become an Invocations series when
// the header names it (a column "invocations"), else Requests.
func ReadCSV(r io.Reader, name string) (Series, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	s := Series{Source: name + ": timestamp,count", Metric: Requests, Stat: "Sum"}
	line, rows := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fs := strings.Split(text, ",")
		if len(fs) != 2 {
			return Series{}, &ParseError{File: name, Line: line, Value: clip(text), Rule: fmt.Sprintf("has %d fields: want timestamp,count", len(fs))}
		}
		ts, cs := strings.Trim(strings.TrimSpace(fs[0]), `"`), strings.Trim(strings.TrimSpace(fs[1]), `"`)
		c, err := strconv.ParseFloat(cs, 64)
		if rows == 0 && len(s.Points) == 0 && err != nil {
			// A header: "timestamp,count", "Time,Invocations" …
			if strings.Contains(strings.ToLower(cs), "invocation") {
				s.Metric = Invocations
				s.Source = fmt.Sprintf("%s: %s,%s", name, ts, cs)
			}
			rows++
			continue
		}
		rows++
		if err != nil || !(c >= 0) || math.IsInf(c, 1) {
			return Series{}, &ParseError{File: name, Line: line, Field: "count", Value: clip(cs), Rule: "must be a finite number >= 0"}
		}
		t, ok := parseStamp(ts)
		if !ok {
			return Series{}, &ParseError{File: name, Line: line, Field: "timestamp", Value: clip(ts), Rule: "must be RFC 3339 (2024-05-01T10:00:00Z) or Unix seconds"}
		}
		if len(s.Points) >= maxCSVLines {
			return Series{}, &ParseError{File: name, Line: line, Rule: fmt.Sprintf("more than %d rows (100 days of minutes)", maxCSVLines)}
		}
		s.Points = append(s.Points, Point{T: t, V: c})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Series{}, &ParseError{File: name, Line: line + 1, Rule: "line longer than 64 kB", Err: err}
		}
		return Series{}, fmt.Errorf("observe: %s: %w", name, err)
	}
	if len(s.Points) == 0 {
		return Series{}, &ParseError{File: name, Rule: "no rows: want lines of timestamp,count"}
	}
	if err := s.finish(); err != nil {
		return Series{}, &ParseError{File: name, Rule: err.Error()}
	}
	return s, nil
}

func parseStamp(s string) (time.Time, bool) {
	if t, ok := parseTime(s); ok {
		return t, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0) || f > 1e15 {
		return time.Time{}, false
	}
	if f >= 1e12 {
		return time.UnixMilli(int64(math.Round(f))).UTC(), true
	}
	return time.Unix(0, int64(math.Round(f*1e3))*1e6).UTC(), true
}
