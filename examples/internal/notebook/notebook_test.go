package notebook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The default folder is out/ beside the calling source file, found skip
// frames up: here, this test file's folder.
func TestDefaultOutBesideCaller(t *testing.T) {
	got := defaultOut(1)
	want, err := filepath.Abs("out")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("defaultOut(1) = %q, want %q (out/ beside this test's source)", got, want)
	}
}

// A page holds what its sentences were given, and a recorder passes
// through what it keeps.
func TestPageAndRecorder(t *testing.T) {
	var out strings.Builder
	r := Record(&out)
	fmt.Fprintf(r, "a\tb\n")
	p := NewPage("T", "Why?")
	p.Section("S")
	p.Pre(r.Take())
	p.Para("%.1f %% of %d", 12.34, 5)
	p.Chart("/x/y/chart.png", "a chart")
	p.Conclusion("done")
	want := "# T\n\n**Question.** Why?\n\n## S\n\n```text\na\tb\n```\n\n12.3 % of 5\n\n![a chart](chart.png)\n\n## Conclusion\n\ndone\n\n"
	if p.String() != want {
		t.Errorf("page:\n%q\nwant\n%q", p.String(), want)
	}
	if out.String() != "a\tb\n" || r.Take() != "" {
		t.Errorf("recorder passed %q", out.String())
	}
	dir := t.TempDir()
	f, err := p.Save(dir)
	if err != nil || filepath.Base(f) != "README.md" {
		t.Fatalf("Save: %v, %v", f, err)
	}
	if b, _ := os.ReadFile(f); string(b) != want {
		t.Errorf("saved %q", b)
	}
}
