package strategy

import (
	"strconv"
	"strings"
	"time"
)

// formatPercent writes p in the shortest decimal form that parses back to the
// same float64 ("10", "2.5", "0.001"), so names round-trip exactly.
func formatPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// displayPercent rounds for tables: 10.000000000000002 reads "10".
func displayPercent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// formatDuration is time.Duration.String without the trailing zero units
// ("5m" rather than "5m0s", "1h" rather than "1h0m0s"). time.ParseDuration
// reads it back to the same nanosecond count.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// minuteWord is the unit as AWS spells it after n: "1Minute", "5Minutes".
func minuteWord(n int64) string {
	if n == 1 {
		return "Minute"
	}
	return "Minutes"
}
