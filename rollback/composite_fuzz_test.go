package rollback

import "testing"

// No rule text makes ParseAlarmRule or Eval panic; errors stay one short
// line; a parsed rule's names are each evaluated without surprise.
func FuzzParseAlarmRule(f *testing.F) {
	for _, s := range []string{`ALARM("a") AND NOT OK(b)`, "(TRUE OR FALSE) AND INSUFFICIENT_DATA(x y)", "NOT NOT NOT ALARM(a)", "ALARM(", `OK("`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseAlarmRule(s)
		if err != nil {
			if len(err.Error()) > 300 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		for _, st := range []State{StateOK, StateAlarm, StateInsufficientData} {
			r.Eval(func(string) State { return st })
		}
		if _, err := ParseAlarmRule(r.String()); err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, r.String(), err)
		}
	})
}
