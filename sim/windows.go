package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploysim/deploysim/rollback"
)

// EmptyWindows describes the windows of policy p that start empty at the
// deployment, or returns "" when p has none: a run begins with the
// deployment and no traffic from before it is simulated, so a window longer
// than a minute (a burn-rate window, a CloudWatch alarm's Period above 60 s,
// evaluated every minute over a sliding window) holds less than its length
// until it fills. Production's alarms would hold the minutes before the
// deployment, at the old version's error rate: the simulated ones are
// noisier on a healthy release and quicker on a bad one (docs/model.md,
// "Burn-rate windows"). Callers show it as a warning.
func EmptyWindows(p rollback.Policy) string {
	var names []string
	longest := time.Duration(0)
	alarms := func(as []rollback.Alarm) {
		for _, a := range as {
			if a.Period > time.Minute {
				names = append(names, fmt.Sprintf("alarm %s (Period %v)", a.Name, a.Period))
				longest = max(longest, a.Period)
			}
		}
	}
	switch p := p.(type) {
	case rollback.Alarms:
		alarms(p.Alarms)
	case *rollback.Alarms:
		alarms(p.Alarms)
	case rollback.Composite:
		alarms(p.Alarms.Alarms)
	case rollback.BurnRate:
		ws := p.Windows
		if ws == nil {
			ws = rollback.PageWindows
		}
		for _, w := range ws {
			if w.Long > time.Minute {
				longest = max(longest, w.Long)
			}
		}
		if longest > 0 {
			names = append(names, fmt.Sprintf("the burn-rate windows (up to %v)", longest))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: windows longer than a minute start empty at the deployment (no traffic from before it is simulated): until they fill (%v) they hold less than their length, so they are noisier on a healthy release (more false rollbacks) and quicker on a bad one than the same alarms in production",
		strings.Join(names, ", "), longest)
}
