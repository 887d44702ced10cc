// Package scenario reads and writes deploysim's scenario files: every
// setting of a simulation (traffic, versions, fault, execution model,
// hooks, rollback policy, run count, seed …) as a YAML or JSON document that
// lives under version control next to the template it models.
//
// A file is a mapping of keys, each optional (a missing key keeps Default's
// value); the keys are deploysim's command-line flags with '-' written '_'
// (error_rate for --error-rate), and alarms use CloudWatch's PutMetricAlarm
// field names. The output of `deploysim compare --format json` is itself a
// scenario file: its "scenario" object is read and the rest ignored. See
// examples/scenario.yaml for every key with its meaning.
//
// The model is a pipeline in three steps: Load (or Decode) reads the text
// over Default, refusing unknown keys and bad values with the file, the line
// and the key; Validate checks each setting's range, naming the setting;
// Scenario builds the simulator's sim.Scenario for one strategy; Warnings says
// what a valid setting measures that it may not seem to (a horizon shorter
// than the deployment, a healthy candidate over a horizon). Set applies
// one setting from text with the same rules as the file, which is how the
// command line's flags override a file; ParseAlarm reads an alarm in the
// AWS CLI's Key=Value syntax (deploysim's --alarm).
package scenario
