package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// compare --help describes the scenario that compare with no flags runs: the
// rate and the regression it quotes are those the JSON output reports as
// effective. The help once said 100 req/s and 5 % after the defaults moved
// to 5 req/s and 2 %.
func TestCompareHelpQuotesTheDefaults(t *testing.T) {
	out := mustRun(t, "compare", "-n", "1", "-s", "AllAtOnce", "-o", "json")
	var got struct {
		Scenario struct {
			RPS       float64 `json:"rps"`
			ErrorRate float64 `json:"error_rate"`
			Baseline  float64 `json:"baseline_error_rate"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	help := strings.Join(strings.Fields(mustRun(t, "compare", "--help")), " ")
	for _, want := range []string{
		fmt.Sprintf("%g req/s of Poisson traffic", got.Scenario.RPS),
		fmt.Sprintf("fails an extra %g%%", 100*got.Scenario.ErrorRate),
		fmt.Sprintf("both versions fail %g%%", 100*got.Scenario.Baseline),
	} {
		if !strings.Contains(help, want) {
			t.Errorf("compare --help lacks %q (the effective default)", want)
		}
	}
}
