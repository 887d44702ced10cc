package scenario

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// A negative zero typed by a user (--rps -0, "error_rate: -0.0",
// Threshold=-0) is read as 0: echoed back, it would print as "-0 req/s" in
// compare's header and "rps": -0 in its JSON, which reads as a bug.
func TestNegativeZeroIsZero(t *testing.T) {
	neg := func(x float64) bool { return x == 0 && math.Signbit(x) }

	c := Default()
	for _, key := range []string{"rps", "error_rate", "baseline_error_rate", "pre_traffic_catch", "post_traffic_catch", "users_exponent", "error_dispersion", "per_minute"} {
		if err := c.Set(key, "-0"); err != nil {
			t.Fatalf("Set(%s, -0): %v", key, err)
		}
	}
	if neg(c.RPS) || neg(c.ErrorRate) || neg(c.BaselineErrorRate) || neg(c.PreTrafficCatch) || neg(c.PostTrafficCatch) || neg(c.UsersExponent) || neg(c.ErrorDispersion) || neg(c.PerMinute[0]) {
		t.Errorf("Set kept a -0: %+v", c)
	}
	for _, key := range []string{"rps", "error_rate", "per_minute"} {
		s, _ := settingByKey(key)
		if got := s.Show(&c); got != "0" {
			t.Errorf("Show(%s) = %q after -0, want 0", key, got)
		}
	}

	doc := "rps: -0.0\nerror_rate: -0.0\nper_minute: [1, -0.0]\nalarms:\n  - MetricName: Errors\n    Threshold: -0.0\n"
	d, err := Decode("f.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if neg(d.RPS) || neg(d.ErrorRate) || neg(d.PerMinute[1]) || neg(*d.Alarms[0].Threshold) {
		t.Errorf("Decode(%q) kept a -0: rps %v, error_rate %v, per_minute %v, threshold %v", doc, d.RPS, d.ErrorRate, d.PerMinute, *d.Alarms[0].Threshold)
	}
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(&d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "-0") {
		t.Errorf("JSON of the decoded file has a -0: %s", b.String())
	}

	a, err := ParseAlarm("MetricName=Errors,Threshold=-0")
	if err != nil {
		t.Fatal(err)
	}
	if neg(*a.Threshold) || strings.Contains(a.String(), "Threshold=-0") {
		t.Errorf("ParseAlarm(Threshold=-0) = %s", a)
	}
}
