package scenario_test

import (
	"bytes"
	"fmt"

	"github.com/deploysim/deploysim/scenario"
)

// Load a scenario file, check it, and build the simulator's scenario for
// each strategy it names.
func ExampleLoad() {
	f, err := scenario.Load("../examples/scenario.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	ss, err := f.ResolveStrategies()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range ss {
		sc, err := f.Scenario(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %v of %d runs, fault +%g%% errors\n", s.Name(), sc.Horizon, f.Runs, 100*sc.Fault.ErrorProb)
	}
	// Output:
	// Canary10Percent5Minutes: 2h0m0s of 100 runs, fault +5% errors
	// Linear10PercentEvery1Minute: 2h0m0s of 100 runs, fault +5% errors
	// AllAtOnce: 2h0m0s of 100 runs, fault +5% errors
}

// An alarm in the AWS CLI's Key=Value syntax, as deploysim's --alarm takes
// it; the fields left out take CloudWatch's defaults.
func ExampleParseAlarm() {
	a, err := scenario.ParseAlarm("MetricName=Errors,Threshold=5,Period=60")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := a.Rollback(0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Name, r.Metric, r.Statistic, r.Period, r.Threshold)
	_, err = scenario.ParseAlarm("MetricName=Errors,Threshold=five")
	fmt.Println(err)
	// Output:
	// alarm1 Errors Sum 1m0s 5
	// Threshold = "five": must be a finite number
}

// A file is written back as YAML that reads as the same settings.
func ExampleFile_Write() {
	f := scenario.Default()
	if err := f.Set("rps", "5"); err != nil {
		fmt.Println(err)
		return
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		fmt.Println(err)
		return
	}
	back, err := scenario.Decode("back.yaml", b.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.RPS, back.Horizon, back.Alarms[0].MetricName)
	// Output:
	// 5 2h0m0s ErrorRate
}
