// Package quote shortens values quoted in error messages: a user's value may
// be a megabyte of junk, and an error is one line on a terminal.
package quote

import "unicode/utf8"

// Clip returns s if it has at most n runes, else its first n runes and "…".
// It never cuts a rune in two, so the message stays valid UTF-8.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s // n bytes hold at most n runes
	}
	i, runes := 0, 0
	for i < len(s) && runes < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		runes++
	}
	if i >= len(s) {
		return s
	}
	return s[:i] + "…"
}
