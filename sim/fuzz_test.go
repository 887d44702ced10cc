package sim

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/strategy"
)

// byteReader hands out fuzz bytes as parameters (zero once exhausted).
type byteReader struct{ b []byte }

func (r *byteReader) u8() uint8 {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *byteReader) u64() uint64 {
	var buf [8]byte
	n := copy(buf[:], r.b)
	r.b = r.b[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

// f64 is a raw float (NaN, ±Inf, negative and huge values included, to
// exercise validation), folded into [0, limit) when it is a valid large one.
func (r *byteReader) f64(limit float64) float64 {
	f := math.Float64frombits(r.u64())
	if f >= limit {
		f = math.Mod(f, limit)
	}
	return f
}

// dur is a raw duration folded into (-∞, limit).
func (r *byteReader) dur(limit time.Duration) time.Duration {
	d := time.Duration(r.u64())
	if d >= limit {
		d %= limit
	}
	return d
}

// scenarioFromBytes builds a scenario, valid or not, whose run is bounded:
// rates below 200/s and every instant within an hour.
func scenarioFromBytes(data []byte) Scenario {
	r := &byteReader{b: data}
	s := BaseScenario()
	switch r.u8() % 6 {
	case 0:
		s.Workload = Poisson{Rate: r.f64(200)}
	case 1:
		s.Workload = Diurnal{Mean: r.f64(100), Amplitude: r.f64(2), PeakHour: r.f64(30), StartHour: r.f64(30)}
	case 2:
		s.Workload = Bursty{Rate: r.f64(100), BurstRate: r.f64(200), MeanNormal: r.dur(time.Hour), MeanBurst: r.dur(time.Hour)}
	case 3:
		n := int(r.u8() % 8)
		counts := make([]float64, n)
		for i := range counts {
			counts[i] = r.f64(200)
		}
		s.Workload = Trace{Counts: counts, Loop: r.u8()%2 == 0, Exact: r.u8()%3 == 0}
	case 4:
		var p Profile
		for i := range p.Hourly {
			p.Hourly[i] = float64(r.u8())
		}
		p.StartHour = r.f64(25)
		s.Workload = p
	case 5:
		s.Workload = nil
	}
	for _, v := range []*Version{&s.Baseline, &s.Candidate} {
		v.ErrorProb = r.f64(2)
		v.P50 = r.dur(10 * time.Second)
		v.P99 = r.dur(time.Minute)
		v.Timeout = r.dur(time.Minute)
	}
	nk := int(r.u8() % 4)
	for i := 0; i < nk; i++ {
		s.Kinds = append(s.Kinds, Kind{Name: string(rune('a' + r.u8()%4)), Weight: r.f64(10)})
	}
	s.Fault = Fault{ErrorProb: r.f64(2), LatencyFactor: r.f64(20), OnsetAt: r.dur(time.Hour), OnsetAfter: int64(r.u64() % 1000)}
	if r.u8()%2 == 1 {
		s.Fault.Kinds = []string{string(rune('a' + r.u8()%4))}
	}
	s.Users = Users{N: int(int16(r.u8()) * 7), Exponent: r.f64(3)}
	switch r.u8() % 6 {
	case 0:
		s.Strategy = strategy.AllAtOnce{}
	case 1:
		s.Strategy = strategy.Canary{Percent: r.f64(150), Interval: r.dur(time.Hour)}
	case 2:
		// A tiny percent is rejected by strategy (at most MaxSteps steps).
		s.Strategy = strategy.Linear{Percent: r.f64(150), Interval: r.dur(10 * time.Minute)}
	case 3:
		n := int(r.u8() % 5)
		st := make(steps, n)
		for i := range st {
			st[i] = strategy.Step{At: r.dur(time.Hour), Weight: r.f64(2)}
		}
		s.Strategy = st
	case 4:
		s.Strategy = nil
	case 5:
		s.Strategy = strategy.AllAtOnce{Platform: strategy.Platform(r.u8())}
	}
	s.Horizon = r.dur(time.Hour)
	s.Seed = r.u64()
	periods := []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 45 * time.Second, time.Minute, 5 * time.Minute, -time.Minute}
	s.Period = periods[int(r.u8())%len(periods)]
	if pol := r.u8(); pol%3 != 0 {
		res := []time.Duration{0, 10 * time.Second, 30 * time.Second, time.Minute, 90 * time.Second, 15 * time.Second}
		s.Policy = visiblePolicy{Every: time.Duration(1+int(r.u8())) * time.Second, Res: res[int(r.u8())%len(res)], Trigger: int(r.u8() % 16)}
	}
	s.IngestionDelay = r.dur(10 * time.Minute)
	s.ActionLatency = r.dur(time.Minute)
	s.Bake = r.dur(10 * time.Minute)
	s.KeepSeries = r.u8()%2 == 0
	s.Resolution = Resolution(r.u8() % 4)
	return s
}

// FuzzScenario: a scenario built from arbitrary bytes either fails
// validation with an ErrInvalid error, or runs and obeys every invariant.
// Nothing panics.
func FuzzScenario(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x49\x40"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scenarioFromBytes(data)
		err := s.Validate()
		r, rerr := Run(s)
		if err != nil {
			if rerr == nil {
				t.Fatalf("Validate rejected (%v) but Run accepted", err)
			}
			return
		}
		if rerr != nil {
			t.Fatalf("valid scenario, Run failed: %v", rerr)
		}
		if msg := checkRun(s, r); msg != "" {
			t.Fatalf("invariant broken: %s\nscenario: %+v", msg, s)
		}
	})
}

// FuzzParseTrace: any input is either rejected with a line-numbered error
// or gives a valid trace whose integral over its length is its total count.
func FuzzParseTrace(f *testing.F) {
	f.Add("second,count\n0,3\n2,5\n")
	f.Add("1\n2\n3\n")
	f.Add("# comment\n\n0,1.5\n")
	f.Add("0,1\n0,2\n")
	f.Add("x\n")
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ParseTrace(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sim: fuzz.csv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if verr := tr.Validate(); verr != nil {
			t.Fatalf("parsed trace is invalid: %v", verr)
		}
		total := 0.0
		for _, c := range tr.Counts {
			total += c
		}
		got := tr.Integral(0, time.Duration(len(tr.Counts))*time.Second)
		if math.Abs(got-total) > 1e-9*math.Max(1, total) {
			t.Fatalf("Integral over the trace = %v, want the total count %v", got, total)
		}
	})
}
