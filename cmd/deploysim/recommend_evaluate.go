package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/deploysim/deploysim"
	"github.com/deploysim/deploysim/emit"
	"github.com/deploysim/deploysim/manifest"
	"github.com/deploysim/deploysim/metrics"
	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/strategy"
)

// evaluateRecommend is evaluate's --recommend: for each CodeDeploy
// deployable of the files, the change to its strategy and alarms that
// recommend would make, among what CodeDeploy can run.
type evaluateRecommend struct {
	on bool
	limitOptions
}

func (e *evaluateRecommend) register(f *pflag.FlagSet) {
	f.BoolVar(&e.on, "recommend", false, "after the table, propose a change to each SAM/CloudFormation deployable: the strategy and alarms CodeDeploy can run that hurt the fewest requests under the limits (--max-false-rollback …), with the template to paste")
	e.addLimitFlags(f)
}

// runEvaluateRecommend writes, for each deployable watched by CloudWatch
// alarms, its own figures, the recommended configuration of the
// CodeDeploy part of the space (its own strategy and alarms included) and
// the SAM or CloudFormation snippet of the change.
func runEvaluateRecommend(ctx context.Context, s streams, so *scenarioOptions, e *evaluateRecommend, format string, paths []string) error {
	if format != "table" {
		return fmt.Errorf("--recommend writes text: use -o table (or deploysim recommend -o json)")
	}
	cons, err := e.constraints()
	if err != nil {
		return err
	}
	space, err := e.spaceOf()
	if err != nil {
		return err
	}
	c, err := so.config(s.in)
	if err != nil {
		return err
	}
	c.Policy = "none"
	if err := c.Validate(); err != nil {
		return err
	}
	files, err := manifest.ReadFiles(paths...)
	if err != nil {
		return err
	}
	w := s.out
	fmt.Fprintf(w, "\nrecommendations (%s):\n", cons)
	for _, file := range files {
		for _, d := range file.Deployables {
			p, ok := d.Policy.(rollback.Alarms)
			if !ok || d.Strategy == nil {
				fmt.Fprintf(w, "\n%s (%s): not watched by CloudWatch alarms; recommend covers CodeDeploy deployables here (deploysim recommend --emit argo|flagger for the others)\n", d.Name, d.Source)
				continue
			}
			sc, err := c.Scenario(d.Strategy)
			if err != nil {
				return fmt.Errorf("%s: %w", d.Name, err)
			}
			sc = d.Apply(sc)
			if !sc.Fault.Bad() {
				return fmt.Errorf("--recommend needs a bad candidate (--error-rate > 0) to measure detection and blast radius")
			}
			// The CodeDeploy part of the space, the deployable's own
			// configuration first (so its figures are on the same seeds).
			sp := space
			sp.NoPreset = true
			sp.Strategies = []strategy.Strategy{d.Strategy}
			for _, st := range space.Strategies {
				if _, ok := strategy.CodeDeployName(st); ok && !strategy.Equal(st, d.Strategy) {
					sp.Strategies = append(sp.Strategies, st)
				}
			}
			sp.Policies = []rollback.Policy{p}
			for _, q := range space.Policies {
				if _, ok := q.(rollback.Alarms); ok {
					sp.Policies = append(sp.Policies, q)
				}
			}
			rec, err := deploysim.Recommend(ctx, sc, sp, cons)
			if err != nil {
				return fmt.Errorf("%s: %w", d.Name, err)
			}
			yours := &deploysim.Candidate{Configuration: deploysim.Configuration{Strategy: d.Strategy, Policy: p}}
			if yours.Summary, err = deploysim.Estimate(ctx, sc, rec.Candidates[0].Runs, deploysim.EstimateOptions{}); err != nil {
				return err
			}
			yours.Runs = rec.Candidates[0].Runs
			fmt.Fprintf(w, "\n%s (%s):\n  yours:     %s\n             %s\n", d.Name, d.Source, yours.Label(), figures(yours.Summary, cons))
			if rec.Best.Index == 0 {
				fmt.Fprintf(w, "  keep it: no CodeDeploy configuration of the space does better under the limits\n")
				continue
			}
			verdict := "meets every limit"
			if !rec.Feasible {
				verdict = rec.Closest
			}
			fmt.Fprintf(w, "  change to: %s\n             %s (%s)\n", rec.Best.Label(), figures(rec.Best.Summary, cons), verdict)
			target := "cloudformation"
			if d.Source.Kind == "AWS::Serverless::Function" {
				target = "sam"
			}
			var b strings.Builder
			if err := emit.Write(&b, target, rec.Best.Strategy, rec.Best.Policy); err != nil {
				fmt.Fprintf(w, "  (%v)\n", err)
				continue
			}
			fmt.Fprintf(w, "  %s:\n", target)
			for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	return nil
}

// figures is one line of the numbers a recommendation weighs.
func figures(s *metrics.Summary, cons deploysim.Constraints) string {
	return fmt.Sprintf("false rollbacks %.1f%%, detected %.1f%%, %s %.3g, duration %.0f s",
		100*s.Value(metrics.FalseRollbackRate), 100*s.Value(metrics.DetectionRate), cons.Objective, s.Value(cons.Objective), s.Value(metrics.DeployDuration))
}
