package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
)

// binary is the deploysim executable the tests that run the command as a
// user does (a process, its exit status, its streams) build on first use
// (buildBinary), in binDir, which TestMain removes at the end.
var (
	binary    string
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds deploysim once per test process and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "deploysim-bin"); buildErr != nil {
			return
		}
		binary = filepath.Join(binDir, "deploysim")
		if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// runBinary runs the built command with args and returns its exit status
// and outputs. It fails the test if the process outlives timeout.
func runBinary(t *testing.T, timeout time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("deploysim %q: still running after %v", args, timeout)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("deploysim %q: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// both runs args in-process and as the built binary, and checks that they
// agree on the exit status and the outputs (the binary is what users run;
// in-process is where the other tests look).
func both(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	bcode, bout, berrs := runBinary(t, time.Minute, args...)
	if code != bcode || out != bout || errs != berrs {
		t.Errorf("deploysim %q: in-process exit %d, stdout %.200q, stderr %q; binary exit %d, stdout %.200q, stderr %q",
			args, code, out, errs, bcode, bout, berrs)
	}
	return code, out, errs
}

// Flags may follow the arguments (cobra's interspersed flags), in long,
// short and single-dash long form; "--" ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	// evaluate FILE --runs 5 ran as two files before: "open --runs".
	code, out, errs := both(t, "evaluate", "testdata/sam.yaml", "--runs", "5", "--format", "json")
	if code != 0 {
		t.Fatalf("evaluate FILE --runs 5: exit %d, %s", code, errs)
	}
	var doc struct {
		Scenario struct{ Runs int } `json:"scenario"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Scenario.Runs != 5 {
		t.Errorf("evaluate FILE --runs 5: runs %d (%v)", doc.Scenario.Runs, err)
	}
	// merge a.json b.json --format csv.
	var shards []string
	for i := range 2 {
		_, s, _ := both(t, "sweep", "-n", "3", "-s", "AllAtOnce", "--horizon", "0", "--shard", fmt.Sprintf("%d/2", i))
		f := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, f)
	}
	code, csv, errs := both(t, "merge", shards[0], shards[1], "--format", "csv")
	if code != 0 || !strings.HasPrefix(csv, "strategy,") || strings.Count(csv, "\n") != 2 {
		t.Errorf("merge a b --format csv: exit %d, stderr %q, stdout:\n%s", code, errs, csv)
	}
	// The short flags and the single-dash long flags are the same flags.
	_, long, _ := both(t, "compare", "--runs", "3", "--strategies", "AllAtOnce", "--format", "csv")
	for _, args := range [][]string{
		{"compare", "-n", "3", "-s", "AllAtOnce", "-o", "csv"},
		{"compare", "-n3", "-sAllAtOnce", "-ocsv"},
		{"compare", "-runs", "3", "-strategies=AllAtOnce", "-format", "csv"},
		{"compare", "-o", "csv", "-n", "3", "-s", "AllAtOnce"},
	} {
		if _, got, _ := both(t, args...); got != long {
			t.Errorf("%q prints\n%s\nwant (as --runs 3 --strategies AllAtOnce --format csv)\n%s", args, got, long)
		}
	}
	// After "--" everything is an argument, even what looks like a flag.
	code, _, errs = both(t, "presets", "--", "--help")
	if code != 2 || errs != "deploysim presets: unexpected argument \"--help\"\n" {
		t.Errorf("presets -- --help: exit %d, stderr %q", code, errs)
	}
}

// --version names the module version, the VCS revision when the binary has
// one, and the Go version.
func TestVersion(t *testing.T) {
	// Not both(): the test binary and a go-built binary differ in what
	// debug.ReadBuildInfo stamps (a test binary carries no VCS revision).
	for _, r := range []func() (int, string, string){
		func() (int, string, string) { return runCLI(t, "--version") },
		func() (int, string, string) { return runBinary(t, time.Minute, "--version") },
	} {
		code, out, errs := r()
		if code != 0 || errs != "" || !strings.HasPrefix(out, "deploysim ") || !strings.Contains(out, "go1.") || strings.Count(out, "\n") != 1 {
			t.Errorf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
		}
	}
	// A binary built in a git clone carries its revision (go build stamps
	// it with -buildvcs=auto; not in a git worktree, whose .git is a file
	// the go command does not follow).
	st, err := os.Stat("../../.git")
	if rev, gerr := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && st.IsDir() && gerr == nil {
		_, out, _ := runBinary(t, time.Minute, "--version")
		if !strings.Contains(out, "(revision "+string(rev[:12])) {
			t.Errorf("--version = %q: want the revision %s", out, rev[:12])
		}
	}
}

// Each shell's completion script is generated, and the completion of flag
// values offers the presets, the formats and the charts.
func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_deploysim",
		"zsh":        "#compdef deploysim",
		"fish":       "complete -c deploysim",
		"powershell": "Register-ArgumentCompleter",
	} {
		code, out, errs := both(t, "completion", shell)
		if code != 0 || errs != "" || !strings.Contains(out, marker) {
			t.Errorf("completion %s: exit %d, stderr %q, script lacks %q", shell, code, errs, marker)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"compare", "--format", ""}, []string{"table", "markdown", "csv", "json"}},
		{[]string{"sweep", "-o", "j"}, []string{"json"}},
		{[]string{"compare", "--strategies", "Canary10Percent5"}, []string{"Canary10Percent5Minutes"}},
		{[]string{"compare", "-s", "AllAtOnce,Linear10PercentEvery1M"}, []string{"AllAtOnce,Linear10PercentEvery1Minute"}},
		{[]string{"plot", "--chart", ""}, []string{"schedule", "errors", "cdf", "pareto"}},
		{[]string{"plot", "--x", "time_to_"}, []string{"time_to_detect_s", "time_to_rollback_s"}},
		{[]string{"compare", "--policy", "s"}, []string{"sequential"}},
		{[]string{""}, []string{"compare", "sweep", "merge", "plot", "evaluate", "presets", "completion", "help"}},
	} {
		code, out, _ := runCLI(t, append([]string{"__complete"}, c.args...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		got := map[string]bool{}
		for _, l := range lines {
			name, _, _ := strings.Cut(l, "\t")
			got[name] = true
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("completing %q: exit %d, no %q in\n%s", c.args, code, w, out)
			}
		}
	}
}

// The exit statuses: 0 success, 1 a failed CI gate, 2 a command that could
// not run (one line on stderr), 130 interrupted.
func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"presets"}, 0, ""},
		{[]string{"help", "compare"}, 0, ""},
		{[]string{"compare", "--rps", "-1"}, 2, "deploysim compare: --rps = -1: must be a finite number >= 0\n"},
		{[]string{"compare", "-n", "2.7"}, 2, "deploysim compare: --runs = \"2.7\": must be a whole number\n"},
		{[]string{"compare", "--format", "yaml"}, 2, "deploysim compare: --format = \"yaml\": must be table, markdown, csv or json\n"},
		{[]string{"evaluate"}, 2, "deploysim evaluate: want a FILE (a SAM/CloudFormation template or Argo Rollouts/Flagger manifests)\n"},
		{[]string{"merge"}, 2, "deploysim merge: no shard files: want the JSON of every sweep shard\n"},
		{[]string{"evaluate", "nonexistent.yaml"}, 2, ""},
		{[]string{"compare", "--nope"}, 2, "deploysim compare: unknown flag: --nope\n"},
		{[]string{"frobnicate"}, 2, "deploysim: unknown command \"frobnicate\" (run \"deploysim help\")\n"},
		{nil, 2, ""},
	} {
		code, out, errs := both(t, c.args...)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", c.args, code, c.code, errs)
		}
		if c.err != "" && errs != c.err {
			t.Errorf("%q: stderr %q, want %q", c.args, errs, c.err)
		}
		if code == 2 && c.args != nil && (strings.Count(errs, "\n") != 1 || out != "") {
			t.Errorf("%q: stderr %q is not one line, or stdout %q is not empty", c.args, errs, out)
		}
	}
	// The mapping itself: a gate error (the --fail-if of compare, sweep and
	// evaluate) is 1, an interrupted run 130, wrapped or not.
	for err, want := range map[error]int{
		nil:                                 0,
		&gateError{"false_rollback_rate"}:   1,
		fmt.Errorf("x: %w", &gateError{""}): 1,
		errInterrupted:                      130,
		fmt.Errorf("sweep: %w", context.Canceled): 130,
		errors.New("--rps = -1: must be >= 0"):    2,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// Output that cannot be written is a failure: `deploysim help > /dev/full`
// exits non-zero, as does a result written there.
func TestWriteErrorExitsNonZero(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("this test needs /dev/full: %v", err)
	}
	defer full.Close()
	for _, args := range [][]string{{"help"}, {"compare", "--help"}, {"presets"}, {"--version"}} {
		cmd := exec.Command(buildBinary(t), args...)
		cmd.Stdout = full
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%q > /dev/full: %v, want exit status 2", args, err)
		}
		if !strings.Contains(errb.String(), "no space left on device") || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%q > /dev/full: stderr %q, want one line saying why", args, errb.String())
		}
	}
}

// Settings that run but measure something else than they seem to are
// warned about on stderr, once each, naming the flag.
func TestNonsenseWarns(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "-n", "2", "-s", "Canary10Percent5Minutes", "--horizon", "5s"}, "warning: --horizon = 5s ends each run before the deployment of Canary10Percent5Minutes (5m0s) is complete"},
		{[]string{"compare", "-n", "2", "-s", "AllAtOnce", "--horizon", "5s"}, "warning: --horizon = 5s is shorter than the first alarm datapoint can arrive (2m0s: a period and the ingestion delay): no run can be rolled back, so detection is 0%"},
		{[]string{"compare", "-n", "2", "-s", "AllAtOnce", "--error-rate", "0"}, "warning: --error-rate = 0 (a healthy candidate) with --horizon = 2h0m0s: the failure columns count the 0.1% baseline errors"},
		{[]string{"compare", "-n", "2", "-s", "Linear10PercentEvery1Minute", "--traffic", "trace:testdata/trace.csv", "--horizon", "0"}, ""},
		{[]string{"sweep", "-n", "2", "-s", "AllAtOnce,Canary10Percent5Minutes", "--error-rate", "0,0", "--rps", "1,2"}, "warning: --error-rate = 0"},
	} {
		code, _, errs := runCLI(t, append(c.args, "-o", "csv")...)
		if code != 0 || !strings.Contains(errs, c.want) || (c.want == "" && errs != "") {
			t.Errorf("%q: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
		if c.want != "" && strings.Count(errs, c.want) != 1 {
			t.Errorf("%q: the warning is given %d times", c.args, strings.Count(errs, c.want))
		}
	}
	// A trace shorter than the deployment, from standard input (trace:-).
	code, out, errs := runCLIIn(t, "5\n5\n5\n", "compare", "-n", "2", "-s", "Linear10PercentEvery1Minute", "--horizon", "0", "--traffic", "trace:-", "-o", "json")
	if code != 0 || !strings.Contains(errs, "warning: --traffic: the trace covers 3s, less than the longest deployment (9m0s): there is no traffic after its end") {
		t.Errorf("trace:- of 3 s: exit %d, stderr %q", code, errs)
	}
	// Standard input can be read once: the trace is read once per command
	// (a second read would find no counts and fail).
	if !strings.Contains(out, "Linear10PercentEvery1Minute") {
		t.Errorf("trace:-: no row\n%s", out)
	}
}

// SIGINT stops the workers and keeps their work: the rows of the runs done,
// said to be partial, valid JSON whose rows merge, and exit status 130.
func TestInterruptKeepsWork(t *testing.T) {
	for _, format := range []string{"json", "table"} {
		cmd := exec.Command(buildBinary(t), "compare", "-n", "10000000", "-s", "AllAtOnce,Canary10Percent5Minutes", "--horizon", "0", "--progress", "never", "-o", format)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s: still running 20 s after SIGINT", format)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("%s: %v, want exit status 130 (stderr %q)", format, err, errb.String())
		}
		if msg := errb.String(); !strings.HasPrefix(msg, "deploysim compare: interrupted: the output is partial, ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%s: stderr %q, want one line saying the output is partial", format, msg)
		}
		if format == "table" {
			if !strings.Contains(out.String(), "# partial: interrupted;") || !strings.Contains(out.String(), "AllAtOnce") {
				t.Errorf("table: %q lacks the partial line or the row", out.String())
			}
			// The partial line says "each row's runs say how many": the
			// runs column is there, though the default table omits it.
			if lines := strings.Split(out.String(), "\n"); len(lines) < 3 || !strings.Contains(lines[2], "runs") {
				t.Errorf("table: no runs column under the partial line: %q", out.String())
			}
			continue
		}
		var doc struct {
			Partial struct {
				Interrupted bool
				Runs        int64
			} `json:"partial"`
			Rows []struct {
				Strategy string
				Runs     int64
			} `json:"rows"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("json: not JSON: %v\n%.300s", err, out.String())
		}
		var n int64
		for _, r := range doc.Rows {
			n += r.Runs
		}
		if !doc.Partial.Interrupted || doc.Partial.Runs != n || n == 0 || n%2 != 0 {
			t.Errorf("json: partial %+v, rows %+v: want the rows' runs (bad runs and their twins, in pairs)", doc.Partial, doc.Rows)
		}
		// The partial rows are a table metrics.ReadTable reads (mergeable
		// state).
		if _, err := metrics.ReadTable(bytes.NewReader(out.Bytes())); err != nil {
			t.Errorf("json: the partial table does not read back: %v", err)
		}
	}
}

// A chart that cannot be written whole leaves the previous file as it was
// (issue 13.11): the output goes to a temporary file renamed when complete.
func TestPlotKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "keep.svg")
	old := []byte("<svg>the previous chart</svg>")
	if err := os.WriteFile(out, old, 0o644); err != nil {
		t.Fatal(err)
	}
	// A write that fails half-way (as a file size limit or a full disk
	// makes it).
	err := atomicfile.Write(out, func(w io.Writer) error {
		if _, err := w.Write([]byte("<svg>half")); err != nil {
			return err
		}
		return errors.New("no space left on device")
	})
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("atomicfile.Write = %v, want the write's error", err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, old) {
		t.Errorf("the previous file is now %q, want it untouched", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the folder, want the temporary one removed", len(ents))
	}
	// A complete write replaces it, readable by others.
	if code, _, errs := runCLI(t, "plot", "--chart", "schedule", "-s", "AllAtOnce", "--out", out); code != 0 {
		t.Fatalf("plot: exit %d, %s", code, errs)
	}
	st, err := os.Stat(out)
	if b, _ := os.ReadFile(out); bytes.Equal(b, old) || err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("plot did not replace the file (mode %v, err %v)", st.Mode(), err)
	}
}

// A grid point or a strategy given twice runs once, with a note (issue
// 13.8): 100 and 1e2 are one rate, a preset's SAM and CodeDeploy names are
// one strategy. The rows, and so the shards, are those of the grid without
// the duplicates.
func TestDuplicateGridPoints(t *testing.T) {
	base := []string{"sweep", "-n", "2", "--horizon", "0", "-o", "csv"}
	_, want, _ := runCLI(t, append(base, "--rps", "1,100", "-s", "AllAtOnce")...)
	code, got, errs := runCLI(t, append(base, "--rps", "1,100,1e2,1.0", "-s", "AllAtOnce,CodeDeployDefault.LambdaAllAtOnce")...)
	if code != 0 || got != want {
		t.Errorf("exit %d; with duplicates\n%s\nwant\n%s", code, got, want)
	}
	for _, note := range []string{
		"note: --rps lists 100 twice (100 and 1e2): the grid has it once",
		"note: --rps lists 1 twice (1 and 1.0): the grid has it once",
		`note: strategies "AllAtOnce" and "CodeDeployDefault.LambdaAllAtOnce" are both AllAtOnce: it runs once`,
	} {
		if !strings.Contains(errs, note) {
			t.Errorf("stderr %q lacks %q", errs, note)
		}
	}
}
