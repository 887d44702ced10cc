package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
	"github.com/deploysim/deploysim/manifest"
)

// TestRun runs the example in its fast mode and checks what it prints and
// writes.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	if err := run(&out, dir, true); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "\nrecommended: ") {
		t.Fatalf("no recommendation in\n%s", s)
	}
	// Each limit is reported met, with its bound on the right side of it.
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`false_rollback_rate \S+ \(95% upper bound (\S+) <= 0\.05: met\)`),
		regexp.MustCompile(`detection_rate \S+ \(95% lower bound (\S+) >= 0\.9: met\)`),
	} {
		m := re.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("no line matching %s in\n%s", re, s)
			continue
		}
		b, err := strconv.ParseFloat(m[1], 64)
		if err != nil || (strings.Contains(re.String(), "upper") && b > 0.05) || (strings.Contains(re.String(), "lower") && b < 0.9) {
			t.Errorf("bound %q on the wrong side of its limit", m[1])
		}
	}
	// The search spent less than the exhaustive grid.
	m := regexp.MustCompile(`searched (\d+) configurations with (\d+) runs \(([0-9.]+)% of the (\d+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no 'searched' line in\n%s", s)
	}
	if pct, _ := strconv.ParseFloat(m[3], 64); !(pct > 0 && pct < 100) {
		t.Errorf("spent %s%% of an exhaustive grid", m[3])
	}
	front := excheck.Table(t, s, "strategy", "runs", "detected", "false rollbacks", "failures", "duration (s)")
	if len(front) < 2 {
		t.Errorf("Pareto front table: %d lines", len(front))
	}
	// The snippet, when there is one, is a SAM template deploysim reads.
	if i := strings.Index(s, "AWSTemplateFormatVersion"); i >= 0 {
		f, err := manifest.Read("snippet.yaml", []byte(s[i:]))
		if err != nil || len(f.Deployables) != 1 {
			t.Errorf("snippet: %v", err)
		}
	} else if !strings.Contains(s, "No alarm meets the limits") && !strings.Contains(s, "SAM cannot express") {
		t.Errorf("neither a snippet nor why not in\n%s", s)
	}
	excheck.Charts(t, dir, "pareto")
}
