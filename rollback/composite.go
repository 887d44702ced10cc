package rollback

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// MaxAlarmRuleLength is the longest AlarmRule CloudWatch accepts. [doc]
// (PutCompositeAlarm: AlarmRule, 1 to 10,240 characters)
const MaxAlarmRuleLength = 10240

// maxRuleDepth bounds the nesting of parentheses and NOTs, so that a rule
// of ten thousand '(' is an error, not a deep recursion.
const maxRuleDepth = 64

// AlarmRule is a composite alarm's rule: an expression over other alarms'
// states, as CloudFormation's AWS::CloudWatch::CompositeAlarm declares it
// ("ALARM(ErrorsHigh) AND NOT OK(\"Latency p99\")"). The functions are
// ALARM(name), OK(name) and INSUFFICIENT_DATA(name), true when the named
// alarm is in that state, and the constants TRUE and FALSE; the operators
// are NOT, AND and OR with parentheses; a name may be written with or
// without double quotes. [doc] CloudWatch's PutCompositeAlarm reference.
// [assumed] NOT binds tighter than AND, and AND tighter than OR (the usual
// precedence; AWS's examples parenthesise): a OR b AND c is a OR (b AND c).
type AlarmRule struct {
	text string
	root *ruleNode
}

type ruleOp uint8

const (
	opConst ruleOp = iota
	opState
	opNot
	opAnd
	opOr
)

type ruleNode struct {
	op    ruleOp
	val   bool   // opConst
	state State  // opState
	name  string // opState
	kids  []*ruleNode
}

// ParseAlarmRule reads a rule. Errors name the byte offset and quote at
// most 40 bytes: `rollback: AlarmRule at byte 12: "ALRM(x)": want ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or (`.
func ParseAlarmRule(s string) (AlarmRule, error) {
	if len(s) == 0 || len(s) > MaxAlarmRuleLength {
		return AlarmRule{}, &ConfigError{Owner: "CompositeAlarm", Field: "AlarmRule", Value: fmt.Sprintf("%d characters", len(s)), Rule: fmt.Sprintf("must have 1 to %d characters", MaxAlarmRuleLength)}
	}
	p := ruleParser{s: s}
	n, err := p.or(0)
	if err != nil {
		return AlarmRule{}, err
	}
	p.space()
	if p.i < len(s) {
		return AlarmRule{}, p.errf("want AND, OR or the end of the rule")
	}
	return AlarmRule{text: s, root: n}, nil
}

// String is the rule as written.
func (r AlarmRule) String() string { return r.text }

// Alarms lists the alarm names the rule refers to, sorted, once each.
func (r AlarmRule) Alarms() []string {
	seen := map[string]bool{}
	var walk func(n *ruleNode)
	walk = func(n *ruleNode) {
		if n == nil {
			return
		}
		if n.op == opState {
			seen[n.name] = true
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(r.root)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Eval evaluates the rule with the alarms' states given by state.
func (r AlarmRule) Eval(state func(name string) State) bool {
	return eval(r.root, state)
}

func eval(n *ruleNode, state func(string) State) bool {
	switch n.op {
	case opConst:
		return n.val
	case opState:
		return state(n.name) == n.state
	case opNot:
		return !eval(n.kids[0], state)
	case opAnd:
		for _, k := range n.kids {
			if !eval(k, state) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if eval(k, state) {
				return true
			}
		}
		return false
	}
	return false
}

type ruleParser struct {
	s string
	i int
}

func (p *ruleParser) errf(rule string) error {
	rest := p.s[p.i:]
	if len(rest) > 40 {
		rest = rest[:40] + "…"
	}
	return &ConfigError{Owner: "CompositeAlarm", Field: fmt.Sprintf("AlarmRule at byte %d", p.i), Value: fmt.Sprintf("%q", rest), Rule: rule}
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// keyword consumes kw (any case) when it is followed by a non-word byte.
func (p *ruleParser) keyword(kw string) bool {
	p.space()
	if len(p.s)-p.i < len(kw) || !strings.EqualFold(p.s[p.i:p.i+len(kw)], kw) {
		return false
	}
	if j := p.i + len(kw); j < len(p.s) && isWord(p.s[j]) {
		return false
	}
	p.i += len(kw)
	return true
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *ruleParser) or(depth int) (*ruleNode, error) {
	n, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	kids := []*ruleNode{n}
	for p.keyword("OR") {
		k, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &ruleNode{op: opOr, kids: kids}, nil
}

func (p *ruleParser) and(depth int) (*ruleNode, error) {
	n, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	kids := []*ruleNode{n}
	for p.keyword("AND") {
		k, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return &ruleNode{op: opAnd, kids: kids}, nil
}

func (p *ruleParser) unary(depth int) (*ruleNode, error) {
	if depth > maxRuleDepth {
		return nil, p.errf(fmt.Sprintf("nested deeper than %d", maxRuleDepth))
	}
	if p.keyword("NOT") {
		k, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: opNot, kids: []*ruleNode{k}}, nil
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.errf("want )")
		}
		p.i++
		return n, nil
	}
	switch {
	case p.keyword("TRUE"):
		return &ruleNode{op: opConst, val: true}, nil
	case p.keyword("FALSE"):
		return &ruleNode{op: opConst, val: false}, nil
	}
	for _, f := range []struct {
		kw string
		st State
	}{{"INSUFFICIENT_DATA", StateInsufficientData}, {"ALARM", StateAlarm}, {"OK", StateOK}} {
		if !p.keyword(f.kw) {
			continue
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return nil, p.errf("want ( after " + f.kw)
		}
		p.i++
		p.space()
		var name string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			j := strings.IndexByte(p.s[p.i+1:], '"')
			if j < 0 {
				return nil, p.errf("unterminated \"")
			}
			name = p.s[p.i+1 : p.i+1+j]
			p.i += j + 2
		} else {
			j := strings.IndexByte(p.s[p.i:], ')')
			if j < 0 {
				return nil, p.errf("want )")
			}
			name = strings.TrimSpace(p.s[p.i : p.i+j])
			p.i += j
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.errf("want ) after the alarm name")
		}
		p.i++
		if name == "" {
			return nil, p.errf("empty alarm name")
		}
		return &ruleNode{op: opState, state: f.st, name: name}, nil
	}
	return nil, p.errf("want ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or (")
}

// CompositeAlarm is a CloudWatch composite alarm: ALARM when its rule is
// true, OK otherwise. [doc] A composite alarm is INSUFFICIENT_DATA only
// from its creation to its first evaluation; CloudWatch evaluates it when
// one of the alarms it refers to changes state.
type CompositeAlarm struct {
	Name string
	Rule AlarmRule
}

// Composite is the CodeDeploy controller when the deployment group lists
// composite alarms: CloudWatch evaluates the metric alarms (Alarms.Alarms,
// on their cadence), then every composite alarm whose members changed
// (composite alarms may refer to each other, without cycles), and CodeDeploy
// polls the states of the alarms in Watch (Alarms.PollInterval and
// PollOffset; 0: after every evaluation); any watched alarm in ALARM rolls
// the deployment back.
type Composite struct {
	// Alarms holds the metric alarms the rules refer to and CodeDeploy's
	// cadence.
	Alarms     Alarms
	Composites []CompositeAlarm
	// Watch names the alarms the deployment group lists (at most 10,
	// metric or composite); empty means every composite alarm.
	Watch []string
}

// Name is "composite(" and the watched alarms ")".
func (p Composite) Name() string { return "composite(" + strings.Join(p.watched(), ",") + ")" }

func (p Composite) watched() []string {
	if len(p.Watch) > 0 {
		return p.Watch
	}
	out := make([]string, len(p.Composites))
	for i, c := range p.Composites {
		out[i] = c.Name
	}
	return out
}

// Validate checks the metric alarms, that every name is unique and every
// rule refers to an alarm that exists, that no composite alarm depends on
// itself, and the watch list.
func (p Composite) Validate() error {
	if len(p.Composites) == 0 {
		return &ConfigError{Owner: "Composite", Field: "Composites", Value: "[]", Rule: "must list at least one composite alarm (or use Alarms)"}
	}
	// The metric alarms behind composite alarms are not listed in the
	// deployment group: more than 10 are allowed. Each is checked, and the
	// cadence with the first.
	if len(p.Alarms.Alarms) == 0 {
		return &ConfigError{Owner: "Composite", Field: "Alarms.Alarms", Value: "[]", Rule: "must list the metric alarms the rules refer to (at least one)"}
	}
	for i := range p.Alarms.Alarms {
		one := p.Alarms
		one.Alarms = p.Alarms.Alarms[i : i+1]
		if err := one.Validate(); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if p.Alarms.Alarms[j].Name == p.Alarms.Alarms[i].Name {
				return &ConfigError{Owner: "Composite", Field: fmt.Sprintf("Alarms.Alarms[%d].Name", i), Value: fmt.Sprintf("%q", p.Alarms.Alarms[i].Name), Rule: fmt.Sprintf("must be unique (Alarms[%d] has it too)", j)}
			}
		}
	}
	names := map[string]int{} // 0 metric, 1 composite
	for _, a := range p.Alarms.Alarms {
		names[a.Name] = 0
	}
	for i, c := range p.Composites {
		if c.Name == "" {
			return &ConfigError{Owner: fmt.Sprintf("Composite.Composites[%d]", i), Field: "Name", Value: `""`, Rule: "must not be empty"}
		}
		if _, dup := names[c.Name]; dup {
			return &ConfigError{Owner: fmt.Sprintf("CompositeAlarm %q", c.Name), Field: "Name", Value: fmt.Sprintf("%q", c.Name), Rule: "must be unique among the alarms"}
		}
		if c.Rule.root == nil {
			return &ConfigError{Owner: fmt.Sprintf("CompositeAlarm %q", c.Name), Field: "Rule", Value: `""`, Rule: "must be set (ParseAlarmRule)"}
		}
		names[c.Name] = 1
	}
	for _, c := range p.Composites {
		for _, n := range c.Rule.Alarms() {
			if _, ok := names[n]; !ok {
				return &ConfigError{Owner: fmt.Sprintf("CompositeAlarm %q", c.Name), Field: "AlarmRule", Value: fmt.Sprintf("%q", n), Rule: "refers to an alarm that is neither a metric alarm nor a composite alarm of the policy"}
			}
		}
	}
	if _, err := p.order(); err != nil {
		return err
	}
	w := p.watched()
	if len(w) > MaxAlarms {
		return &ConfigError{Owner: "Composite", Field: "Watch", Value: fmt.Sprintf("%d alarms", len(w)), Rule: "CodeDeploy allows at most 10 alarms per deployment group"}
	}
	for _, n := range w {
		if _, ok := names[n]; !ok {
			return &ConfigError{Owner: "Composite", Field: "Watch", Value: fmt.Sprintf("%q", n), Rule: "must name a metric or composite alarm of the policy"}
		}
	}
	return nil
}

// order returns the composites' indices with every composite after those
// it refers to, or an error naming a cycle.
func (p Composite) order() ([]int, error) {
	idx := map[string]int{}
	for i, c := range p.Composites {
		idx[c.Name] = i
	}
	state := make([]uint8, len(p.Composites)) // 0 new, 1 on the path, 2 done
	var out []int
	var visit func(i int, path []string) error
	visit = func(i int, path []string) error {
		switch state[i] {
		case 1:
			return &ConfigError{Owner: fmt.Sprintf("CompositeAlarm %q", p.Composites[i].Name), Field: "AlarmRule", Value: strings.Join(append(path, p.Composites[i].Name), " → "), Rule: "a composite alarm must not depend on itself"}
		case 2:
			return nil
		}
		state[i] = 1
		for _, n := range p.Composites[i].Rule.Alarms() {
			if j, ok := idx[n]; ok {
				if err := visit(j, append(path, p.Composites[i].Name)); err != nil {
					return err
				}
			}
		}
		state[i] = 2
		out = append(out, i)
		return nil
	}
	for i := range p.Composites {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Resolution is the metric alarms' (0 when there are none).
func (p Composite) Resolution() time.Duration { return p.Alarms.Resolution() }

// Start returns the per-run state, a *CompositeMonitor.
func (p Composite) Start() Monitor { return p.NewMonitor() }

// NewMonitor is Start with the concrete type.
func (p Composite) NewMonitor() *CompositeMonitor {
	inner := p.Alarms
	inner.PollInterval, inner.PollOffset = 0, 0
	m := &CompositeMonitor{p: p, inner: inner.NewMonitor(), states: make([]State, len(p.Composites))}
	m.order, _ = p.order()
	m.metric = map[string]int{}
	for i, a := range p.Alarms.Alarms {
		m.metric[a.Name] = i
	}
	m.comp = map[string]int{}
	for i, c := range p.Composites {
		m.comp[c.Name] = i
	}
	if p.Alarms.PollInterval > 0 {
		m.nextPoll = nextTick(0, p.Alarms.PollInterval, p.Alarms.PollOffset)
	}
	return m
}

// CompositeMonitor is the per-run state of a Composite policy: the metric
// alarms' monitor and the composite alarms' states (INSUFFICIENT_DATA until
// their first evaluation, after the first metric alarm evaluation).
type CompositeMonitor struct {
	p        Composite
	inner    *AlarmsMonitor
	states   []State
	order    []int
	metric   map[string]int
	comp     map[string]int
	nextPoll time.Duration
	history  []Transition
}

// State returns the state of the alarm called name (metric or composite)
// and whether there is one.
func (m *CompositeMonitor) State(name string) (State, bool) {
	if i, ok := m.metric[name]; ok {
		return m.inner.State(i), true
	}
	if i, ok := m.comp[name]; ok {
		return m.states[i], true
	}
	return 0, false
}

func (m *CompositeMonitor) lookup(name string) State {
	s, _ := m.State(name)
	return s
}

// Next returns the first metric alarm evaluation or poll strictly after t.
func (m *CompositeMonitor) Next(t time.Duration) time.Duration {
	next := m.inner.Next(t)
	if m.p.Alarms.PollInterval > 0 {
		if x := nextTick(t, m.p.Alarms.PollInterval, m.p.Alarms.PollOffset); x < next {
			next = x
		}
	}
	return next
}

// Evaluate runs the metric alarm evaluations due at obs.Now, re-evaluates
// the composite alarms, then CodeDeploy's poll if one is due.
func (m *CompositeMonitor) Evaluate(obs Observation) Decision {
	before := len(m.inner.history)
	evaluated := false
	for i := range m.inner.runs {
		if m.inner.runs[i].next <= obs.Now {
			evaluated = true
		}
	}
	m.inner.Evaluate(obs)
	if evaluated {
		m.history = append(m.history, m.inner.history[before:]...)
		for _, i := range m.order {
			c := &m.p.Composites[i]
			st := StateOK
			if c.Rule.Eval(m.lookup) {
				st = StateAlarm
			}
			if st != m.states[i] {
				m.history = append(m.history, Transition{At: obs.Now, Alarm: c.Name, From: m.states[i], To: st})
				m.states[i] = st
			}
		}
	}
	if !polled(evaluated, obs.Now, m.p.Alarms.PollInterval, m.p.Alarms.PollOffset, &m.nextPoll) {
		return Decision{}
	}
	for _, n := range m.p.watched() {
		if st, _ := m.State(n); st == StateAlarm {
			return Decision{Rollback: true, Alarm: n, Reason: m.reason(n)}
		}
	}
	return Decision{}
}

func (m *CompositeMonitor) reason(name string) string {
	if i, ok := m.metric[name]; ok {
		return m.inner.runs[i].reason()
	}
	c := &m.p.Composites[m.comp[name]]
	var parts []string
	for _, n := range c.Rule.Alarms() {
		parts = append(parts, n+" "+m.lookup(n).String())
	}
	return fmt.Sprintf("composite alarm %s in ALARM: %s (%s)", name, c.Rule, strings.Join(parts, ", "))
}

// Transitions returns the state changes of metric and composite alarms so
// far, in order (the monitor's own slice).
func (m *CompositeMonitor) Transitions() []Transition { return m.history }
