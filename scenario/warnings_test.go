package scenario

import (
	"strings"
	"testing"

	"github.com/deploysim/deploysim/strategy"
)

// Each warning fires on its case and not on the default scenario, whose
// 2-hour horizon covers every preset and whose candidate is bad.
func TestWarnings(t *testing.T) {
	canary, _ := strategy.Parse("Canary10Percent5Minutes")
	all, _ := strategy.Parse("AllAtOnce")
	ss := []strategy.Strategy{canary, all}
	d := Default()
	if w := d.Warnings(strategy.LambdaPresets()); len(w) != 0 {
		t.Errorf("the default scenario warns: %q", w)
	}
	for _, c := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"horizon": "4m"}, "ends each run before the deployment of Canary10Percent5Minutes (5m0s) is complete"},
		{map[string]string{"horizon": "90s", "pre_traffic_hook": "0s"}, "is shorter than the first alarm datapoint can arrive (2m0s"},
		{map[string]string{"horizon": "6m", "pre_traffic_hook": "2m"}, "Canary10Percent5Minutes (7m0s)"},
		{map[string]string{"error_rate": "0"}, "--error-rate = 0 (a healthy candidate) with --horizon = 2h0m0s"},
		{map[string]string{"error_rate": "0", "baseline_error_rate": "0"}, ""},
		{map[string]string{"error_rate": "0", "horizon": "0"}, ""},
	} {
		f := Default()
		for k, v := range c.set {
			if err := f.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		w := strings.Join(f.Warnings(ss), "\n")
		if (c.want == "") != (w == "") || !strings.Contains(w, c.want) {
			t.Errorf("%v: warnings %q, want %q", c.set, w, c.want)
		}
	}
}
