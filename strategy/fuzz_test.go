package strategy

import (
	"errors"
	"testing"
)

// FuzzParse: whatever the input, Parse returns an error or a strategy that
// validates, whose schedule validates and ends at 1, and whose String parses
// back to an equal strategy. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range Presets() {
		f.Add(s.String())
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			var pe *ParseError
			if s != nil || !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, %v: want nil and a *ParseError", in, s, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %v, which does not validate: %v", in, s, err)
		}
		sch := s.Schedule()
		if err := sch.Validate(); err != nil || len(sch) == 0 || sch[len(sch)-1].Weight != 1 {
			t.Fatalf("Parse(%q).Schedule() = %v (%v): want a valid schedule ending at 1", in, sch, err)
		}
		back, err := Parse(s.String())
		if err != nil || !Equal(back, s) {
			t.Fatalf("Parse(%q) = %#v; Parse(%q) = %#v, %v", in, s, s.String(), back, err)
		}
	})
}
