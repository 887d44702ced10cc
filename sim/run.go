package sim

import "github.com/deploysim/deploysim/metrics"

// Run simulates one deployment of s and returns what it measured. It returns
// an error wrapping ErrInvalid when s breaks a rule (see Validate), or an
// error when the policy misbehaves during the run (a monitor whose Next does
// not move forward); it never panics on a bad scenario. The result depends
// only on s: the same scenario, seed included, gives the same metrics.Run.
func Run(s Scenario) (metrics.Run, error) {
	var r Runner
	return r.Run(s)
}

// Runner runs scenarios one after another, reusing its memory (event queue,
// metric periods, sketches) from one run to the next, which saves the
// allocations of a fresh run in a Monte Carlo loop. A Runner is not safe for
// concurrent use: give each worker its own. r.Run(s) returns exactly what
// Run(s) returns.
type Runner struct {
	e engine
	b bucketEngine
}

// Run simulates one deployment of s (see the package-level Run).
func (r *Runner) Run(s Scenario) (metrics.Run, error) {
	if err := s.Validate(); err != nil {
		return metrics.Run{Seed: s.Seed}, err
	}
	if s.resolution() == Bucketed {
		return r.b.run(&s)
	}
	e := &r.e
	e.setup(&s)
	end := e.loop()
	if e.c.err != nil {
		return metrics.Run{Seed: s.Seed}, e.c.err
	}
	return e.result(&s, end), nil
}
