package strategy

import "time"

// The predefined CodeDeploy deployment configurations for Lambda, in the order
// of CodeDeploy's table (docs/model.md, "CodeDeploy deployments and
// presets"). Each value's Name is its SAM DeploymentPreference.Type;
// CodeDeployName gives the CodeDeploy name. Treat them as constants.
var (
	// LambdaCanary10Percent5Minutes is CodeDeployDefault.LambdaCanary10Percent5Minutes
	// (SAM Canary10Percent5Minutes): 10 % at 0, 100 % at 5 min (docs/model.md).
	LambdaCanary10Percent5Minutes = Canary{Percent: 10, Interval: 5 * time.Minute}
	// LambdaCanary10Percent10Minutes is CodeDeployDefault.LambdaCanary10Percent10Minutes
	// (SAM Canary10Percent10Minutes): 10 % at 0, 100 % at 10 min (docs/model.md).
	LambdaCanary10Percent10Minutes = Canary{Percent: 10, Interval: 10 * time.Minute}
	// LambdaCanary10Percent15Minutes is CodeDeployDefault.LambdaCanary10Percent15Minutes
	// (SAM Canary10Percent15Minutes): 10 % at 0, 100 % at 15 min (docs/model.md).
	LambdaCanary10Percent15Minutes = Canary{Percent: 10, Interval: 15 * time.Minute}
	// LambdaCanary10Percent30Minutes is CodeDeployDefault.LambdaCanary10Percent30Minutes
	// (SAM Canary10Percent30Minutes): 10 % at 0, 100 % at 30 min (docs/model.md).
	LambdaCanary10Percent30Minutes = Canary{Percent: 10, Interval: 30 * time.Minute}
	// LambdaLinear10PercentEvery1Minute is CodeDeployDefault.LambdaLinear10PercentEvery1Minute
	// (SAM Linear10PercentEvery1Minute): 10 % at 0, +10 % every minute, 100 % at
	// 9 min (docs/model.md).
	LambdaLinear10PercentEvery1Minute = Linear{Percent: 10, Interval: time.Minute}
	// LambdaLinear10PercentEvery2Minutes is CodeDeployDefault.LambdaLinear10PercentEvery2Minutes
	// (SAM Linear10PercentEvery2Minutes): +10 % every 2 min from 0, 100 % at 18 min
	// (docs/model.md).
	LambdaLinear10PercentEvery2Minutes = Linear{Percent: 10, Interval: 2 * time.Minute}
	// LambdaLinear10PercentEvery3Minutes is CodeDeployDefault.LambdaLinear10PercentEvery3Minutes
	// (SAM Linear10PercentEvery3Minutes): +10 % every 3 min from 0, 100 % at 27 min
	// (docs/model.md).
	LambdaLinear10PercentEvery3Minutes = Linear{Percent: 10, Interval: 3 * time.Minute}
	// LambdaLinear10PercentEvery10Minutes is CodeDeployDefault.LambdaLinear10PercentEvery10Minutes
	// (SAM Linear10PercentEvery10Minutes): +10 % every 10 min from 0, 100 % at 90 min
	// (docs/model.md; one SAM document says 100 minutes, see Linear).
	LambdaLinear10PercentEvery10Minutes = Linear{Percent: 10, Interval: 10 * time.Minute}
	// LambdaAllAtOnce is CodeDeployDefault.LambdaAllAtOnce (SAM AllAtOnce): 100 % at 0
	// (docs/model.md).
	LambdaAllAtOnce = AllAtOnce{}
)

// The predefined CodeDeploy deployment configurations for ECS, "same shapes"
// as the Lambda ones (docs/model.md). ECS has no SAM shorthand, so each
// value's Name is its CodeDeploy name. Treat them as constants.
var (
	// ECSCanary10Percent5Minutes is CodeDeployDefault.ECSCanary10Percent5Minutes:
	// 10 % at 0, 100 % at 5 min (docs/model.md).
	ECSCanary10Percent5Minutes = Canary{Percent: 10, Interval: 5 * time.Minute, Platform: ECS}
	// ECSCanary10Percent15Minutes is CodeDeployDefault.ECSCanary10Percent15Minutes:
	// 10 % at 0, 100 % at 15 min (docs/model.md).
	ECSCanary10Percent15Minutes = Canary{Percent: 10, Interval: 15 * time.Minute, Platform: ECS}
	// ECSLinear10PercentEvery1Minutes is CodeDeployDefault.ECSLinear10PercentEvery1Minutes
	// (AWS's plural): 10 % at 0, +10 % every minute, 100 % at 9 min (docs/model.md).
	ECSLinear10PercentEvery1Minutes = Linear{Percent: 10, Interval: time.Minute, Platform: ECS}
	// ECSLinear10PercentEvery3Minutes is CodeDeployDefault.ECSLinear10PercentEvery3Minutes:
	// +10 % every 3 min from 0, 100 % at 27 min (docs/model.md).
	ECSLinear10PercentEvery3Minutes = Linear{Percent: 10, Interval: 3 * time.Minute, Platform: ECS}
	// ECSAllAtOnce is CodeDeployDefault.ECSAllAtOnce: 100 % at 0 (docs/model.md).
	ECSAllAtOnce = AllAtOnce{Platform: ECS}
)

// LambdaPresets returns the 9 predefined CodeDeploy configurations for Lambda
// in CodeDeploy table order: the four canaries, the four linears, AllAtOnce.
// The slice is new on each call.
func LambdaPresets() []Strategy {
	return []Strategy{
		LambdaCanary10Percent5Minutes,
		LambdaCanary10Percent10Minutes,
		LambdaCanary10Percent15Minutes,
		LambdaCanary10Percent30Minutes,
		LambdaLinear10PercentEvery1Minute,
		LambdaLinear10PercentEvery2Minutes,
		LambdaLinear10PercentEvery3Minutes,
		LambdaLinear10PercentEvery10Minutes,
		LambdaAllAtOnce,
	}
}

// ECSPresets returns the 5 predefined CodeDeploy configurations for ECS in the
// CodeDeploy table order. The slice is new on each call.
func ECSPresets() []Strategy {
	return []Strategy{
		ECSCanary10Percent5Minutes,
		ECSCanary10Percent15Minutes,
		ECSLinear10PercentEvery1Minutes,
		ECSLinear10PercentEvery3Minutes,
		ECSAllAtOnce,
	}
}

// Presets returns every predefined CodeDeploy configuration: the 9 Lambda ones
// then the 5 ECS ones, each in CodeDeploy table order. The slice is new on each
// call.
func Presets() []Strategy {
	return append(LambdaPresets(), ECSPresets()...)
}
