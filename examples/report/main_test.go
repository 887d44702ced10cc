package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/deploysim/deploysim/examples/internal/excheck"
)

var update = flag.Bool("update", false, "rewrite the committed report.html, report.md and charts")

// svgBlock is one inline chart of the HTML page.
var svgBlock = regexp.MustCompile(`(?s)<svg.*?</svg>`)

// number is a decimal in an SVG attribute or path.
var number = regexp.MustCompile(`-?[0-9]+\.[0-9]+`)

// normalize keeps the page byte for byte outside its charts and, inside
// them, everything but the decimals of coordinates: a chart's geometry is
// float arithmetic that the compiler may fuse (FMA) on arm64 and not on
// amd64, so a path may differ in its last digit between machines while the
// simulation's numbers, which the text and the table quote, may not.
func normalize(b []byte) []byte {
	return svgBlock.ReplaceAllFunc(b, func(svg []byte) []byte {
		return number.ReplaceAll(svg, []byte("#"))
	})
}

// The committed example report is what the library writes today: the test
// regenerates it and compares (go test ./examples/report -update rewrites
// it). A report that drifts from the code fails here, not in a reader's
// hands.
func TestCommittedReportIsFresh(t *testing.T) {
	dir := t.TempDir()
	if *update {
		dir = "."
	}
	if err := write(io.Discard, dir); err != nil {
		t.Fatal(err)
	}
	if *update {
		return
	}
	for _, name := range []string{"report.html", "report.md"} {
		fresh, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (go test ./examples/report -update writes it)", err)
		}
		if name == "report.html" {
			fresh, committed = normalize(fresh), normalize(committed)
		}
		if !bytes.Equal(fresh, committed) {
			i := 0
			for i < len(fresh) && i < len(committed) && fresh[i] == committed[i] {
				i++
			}
			t.Errorf("examples/report/%s is stale from byte %d: committed %q, fresh %q; run go test ./examples/report -update", name, i, clip(committed[i:]), clip(fresh[i:]))
		}
	}
	// The committed charts the Markdown links are there and decode.
	for _, c := range []string{"weights", "alarm", "failures", "pareto"} {
		excheck.PNG(t, "report-s1-"+c+".png")
	}
}

func clip(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
