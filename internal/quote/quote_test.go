package quote

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 40, "short"},
		{strings.Repeat("a", 40), 40, strings.Repeat("a", 40)},
		{strings.Repeat("a", 41), 40, strings.Repeat("a", 40) + "…"},
		{"héllo wörld", 5, "héllo…"},                           // runes, not bytes
		{strings.Repeat("é", 40), 40, strings.Repeat("é", 40)}, // 80 bytes, 40 runes
		{"", 3, ""},
	} {
		if got := Clip(c.s, c.n); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
	// A cut never splits a rune, whatever the input.
	junk := strings.Repeat("a€\xff", 100)
	for n := 1; n < 60; n++ {
		if got := Clip(junk, n); !utf8.ValidString(strings.ReplaceAll(got, "\xff", "")) {
			t.Fatalf("Clip(junk, %d) = %q: a rune cut in two", n, got)
		}
	}
}
