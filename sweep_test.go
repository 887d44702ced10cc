package deploysim

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// Grid crosses strategies, policies and axes in order, last axis fastest,
// and each point keeps the strategy and policy values it was made from.
func TestGrid(t *testing.T) {
	ss := []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes, strategy.AllAtOnce{}}
	slow := DefaultAlarm()
	slow.EvaluationPeriods, slow.DatapointsToAlarm = 3, 3
	ps := []rollback.Policy{rollback.CodeDeploy(DefaultAlarm()), rollback.CodeDeploy(slow)}
	rps := Vary("rps", []float64{1, 10, 100}, func(sc *sim.Scenario, v float64) { sc.Workload = sim.Poisson{Rate: v} })
	g := Grid(ss, ps, rps)
	if len(g) != 2*2*3 {
		t.Fatalf("%d points, want 12", len(g))
	}
	if !reflect.DeepEqual(g[0].Strategy, ss[0]) || !reflect.DeepEqual(g[11].Strategy, ss[1]) || !reflect.DeepEqual(g[3].Policy, ps[1]) {
		t.Errorf("order: %v / %v / %v", g[0].Strategy, g[11].Strategy, g[3].Policy)
	}
	if got := g[4].Params; len(got) != 2 || got[0].Name != "policy" || got[1] != (metrics.Param{Name: "rps", Value: "10"}) {
		t.Errorf("g[4].Params = %v", got)
	}
	sc := g[4].Scenario(DefaultScenario())
	if w, ok := sc.Workload.(sim.Poisson); !ok || w.Rate != 10 {
		t.Errorf("g[4]'s scenario workload %v, want Poisson 10", sc.Workload)
	}
	if !reflect.DeepEqual(sc.Policy, ps[1]) || !reflect.DeepEqual(sc.Strategy, ss[0]) {
		t.Errorf("g[4]'s scenario has policy %v, strategy %v", sc.Policy, sc.Strategy)
	}
	// Changes of one point do not leak into its neighbours.
	if w := g[5].Scenario(DefaultScenario()).Workload.(sim.Poisson); w.Rate != 100 {
		t.Errorf("g[5] rate %v, want 100", w.Rate)
	}
}

// A sweep's row equals Compare's for the same strategy and scenario (same
// seeds), and its table carries the grid coordinates.
func TestSweepMatchesCompare(t *testing.T) {
	ctx := context.Background()
	sc := DefaultScenario()
	sc.Workload = sim.Poisson{Rate: 10}
	sc.Horizon = 30 * time.Minute
	sc.Fault.ErrorProb = 0.05 // the value the grid's one point sets again
	ss := []strategy.Strategy{strategy.LambdaCanary10Percent5Minutes}
	res, err := Sweep(ctx, sc, Grid(ss, nil, Vary("error_prob", []float64{0.05}, func(sc *sim.Scenario, v float64) { sc.Fault.ErrorProb = v })), 20, EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := Compare(ctx, sc, ss, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, want := res.Rows[0].Summary.Value(metrics.CandidateFailures), tab.Rows[0].Summary.Value(metrics.CandidateFailures)
	if got != want {
		t.Errorf("sweep mean failures %v, Compare %v", got, want)
	}
	if rt := res.Table(); rt.Rows[0].Label != "Canary10Percent5Minutes" || len(rt.Rows[0].Params) != 1 || rt.Rows[0].Params[0].Value != "0.05" {
		t.Errorf("table row %q %v", rt.Rows[0].Label, rt.Rows[0].Params)
	}
}

func TestSweepErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Sweep(ctx, DefaultScenario(), []GridPoint{{}}, 1, EstimateOptions{})
	if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "points[0].Strategy") {
		t.Errorf("nil strategy: %v", err)
	}
	_, err = Sweep(ctx, DefaultScenario(), Grid([]strategy.Strategy{strategy.AllAtOnce{}}, nil), 0, EstimateOptions{})
	if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "runs = 0") {
		t.Errorf("runs 0: %v", err)
	}
	bad := Vary("rps", []float64{-1}, func(sc *sim.Scenario, v float64) { sc.Workload = sim.Poisson{Rate: v} })
	_, err = Sweep(ctx, DefaultScenario(), Grid([]strategy.Strategy{strategy.AllAtOnce{}}, nil, bad), 1, EstimateOptions{})
	if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "rps -1") {
		t.Errorf("bad rate: %v", err)
	}
}
