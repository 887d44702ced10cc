package main

import (
	"fmt"
	"io"
	"time"

	"github.com/deploysim/deploysim/rollback"
	"github.com/deploysim/deploysim/sim"
)

// blindAlarms returns a warning for each alarm of sc's policy whose
// evaluation range never holds a datapoint that has been ingested: it can
// never fire (or, with TreatMissingData=breaching, always does).
//
// At an evaluation at t, CloudWatch fetches the RangeLength() periods (N+2,
// rollback.Alarm.EvaluationRange) that ended by t, the oldest starting at
// (⌊t/Period⌋ − RangeLength)·Period. The first of its base periods (the
// simulator publishes sim.MetricResolution-long periods) is visible from
// its end plus the ingestion delay. Evaluations come every interval, so t
// mod Period reaches at most Period − gcd(Period, interval). The range can
// hold an ingested datapoint only when
//
//	delay ≤ RangeLength·Period + Period − gcd(Period, interval) − resolution
//
// e.g. 20 s for a 10-second alarm with EvaluationPeriods 1 (a 30 s range),
// far below the 60 s assumed for CloudWatch (sim.DefaultIngestionDelay):
// sub-minute periods need high-resolution metrics that arrive sooner.
func blindAlarms(sc sim.Scenario) []string {
	p, ok := sc.Policy.(rollback.Alarms)
	if !ok {
		return nil
	}
	res := sim.MetricResolution(sc)
	if res <= 0 {
		return nil
	}
	var out []string
	for _, a := range p.Alarms {
		iv := p.EvaluationInterval
		if iv <= 0 {
			iv = a.EvaluationInterval()
		}
		reach := time.Duration(a.RangeLength())*a.Period + a.Period - gcdDuration(a.Period, iv) - res
		if sc.IngestionDelay <= reach {
			continue
		}
		then := "it can never fire"
		if a.TreatMissingData == rollback.TreatBreaching {
			then = "with TreatMissingData=breaching it fires at its first evaluation"
		}
		out = append(out, fmt.Sprintf("alarm %s (Period %v, an evaluation range of %d periods): with an ingestion delay of %v no datapoint of its range is ever ingested when it is evaluated, so %s; it needs an ingestion delay of at most %v",
			a.Name, a.Period, a.RangeLength(), sc.IngestionDelay, then, reach))
	}
	return out
}

// warnBlindAlarms writes blindAlarms's warnings to stderr.
func warnBlindAlarms(stderr io.Writer, sc sim.Scenario) {
	for _, w := range blindAlarms(sc) {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
}

func gcdDuration(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
