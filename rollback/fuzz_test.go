package rollback

import (
	"strings"
	"testing"
)

// Each parser either accepts a string and prints it back exactly, or
// returns an error in the package's format; it never panics.
func fuzzParser[T interface{ String() string }](f *testing.F, parse func(string) (T, error), seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "rollback: ") || !strings.Contains(err.Error(), "must be") {
				t.Fatalf("error %q lacks the field and rule", err)
			}
			return
		}
		if v.String() != s {
			t.Fatalf("parsed %q, prints %q", s, v.String())
		}
	})
}

func FuzzParseComparison(f *testing.F) {
	fuzzParser(f, ParseComparison, "GreaterThanOrEqualToThreshold", "LessThanThreshold", ">=", "")
}

func FuzzParseMissingData(f *testing.F) {
	fuzzParser(f, ParseMissingData, "missing", "notBreaching", "NotBreaching", "ignore")
}

func FuzzParseState(f *testing.F) {
	fuzzParser(f, ParseState, "OK", "ALARM", "INSUFFICIENT_DATA", "ok")
}

func FuzzParseLowSampleCount(f *testing.F) {
	fuzzParser(f, ParseLowSampleCount, "evaluate", "ignore", "Evaluate")
}

func FuzzParseNoDataAction(f *testing.F) {
	fuzzParser(f, ParseNoDataAction, "fail", "pass", "hold", "Hold")
}
