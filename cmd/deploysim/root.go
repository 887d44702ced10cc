package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses, as the package doc lists them.
const (
	exitOK          = 0
	exitGate        = 1 // a CI gate (--fail-if) failed
	exitBadInput    = 2 // the command could not run
	exitInterrupted = 130
)

// gateError is the error of a CI gate that fails: the command ran, and its
// result breaks a condition the user set (--fail-if). It exits with status
// 1, so that CI can tell a failed gate from a command that could not run.
type gateError struct{ msg string }

func (e *gateError) Error() string { return e.msg }

// errInterrupted is returned by a command stopped by SIGINT or SIGTERM
// (its context cancelled); it exits with status 130, as a shell reports a
// process killed by SIGINT.
var errInterrupted = errors.New("interrupted")

// exitCode maps a command's error to the exit status.
func exitCode(err error) int {
	var g *gateError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &g):
		return exitGate
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitBadInput
}

// silentError has been reported already (help printed to stderr): run
// only sets the exit status.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the command line args and returns the exit status. An error
// is one line on stderr: "deploysim <command>: <message>".
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out := &recordingWriter{w: stdout}
	root := newRootCmd(streams{in: stdin, out: out, err: stderr})
	root.SetArgs(singleDashLongFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil && out.err != nil {
		err = fmt.Errorf("write standard output: %w", out.err)
	}
	if err == nil {
		return exitOK
	}
	var s *silentError
	if errors.As(err, &s) {
		return s.code
	}
	name := "deploysim"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	msg := strings.TrimSpace(err.Error())
	if i := strings.Index(msg, "\n"); i >= 0 && strings.HasPrefix(msg, "unknown command") {
		msg = msg[:i] // cobra's suggestions follow on further lines
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	return exitCode(err)
}

// recordingWriter remembers the first write error, so that output lost to a
// full disk or a closed pipe (cobra's help ignores write errors) still
// ends in a non-zero exit status.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

// newRootCmd builds the deploysim command with every subcommand.
func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "deploysim",
		Short: "Simulate progressive deployments: blast radius, rollback latency, false rollbacks, duration",
		Long: `deploysim simulates progressive deployments (CodeDeploy/Lambda, Argo Rollouts,
Flagger) and predicts, for each rollout strategy, how many requests and users a
bad release hurts before it is rolled back, how long detection and rollback
take, and how often a healthy release is rolled back anyway.

Flags may come before or after the arguments, with one or two dashes
(-runs = --runs); "--" ends them. Exit status: 0 success, 1 a CI gate
failed, 2 the command could not run (one line on stderr says why), 130
interrupted.`,
		Example: `  deploysim compare
  deploysim compare --rps 1 -o markdown
  deploysim evaluate template.yaml -n 50
  deploysim completion bash > /etc/bash_completion.d/deploysim`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q (run \"deploysim help\")", clip(args[0]))
			}
			return nil
		},
		// With no command, print the help to stderr and exit 2: the
		// invocation did nothing a script asked for.
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(s.err)
			_ = cmd.Help()
			return &silentError{exitBadInput}
		},
	}
	s.progress = new(string)
	root.PersistentFlags().StringVar(s.progress, "progress", "auto", "`WHEN` to show progress on stderr: auto (on a terminal), always (a line every few seconds when not a terminal) or never")
	registerCompletions(root)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetVersionTemplate("deploysim {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.CompletionOptions.HiddenDefaultCmd = false
	root.AddCommand(
		newCompareCmd(s),
		newSweepCmd(s),
		newMergeCmd(s),
		newPlotCmd(s),
		newEvaluateCmd(s),
		newPresetsCmd(s),
		newReportCmd(s),
		newRecommendCmd(s),
		newCalibrateCmd(s),
		newSchemaCmd(s),
	)
	root.SetHelpCommand(newHelpCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// cobra's completion command prints its help for a shell it
			// does not know, and exits 0; a script asking for tcsh
			// should learn that it got nothing.
			c.Args = cobra.ArbitraryArgs
			// Every command's help shows how it is called; cobra's
			// generated one had none.
			c.Example = `  source <(deploysim completion bash)
  deploysim completion zsh > "${fpath[1]}/_deploysim"
  deploysim completion fish > ~/.config/fish/completions/deploysim.fish
  deploysim completion powershell | Out-String | Invoke-Expression`
			c.RunE = func(_ *cobra.Command, args []string) error {
				if len(args) == 0 {
					return fmt.Errorf("want a shell: bash, zsh, fish or powershell")
				}
				return fmt.Errorf("unknown shell %q: want bash, zsh, fish or powershell", clip(args[0]))
			}
		}
	}
	return root
}

// newHelpCmd is `deploysim help [COMMAND]`: cobra's, except that an
// unknown command is an error (exit 2), not a help page.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, sub := range c.Root().Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return fmt.Errorf("unknown command %q (run \"deploysim help\")", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}

// noArgs refuses positional arguments, naming the first.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", clip(args[0]))
	}
	return nil
}

// version is the module version and the VCS revision and time the binary
// was built from (runtime/debug.ReadBuildInfo), then the Go version:
// "v0.3.0 go1.26.1" for a tagged `go install`; for a build in a git clone,
// "v0.0.0-20261203142204-a2acf2345d8f (revision a2acf2345d8f,
// 2026-12-03T14:22:04Z, modified) go1.26.1", "modified" when it had local
// changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var vcs []string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			vcs = append([]string{"revision " + s.Value[:min(12, len(s.Value))]}, vcs...)
		case "vcs.time":
			vcs = append(vcs, s.Value)
		case "vcs.modified":
			if s.Value == "true" {
				vcs = append(vcs, "modified")
			}
		}
	}
	if len(vcs) > 0 {
		v += " (" + strings.Join(vcs, ", ") + ")"
	}
	return v + " " + bi.GoVersion
}

// singleDashLongFlags rewrites "-runs 5" as "--runs 5": Go's flag package,
// which deploysim used before cobra, took long flags with one dash, and
// scripts written then keep working. Only a known flag of the command is
// rewritten (so "-n5" stays the shorthand -n with 5), and nothing after
// "--" or in a flag's value.
func singleDashLongFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	takesValue := func(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal == "" }
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if !hasValue && takesValue(lookup(name)) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case len(a) > 2 && a[0] == '-':
			name, _, hasValue := strings.Cut(a[1:], "=")
			f := lookup(name)
			if f == nil {
				continue // shorthands, "-n5", or not a flag: pflag's to read
			}
			out[len(out)-1] = "-" + a
			if !hasValue && takesValue(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case len(a) == 2 && a[0] == '-':
			if f := cmd.Flags().ShorthandLookup(a[1:]); takesValue(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		}
	}
	return out
}
