package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploysim/deploysim/scenario"
)

// A --scenario file is read only up to scenario.MaxFileSize: a huge file is
// refused with one line naming it, before it is read into memory.
func TestScenarioFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(scenario.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"compare", "--scenario", path}, nil, &out, &errb)
	if code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", code, errb.String())
	}
	msg := errb.String()
	if !strings.Contains(msg, "--scenario") || !strings.Contains(msg, "larger than 8 MiB") || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Errorf("stderr = %q: want one line naming --scenario and the 8 MiB limit", msg)
	}
}

// A directory given as a file is refused with a clear error for the
// scenario; merge reads a directory's shard files, and says when there are
// none.
func TestFileArgumentIsDirectory(t *testing.T) {
	dir := t.TempDir()
	for args, want := range map[[2]string]string{{"compare", "--scenario"}: "is a directory", {"merge", ""}: "no shard files"} {
		cmdline := []string{args[0]}
		if args[1] != "" {
			cmdline = append(cmdline, args[1])
		}
		cmdline = append(cmdline, dir)
		var out, errb bytes.Buffer
		if code := run(context.Background(), cmdline, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), want) {
			t.Errorf("%v: exit %d, stderr %q: want 2 and %q", cmdline, code, errb.String(), want)
		}
	}
}
