package chart

import (
	"bytes"
	"fmt"
	"github.com/deploysim/deploysim/internal/atomicfile"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Default size of a figure: readable on a page and in a slide.
const (
	DefaultWidth  = 9 * vg.Inch
	DefaultHeight = 5 * vg.Inch
)

// Figure is one image: its panels stacked top to bottom on a shared width,
// their data areas aligned, each legend drawn to the right of its panel's
// data (never over it), and titles wrapped to the width they have.
type Figure struct {
	Panels []*plot.Plot
	// Width and Height of the image; 0 means DefaultWidth, DefaultHeight.
	Width, Height vg.Length
}

// NewFigure returns a figure of the given panels at the default size.
func NewFigure(panels ...*plot.Plot) *Figure { return &Figure{Panels: panels} }

// check reports why f cannot be drawn: nil, no panel, or a nil panel.
// Draw and Layout draw nothing for such a figure; WriterTo, Save, SVG and
// PNG return the error rather than a blank image.
func (f *Figure) check() error {
	switch {
	case f == nil:
		return fmt.Errorf("the Figure is nil")
	case len(f.Panels) == 0:
		return fmt.Errorf("Figure.Panels is empty: nothing to draw")
	}
	for i, p := range f.Panels {
		if p == nil {
			return fmt.Errorf("Figure.Panels[%d] is nil", i)
		}
	}
	return nil
}

func (f *Figure) size() (vg.Length, vg.Length) {
	w, h := f.Width, f.Height
	if w <= 0 {
		w = DefaultWidth
	}
	if h <= 0 {
		h = DefaultHeight
	}
	return w, h
}

// legendGap separates a panel's data from its legend.
const legendGap = 6 * vg.Millimeter

// LegendWidth is the width the widest legend of the figure's panels takes
// on canvas c, gap included; 0 when no panel has a legend entry.
func (f *Figure) LegendWidth(c draw.Canvas) vg.Length {
	if f.check() != nil {
		return 0
	}
	var w vg.Length
	for _, p := range f.Panels {
		if r := p.Legend.Rectangle(c); r.Size().X > 0 && r.Size().Y > 0 {
			w = max(w, r.Size().X+legendGap)
		}
	}
	// A legend wider than half the image leaves no room for data: the
	// labels are cut by the canvas instead.
	return min(w, (c.Max.X-c.Min.X)/2)
}

// PanelLayout is where one panel of a figure is drawn: its data area and
// its legend's box (empty when it has no legend entry).
type PanelLayout struct {
	Data, Legend vg.Rectangle
}

// Layout is where Draw puts each panel's data and legend on c, with titles
// wrapped as Draw wraps them. Tests check it: legends beside the data, not on it.
func (f *Figure) Layout(c draw.Canvas) []PanelLayout {
	var out []PanelLayout
	f.draw(c, func(p *plot.Plot, pc draw.Canvas, l plot.Legend, lc draw.Canvas) {
		pl := PanelLayout{Data: p.DataCanvas(pc).Rectangle}
		if r := l.Rectangle(lc); r.Size().X > 0 {
			pl.Legend = vg.Rectangle{Min: vg.Point{X: lc.Min.X, Y: lc.Max.Y - r.Size().Y}, Max: vg.Point{X: lc.Min.X + r.Size().X, Y: lc.Max.Y}}
		}
		out = append(out, pl)
	})
	return out
}

// Draw draws the figure on c.
func (f *Figure) Draw(c draw.Canvas) {
	f.draw(c, func(p *plot.Plot, pc draw.Canvas, l plot.Legend, lc draw.Canvas) {
		p.Draw(pc)
		l.Draw(lc)
	})
}

// draw lays the figure out on c and calls do for each panel with its canvas,
// its legend (moved out of the plot) and the legend's canvas.
func (f *Figure) draw(c draw.Canvas, do func(p *plot.Plot, pc draw.Canvas, l plot.Legend, lc draw.Canvas)) {
	if f.check() != nil {
		return
	}
	lw := f.LegendWidth(c)
	plotArea := c
	plotArea.Max.X -= lw
	legends := make([]plot.Legend, len(f.Panels))
	titles := make([][3]string, len(f.Panels))
	width := plotArea.Max.X - plotArea.Min.X
	// A rotated y-axis title longer than its panel is tall makes gonum
	// shrink the data area to fit it: wrap it to most of the panel height.
	height := (plotArea.Max.Y - plotArea.Min.Y) / vg.Length(len(f.Panels)) * 0.8
	for i, p := range f.Panels {
		legends[i], titles[i] = p.Legend, [3]string{p.Title.Text, p.X.Label.Text, p.Y.Label.Text}
		p.Title.Text = WrapTitle(p.Title.TextStyle, p.Title.Text, width)
		p.X.Label.Text = WrapTitle(p.X.Label.TextStyle, p.X.Label.Text, width*0.9)
		p.Y.Label.Text = WrapTitle(p.Y.Label.TextStyle, p.Y.Label.Text, height)
		p.Legend = plot.NewLegend()
	}
	defer func() {
		for i, p := range f.Panels {
			p.Legend = legends[i]
			p.Title.Text, p.X.Label.Text, p.Y.Label.Text = titles[i][0], titles[i][1], titles[i][2]
		}
	}()
	plots := make([][]*plot.Plot, len(f.Panels))
	for i, p := range f.Panels {
		plots[i] = []*plot.Plot{p}
	}
	cs := plot.Align(plots, draw.Tiles{Rows: len(f.Panels), Cols: 1, PadY: vg.Millimeter * 2}, plotArea)
	for i, p := range f.Panels {
		// The legend's top aligns with the top of the panel's data.
		data := p.DataCanvas(cs[i][0])
		lc := c
		lc.Min.X, lc.Max.X = plotArea.Max.X+legendGap, c.Max.X
		lc.Min.Y, lc.Max.Y = cs[i][0].Min.Y, data.Max.Y
		l := legends[i]
		l.Top, l.Left, l.XOffs, l.YOffs = true, true, 0, 0
		if lw == 0 {
			l = plot.NewLegend()
		}
		do(p, cs[i][0], l, lc)
	}
}

// WriterTo renders the figure in format ("png", "svg", "pdf", "eps", …).
func (f *Figure) WriterTo(format string) (io.WriterTo, error) {
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	w, h := f.size()
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return nil, err
	}
	f.Draw(draw.New(c))
	return c, nil
}

// Save writes the figure to file, in the format its extension names; a
// failed write leaves the previous file as it was.
func (f *Figure) Save(file string) error {
	if err := f.check(); err != nil {
		return fmt.Errorf("chart: %s: %w", file, err)
	}
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(file), "."))
	wt, err := f.WriterTo(format)
	if err != nil {
		return fmt.Errorf("chart: %s: %w", file, err)
	}
	// Through a temporary file: a failed write keeps the previous chart.
	if err := atomicfile.Write(file, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// SVG renders the figure as an SVG element to embed in an HTML page: the
// XML declaration is dropped, and the fixed size gives way to width 100 %
// (the viewBox keeps the proportions), so the chart scales with the page
// and prints; the font falls back to its metric twin, Times New Roman.
func (f *Figure) SVG() ([]byte, error) {
	wt, err := f.WriterTo("svg")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, err
	}
	s := b.Bytes()
	if i := bytes.Index(s, []byte("<svg")); i >= 0 {
		s = s[i:]
	}
	// gonum names the font it measured text with, Liberation Serif, which
	// few readers have installed; Times New Roman has the same metrics, so
	// naming it next keeps legends and labels the width they were laid out at.
	s = bytes.ReplaceAll(s, []byte("font-family:Liberation Serif;"), []byte("font-family:'Liberation Serif','Times New Roman',Times,serif;"))
	w, h := f.size()
	old := fmt.Sprintf(`width="%gpt" height="%gpt"`, w.Points(), h.Points())
	if bytes.Contains(s, []byte(old)) {
		s = bytes.Replace(s, []byte(old), []byte(`width="100%" role="img"`), 1)
	}
	return s, nil
}

// PNG renders the figure as PNG at dpi dots per inch.
func (f *Figure) PNG(dpi int) ([]byte, error) {
	// vgimg panics on a DPI below 1: an argument's error, returned.
	if dpi <= 0 {
		return nil, fmt.Errorf("chart: PNG dpi = %d: must be > 0", dpi)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	w, h := f.size()
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	f.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WrapTitle breaks text into lines no wider than width in style sty,
// between words; a word wider than width keeps a line of its own.
// A nil sty cannot measure: text is returned as it is.
func WrapTitle(sty interface{ Width(string) vg.Length }, text string, width vg.Length) string {
	if text == "" || sty == nil || sty.Width(text) <= width {
		return text
	}
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			switch {
			case line == "":
				line = w
			case sty.Width(line+" "+w) <= width:
				line += " " + w
			default:
				lines = append(lines, line)
				line = w
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
