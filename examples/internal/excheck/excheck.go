// Package excheck holds what the examples' tests check in common: that a
// chart an example wrote is a real PNG or SVG file, and that a table it
// printed has the columns and rows the example promises. It is internal to
// the examples: nothing a library user needs.
package excheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PNG fails t unless path is a valid PNG chart (see CheckPNG).
func PNG(t testing.TB, path string) {
	t.Helper()
	if err := CheckPNG(path); err != nil {
		t.Error(err)
	}
}

// SVG fails t unless path is a valid SVG chart (see CheckSVG).
func SVG(t testing.TB, path string) {
	t.Helper()
	if err := CheckSVG(path); err != nil {
		t.Error(err)
	}
}

// CheckPNG reports an error unless path is a PNG image that image/png
// decodes, of at least 100×100 pixels (a chart, not a placeholder).
func CheckPNG(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("chart %s: not a PNG: %w", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		return fmt.Errorf("chart %s: %dx%d pixels, want at least 100x100", path, b.Dx(), b.Dy())
	}
	return nil
}

// CheckSVG reports an error unless path starts with an XML declaration or
// an <svg> element, parses as well-formed XML to the end, and has an <svg>
// root element.
func CheckSVG(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	trimmed := bytes.TrimSpace(b)
	if !bytes.HasPrefix(trimmed, []byte("<?xml")) && !bytes.HasPrefix(trimmed, []byte("<svg")) {
		return fmt.Errorf("chart %s: starts with %q, want <?xml or <svg", path, trimmed[:min(len(trimmed), 20)])
	}
	if err := wellFormed(b); err != nil {
		return fmt.Errorf("chart %s: %w", path, err)
	}
	return nil
}

// wellFormed decodes every token of an SVG document and checks that its root
// element is svg.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		return fmt.Errorf("root element %q, want svg", root)
	}
	return nil
}

// Charts checks that outDir holds name.png and name.svg, both valid.
func Charts(t testing.TB, outDir string, names ...string) {
	t.Helper()
	for _, n := range names {
		PNG(t, outDir+"/"+n+".png")
		SVG(t, outDir+"/"+n+".svg")
	}
}

// Table returns the lines of the first table in out whose header line holds
// every one of columns (as substrings, in that order), up to the first blank
// line after it. It fails t when no line is such a header or the table has
// no row.
func Table(t testing.TB, out string, columns ...string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !inOrder(l, columns) {
			continue
		}
		var rows []string
		for _, r := range lines[i+1:] {
			if strings.TrimSpace(r) == "" {
				break
			}
			rows = append(rows, r)
		}
		if len(rows) == 0 {
			t.Errorf("table with columns %q has no rows", columns)
		}
		return rows
	}
	t.Errorf("no table with columns %q in output:\n%s", columns, out)
	return nil
}

// inOrder reports whether every column occurs in line, each after the
// previous one.
func inOrder(line string, columns []string) bool {
	rest := line
	for _, c := range columns {
		i := strings.Index(rest, c)
		if i < 0 {
			return false
		}
		rest = rest[i+len(c):]
	}
	return true
}

// Row returns the first of rows whose whitespace-separated fields begin with
// fields, and fails t when there is none.
func Row(t testing.TB, rows []string, fields ...string) []string {
	t.Helper()
	for _, r := range rows {
		f := strings.Fields(r)
		if len(f) < len(fields) {
			continue
		}
		match := true
		for i, want := range fields {
			if f[i] != want {
				match = false
				break
			}
		}
		if match {
			return f
		}
	}
	t.Errorf("no row starting with %q among:\n%s", fields, strings.Join(rows, "\n"))
	return nil
}

// Page checks the notebook page an example writes in dir (README.md): a
// question, at least one section, a conclusion, no fmt verb left unfilled
// ("%!"), and every image it links written beside it.
func Page(t testing.TB, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Errorf("notebook page: %v", err)
		return
	}
	md := string(b)
	for _, want := range []string{"**Question.**", "\n## ", "## Conclusion"} {
		if !strings.Contains(md, want) {
			t.Errorf("notebook page lacks %q", want)
		}
	}
	if strings.Contains(md, "%!") {
		t.Errorf("notebook page has an unfilled format verb: %q", md[strings.Index(md, "%!"):min(len(md), strings.Index(md, "%!")+40)])
	}
	for rest := md; ; {
		i := strings.Index(rest, "](")
		if i < 0 {
			break
		}
		rest = rest[i+2:]
		link := rest[:strings.IndexByte(rest, ')')]
		if strings.HasSuffix(link, ".png") {
			if _, err := os.Stat(filepath.Join(dir, link)); err != nil {
				t.Errorf("notebook page links %s: %v", link, err)
			}
		}
	}
}
