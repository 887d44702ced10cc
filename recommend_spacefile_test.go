package deploysim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

func TestParseSpaceFile(t *testing.T) {
	src := `# narrow the default space
presets: false
strategies: []
canary: {percents: [1, 5]}
linear: null
exponential: null
bake: [0s, 5m]
alarms:
  metrics: [Errors]
  dimensions: [candidate]
  periods: [60]
  thresholds: {Errors: [2, 3]}
  m_of_n: ["2/3"]
  treat_missing_data: [missing]
compare: []
sequential: [0.05]
search: {min_runs: 4, max_runs: 64}
`
	g, sp, err := ParseSpaceFile("space.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// canary keeps the default intervals (5, 10, 15, 30 min) for the
	// percents given: 2 × 4 strategies, each with and without a bake.
	if len(g.Canary.Intervals) != 4 || len(sp.Strategies) != 16 {
		t.Errorf("%d canary intervals, %d strategies; want 4 and 16", len(g.Canary.Intervals), len(sp.Strategies))
	}
	if !strategy.Equal(sp.Strategies[1], WithBake(strategy.Canary{Percent: 1, Interval: 5 * time.Minute}, 5*time.Minute)) {
		t.Errorf("strategy 1 = %s", sp.Strategies[1])
	}
	// 2 thresholds × 1 alarm shape, plus one sequential test.
	if len(sp.Policies) != 3 {
		t.Fatalf("%d policies, want 3", len(sp.Policies))
	}
	a := sp.Policies[0].(rollback.Alarms).Alarms[0]
	if a.Threshold != 2 || a.EvaluationPeriods != 3 || a.DatapointsToAlarm != 2 || a.TreatMissingData != rollback.TreatMissing {
		t.Errorf("alarm %+v", a)
	}
	if sp.MinRuns != 4 || sp.MaxRuns != 64 {
		t.Errorf("search %d..%d", sp.MinRuns, sp.MaxRuns)
	}
}

func TestParseSpaceFileErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"presets: true\nbogus: 1\n", "space.yaml:2: field bogus not found"},
		{"alarms:\n  periods: [60, 45]\n", "space.yaml:2: alarms.periods[1]: 45: must be 10, 20, 30"},
		{"alarms:\n  m_of_n: [\"3/2\"]\n", "space.yaml:2: alarms.m_of_n[0]: \"3/2\": must be M/N"},
		{"canary:\n  percents: [150]\n", "space.yaml:1: canary: "},
		{"strategies:\n  - Canary10Percent5Minutes\n  - Bogus\n", "space.yaml:3: strategies[1]: \"Bogus\""},
		{"bake: [300]\n", "space.yaml:1: "},
		{"sequential: [0.05, 2]\n", "space.yaml:1: sequential[1]: 2"},
		{"compare: [0.3]\n", "space.yaml:1: compare[0]: 0.3: must be a confidence"},
		{"alarms:\n  thresholds: {Erors: [1]}\n", "space.yaml:2: alarms.thresholds: \"Erors\": not a metric name"},
		{"search: {min_runs: 64, max_runs: 8}\n", "space.yaml:1: search: "},
		{"a: &x [1]\nb: *x\n", "space.yaml:"},
		{"- 1\n", "space.yaml:1: want a mapping"},
		{"", "space.yaml: empty space file"},
		{"presets: [\n", "space.yaml:"},
	} {
		_, _, err := ParseSpaceFile("space.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, sim.ErrInvalid) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: multi-line error %q", tc.src, err)
		}
	}
}

func FuzzParseSpaceFile(f *testing.F) {
	f.Add([]byte("presets: true\ncanary: {percents: [1], intervals: [5m]}\n"))
	f.Add([]byte("alarms:\n  m_of_n: [\"2/3\"]\n  thresholds: {Errors: [1]}\n"))
	f.Add([]byte("search: {min_runs: 1, max_runs: 2}\nbake: [1m]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, sp, err := ParseSpaceFile("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: must start with the file name and be one line", err)
			}
			return
		}
		if len(sp.Configurations()) > maxConfigurations {
			t.Fatalf("%d configurations accepted", len(sp.Configurations()))
		}
		if _, err := g.Space(); err != nil {
			t.Fatalf("grid accepted once, refused again: %v", err)
		}
	})
}
