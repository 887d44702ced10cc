package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A file over the limit is refused by its size as it is opened: the error
// names the file, its real size (which only the file system knows: reading
// stops at the limit) and the limit. Before, ReadFiles read 8 MiB of every
// path before checking any, and the error gave the bytes read, not the size.
func TestReadFilesRefusesLargeFileUnread(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	const size int64 = 1 << 40 // 1 TiB, sparse: no disk used (int64: 386 has 32-bit ints)
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for name, read := range map[string]func() error{
		"ReadFiles": func() error { _, err := ReadFiles(small, huge); return err },
		"ReadFile":  func() error { _, err := ReadFile(huge); return err },
	} {
		err := read()
		var me *Error
		if !errors.As(err, &me) || me.File != huge {
			t.Fatalf("%s: %v, want a *manifest.Error naming %s", name, err, huge)
		}
		for _, want := range []string{"file is " + strconv.FormatInt(size, 10) + " bytes", "must be at most 8388608 bytes"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q lacks %q", name, err, want)
			}
		}
	}
}

// endless is a reader that never ends, as /dev/zero or a pipe whose writer
// never stops; it counts what it gave.
type endless struct{ given int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.given += len(p)
	return len(p), nil
}

// A source with no size is read at most one byte past the limit, then
// refused with the file's name and the limit.
func TestReadBoundedStopsAtTheLimit(t *testing.T) {
	r := &endless{}
	_, err := readBounded("/dev/stdin", r)
	if err == nil || !strings.Contains(err.Error(), "/dev/stdin: file is more than 8388608 bytes") || !strings.Contains(err.Error(), "must be at most 8388608 bytes") {
		t.Errorf("readBounded(endless) = %v", err)
	}
	// io.ReadAll asks for at least 512 bytes at a time: allow one buffer.
	if r.given > maxInput+1+64<<10 {
		t.Errorf("read %d bytes of an endless source, want about %d", r.given, maxInput+1)
	}
	if _, err := ReadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("ReadFile(directory) = %v", err)
	}
}
