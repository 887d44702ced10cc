// Package evaluate holds the sample template the README points
// `deploysim evaluate` at; this test keeps it readable by the library.
package evaluate_test

import (
	"testing"

	"github.com/deploysim/deploysim/manifest"
)

// The sample declares two gradual deployments: OrdersFn, a 5-minute canary
// watched by one alarm with a pre-traffic hook, and PaymentsFn, a linear
// rollout nothing watches.
func TestSampleTemplate(t *testing.T) {
	files, err := manifest.ReadFiles("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds := files[0].Deployables
	if len(ds) != 2 {
		t.Fatalf("%d deployables, want 2", len(ds))
	}
	orders, payments := ds[0], ds[1]
	if orders.Name != "OrdersFn" || orders.Strategy == nil || orders.Strategy.Name() != "Canary10Percent5Minutes" || len(orders.Alarms) != 1 || orders.PreTrafficHook == "" {
		t.Errorf("OrdersFn read as %+v", orders)
	}
	if payments.Name != "PaymentsFn" || payments.Strategy == nil || payments.Strategy.Name() != "Linear10PercentEvery1Minute" || payments.Policy != nil {
		t.Errorf("PaymentsFn read as %+v", payments)
	}
}
