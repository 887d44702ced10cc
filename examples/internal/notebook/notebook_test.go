package notebook

import (
	"path/filepath"
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
