// Command deploysim simulates progressive deployments from the command line:
// it predicts, for each rollout strategy, how many requests and users a bad
// release hurts before it is rolled back, how long detection and rollback
// take, and how often a healthy release is rolled back anyway.
//
//	deploysim compare                  # every Lambda preset on the default scenario
//	deploysim compare --rps 1 --error-rate 0.02 -o markdown
//	deploysim sweep --rps 1,100,10000 --error-rate 0.01,0.05 --shard 0/3 > s0.json
//	deploysim merge s0.json s1.json s2.json
//	deploysim plot --chart pareto --out pareto.svg
//	deploysim evaluate template.yaml --runs 50
//	deploysim presets
//	deploysim completion bash
//
// Run `deploysim help` for the commands and `deploysim <command> --help` for
// each one's flags and examples. Flags may come before or after the
// arguments; `--` ends them. Output goes to standard output; progress and
// errors to standard error. An error is one line, `deploysim <command>:
// <message>`, naming the flag or field at fault and the rule it breaks.
//
// Exit status: 0 success; 1 a CI gate failed; 2 the command could not run
// (bad input, an unreadable file, a failed write); 130 interrupted.
//
// The command is a thin layer over the library: each subcommand is one file
// with a constructor (newCompareCmd …) whose RunE turns flags into library
// calls; the root command (root.go) wires them and owns --version,
// completion and the exit status.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	tuneGC()
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cancel() // the first signal stops the workers and keeps their work
		<-sig
		os.Exit(exitInterrupted) // the second does not wait
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// streams are the standard streams a command reads and writes, and the
// root's flags that say how it writes to them.
type streams struct {
	in       io.Reader
	out, err io.Writer
	progress *string // --progress
}

// progressTo is where and when the command reports progress.
func (s streams) progressTo() (progressTo, error) {
	to := progressTo{w: s.err}
	if s.progress == nil {
		return to, nil
	}
	var err error
	to.mode, err = parseProgress(*s.progress)
	return to, err
}

// gcPercent is the collector's target for the command line: the Monte
// Carlo loops allocate a few kilobytes a run (each run's record and its
// latency sketches) over a heap of a few megabytes, so at Go's default of
// 100 the target command (compare --rps 10000 --runs 1000 --horizon 2h,
// 18,000 runs) collected 176 times, and a fifth of its CPU time went to the
// collector and to returning pages to the system; at 400 its CPU time falls
// from 1.79 s to 1.41 s and its wall time from 0.96 s to 0.75 s (medians of
// 5 on 2 cores), for 12 MB more peak memory (36 MB in all). See
// BENCHMARKS.md.
const gcPercent = 400

// tuneGC sets the collector's target to gcPercent unless the user chose
// one with GOGC, which is theirs to set.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
