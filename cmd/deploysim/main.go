// Command deploysim simulates progressive deployments from the command line.
//
//	deploysim <command> [arguments]
//
// Run `deploysim help` for the list of commands. Errors print one line on
// standard error and exit with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand. Add a command by writing its run function in a
// file of its own and one line in commands.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout io.Writer) error
}

// commands is the dispatch table, in the order help lists them.
var commands = []command{
	{"presets", "print every CodeDeploy preset's traffic schedule", runPresets},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args[0] and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "deploysim %s: %v\n", c.name, err)
			return 2
		}
		return 0
	}
	fmt.Fprintf(stderr, "deploysim: unknown command %q (run \"deploysim help\")\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: deploysim <command> [arguments]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
