package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim"
)

// With no scenario flags, compare is deploysim.Compare on
// deploysim.DefaultScenario, the documented default: the same rows, bit for
// bit.
func TestCompareDefaultIsLibraryDefault(t *testing.T) {
	out := mustRun(t, "compare", "--format", "json", "--with-state", "--runs", "12")
	var doc struct {
		Rows json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	tab, err := deploysim.Compare(context.Background(), deploysim.DefaultScenario(), nil, 12)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tab.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var lib struct {
		Rows json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(b, &lib); err != nil {
		t.Fatal(err)
	}
	var x, y bytes.Buffer
	json.Compact(&x, doc.Rows)
	json.Compact(&y, lib.Rows)
	if x.String() != y.String() {
		t.Errorf("compare's rows differ from deploysim.Compare's on DefaultScenario:\n%.600s\nvs\n%.600s", x.String(), y.String())
	}
}

// Progress goes to a terminal only, and only after a second of work, unless
// --progress=always asks for a line every few seconds in a log, or never.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	for mode, want := range map[progressMode]bool{progressAuto: false, progressAlways: true, progressNever: false} {
		if p := newProgress(progressTo{&buf, mode}, "x", 10); (p.w != nil) != want || p.tty {
			t.Errorf("mode %d on a buffer: writes %v (tty %v), want %v", mode, p.w != nil, p.tty, want)
		}
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("a regular file is not a terminal")
	}

	fresh := &progress{w: &buf, tty: true, every: 200 * time.Millisecond, label: "compare", total: 10, start: time.Now()}
	fresh.add(3)
	fresh.finish()
	if buf.Len() != 0 {
		t.Errorf("progress shown before a second of work: %q", buf.String())
	}
	slow := &progress{w: &buf, tty: true, every: 200 * time.Millisecond, label: "compare", total: 10, start: time.Now().Add(-2 * time.Second)}
	tick := slow.tick()
	tick(4, 10)
	if !strings.Contains(buf.String(), "compare: 4/10 runs (40%), ") || !strings.Contains(buf.String(), " runs/s, ") || !strings.Contains(buf.String(), " left") {
		t.Errorf("progress after 2 s: %q, want the count, the rate and the time left", buf.String())
	}
	tick(10, 10) // the last tick always shows, however soon after the previous
	slow.finish()
	if !strings.Contains(buf.String(), "10/10 runs (100%)") || !strings.HasSuffix(buf.String(), "\r\033[K") {
		t.Errorf("final progress %q does not end with 10/10 and a cleared line", buf.String())
	}

	// In a log: whole lines, no escape codes, at most one per interval.
	buf.Reset()
	log := newProgress(progressTo{&buf, progressAlways}, "sweep", 10)
	log.start = time.Now().Add(-2 * time.Second)
	tick = log.tick()
	for i := 1; i <= 10; i++ {
		tick(i, 10)
	}
	log.finish()
	if got := buf.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "sweep: 1/10 runs") || strings.Contains(got, "\033") {
		t.Errorf("log progress %q: want one plain line (the next is due %v later)", got, logInterval)
	}
}
