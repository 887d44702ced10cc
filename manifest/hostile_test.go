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
	_, err = Read("long.yaml", []byte(long))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if len(msg) > 1000 || !strings.Contains(msg, `unknown type "Canary10Percent7Minutesxxx`) || !strings.Contains(msg, `…": must be a predefined SAM type`) {
		t.Errorf("error of %d bytes: %.300s", len(msg), msg)
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
