package strategy_test

import (
	"fmt"
	"time"

	"github.com/deploysim/deploysim/strategy"
)

// A canary moves its percentage at t0 and the rest after the interval.
func ExampleCanary() {
	c := strategy.Canary{Percent: 10, Interval: 5 * time.Minute}
	fmt.Println(c.Name())
	fmt.Println(c.Schedule())
	fmt.Println(c.Schedule().WeightAt(4 * time.Minute))
	// Output:
	// Canary10Percent5Minutes
	// 10% at 0s, 100% at 5m
	// 0.1
}

// A linear deployment shifts its first increment at t0; a percentage that
// does not divide 100 ends with a partial increment.
func ExampleLinear() {
	l := strategy.Linear{Percent: 30, Interval: time.Minute}
	fmt.Println(l.Name())
	fmt.Println(l.Schedule())
	fmt.Println(strategy.LambdaLinear10PercentEvery10Minutes.Schedule().Duration())
	// Output:
	// Linear30PercentEvery1Minute
	// 30% at 0s, 60% at 1m, 90% at 2m, 100% at 3m
	// 1h30m0s
}

// Parse reads the names users already write, and a compact form for the rest.
func ExampleParse() {
	for _, name := range []string{
		"Canary10Percent5Minutes",
		"CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
		"CodeDeployDefault.ECSAllAtOnce",
		"Steps:10%,5m,50%,10m",
		"Exponential:1%,x2,5m",
		"Canary120Percent5Minutes",
	} {
		s, err := strategy.Parse(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s → %v\n", s, s.Schedule())
	}
	// Output:
	// Canary10Percent5Minutes → 10% at 0s, 100% at 5m
	// Linear10PercentEvery1Minute → 10% at 0s, 20% at 1m, 30% at 2m, 40% at 3m, 50% at 4m, 60% at 5m, 70% at 6m, 80% at 7m, 90% at 8m, 100% at 9m
	// CodeDeployDefault.ECSAllAtOnce → 100% at 0s
	// Steps:10%,5m,50%,10m → 10% at 0s, 50% at 5m, 100% at 15m
	// Exponential:1%,x2,5m → 1% at 0s, 2% at 5m, 4% at 10m, 8% at 15m, 16% at 20m, 32% at 25m, 64% at 30m, 100% at 35m
	// strategy: parse "Canary120Percent5Minutes": Canary.Percent = 120: CodeDeploy needs a whole percent from 1 to 99
}

// Presets lists every predefined CodeDeploy configuration, Lambda then ECS.
func ExamplePresets() {
	for _, s := range strategy.Presets() {
		cd, _ := strategy.CodeDeployName(s)
		fmt.Printf("%-7v %s\n", s.Schedule().Duration(), cd)
	}
	// Output:
	// 5m0s    CodeDeployDefault.LambdaCanary10Percent5Minutes
	// 10m0s   CodeDeployDefault.LambdaCanary10Percent10Minutes
	// 15m0s   CodeDeployDefault.LambdaCanary10Percent15Minutes
	// 30m0s   CodeDeployDefault.LambdaCanary10Percent30Minutes
	// 9m0s    CodeDeployDefault.LambdaLinear10PercentEvery1Minute
	// 18m0s   CodeDeployDefault.LambdaLinear10PercentEvery2Minutes
	// 27m0s   CodeDeployDefault.LambdaLinear10PercentEvery3Minutes
	// 1h30m0s CodeDeployDefault.LambdaLinear10PercentEvery10Minutes
	// 0s      CodeDeployDefault.LambdaAllAtOnce
	// 5m0s    CodeDeployDefault.ECSCanary10Percent5Minutes
	// 15m0s   CodeDeployDefault.ECSCanary10Percent15Minutes
	// 9m0s    CodeDeployDefault.ECSLinear10PercentEvery1Minutes
	// 27m0s   CodeDeployDefault.ECSLinear10PercentEvery3Minutes
	// 0s      CodeDeployDefault.ECSAllAtOnce
}

// Steps writes an Argo Rollouts canary; the rollout is promoted when the steps end.
func ExampleSteps() {
	s := strategy.Steps{{SetWeight: 20}, {Pause: 10 * time.Minute}, {SetWeight: 60}, {Pause: 10 * time.Minute}}
	fmt.Println(s)
	fmt.Println(s.Schedule())
	// Output:
	// Steps:20%,10m,60%,10m
	// 20% at 0s, 60% at 10m, 100% at 20m
}
