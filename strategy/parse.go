package strategy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownName is wrapped by Parse's error when the input names no strategy
// family at all. SAM passes any DeploymentPreference.Type it does not know
// through as the name of a custom CodeDeploy configuration (docs/model.md),
// so a template reader can test errors.Is(err, ErrUnknownName) and look the
// name up among the template's own configurations instead.
var ErrUnknownName = errors.New("not a strategy name")

// ParseError is the error Parse returns: the input and what is wrong with it
// (often a *FieldError, reachable with errors.As).
type ParseError struct {
	Input string
	Err   error
}

// Error reads "strategy: parse \"<input>\": <cause>", the input cut at 80 bytes.
func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > 80 {
		in = in[:80] + "…"
	}
	return fmt.Sprintf("strategy: parse %q: %s", in, strings.TrimPrefix(e.Err.Error(), "strategy: "))
}

// Unwrap gives the cause, so errors.Is and errors.As see through ParseError.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a strategy name. It accepts, with surrounding spaces ignored:
//
//   - SAM DeploymentPreference.Type names: AllAtOnce,
//     Canary<P>Percent<M>Minutes, Linear<P>PercentEvery<M>Minutes
//     (Canary10Percent5Minutes, Linear10PercentEvery1Minute), with any numbers
//     CodeDeploy allows in a custom config (Canary25Percent45Minutes); Minute
//     and Minutes are both accepted.
//   - CodeDeploy names: CodeDeployDefault.Lambda or CodeDeployDefault.ECS
//     followed by one of the forms above (CodeDeployDefault.ECSAllAtOnce,
//     CodeDeployDefault.ECSLinear10PercentEvery1Minutes). ECS names give
//     strategies with Platform ECS.
//   - BlueGreen<M>Minutes: blue/green with M minutes of validation (M >= 0).
//   - Compact forms, for what AWS names cannot say. Percents are decimals
//     followed by %, durations are Go durations (5m, 90s, 1h30m):
//     Canary:<percent>,<interval> (Canary:2.5%,90s),
//     Linear:<percent>,<interval> (Linear:33.5%,1m),
//     BlueGreen:<validation> (BlueGreen:90s),
//     Exponential:<start>,x<factor>,<interval> (Exponential:1%,x2,5m),
//     Steps:<step>,<step>,… where a percent is a SetWeight and a duration a
//     Pause (Steps:10%,5m,50%,10m; "Steps:" is the empty list).
//
// In SAM and CodeDeploy names the numbers are whole (CodeDeploy stores percent
// and minutes as integers) and must satisfy CodeDeploy's custom-config limits:
// percent 1–99, minutes >= 1, at most 2,880 minutes between first and last
// shift (docs/model.md). The compact forms take any value the Go types
// accept. Every strategy's String is one of these forms, and
// Parse(s.String()) returns a strategy Equal to s.
//
// The result has passed Validate. Errors are *ParseError; they wrap
// ErrUnknownName when no family matches, and a *FieldError naming field,
// value and rule when a number is out of range.
func Parse(s string) (Strategy, error) {
	st, err := parse(strings.TrimSpace(s))
	if err == nil {
		err = st.Validate()
	}
	if err != nil {
		return nil, &ParseError{Input: s, Err: err}
	}
	return st, nil
}

const families = "want AllAtOnce, Canary<P>Percent<M>Minutes, Linear<P>PercentEvery<M>Minutes, BlueGreen<M>Minutes, a CodeDeployDefault.Lambda…/ECS… name, or Canary:, Linear:, BlueGreen:, Exponential:, Steps: compact forms"

func parse(s string) (Strategy, error) {
	if rest, ok := strings.CutPrefix(s, "CodeDeployDefault."); ok {
		switch {
		case strings.HasPrefix(rest, "Lambda"):
			return parseAWS(rest[len("Lambda"):], Lambda, true)
		case strings.HasPrefix(rest, "ECS"):
			return parseAWS(rest[len("ECS"):], ECS, true)
		}
		return nil, fmt.Errorf("%w: compute platform must be Lambda or ECS (EC2/on-premises configurations are not modelled)", ErrUnknownName)
	}
	if family, args, ok := strings.Cut(s, ":"); ok {
		return parseCompact(family, args)
	}
	return parseAWS(s, Lambda, false)
}

// parseAWS reads the SAM-type shapes; codeDeploy says the input had the
// CodeDeployDefault prefix, under which BlueGreen does not exist.
func parseAWS(s string, p Platform, codeDeploy bool) (Strategy, error) {
	switch {
	case s == "AllAtOnce":
		return AllAtOnce{Platform: p}, nil
	case strings.HasPrefix(s, "Canary"):
		pct, iv, err := percentMinutes(s[len("Canary"):], "Canary", "Percent")
		if err != nil {
			return nil, err
		}
		c := Canary{Percent: pct, Interval: iv, Platform: p}
		return c, awsRule("Canary", c.Percent, c.Interval, false)
	case strings.HasPrefix(s, "Linear"):
		pct, iv, err := percentMinutes(s[len("Linear"):], "Linear", "PercentEvery")
		if err != nil {
			return nil, err
		}
		l := Linear{Percent: pct, Interval: iv, Platform: p}
		return l, awsRule("Linear", l.Percent, l.Interval, true)
	case !codeDeploy && strings.HasPrefix(s, "BlueGreen"):
		m, rest, err := wholeNumber(s[len("BlueGreen"):], "BlueGreen.Validation")
		if err != nil {
			return nil, err
		}
		if err := minutesUnit(rest, "BlueGreen.Validation"); err != nil {
			return nil, err
		}
		v, err := minutes(m, "BlueGreen.Validation")
		return BlueGreen{Validation: v}, err
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownName, families)
}

// percentMinutes reads <P><sep><M>Minute(s).
func percentMinutes(s, family, sep string) (float64, time.Duration, error) {
	p, rest, err := wholeNumber(s, family+".Percent")
	if err != nil {
		return 0, 0, err
	}
	rest, ok := strings.CutPrefix(rest, sep)
	if !ok {
		return 0, 0, fmt.Errorf("after %s%d want %q, got %q", family, p, sep, rest)
	}
	m, rest, err := wholeNumber(rest, family+".Interval")
	if err != nil {
		return 0, 0, err
	}
	if err := minutesUnit(rest, family+".Interval"); err != nil {
		return 0, 0, err
	}
	iv, err := minutes(m, family+".Interval")
	return float64(p), iv, err
}

// minutes converts a whole number of minutes, refusing what time.Duration
// cannot hold (about 153 million minutes) rather than wrapping around.
func minutes(m int64, field string) (time.Duration, error) {
	if m > int64(maxDuration/time.Minute) {
		return 0, fieldErr(field, fmt.Sprintf("%d minutes", m), "overflows time.Duration (about 292 years)")
	}
	return time.Duration(m) * time.Minute, nil
}

// wholeNumber reads the leading decimal digits of s. Nine digits at most: a
// billion minutes is already 1,900 years, and the bound keeps int64 parsing
// trivially safe (minutes checks the conversion to a duration).
func wholeNumber(s, field string) (int64, string, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, s, fmt.Errorf("%s: want a whole number, got %q", field, s)
	}
	if i > 9 {
		return 0, s, fieldErr(field, s[:i], "must have at most 9 digits")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil { // unreachable for 1–9 digits, kept so no input can slip by
		return 0, s, fmt.Errorf("%s: %w", field, err)
	}
	return n, s[i:], nil
}

func minutesUnit(rest, field string) error {
	if rest != "Minutes" && rest != "Minute" {
		return fmt.Errorf("%s: want unit \"Minutes\" or \"Minute\" at the end, got %q", field, rest)
	}
	return nil
}

// parseCompact reads Family:arg,arg,….
func parseCompact(family, args string) (Strategy, error) {
	items := strings.Split(args, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	want := func(n int, form string) error {
		if len(items) != n {
			return fmt.Errorf("%s: want %d comma-separated values (%s), got %d", family, n, form, len(items))
		}
		return nil
	}
	switch family {
	case "Canary", "Linear":
		if err := want(2, family+":<percent>%,<interval>"); err != nil {
			return nil, err
		}
		p, err := percent(items[0], family+".Percent")
		if err != nil {
			return nil, err
		}
		iv, err := duration(items[1], family+".Interval")
		if err != nil {
			return nil, err
		}
		if family == "Canary" {
			return Canary{Percent: p, Interval: iv}, nil
		}
		return Linear{Percent: p, Interval: iv}, nil
	case "BlueGreen":
		if err := want(1, "BlueGreen:<validation>"); err != nil {
			return nil, err
		}
		v, err := duration(items[0], "BlueGreen.Validation")
		return BlueGreen{Validation: v}, err
	case "Exponential":
		if err := want(3, "Exponential:<start>%,x<factor>,<interval>"); err != nil {
			return nil, err
		}
		start, err := percent(items[0], "Exponential.Start")
		if err != nil {
			return nil, err
		}
		f, ok := strings.CutPrefix(items[1], "x")
		if !ok {
			return nil, fmt.Errorf("Exponential.Factor: want x<factor> such as x2, got %q", items[1])
		}
		factor, err := decimal(f, "Exponential.Factor")
		if err != nil {
			return nil, err
		}
		iv, err := duration(items[2], "Exponential.Interval")
		return Exponential{Start: start, Factor: factor, Interval: iv}, err
	case "Steps":
		if args == "" {
			return Steps{}, nil
		}
		steps := make(Steps, len(items))
		for i, it := range items {
			field := fmt.Sprintf("Steps[%d]", i)
			if strings.HasSuffix(it, "%") {
				w, err := percent(it, field+".SetWeight")
				if err != nil {
					return nil, err
				}
				steps[i].SetWeight = w
				continue
			}
			if it == "pause" || it == "" {
				return nil, fieldErr(field+".Pause", strconv.Quote(it), "want a duration such as 5m; an indefinite pause needs an assumed delay (e.g. 1h, see DefaultManualPromotion)")
			}
			d, err := duration(it, field+".Pause")
			if err != nil {
				return nil, err
			}
			if d <= 0 {
				return nil, fieldErr(field+".Pause", d, "must be > 0 (write 0%% to set the weight to 0)")
			}
			steps[i].Pause = d
		}
		return steps, nil
	}
	return nil, fmt.Errorf("%w: family %q before ':'; %s", ErrUnknownName, family, families)
}

// percent reads "12.5%".
func percent(s, field string) (float64, error) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%s: want a percent such as 10%%, got %q", field, s)
	}
	return decimal(num, field)
}

// decimal reads digits with at most one point. It is stricter than
// strconv.ParseFloat (no sign, exponent, hex, Inf or NaN) so that a name has
// one spelling.
func decimal(s, field string) (float64, error) {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, fmt.Errorf("%s: want a decimal number such as 2.5, got %q", field, s)
		}
	}
	if digits == 0 || dots > 1 {
		return 0, fmt.Errorf("%s: want a decimal number such as 2.5, got %q", field, s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// duration reads a Go duration ("5m", "1h30m", "90s").
func duration(s, field string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: want a duration such as 5m or 90s, got %q", field, s)
	}
	return d, nil
}
