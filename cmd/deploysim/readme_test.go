package main

import (
	"os"
	"strings"
	"testing"
)

// The README's quick tour shows what `deploysim compare` prints on the
// default scenario; the runs are seeded, so it must be that output, byte
// for byte, or the README is stale (regenerate it with
// `go run ./cmd/deploysim compare`).
func TestReadmeQuickTour(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## A quick tour")
	if i < 0 {
		t.Fatal("README has no quick tour section")
	}
	rest := readme[i:]
	const open = "```text\n"
	j := strings.Index(rest, open)
	if j < 0 {
		t.Fatal("the quick tour has no ```text block")
	}
	block := rest[j+len(open):]
	block = block[:strings.Index(block, "```")]
	if got := mustRun(t, "compare"); got != block {
		t.Errorf("README's quick tour is stale; compare prints:\n%s\nREADME shows:\n%s", got, block)
	}
}
