package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's promise, held against hostile input (issue 13): every
// invocation below ends, within a bounded time, in its exit status with at
// most 3 lines on stderr, and never in a panic or a goroutine dump. It runs
// the built binary, as a user or a script would.
func TestHostileInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := filepath.Join(dir, "big.yaml")
	if f, err := os.Create(big); err == nil {
		f.Truncate(9 << 20) // sparse: larger than any limit, costs no disk
		f.Close()
	}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		bomb += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	var zeros []string
	for range 200 {
		zeros = append(zeros, "/dev/zero")
	}
	shard := func(name, edit string) string {
		return write(name, `{"scenario": {"runs": 2}, "grid": {"rps": [1], "error_rate": [0], "strategies": ["AllAtOnce"]}, "shard": "`+edit+`", "rows": []}`)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		err  string // in stderr
	}{
		{"no arguments", nil, 2, "Usage:"},
		{"unknown command", []string{"rm", "-rf"}, 2, "deploysim: unknown"},
		{"unknown flag", []string{"compare", "--rpss", "1"}, 2, "unknown flag: --rpss"},
		{"flag without value", []string{"compare", "--rps"}, 2, "flag needs an argument"},
		{"NaN rate", []string{"compare", "--rps", "NaN"}, 2, "--rps"},
		{"huge runs", []string{"compare", "-n", "99999999999999999999"}, 2, "--runs"},
		{"seed 2^64", []string{"compare", "--seed", "18446744073709551616"}, 2, "--seed"},
		{"concurrency max int", []string{"compare", "--concurrency-limit", "9223372036854775807"}, 2, "must be at most 10000000"},
		{"huge value quoted", []string{"compare", "--traffic", strings.Repeat("x", 1<<16)}, 2, "--traffic"},
		{"scenario file too big", []string{"compare", "--scenario", big}, 2, "larger than 8 MiB"},
		{"scenario device", []string{"compare", "--scenario", "/dev/zero"}, 2, "NUL byte"},
		{"scenario directory", []string{"compare", "--scenario", dir}, 2, "is a directory"},
		{"scenario YAML bomb", []string{"compare", "--scenario", write("bomb.yaml", bomb)}, 2, "unknown key"},
		{"scenario alias", []string{"compare", "--scenario", write("alias.yaml", "strategies: &s [AllAtOnce]\nalarms: *s\n")}, 2, "aliases are not supported"},
		{"scenario runs 2.7", []string{"compare", "--scenario", write("runs.yaml", "runs: 2.7\n")}, 2, `runs: "2.7": must be a whole number`},
		{"scenario seed 2^64", []string{"compare", "--scenario", write("seed.yaml", "seed: 18446744073709551616\n")}, 2, "seed"},
		{"scenario two documents", []string{"compare", "--scenario", write("two.yaml", "runs: 3\n---\nruns: 4\n")}, 2, "a second YAML document"},
		{"evaluate 200 devices", append([]string{"evaluate"}, zeros...), 2, "NUL byte"},
		{"evaluate big file", []string{"evaluate", big}, 2, "larger than 8 MiB"},
		{"evaluate garbage", []string{"evaluate", write("garbage.yaml", "\x00\x01\x02: [")}, 2, ""},
		{"evaluate missing", []string{"evaluate", filepath.Join(dir, "none.yaml")}, 2, "no such file"},
		{"shard huge n", []string{"sweep", "--shard", "0/9223372036854775807"}, 2, "n must be at most"},
		{"shard 1e10", []string{"sweep", "--shard", "0/10000000000"}, 2, "n must be at most"},
		{"shard text", []string{"sweep", "--shard", "a/b"}, 2, "--shard"},
		{"merge huge n", []string{"merge", shard("s.json", "0/9223372036854775807")}, 2, "n must be at most"},
		{"merge not JSON", []string{"merge", write("x.json", "{{{")}, 2, "not a sweep shard"},
		{"merge device", []string{"merge", "/dev/zero"}, 2, "NUL byte"},
		{"merge 3 devices", []string{"merge", "/dev/zero", "/dev/zero", "/dev/zero"}, 2, "NUL byte"},
		{"report from device", []string{"report", "--from", "/dev/zero", "--out", filepath.Join(dir, "r.md")}, 2, "/dev/zero"},
		{"report from a sweep shard", []string{"report", "--from", shard("s2.json", "0/1"), "--out", filepath.Join(dir, "r.md")}, 2, "the output of sweep"},
		{"trace missing", []string{"compare", "--traffic", "trace:" + filepath.Join(dir, "none.csv")}, 2, "--traffic"},
		{"trace garbage", []string{"compare", "--traffic", "trace:" + write("t.csv", "x,y,z\n")}, 2, "--traffic"},
		{"plot bad extension", []string{"plot", "--chart", "cdf", "--out", "x.gif"}, 2, "--out"},
		{"plot unwritable", []string{"plot", "--chart", "schedule", "--out", filepath.Join(dir, "none", "x.png")}, 2, ""},
		{"help of nothing", []string{"help", "nothing"}, 2, "unknown command"},
		{"progress bad", []string{"presets", "--progress", "sometimes"}, 0, ""},
		{"progress bad on a run", []string{"compare", "--progress", "sometimes"}, 2, "--progress"},
		{"completion of unknown shell", []string{"completion", "tcsh"}, 2, `deploysim completion: unknown shell "tcsh"`},
	} {
		start := time.Now()
		code, _, errs := runBinary(t, 30*time.Second, c.args...)
		took := time.Since(start)
		lines := strings.Count(strings.TrimRight(errs, "\n"), "\n") + 1
		switch {
		case code != c.code:
			t.Errorf("%s: exit %d, want %d (stderr %.300q)", c.name, code, c.code, errs)
		case !strings.Contains(errs, c.err):
			t.Errorf("%s: stderr %.300q lacks %q", c.name, errs, c.err)
		case code != 0 && c.args != nil && lines > 3:
			t.Errorf("%s: %d lines on stderr, want at most 3: %.300q", c.name, lines, errs)
		case strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine "):
			t.Errorf("%s: a crash: %.300q", c.name, errs)
		case len(errs) > 2000 && c.args != nil:
			t.Errorf("%s: %d bytes on stderr", c.name, len(errs))
		}
		if took > 20*time.Second {
			t.Errorf("%s: took %v", c.name, took)
		}
	}
}
