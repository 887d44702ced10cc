package excheck

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckPNG: a real chart-sized PNG passes; a tiny one, a non-PNG and a
// missing file do not.
func TestCheckPNG(t *testing.T) {
	if err := CheckPNG(writePNG(t, 200, 150)); err != nil {
		t.Errorf("200x150 PNG: %v", err)
	}
	for name, p := range map[string]string{
		"tiny":    writePNG(t, 10, 10),
		"svg":     write(t, "x.png", "<svg/>"),
		"missing": filepath.Join(t.TempDir(), "none.png"),
	} {
		if CheckPNG(p) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCheckSVG: a well-formed SVG passes; a truncated one, another XML
// document and a PNG do not.
func TestCheckSVG(t *testing.T) {
	for _, ok := range []string{
		`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g/></svg>`,
		`<svg width="1"><path d="M0,0"/></svg>`,
	} {
		if err := CheckSVG(write(t, "x.svg", ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		`<?xml version="1.0"?><svg><g>`,      // truncated
		`<?xml version="1.0"?><html></html>`, // not an SVG
		"\x89PNG\r\n",                        // not XML
		`<svg><g></svg>`,                     // mismatched tags
	} {
		if CheckSVG(write(t, "x.svg", bad)) == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestInOrder checks the header match used by Table.
func TestInOrder(t *testing.T) {
	line := "strategy  rps  runs  detected"
	if !inOrder(line, []string{"strategy", "runs", "detected"}) {
		t.Error("columns in order: not matched")
	}
	if inOrder(line, []string{"runs", "strategy"}) {
		t.Error("columns out of order: matched")
	}
	if inOrder(line, []string{"strategy", "failures"}) {
		t.Error("missing column: matched")
	}
}
