package rollback

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// Pattern symbols, as the CloudWatch user guide writes them: 0 a
// non-breaching datapoint, X a breaching one, - a missing one.
const (
	good = '0'
	bad  = 'X'
	gap  = '-'
)

// points turns a pattern ("0 - X - X", spaces ignored, oldest first) into
// datapoints for an alarm with threshold 1 and operator >=.
func points(pattern string) []Datapoint {
	var dps []Datapoint
	for _, c := range pattern {
		switch c {
		case good:
			dps = append(dps, Datapoint{Value: 0})
		case bad:
			dps = append(dps, Datapoint{Value: 2})
		case gap:
			dps = append(dps, Datapoint{Missing: true})
		}
	}
	return dps
}

func testAlarm(n, m int, md MissingData) Alarm {
	return Alarm{
		Name: "T", Metric: metrics.Errors, Dimension: metrics.Candidate,
		Statistic: metrics.Statistic{Kind: metrics.Sum}, Period: time.Minute,
		EvaluationPeriods: n, DatapointsToAlarm: m, Threshold: 1,
		Comparison: GreaterThanOrEqualToThreshold, TreatMissingData: md,
	}
}

// oracle is an independent reading of the CloudWatch user guide ("How alarm
// state is evaluated when data is missing") and its rule against premature
// ALARM, written as the guide tells it rather than as the package computes
// it: build the N datapoints that are evaluated, then decide.
//
//   - "If no data points in the evaluation range are missing [or] the number
//     of existing data points is >= Evaluation Periods, CloudWatch evaluates
//     the alarm based on the most recent [existing] data points."
//   - Otherwise "CloudWatch fills in the missing data points with the result
//     you specified ... any real data points in the evaluation range, no
//     matter when they were reported, are included ... uses missing data
//     points only as few times as possible."
//   - "the number of datapoints evaluated is equal to Evaluation Periods. If
//     fewer than Datapoints to Alarm are breaching, OK. Otherwise ALARM."
//   - missing: all missing → INSUFFICIENT_DATA; ignore: keep the state.
//   - Premature ALARM (missing and ignore): ALARM "because the oldest
//     evaluated data point is breaching and there aren't any non-breaching
//     data points", when that point is at least M periods old; "ignore"
//     keeps the state in that case (tables: "Retain current state").
//     Short of it, with no non-breaching point, the alarm has too little
//     data: INSUFFICIENT_DATA for missing, keep for ignore.
func oracle(pattern []byte, n, m int, md MissingData, current State) State {
	var existing []int // indices of real points, oldest first
	for i, c := range pattern {
		if c != gap {
			existing = append(existing, i)
		}
	}
	if len(existing) == 0 {
		return map[MissingData]State{TreatMissing: StateInsufficientData, TreatIgnore: current,
			TreatBreaching: StateAlarm, TreatNotBreaching: StateOK}[md]
	}
	// The evaluated datapoints: 'X', '0' or 'F' (a filled missing one).
	var evaluated []byte
	if len(existing) >= n {
		for _, i := range existing[len(existing)-n:] {
			evaluated = append(evaluated, pattern[i])
		}
	} else {
		for _, i := range existing {
			evaluated = append(evaluated, pattern[i])
		}
		for len(evaluated) < n {
			switch md {
			case TreatBreaching:
				evaluated = append(evaluated, bad)
			case TreatNotBreaching:
				evaluated = append(evaluated, good)
			default:
				evaluated = append(evaluated, 'F')
			}
		}
	}
	breaching, nonBreaching := 0, 0
	for _, c := range evaluated {
		switch c {
		case bad:
			breaching++
		case good:
			nonBreaching++
		}
	}
	if breaching >= m {
		return StateAlarm
	}
	if nonBreaching > 0 || len(existing) >= n || md == TreatBreaching || md == TreatNotBreaching {
		return StateOK
	}
	// Only breaching real points, fewer than M of them: missing / ignore.
	if md == TreatIgnore {
		return current
	}
	oldest := existing[0]
	if age := len(pattern) - oldest; age >= m {
		return StateAlarm
	}
	return StateInsufficientData
}

// patterns calls f with every pattern of length l over {0, X, -}.
func patterns(l int, f func([]byte)) {
	p := make([]byte, l)
	var rec func(i int)
	rec = func(i int) {
		if i == l {
			f(p)
			return
		}
		for _, c := range []byte{good, bad, gap} {
			p[i] = c
			rec(i + 1)
		}
	}
	rec(0)
}

var allMissing = []MissingData{TreatMissing, TreatNotBreaching, TreatBreaching, TreatIgnore}
var allStates = []State{StateInsufficientData, StateOK, StateAlarm}

// TestEvaluateExhaustive checks M-of-N logic on every datapoint pattern of
// the default range length N+2 (and, for N <= 3, of lengths N and N+4) for
// N <= 5, every M, every TreatMissingData and every current state.
func TestEvaluateExhaustive(t *testing.T) {
	checked := 0
	for n := 1; n <= 5; n++ {
		lengths := []int{n + 2}
		if n <= 3 {
			lengths = append(lengths, n, n+4)
		}
		for _, l := range lengths {
			for m := 1; m <= n; m++ {
				for _, md := range allMissing {
					a := testAlarm(n, m, md)
					a.EvaluationRange = l
					patterns(l, func(p []byte) {
						dps := points(string(p))
						for _, cur := range allStates {
							got, err := a.Evaluate(dps, cur)
							if err != nil {
								t.Fatal(err)
							}
							want := oracle(p, n, m, md, cur)
							checked++
							if got != want {
								t.Fatalf("%d of %d, %s, range %q, current %s: got %s, want %s", m, n, md, p, cur, got, want)
							}
						}
					})
				}
			}
		}
	}
	t.Logf("%d evaluations checked", checked)
}

// TestEvaluateUserGuideTables transcribes the two tables of the CloudWatch
// user guide, "How alarm state is evaluated when data is missing": a 3 of 3
// and a 2 of 3 alarm over the 5 most recent datapoints (oldest first).
func TestEvaluateUserGuideTables(t *testing.T) {
	const keep = "Retain current state"
	type row struct {
		pattern                                  string
		missing, ignore, breaching, notBreaching string
	}
	tables := []struct {
		m, n int
		rows []row
	}{
		{3, 3, []row{
			{"0 - X - X", "OK", "OK", "OK", "OK"},
			{"0 - - - -", "OK", "OK", "OK", "OK"},
			{"- - - - -", "INSUFFICIENT_DATA", keep, "ALARM", "OK"},
			{"0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
			{"- - - - X", "INSUFFICIENT_DATA", keep, "ALARM", "OK"},
			{"X - - - -", "ALARM", keep, "ALARM", "OK"},
		}},
		{2, 3, []row{
			{"0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"},
			{"0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"},
			{"0 - X - -", "OK", "OK", "ALARM", "OK"},
			{"- - - - 0", "OK", "OK", "ALARM", "OK"},
			{"- - - - X", "INSUFFICIENT_DATA", keep, "ALARM", "OK"},
		}},
	}
	for _, tb := range tables {
		for _, r := range tb.rows {
			for _, md := range allMissing {
				want := map[MissingData]string{TreatMissing: r.missing, TreatIgnore: r.ignore,
					TreatBreaching: r.breaching, TreatNotBreaching: r.notBreaching}[md]
				a := testAlarm(tb.n, tb.m, md)
				if a.RangeLength() != 5 {
					t.Fatalf("range length for N=3 is %d, the guide fetches 5", a.RangeLength())
				}
				for _, cur := range allStates {
					got, err := a.Evaluate(points(r.pattern), cur)
					if err != nil {
						t.Fatal(err)
					}
					w := want
					if w == keep {
						w = cur.String()
					}
					if got.String() != w {
						t.Errorf("%d of %d, %q, %s, current %s: got %s, want %s", tb.m, tb.n, r.pattern, md, cur, got, w)
					}
				}
			}
		}
	}
}

func TestComparisonOperators(t *testing.T) {
	// Threshold 5: values 4, 5, 6 around it.
	cases := []struct {
		c    Comparison
		want [3]bool
	}{
		{GreaterThanOrEqualToThreshold, [3]bool{false, true, true}},
		{GreaterThanThreshold, [3]bool{false, false, true}},
		{LessThanThreshold, [3]bool{true, false, false}},
		{LessThanOrEqualToThreshold, [3]bool{true, true, false}},
	}
	for _, tc := range cases {
		a := testAlarm(1, 1, TreatMissing)
		a.Threshold, a.Comparison = 5, tc.c
		for i, v := range []float64{4, 5, 6} {
			got, err := a.Evaluate([]Datapoint{{Value: v}}, StateOK)
			if err != nil {
				t.Fatal(err)
			}
			if (got == StateAlarm) != tc.want[i] {
				t.Errorf("%s: value %g gave %s", tc.c, v, got)
			}
			if tc.c.Breaches(math.NaN(), 5) {
				t.Errorf("%s: NaN breaches", tc.c)
			}
		}
	}
	// A NaN value counts as missing: alone in the range it is "all missing".
	a := testAlarm(1, 1, TreatMissing)
	if got, _ := a.Evaluate([]Datapoint{{Value: math.NaN()}}, StateOK); got != StateInsufficientData {
		t.Errorf("NaN datapoint: got %s, want INSUFFICIENT_DATA", got)
	}
}

func TestLowSampleCount(t *testing.T) {
	// [doc] 10/(1-p) for p >= 0.5: 1,000 for p99; 10/p below 0.5.
	for _, tc := range []struct{ p, want float64 }{{99, 1000}, {50, 20}, {90, 100}, {10, 100}, {99.9, 10000}} {
		if got := LowSampleThreshold(tc.p); math.Abs(got-tc.want) > 1e-6*tc.want {
			t.Errorf("LowSampleThreshold(%g) = %g, want %g", tc.p, got, tc.want)
		}
	}
	a := testAlarm(1, 1, TreatMissing)
	a.Metric, a.Statistic, a.Threshold = metrics.Duration, metrics.Statistic{Kind: metrics.Percentile, P: 99}, 100
	low := []Datapoint{{Value: 500, LowSample: true}}
	for _, cur := range allStates {
		a.EvaluateLowSampleCountPercentile = LowSampleIgnore
		if got, _ := a.Evaluate(low, cur); got != cur {
			t.Errorf("ignore, low sample, current %s: got %s", cur, got)
		}
		a.EvaluateLowSampleCountPercentile = LowSampleEvaluate
		if got, _ := a.Evaluate(low, cur); got != StateAlarm {
			t.Errorf("evaluate, low sample, current %s: got %s, want ALARM", cur, got)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := testAlarm(3, 2, TreatMissing)
	ok.Name = "ErrorsHigh"
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid alarm: %v", err)
	}
	for _, p := range []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, time.Hour} {
		a := ok
		a.Period = p
		if err := a.Validate(); err != nil {
			t.Errorf("Period %v: %v", p, err)
		}
	}
	cases := []struct {
		name string
		mod  func(*Alarm)
		want string
	}{
		{"M > N", func(a *Alarm) { a.EvaluationPeriods, a.DatapointsToAlarm = 3, 4 },
			`rollback: Alarm "ErrorsHigh".DatapointsToAlarm = 4: must be <= EvaluationPeriods (3)`},
		{"negative M", func(a *Alarm) { a.DatapointsToAlarm = -1 },
			`rollback: Alarm "ErrorsHigh".DatapointsToAlarm = -1: must be >= 1 (or 0 for EvaluationPeriods)`},
		{"N = 0", func(a *Alarm) { a.EvaluationPeriods = 0 },
			`rollback: Alarm "ErrorsHigh".EvaluationPeriods = 0: must be >= 1`},
		{"period 45s", func(a *Alarm) { a.Period = 45 * time.Second },
			`rollback: Alarm "ErrorsHigh".Period = 45s: must be 10s, 20s, 30s or a positive multiple of 60s`},
		{"period 90s", func(a *Alarm) { a.Period = 90 * time.Second },
			`rollback: Alarm "ErrorsHigh".Period = 1m30s: must be 10s, 20s, 30s or a positive multiple of 60s`},
		{"period 0", func(a *Alarm) { a.Period = 0 },
			`rollback: Alarm "ErrorsHigh".Period = 0s: must be 10s, 20s, 30s or a positive multiple of 60s`},
		{"over a day below 1h", func(a *Alarm) { a.Period, a.EvaluationPeriods, a.DatapointsToAlarm = 30*time.Minute, 49, 1 },
			`rollback: Alarm "ErrorsHigh".EvaluationPeriods = 49: EvaluationPeriods × Period (88200s) must be <= 86400s (1 day) when Period < 1h`},
		{"over 7 days", func(a *Alarm) { a.Period, a.EvaluationPeriods, a.DatapointsToAlarm = time.Hour, 169, 1 },
			`rollback: Alarm "ErrorsHigh".EvaluationPeriods = 169: EvaluationPeriods × Period (608400s) must be <= 604800s (7 days)`},
		{"NaN threshold", func(a *Alarm) { a.Threshold = math.NaN() },
			`rollback: Alarm "ErrorsHigh".Threshold = NaN: must be a finite number`},
		{"negative threshold", func(a *Alarm) { a.Threshold = -1 },
			`rollback: Alarm "ErrorsHigh".Threshold = -1: must be >= 0: Errors is never negative`},
		{"error rate in percent", func(a *Alarm) { a.Metric, a.Threshold = metrics.ErrorRate, 5 },
			`rollback: Alarm "ErrorsHigh".Threshold = 5: must be <= 1: ErrorRate is a fraction (write 0.05 for 5%)`},
		{"percentile 120", func(a *Alarm) { a.Statistic = metrics.Statistic{Kind: metrics.Percentile, P: 120} },
			`rollback: Alarm "ErrorsHigh".Statistic = p120: percentile must be in p0..p100`},
		{"percentile NaN", func(a *Alarm) { a.Statistic = metrics.Statistic{Kind: metrics.Percentile, P: math.NaN()} },
			`rollback: Alarm "ErrorsHigh".Statistic = pNaN: percentile must be in p0..p100`},
		{"unknown statistic", func(a *Alarm) { a.Statistic = metrics.Statistic{Kind: 9} },
			`rollback: Alarm "ErrorsHigh".Statistic = StatKind(9): must be Sum, SampleCount, Average, Minimum, Maximum or a percentile p0..p100`},
		{"unknown metric", func(a *Alarm) { a.Metric = 42 },
			`rollback: Alarm "ErrorsHigh".Metric = Metric(42): must be one of Invocations, Errors, Throttles, Duration, ConcurrentExecutions, ErrorRate`},
		{"unknown dimension", func(a *Alarm) { a.Dimension = 7 },
			`rollback: Alarm "ErrorsHigh".Dimension = Dimension(7): must be alias, candidate or baseline`},
		{"unknown operator", func(a *Alarm) { a.Comparison = 9 },
			`rollback: Alarm "ErrorsHigh".ComparisonOperator = Comparison(9): must be GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold`},
		{"unknown missing data", func(a *Alarm) { a.TreatMissingData = 9 },
			`rollback: Alarm "ErrorsHigh".TreatMissingData = MissingData(9): must be missing, notBreaching, breaching or ignore`},
		{"range shorter than N", func(a *Alarm) { a.EvaluationRange = 2 },
			`rollback: Alarm "ErrorsHigh".EvaluationRange = 2: must be 0 (EvaluationPeriods+2) or >= EvaluationPeriods (3)`},
		{"range over 7 days", func(a *Alarm) { a.Period, a.EvaluationRange = time.Minute, 10081 },
			`rollback: Alarm "ErrorsHigh".EvaluationRange = 10081: EvaluationRange × Period (604860s) must be <= 604800s (7 days)`},
		{"range of MaxInt (was a makeslice panic in Start)", func(a *Alarm) { a.Period, a.EvaluationRange = time.Minute, math.MaxInt },
			`rollback: Alarm "ErrorsHigh".EvaluationRange = 9223372036854775807: EvaluationRange × Period (5.5340232221128655e+20s) must be <= 604800s (7 days)`},
		{"no name", func(a *Alarm) { a.Name = "" },
			`rollback: Alarm.Name = "": must not be empty`},
	}
	for _, tc := range cases {
		a := ok
		tc.mod(&a)
		err := a.Validate()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, err, tc.want)
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error is not a *ConfigError", tc.name)
		}
		if _, err := a.Evaluate(points("XXXXX"), StateOK); err == nil {
			t.Errorf("%s: Evaluate accepted the bad alarm", tc.name)
		}
	}
	if _, err := ok.Evaluate(points("XX"), StateOK); err == nil || !strings.Contains(err.Error(), "at least EvaluationPeriods (3)") {
		t.Errorf("short range: got %v", err)
	}
}

func TestParsersRoundTrip(t *testing.T) {
	for c := Comparison(0); c < numComparisons; c++ {
		if got, err := ParseComparison(c.String()); err != nil || got != c {
			t.Errorf("ParseComparison(%q) = %v, %v", c, got, err)
		}
	}
	for m := MissingData(0); m < numMissingData; m++ {
		if got, err := ParseMissingData(m.String()); err != nil || got != m {
			t.Errorf("ParseMissingData(%q) = %v, %v", m, got, err)
		}
	}
	for s := State(0); s < numStates; s++ {
		if got, err := ParseState(s.String()); err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s, got, err)
		}
	}
	for l := LowSampleCount(0); l < numLowSample; l++ {
		if got, err := ParseLowSampleCount(l.String()); err != nil || got != l {
			t.Errorf("ParseLowSampleCount(%q) = %v, %v", l, got, err)
		}
	}
	// CloudWatch's exact spellings.
	want := map[string]string{
		"GreaterThanOrEqualToThreshold": GreaterThanOrEqualToThreshold.String(),
		"LessThanThreshold":             LessThanThreshold.String(),
		"notBreaching":                  TreatNotBreaching.String(),
		"INSUFFICIENT_DATA":             StateInsufficientData.String(),
	}
	for w, got := range want {
		if w != got {
			t.Errorf("String() = %q, want %q", got, w)
		}
	}
	if _, err := ParseMissingData("NotBreaching"); err == nil || err.Error() != `rollback: TreatMissingData = "NotBreaching": must be missing, notBreaching, breaching or ignore` {
		t.Errorf("ParseMissingData(NotBreaching): %v", err)
	}
	if _, err := ParseComparison(">="); err == nil {
		t.Error(`ParseComparison(">=") accepted`)
	}
}

// series builds a visible series with resolution res from per-period
// (invocations, errors) on the candidate dimension.
func series(res time.Duration, inv, errs []float64) *metrics.Series {
	s := &metrics.Series{Resolution: res, Periods: make([]metrics.Period, len(inv))}
	for i := range inv {
		d := &s.Periods[i].Dims[metrics.Candidate]
		d.Invocations, d.Errors = inv[i], errs[i]
		for k := 0; k < int(inv[i]); k++ {
			d.Duration.Add(float64(100 + k))
		}
	}
	return s
}

func TestRange(t *testing.T) {
	// 1-minute base periods, a 3-minute alarm period, N = 2: range of 4 periods.
	a := testAlarm(2, 2, TreatMissing)
	a.Period = 3 * time.Minute
	inv := []float64{10, 10, 10, 0, 0, 0, 10, 10, 10, 10, 10}
	errs := []float64{1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 8}
	full := series(time.Minute, inv, errs)

	// A 3-minute period slides (evaluated every minute): windows of 3 base
	// periods ending at the newest visible minute, stepping back 3 minutes.
	// At 12 min with 11 base periods visible (the 12th not yet ingested):
	// windows [8,11) = 6+7+8, [5,8) = 0+4+5, [2,5) = 3+0+0 (10 invocations:
	// real), [-1,2) = what the deployment published, 1+2.
	got, err := a.Range(full, 12*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Datapoint{{Value: 3}, {Value: 3}, {Value: 9}, {Value: 21}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("range at 12m: got %v, want %v", got, want)
	}
	// At 7 min with 7 visible: [4,7) = 0+0+4, [1,4) = 2+3+0, [-2,1) = 1,
	// [-5,-2) entirely before the deployment: missing.
	s := &metrics.Series{Resolution: time.Minute, Periods: full.Periods[:7]}
	got, _ = a.Range(s, 7*time.Minute, got)
	want = []Datapoint{{Missing: true}, {Value: 1}, {Value: 5}, {Value: 4}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("range at 7m: got %v, want %v", got, want)
	}
	// At 6 min, 6 visible: the window [3,6) has no invocations, missing.
	s.Periods = full.Periods[:6]
	got, _ = a.Range(s, 6*time.Minute, got)
	want = []Datapoint{{Missing: true}, {Missing: true}, {Value: 6}, {Missing: true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("range at 6m: got %v, want %v", got, want)
	}
	// On 5-minute base periods a 15-minute window moves by a base period:
	// at 22 min with 4 visible (errors 1, 2, 3, 4), [1,4) = 9, [-2,1) = 1,
	// [-5,-2) missing.
	d := testAlarm(1, 1, TreatMissing)
	d.Period = 15 * time.Minute
	five := series(5*time.Minute, []float64{10, 10, 10, 10}, []float64{1, 2, 3, 4})
	got, _ = d.Range(five, 22*time.Minute, nil)
	want = []Datapoint{{Missing: true}, {Value: 1}, {Value: 9}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("15-minute window on 5-minute data at 22m: got %v, want %v", got, want)
	}
	// A one-minute period keeps the periods aligned with the deployment
	// start, the newest ending at the evaluation instant: at 12 min with 11
	// visible, periods 8..11, the last not yet ingested.
	c := testAlarm(2, 2, TreatMissing)
	got, _ = c.Range(full, 12*time.Minute, nil)
	want = []Datapoint{{Value: 6}, {Value: 7}, {Value: 8}, {Missing: true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("1-minute range at 12m: got %v, want %v", got, want)
	}
	// A period the series resolution does not divide is an error.
	a.Period = 90 * time.Second
	if _, err := a.Range(full, 12*time.Minute, nil); err == nil {
		t.Error("Range accepted a period the resolution does not divide")
	}
	// Percentiles mark low-sample periods: 10 samples < 1,000 for p99.
	b := testAlarm(1, 1, TreatMissing)
	b.Metric, b.Statistic = metrics.Duration, metrics.Statistic{Kind: metrics.Percentile, P: 50}
	got, _ = b.Range(full, 2*time.Minute, nil)
	// Period 1 holds durations 100..109: the p50 (nearest rank 5) is 104
	// within the sketch's 1 %; 10 samples < 20 (10/(1-0.5)) is a low sample.
	last := got[len(got)-1]
	if last.Missing || math.Abs(last.Value-104) > 0.01*104 || !last.LowSample {
		t.Errorf("p50 datapoint: got %+v, want ≈104, LowSample", last)
	}
}

// TestEvaluateProperties (gopter): turning any datapoint of a range into a
// breaching one never moves ALARM to another state, and ranges with no
// breaching datapoint never alarm unless missing data is breaching.
func TestEvaluateProperties(t *testing.T) {
	params := gopter.DefaultTestParametersWithSeed(11)
	params.MinSuccessfulTests = 2000
	props := gopter.NewProperties(params)
	sym := gen.OneConstOf(byte(good), byte(bad), byte(gap))
	props.Property("more breaching keeps ALARM", prop.ForAll(
		func(p []byte, n, m, md, cur, at int) bool {
			n = n%5 + 1
			m = m%n + 1
			if len(p) < n {
				return true
			}
			a := testAlarm(n, m, MissingData(md%4))
			a.EvaluationRange = len(p)
			before, _ := a.Evaluate(points(string(p)), State(cur%3))
			q := append([]byte(nil), p...)
			q[at%len(q)] = bad
			after, _ := a.Evaluate(points(string(q)), State(cur%3))
			return before != StateAlarm || after == StateAlarm
		},
		gen.SliceOf(sym), gen.IntRange(0, 100), gen.IntRange(0, 100), gen.IntRange(0, 3), gen.IntRange(0, 2), gen.IntRange(0, 100),
	))
	props.Property("no breach, no ALARM (unless missing is breaching)", prop.ForAll(
		func(p []byte, n, m, md int) bool {
			n = n%5 + 1
			m = m%n + 1
			if len(p) < n {
				return true
			}
			for i := range p {
				if p[i] == bad {
					p[i] = good
				}
			}
			a := testAlarm(n, m, MissingData(md%4))
			a.EvaluationRange = len(p)
			st, _ := a.Evaluate(points(string(p)), StateOK)
			return st != StateAlarm || a.TreatMissingData == TreatBreaching
		},
		gen.SliceOf(sym), gen.IntRange(0, 100), gen.IntRange(0, 100), gen.IntRange(0, 3),
	))
	props.TestingRun(t)
}
