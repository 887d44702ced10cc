package manifest

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
)

func TestCompositeAndAPIGatewayAlarms(t *testing.T) {
	f, err := ReadFile("testdata/sam-composite-alarms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deployables) != 1 {
		t.Fatalf("%d deployables", len(f.Deployables))
	}
	d := f.Deployables[0]
	p, ok := d.Policy.(rollback.Composite)
	if !ok {
		t.Fatalf("policy %T, want rollback.Composite", d.Policy)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	// The rule's members under the names the rule uses; the stage latency
	// alarm watched directly, as Duration p99 > 1020 − 20 ms.
	var names []string
	for _, a := range p.Alarms.Alarms {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "LowTraffic,checkout-errors,StageLatency" {
		t.Errorf("member alarms %s", got)
	}
	lat := p.Alarms.Alarms[2]
	if lat.Metric != metrics.Duration || lat.Dimension != metrics.Alias || lat.Threshold != 1000 {
		t.Errorf("stage latency alarm %+v: want Duration of the alias > 1000", lat)
	}
	if got := strings.Join(p.Watch, ","); got != "checkout-errors-with-traffic,StageLatency" {
		t.Errorf("watched %s", got)
	}
	if p.Alarms.PollInterval != rollback.DefaultPollInterval {
		t.Errorf("poll interval %v, want CodeDeploy's", p.Alarms.PollInterval)
	}
	var warned bool
	for _, w := range d.Warnings {
		if strings.Contains(w.String(), "API Gateway overhead") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the API Gateway overhead in %v", d.Warnings)
	}
}

// A composite whose member is not in the template, or which refers to
// itself, is not modelled, with a warning; the metric alarms still are.
func TestCompositeNotModelled(t *testing.T) {
	data, err := os.ReadFile("testdata/sam-composite-alarms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, rule := range map[string]string{
		"unknown member": `'ALARM("elsewhere") OR ALARM("checkout-errors")'`,
		"itself":         `'ALARM("checkout-errors-with-traffic")'`,
	} {
		src := strings.Replace(string(data), `!Sub 'ALARM("checkout-errors") AND NOT ALARM(${LowTraffic})'`, rule, 1)
		f, err := Read(name+".yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := f.Deployables[0]
		if _, ok := d.Policy.(rollback.Composite); ok {
			t.Errorf("%s: modelled as a composite", name)
		}
		if len(d.Alarms) != 1 || d.Alarms[0].Name != "StageLatency" {
			t.Errorf("%s: alarms %v, want the stage latency alarm only", name, d.Alarms)
		}
		found := false
		for _, w := range d.Warnings {
			if strings.Contains(w.String(), "composite") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no warning in %v", name, d.Warnings)
		}
	}
}

// The workbook's burn-rate alert as a template declares it: four
// metric-math alarms and the composite pairing them.
func TestBurnRateTemplate(t *testing.T) {
	f, err := ReadFile("testdata/sam-burn-rate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := f.Deployables[0]
	p, ok := d.Policy.(rollback.Composite)
	if !ok {
		t.Fatalf("policy %T, want rollback.Composite; warnings %v", d.Policy, d.Warnings)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		period    time.Duration
		threshold float64
	}{"Burn1h": {time.Hour, 0.0144}, "Burn5m": {5 * time.Minute, 0.0144}, "Burn6h": {6 * time.Hour, 0.006}, "Burn30m": {30 * time.Minute, 0.006}}
	if len(p.Alarms.Alarms) != 4 {
		t.Fatalf("%d member alarms, want 4", len(p.Alarms.Alarms))
	}
	for _, a := range p.Alarms.Alarms {
		w, ok := want[a.Name]
		if !ok || a.Metric != metrics.ErrorRate || a.Dimension != metrics.Alias || a.Period != w.period || math.Abs(a.Threshold-w.threshold) > 1e-12 {
			t.Errorf("member %+v, want ErrorRate of the alias, period %v, threshold %v", a, w.period, w.threshold)
		}
	}
	if len(p.Watch) != 1 || p.Watch[0] != "api-burn-rate-page" {
		t.Errorf("watched %v", p.Watch)
	}
}
