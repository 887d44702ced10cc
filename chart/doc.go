// Package chart draws deploysim's four charts with gonum/plot, as *plot.Plot
// values a caller can still adjust (titles, ranges, colours) before saving:
//
//   - Weights: the candidate's share of traffic over time, per strategy or per
//     run, with the instant a rollback put it back at 0;
//   - Alarm: one run's metric period by period against the alarm's threshold,
//     with AlarmFigure stacking the run's weight under it on the same time axis;
//   - Failures: the distribution over runs of a figure (failed requests by
//     default) per strategy, on a logarithmic axis that keeps 60 and 36,000
//     apart;
//   - Pareto: every strategy's mean of one figure against another, the
//     front joined, labels placed so that none overlaps another or a point.
//
// The choices that make a chart read are made here once, for every caller:
// axis titles are words with units (Quantity), tick labels carry as many
// decimals as their spacing needs and thousands separators (Ticks), periods
// with no datapoint are gaps rather than zeros, strategies whose curves are
// identical share one legend entry, and a Figure draws each legend beside
// its data instead of over it and wraps titles to the width they have.
// Save a chart with Figure.Save or Figure.WriterTo (PNG, SVG, PDF …); a
// *plot.Plot saved directly still works but keeps gonum's legend inside the
// data area.
package chart
