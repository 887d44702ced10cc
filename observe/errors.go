package observe

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/deploysim/deploysim/internal/quote"
)

// ParseError is a broken rule of an input file: where (file and line), what
// (the field, as a path into the document or a column name), the value
// (clipped) and the rule.
type ParseError struct {
	File  string
	Line  int // 0 when unknown
	Field string
	Value string // already clipped and quoted, "" when there is none
	Rule  string
	Err   error // the underlying error, if any
}

// Error formats "observe: file:line: field = value: rule".
func (e *ParseError) Error() string {
	s := "observe: " + e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Value != "" {
		s += " = " + e.Value
	}
	if e.Rule != "" {
		s += ": " + e.Rule
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// maxQuote bounds the bytes of a value quoted in an error: a field may be a
// megabyte of junk, and an error is one line on a terminal.
const maxQuote = 40

// clip quotes at most maxQuote bytes of s.
func clip(s string) string {
	c := quote.Clip(s, maxQuote)
	if c == s {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q…", strings.TrimSuffix(c, "…"))
}

// lineReader counts the lines of what it reads, so that a JSON decoder's
// byte offset can be turned into a line number. It keeps one offset per
// line (8 bytes a line), bounded by the file size limits of the callers.
type lineReader struct {
	r   io.Reader
	off int64
	nl  []int64 // offsets of the newlines read so far
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.nl = append(l.nl, l.off+int64(i))
		}
	}
	l.off += int64(n)
	return n, err
}

// line is the 1-based line holding byte offset off.
func (l *lineReader) line(off int64) int {
	return sort.Search(len(l.nl), func(i int) bool { return l.nl[i] >= off }) + 1
}
