package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A write that fails half-way (a full disk, a file size limit) leaves the
// previous file whole and no temporary file behind; a complete one replaces
// it, readable by others (0644).
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "keep.png")
	old := []byte("the previous chart")
	if err := os.WriteFile(out, old, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Write(out, func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return errors.New("no space left on device")
	})
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), out) {
		t.Fatalf("Write = %v, want the write's error naming the file", err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, old) {
		t.Errorf("the previous file is now %q, want it untouched", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the folder, want the temporary one removed", len(ents))
	}
	if err := Write(out, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if b, _ := os.ReadFile(out); string(b) != "new" || err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("after a complete write: %q, mode %v, %v; want \"new\", 0644", b, st.Mode(), err)
	}
	if err := Write(filepath.Join(dir, "no-such-dir", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Errorf("a missing folder: want an error")
	}
}

// A folder that does not exist is named as the user wrote the path, not by
// the temporary file's random name, and the cause stays testable.
func TestWriteNamesThePathNotTheTemporary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "none", "x.json")
	err := Write(out, func(w io.Writer) error { return nil })
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Write into a missing folder: %v, want a not-exist error", err)
	}
	if !strings.Contains(err.Error(), out) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("error %q should name %s and no temporary file", err, out)
	}
}
