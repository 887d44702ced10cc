package sim

import "github.com/deploysim/deploysim/metrics"

// Run simulates one deployment of s and returns what it measured. It returns
// an error wrapping ErrInvalid when s breaks a rule (see Validate), or when
// the policy misbehaves during the run; it never panics on a bad scenario.
// The result depends only on s: the same scenario (seed included) gives the
// same metrics.Run.
func Run(s Scenario) (metrics.Run, error) {
	if err := s.Validate(); err != nil {
		return metrics.Run{Seed: s.Seed}, err
	}
	var e engine
	e.setup(&s)
	end := e.loop()
	if e.c.err != nil {
		return metrics.Run{Seed: s.Seed}, e.c.err
	}
	return e.result(&s, end), nil
}
