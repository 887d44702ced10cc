// Package notebook is the command-line shell the examples share, so that
// each example's main.go holds only its narrative: the -out and -fast flags,
// the default output folder next to the example's source, and the exit on
// error.
package notebook

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Main parses -out (the folder charts are written to) and -fast (fastHelp
// says what it thins) and calls run with standard output; on error it prints
// "name: error" on standard error and exits with status 1.
func Main(name, fastHelp string, run func(w io.Writer, outDir string, fast bool) error) {
	out := flag.String("out", defaultOut(2), "folder the charts are written to")
	fast := flag.Bool("fast", false, fastHelp)
	flag.Parse()
	if err := run(os.Stdout, *out, *fast); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// defaultOut is out/ in the folder of the source file skip frames up the
// stack (the example's main.go) when that source is at hand (go run from the
// repository), else out/ in the working directory.
func defaultOut(skip int) string {
	if _, file, _, ok := runtime.Caller(skip); ok {
		if _, err := os.Stat(file); err == nil {
			return filepath.Join(filepath.Dir(file), "out")
		}
	}
	return "out"
}

// Save writes p as name.png and name.svg in outDir, width × height, and
// returns the two paths.
func Save(p *plot.Plot, outDir, name string, width, height vg.Length) ([]string, error) {
	var files []string
	for _, ext := range []string{".png", ".svg"} {
		f := filepath.Join(outDir, name+ext)
		if err := p.Save(width, height, f); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f, err)
		}
		files = append(files, f)
	}
	return files, nil
}
