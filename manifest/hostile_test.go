package manifest

import (
	"os"
	"strings"
	"testing"
)

// An error quotes a file's value clipped to maxQuoted bytes: a 3 MB
// DeploymentPreference.Type made a 3 MB one-line error. The message keeps
// its shape (file, line, path, the start of the value, the rule).
func TestErrorClipsLongValues(t *testing.T) {
	base, err := os.ReadFile("testdata/broken/sam-unknown-type.yaml")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Replace(string(base), "Canary10Percent7Minutes", "Canary10Percent7Minutes"+strings.Repeat("x", 3_000_000), 1)
	if long == string(base) {
		t.Fatal("testdata/broken/sam-unknown-type.yaml no longer names Canary10Percent7Minutes")
	}
	// The long name is no preset: a configuration made outside the
	// template, skipped with a warning that quotes it, clipped.
	f, err := Read("long.yaml", []byte(long))
	if err != nil {
		t.Fatal(err)
	}
	ws := f.AllWarnings()
	found := false
	for _, w := range ws {
		msg := w.String()
		if strings.Contains(msg, `deployment configuration "Canary10Percent7Minutesxxx`) {
			found = true
			if len(msg) > 1000 || !strings.Contains(msg, `…" is neither predefined`) {
				t.Errorf("warning of %d bytes: %.300s", len(msg), msg)
			}
		}
	}
	if !found {
		t.Errorf("no warning about the configuration: %v", ws)
	}
}

// clipArgs clips only what the format quotes with %q.
func TestClipArgs(t *testing.T) {
	long := strings.Repeat("a", maxQuoted+1)
	got := clipArgs("%s %q %5.2f %%q %q", []any{long, long, 1.0, "short"})
	if got[0] != long || got[1] != long[:maxQuoted]+"…" || got[3] != "short" {
		t.Errorf("clipArgs = %q", got)
	}
}
