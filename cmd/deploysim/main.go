// Command deploysim simulates progressive deployments from the command line:
// it predicts, for each rollout strategy, how many requests and users a bad
// release hurts before it is rolled back, how long detection and rollback
// take, and how often a healthy release is rolled back anyway.
//
//	deploysim compare                  # every Lambda preset on the default scenario
//	deploysim compare --rps 1 --error-rate 0.02 --format markdown
//	deploysim sweep --rps 1,100,10000 --error-rate 0.01,0.05 --shard 0/3 > s0.json
//	deploysim merge s0.json s1.json s2.json
//	deploysim plot --chart pareto --out pareto.svg
//	deploysim evaluate template.yaml
//	deploysim presets
//
// Run `deploysim help` for the commands and `deploysim <command> --help` for
// each one's flags and examples. Output goes to standard output; progress (on
// a terminal, for work longer than a second) and errors to standard error.
// An error is one line naming the flag or field at fault and the rule it
// breaks, and the exit status is 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand. Add a command by writing its run function in a
// file of its own and one line in commands.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is the dispatch table, in the order help lists them.
var commands []command

// init fills commands: runHelp reads the table, so a plain initialiser would
// be an initialisation cycle.
func init() {
	commands = []command{
		{"compare", "compare strategies on one scenario", runCompare},
		{"sweep", "compare strategies over a grid of request rates and error regressions (shardable)", runSweep},
		{"merge", "combine the JSON of sweep shards into the table of the whole sweep", runMerge},
		{"plot", "draw a chart (PNG or SVG): weights, errors and alarm, failure CDF, Pareto front", runPlot},
		{"evaluate", "simulate the deployments a SAM/CloudFormation, Argo Rollouts or Flagger file declares", runEvaluate},
		{"presets", "print every CodeDeploy preset's traffic schedule", runPresets},
		{"help", "print help for a command", runHelp},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args[0] and returns the exit status: 0, or 2 after one
// line on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
			fmt.Fprintf(stderr, "deploysim %s: %s\n", c.name, msg)
			return 2
		}
		return 0
	}
	fmt.Fprintf(stderr, "deploysim: unknown command %q (run \"deploysim help\")\n", args[0])
	return 2
}

// usage lists the commands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: deploysim <command> [arguments]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run \"deploysim <command> --help\" for a command's flags and examples.")
}

// runHelp prints the list of commands, or one command's help.
func runHelp(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stdout)
		return nil
	}
	if len(args) > 1 {
		return fmt.Errorf("unexpected argument %q: want one command name", args[1])
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			return c.run([]string{"--help"}, stdout, stderr)
		}
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// flagSet is a subcommand's FlagSet with its help text.
type flagSet struct {
	*flag.FlagSet
	stdout io.Writer
	help   func(w io.Writer)
}

// newFlagSet returns a FlagSet that reports errors in one line, without the
// flag package's usage dump, and prints help (to stdout) only when asked.
func newFlagSet(name string, stdout io.Writer, help func(w io.Writer)) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, stdout: stdout, help: help}
}

// parse parses args and refuses positional arguments beyond maxArgs. On
// -h or --help it prints the help and returns flag.ErrHelp.
func (fs *flagSet) parse(args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help(fs.stdout)
		}
		return err
	}
	if fs.NArg() > maxArgs {
		return fmt.Errorf("unexpected argument %q", fs.Arg(maxArgs))
	}
	return nil
}
