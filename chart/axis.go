package chart

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/deploysim/deploysim/metrics"
)

// Ticks places ticks as gonum's default ticker does and labels them with
// the fewest decimals that tell the major ticks apart (0, 0.5, 1 or 0,
// 2,500, 5,000: never 2500.00), thousands separated by commas, and Suffix
// appended ("%").
type Ticks struct {
	Suffix string
}

// Ticks returns the ticks of the range [min, max]: one labelled tick at
// min when the range is a single value (min >= max), none when it is not
// finite (gonum's DefaultTicks panics on both).
func (t Ticks) Ticks(min, max float64) []plot.Tick {
	if math.IsNaN(min) || math.IsNaN(max) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	if min >= max {
		return []plot.Tick{{Value: min, Label: FormatNumber(min, Decimals([]float64{min})) + t.Suffix}}
	}
	ts := plot.DefaultTicks{}.Ticks(min, max)
	var major []float64
	for _, tk := range ts {
		if tk.Label != "" {
			major = append(major, tk.Value)
		}
	}
	dec := Decimals(major)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = FormatNumber(ts[i].Value, dec) + t.Suffix
		}
	}
	return ts
}

// Decimals is the fewest decimals (0 to 6) at which every value of vs is
// written exactly to within a millionth of the largest magnitude among them.
func Decimals(vs []float64) int {
	scale := 0.0
	for _, v := range vs {
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 {
		return 0
	}
	for d := 0; d < 6; d++ {
		p := math.Pow(10, float64(d))
		ok := true
		for _, v := range vs {
			if math.Abs(math.Round(v*p)/p-v) > 1e-6*scale {
				ok = false
				break
			}
		}
		if ok {
			return d
		}
	}
	return 6
}

// FormatNumber writes v with dec decimals and commas between thousands
// (12,345.5); -0 is written 0.
func FormatNumber(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}

// Log1p is the coordinate a logarithmic axis plots: log(1+v), so that 0
// stays on the axis beside 36,000. Charts plot Log1p of their values on a
// linear axis labelled by Log1pTicks, rather than setting a plot.LogScale:
// gonum places an axis title and its glyph boxes at the linear middle of
// the range, which on a non-linear scale pushes the title off the canvas
// and squeezes the data. A caller adjusting such an axis's Min or Max sets
// Log1p of the value it means.
func Log1p(v float64) float64 { return math.Log1p(v) }

// Log1pTicks labels an axis whose coordinates are Log1p of the values:
// major ticks at 0 and the powers of ten, minor ticks at their multiples
// 2…9, each labelled with the value (1,000), not the coordinate.
type Log1pTicks struct{}

// Ticks returns the ticks of the coordinate range [lo, hi].
func (Log1pTicks) Ticks(lo, hi float64) []plot.Tick {
	vlo, vhi := math.Expm1(lo), math.Expm1(hi)
	var ts []plot.Tick
	if vlo <= 0 && vhi >= 0 {
		ts = append(ts, plot.Tick{Value: 0, Label: "0"})
	}
	for e := 0; e <= 15; e++ {
		p := math.Pow(10, float64(e))
		if p > vhi {
			break
		}
		for m := 1; m <= 9; m++ {
			v := float64(m) * p
			if v < vlo || v > vhi {
				continue
			}
			tk := plot.Tick{Value: math.Log1p(v)}
			if m == 1 {
				tk.Label = FormatNumber(v, 0)
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// Quantity is how a chart shows one figure: an axis title in words with its
// unit, and the factor from the figure's unit (seconds, a fraction) to the
// axis's (minutes, percent).
type Quantity struct {
	Title string
	Scale float64
}

// QuantityOf is the axis of figure f: failures and users as counts, times in
// seconds (minutes for a deployment's duration and exposure, which run to
// hours), rates in percent.
func QuantityOf(f metrics.Figure) Quantity {
	switch f {
	case metrics.CandidateFailures:
		return Quantity{"failed requests per bad deployment", 1}
	case metrics.ExcessFailures:
		return Quantity{"failed requests above the baseline rate, per bad deployment", 1}
	case metrics.UsersHit:
		return Quantity{"users who saw a failure, per bad deployment", 1}
	case metrics.CandidateRequests:
		return Quantity{"requests the candidate served, per bad deployment", 1}
	case metrics.Exposure:
		return Quantity{"candidate exposure (weight × minutes)", 1.0 / 60}
	case metrics.TimeToDetect:
		return Quantity{"time from the fault to the rollback decision (s)", 1}
	case metrics.TimeToRollback:
		return Quantity{"time from the fault to the weight back at 0 (s)", 1}
	case metrics.DeployDuration:
		return Quantity{"time a good release takes to reach 100 % (min)", 1.0 / 60}
	case metrics.ThrottledRequests:
		return Quantity{"throttled requests per deployment", 1}
	case metrics.ColdStarts:
		return Quantity{"cold starts per deployment", 1}
	case metrics.LostEvents:
		return Quantity{"events lost for good per deployment", 1}
	case metrics.FailedAttempts:
		return Quantity{"failed attempts retried per deployment", 1}
	case metrics.DelayedMessages:
		return Quantity{"messages delayed by failed batches per deployment", 1}
	case metrics.DeadLettered:
		return Quantity{"events sent to a dead-letter queue per deployment", 1}
	case metrics.CandidateP99Latency:
		return Quantity{"candidate p99 latency (ms)", 1}
	case metrics.BaselineP99Latency:
		return Quantity{"baseline p99 latency (ms)", 1}
	case metrics.DetectionRate:
		return Quantity{"bad releases rolled back (%)", 100}
	case metrics.FalseRollbackRate:
		return Quantity{"good releases rolled back anyway (%)", 100}
	case metrics.MissRate:
		return Quantity{"bad releases not rolled back (%)", 100}
	}
	return Quantity{f.Label(), 1}
}

// newPlot is a plot with the package's text sizes: a legend and labels a
// notch smaller than gonum's defaults, so that a figure keeps most of its
// width for data.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	return p
}

// Log10 is the coordinate of a logarithmic axis over positive values, such
// as request rates from 0.01 to 10,000: plot Log10 of the values on a linear
// axis labelled by Log10Ticks (see Log1p for why not plot.LogScale).
func Log10(v float64) float64 { return math.Log10(v) }

// Log10Ticks labels an axis whose coordinates are Log10 of the values:
// major ticks at the powers of ten, labelled with the value (0.01, 1,
// 1,000), minor ticks at their multiples 2…9.
type Log10Ticks struct{}

// Ticks returns the ticks of the coordinate range [lo, hi].
func (Log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := int(math.Floor(lo)); float64(e) <= hi; e++ {
		for m := 1; m <= 9; m++ {
			c := float64(e) + float64(math.Log10(float64(m))) // converted: Log10's product is not fused into the sum on arm64
			if c < lo-1e-9 || c > hi+1e-9 {
				continue
			}
			tk := plot.Tick{Value: c}
			if m == 1 {
				tk.Label = FormatNumber(math.Pow(10, float64(e)), max(0, -e))
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// palette is Tableau 10: ten colours told apart on screen and in print,
// where gonum's plotutil palette repeats reds within its first six.
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

// Color is the i-th colour of the charts' palette (cycling after ten).
func Color(i int) color.Color { return palette[i%len(palette)] }
