package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file evaluates the CloudFormation intrinsic functions a template may
// use in the fields deploysim reads. YAML short tags (!Ref, !Sub …) and the
// JSON long form ({"Ref": …}, {"Fn::Sub": …}) are the same function. A
// function whose value cannot be known from the template alone (an import
// from another stack, a parameter without a Default, a condition on such a
// parameter) is reported as unresolved, and the caller turns that into a
// warning: nothing is dropped silently.

// unresolved is the error of an intrinsic function that cannot be evaluated
// from the template alone.
type unresolved struct{ e *Error }

func (u unresolved) Error() string { return u.e.Error() }
func (u unresolved) Unwrap() error { return u.e }

// errNoValue marks Ref AWS::NoValue: the property is absent.
var errNoValue = errors.New("AWS::NoValue")

// intrinsicNames maps a YAML short tag to its long form.
var shortTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!If": "Fn::If", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
	"!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs", "!Split": "Fn::Split",
	"!Transform": "Fn::Transform", "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

// intrinsic reports whether a is an intrinsic function call, and returns its
// long name and its argument.
func intrinsic(a at) (name string, arg at, ok bool) {
	n := deref(a.n)
	if n == nil {
		return "", at{}, false
	}
	if isCustomTag(n.Tag) {
		long, known := shortTags[n.Tag]
		if !known {
			long = "Fn::" + strings.TrimPrefix(n.Tag, "!")
		}
		c := *n
		switch n.Kind {
		case yaml.ScalarNode:
			c.Tag = "!!str"
		case yaml.SequenceNode:
			c.Tag = "!!seq"
		case yaml.MappingNode:
			c.Tag = "!!map"
		}
		return long, at{n: &c, path: a.path}, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := deref(n.Content[0])
		if k != nil && k.Kind == yaml.ScalarNode && (k.Value == "Ref" || k.Value == "Condition" || strings.HasPrefix(k.Value, "Fn::")) {
			return k.Value, at{n: n.Content[1], path: joinPath(a.path, k.Value), keyLine: k.Line}, true
		}
	}
	return "", at{}, false
}

// sval is the string value of an expression with the logical ids (and
// id.attribute pairs) of the resources it refers to.
type sval struct {
	s    string
	refs []string
}

// template is a parsed CloudFormation/SAM template.
type template struct {
	*reader
	root       at
	resources  map[string]at // logical id -> the resource's mapping
	order      []string      // logical ids in document order
	params     map[string]at
	conditions map[string]at
	mappings   at
	condDone   map[string]bool
	condVal    map[string]bool
	condBusy   map[string]bool

	// memo holds the value of every string expression already evaluated, by
	// its node: a value is a function of its node alone (parameters are
	// read at their Default, conditions are fixed), and YAML aliases or
	// parameters used twice make a tree of n nodes stand for 2^n of them.
	memo map[*yaml.Node]sval
	// steps and expanded count the evaluation work and the bytes of the
	// strings it produced, against maxSteps and maxExpanded.
	steps, expanded int
	// resource is the logical id of the resource being read, for errors.
	resource string
	// Indexes built on first use, so that a template of n resources is read
	// in O(n): deployment group -> the alias whose UpdatePolicy names it;
	// DeploymentConfigName -> config; ApiName/ApiId value or referenced id
	// -> API Gateway alarms.
	aliasIdx, configIdx map[string]string
	apiAlarmIdx         map[string][]string
	apiAlarmPos         map[string]int
	// generated counts the resources Fn::ForEach loops made (maxGenerated).
	generated int
}

// The budget of intrinsic evaluation per template. [chosen] A real template
// evaluates a few hundred expressions into a few kilobytes; these bounds are
// two to three orders of magnitude above that and still end a hostile
// template (each parameter the concatenation of the previous one twice) in
// milliseconds, with an error instead of an out-of-memory crash.
const (
	maxSteps    = 100_000
	maxExpanded = 1 << 20
)

// spend counts one evaluation step at a, and fails once the budget is spent.
func (t *template) spend(a at) error {
	t.steps++
	if t.steps > maxSteps {
		return t.budgetErr(a, fmt.Sprintf("more than %d evaluation steps", maxSteps))
	}
	return nil
}

func (t *template) budgetErr(a at, what string) error {
	where := ""
	if t.resource != "" {
		where = " while reading resource " + t.resource
	}
	return t.errf(a, "intrinsic functions expand to %s%s: the budget is %d steps and %d bytes per template, far more than a CloudFormation template (at most 500 resources) needs, unless values refer to others twice over, nested (each level doubles the work)", what, where, maxSteps, maxExpanded)
}

// str evaluates a as a string, once per node (memo), within the budget.
func (t *template) str(a at, depth int) (sval, error) {
	if err := t.spend(a); err != nil {
		return sval{}, err
	}
	if s, ok := a.scalar(); ok {
		// The file's own text: already bounded by the file's size.
		return sval{s: s}, nil
	}
	n := deref(a.n)
	if v, ok := t.memo[n]; ok && n != nil {
		return v, nil
	}
	v, err := t.strEval(a, depth)
	if err != nil {
		return v, err
	}
	v.refs = uniqueRefs(v.refs)
	t.expanded += len(v.s) + len(v.refs)
	if t.expanded > maxExpanded {
		return sval{}, t.budgetErr(a, fmt.Sprintf("more than %d bytes", maxExpanded))
	}
	if n != nil {
		if t.memo == nil {
			t.memo = map[*yaml.Node]sval{}
		}
		t.memo[n] = v
	}
	return v, nil
}

func (t *template) unres(a at, format string, args ...any) error {
	return unresolved{t.errf(a, format, args...)}
}

// uniqueRefs drops repeated references, keeping the first of each: a value
// built from the same parameter twice refers to it once.
func uniqueRefs(refs []string) []string {
	if len(refs) < 2 {
		return refs
	}
	seen := make(map[string]bool, len(refs))
	out := refs[:0:0]
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// strEval evaluates a as a string (str's work).
func (t *template) strEval(a at, depth int) (sval, error) {
	if depth > maxDepth {
		return sval{}, t.errf(a, "intrinsic functions nested deeper than %d", maxDepth)
	}
	if s, ok := a.scalar(); ok {
		return sval{s: s}, nil
	}
	name, arg, ok := intrinsic(a)
	if !ok {
		return sval{}, t.errf(a, "got %s: must be a string", kindName(a.n))
	}
	switch name {
	case "Ref":
		return t.ref(arg, depth)
	case "Fn::GetAtt":
		return t.getAtt(arg)
	case "Fn::Sub":
		return t.sub(arg, depth)
	case "Fn::If":
		b, err := t.ifBranch(arg, depth)
		if err != nil {
			return sval{}, err
		}
		return t.str(b, depth+1)
	case "Fn::Join":
		parts := arg.items()
		if len(parts) != 2 {
			return sval{}, t.errf(arg, "Fn::Join takes [delimiter, [values]]")
		}
		delim, err := t.str(parts[0], depth+1)
		if err != nil {
			return sval{}, err
		}
		list, err := t.list(parts[1], depth+1)
		if err != nil {
			return sval{}, err
		}
		var out sval
		ss := make([]string, 0, len(list))
		for _, el := range list {
			v, err := t.str(el, depth+1)
			if err != nil {
				return sval{}, err
			}
			ss = append(ss, v.s)
			out.refs = append(out.refs, v.refs...)
		}
		out.s = strings.Join(ss, delim.s)
		return out, nil
	case "Fn::Select":
		parts := arg.items()
		if len(parts) != 2 {
			return sval{}, t.errf(arg, "Fn::Select takes [index, [values]]")
		}
		iv, err := t.str(parts[0], depth+1)
		if err != nil {
			return sval{}, err
		}
		i, ok := parseInt(iv.s)
		if !ok {
			return sval{}, t.errf(parts[0], "Fn::Select index %q: must be an integer", iv.s)
		}
		list, err := t.list(parts[1], depth+1)
		if err != nil {
			return sval{}, err
		}
		if i < 0 || i >= len(list) {
			return sval{}, t.errf(parts[0], "Fn::Select index %d: must be in [0, %d)", i, len(list))
		}
		return t.str(list[i], depth+1)
	case "Fn::FindInMap":
		parts := arg.items()
		if len(parts) < 3 {
			return sval{}, t.errf(arg, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
		}
		cur := t.mappings
		for _, p := range parts[:3] {
			k, err := t.str(p, depth+1)
			if err != nil {
				return sval{}, err
			}
			next, ok := cur.get(k.s)
			if !ok {
				if len(parts) > 3 { // DefaultValue (language extension)
					if dv, ok := parts[3].get("DefaultValue"); ok {
						return t.str(dv, depth+1)
					}
				}
				return sval{}, t.errf(p, "Fn::FindInMap: no key %q in %s", k.s, orRoot(cur.path, "Mappings"))
			}
			cur = next
		}
		return t.str(cur, depth+1)
	case "Fn::Base64":
		return t.str(arg, depth+1)
	case "Fn::ImportValue":
		return sval{}, t.unres(a, "Fn::ImportValue: the value is exported by another stack; cannot be resolved from this template")
	case "Fn::GetAZs", "Fn::Cidr", "Fn::Split":
		return sval{}, t.errf(a, "%s returns a list: a string is needed here", name)
	}
	return sval{}, t.unres(a, "intrinsic function %s cannot be evaluated here", name)
}

func orRoot(path, root string) string {
	if path == "" {
		return root
	}
	return path
}

// ref evaluates Ref: a parameter's Default, a resource's logical id (its
// physical name is only known once deployed), or a pseudo parameter.
func (t *template) ref(arg at, depth int) (sval, error) {
	name, ok := arg.scalar()
	if !ok {
		return sval{}, t.errf(arg, "Ref takes a name, got %s", kindName(arg.n))
	}
	return t.refName(arg, name, depth)
}

func (t *template) refName(a at, name string, depth int) (sval, error) {
	if depth > maxDepth {
		return sval{}, t.errf(a, "Ref %s: parameter defaults refer to each other deeper than %d", name, maxDepth)
	}
	if name == "AWS::NoValue" {
		return sval{}, errNoValue
	}
	if strings.HasPrefix(name, "AWS::") {
		// Pseudo parameters (AWS::Region, AWS::StackName …) only matter inside
		// ARNs and names; keep them symbolic.
		return sval{s: "${" + name + "}"}, nil
	}
	if p, ok := t.params[name]; ok {
		d, ok := p.get("Default")
		if !ok {
			return sval{}, t.unres(a, "Ref %s: parameter %s has no Default, so its value is only known at deploy time", name, name)
		}
		v, err := t.str(d, depth+1)
		if err != nil {
			return sval{}, err
		}
		t.warnf(a, "Ref %s: read as the parameter's Default %q; a deployment may pass another value", name, v.s)
		return v, nil
	}
	if _, ok := t.resources[name]; ok {
		return sval{s: name, refs: []string{name}}, nil
	}
	// SAM: !Ref MyFunction.Version and !Ref MyFunction.Alias name the
	// resources SAM generates for AutoPublishAlias.
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if _, ok := t.resources[name[:i]]; ok && (name[i+1:] == "Version" || name[i+1:] == "Alias") {
			return sval{s: name, refs: []string{name}}, nil
		}
	}
	// CloudFormation rejects such a template, but documentation snippets
	// refer to resources they do not show: a warning, not an error.
	return sval{s: name}, t.unres(a, "Ref %s: no parameter or resource of that name in the template", name)
}

func (t *template) getAtt(arg at) (sval, error) {
	var id, attr string
	if s, ok := arg.scalar(); ok {
		i := strings.IndexByte(s, '.')
		if i <= 0 || i == len(s)-1 {
			return sval{}, t.errf(arg, "Fn::GetAtt %q: must be LogicalId.Attribute", s)
		}
		id, attr = s[:i], s[i+1:]
	} else {
		parts := arg.items()
		if len(parts) != 2 {
			return sval{}, t.errf(arg, "Fn::GetAtt takes [LogicalId, Attribute]")
		}
		var ok1, ok2 bool
		id, ok1 = parts[0].scalar()
		attr, ok2 = parts[1].scalar()
		if !ok1 || !ok2 {
			return sval{}, t.errf(arg, "Fn::GetAtt takes [LogicalId, Attribute] as strings")
		}
	}
	if _, ok := t.resources[id]; !ok {
		return sval{}, t.errf(arg, "Fn::GetAtt %s.%s: no resource %s in the template", id, attr, id)
	}
	full := id + "." + attr
	return sval{s: full, refs: []string{full}}, nil
}

// sub evaluates Fn::Sub: "${Name}" is a Ref, "${Res.Attr}" a GetAtt,
// "${!Literal}" the literal text "${Literal}".
func (t *template) sub(arg at, depth int) (sval, error) {
	var tmpl at
	var vars at
	if _, ok := arg.scalar(); ok {
		tmpl = arg
	} else {
		parts := arg.items()
		if len(parts) != 2 || !parts[1].isMap() {
			return sval{}, t.errf(arg, "Fn::Sub takes a string or [string, {Var: value}]")
		}
		tmpl, vars = parts[0], parts[1]
	}
	s, ok := tmpl.scalar()
	if !ok {
		return sval{}, t.errf(tmpl, "Fn::Sub: got %s: the template must be a string", kindName(tmpl.n))
	}
	var out sval
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return sval{}, t.errf(tmpl, "Fn::Sub: unclosed ${ in %q", s)
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v sval
		var err error
		if vv, ok := vars.get(name); ok && vars.valid() {
			v, err = t.str(vv, depth+1)
		} else if k := strings.IndexByte(name, '.'); k > 0 && t.resources != nil {
			if _, isRes := t.resources[name[:k]]; isRes {
				full := name
				v = sval{s: full, refs: []string{full}}
			} else {
				v, err = t.refName(tmpl, name, depth+1)
			}
		} else {
			v, err = t.refName(tmpl, name, depth+1)
		}
		if err != nil {
			if errors.Is(err, errNoValue) {
				return sval{}, t.errf(tmpl, "Fn::Sub: ${AWS::NoValue} cannot be substituted")
			}
			return sval{}, err
		}
		b.WriteString(v.s)
		out.refs = append(out.refs, v.refs...)
	}
	out.s = b.String()
	return out, nil
}

// ifBranch evaluates the condition of an Fn::If and returns the chosen branch.
func (t *template) ifBranch(arg at, depth int) (at, error) {
	parts := arg.items()
	if len(parts) != 3 {
		return at{}, t.errf(arg, "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]")
	}
	name, ok := parts[0].scalar()
	if !ok {
		return at{}, t.errf(parts[0], "Fn::If: the condition must be a condition name")
	}
	v, err := t.condition(parts[0], name, depth+1)
	if err != nil {
		return at{}, err
	}
	if v {
		return parts[1], nil
	}
	return parts[2], nil
}

// condition evaluates a named condition of the Conditions section.
func (t *template) condition(a at, name string, depth int) (bool, error) {
	if t.condDone[name] {
		return t.condVal[name], nil
	}
	c, ok := t.conditions[name]
	if !ok {
		return false, t.errf(a, "condition %q is not defined in Conditions", name)
	}
	if t.condBusy[name] {
		return false, t.errf(c, "condition %q refers to itself", name)
	}
	t.condBusy[name] = true
	v, err := t.condExpr(c, depth+1)
	t.condBusy[name] = false
	if err != nil {
		return false, err
	}
	t.condDone[name], t.condVal[name] = true, v
	return v, nil
}

func (t *template) condExpr(a at, depth int) (bool, error) {
	if err := t.spend(a); err != nil {
		return false, err
	}
	if depth > maxDepth {
		return false, t.errf(a, "conditions nested deeper than %d", maxDepth)
	}
	if s, ok := a.scalar(); ok {
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, t.errf(a, "got %q: a condition must be a condition function or true/false", s)
	}
	name, arg, ok := intrinsic(a)
	if !ok {
		return false, t.errf(a, "got %s: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition", kindName(a.n))
	}
	switch name {
	case "Condition":
		cn, ok := arg.scalar()
		if !ok {
			return false, t.errf(arg, "Condition takes a condition name")
		}
		return t.condition(arg, cn, depth+1)
	case "Fn::Equals":
		parts := arg.items()
		if len(parts) != 2 {
			return false, t.errf(arg, "Fn::Equals takes [value1, value2]")
		}
		x, err := t.str(parts[0], depth+1)
		if err != nil {
			return false, err
		}
		y, err := t.str(parts[1], depth+1)
		if err != nil {
			return false, err
		}
		return x.s == y.s, nil
	case "Fn::Not":
		parts := arg.items()
		if len(parts) != 1 {
			return false, t.errf(arg, "Fn::Not takes [condition]")
		}
		v, err := t.condExpr(parts[0], depth+1)
		return !v, err
	case "Fn::And", "Fn::Or":
		parts := arg.items()
		if len(parts) < 1 {
			return false, t.errf(arg, "%s takes a list of conditions", name)
		}
		and := name == "Fn::And"
		res := and
		for _, p := range parts {
			v, err := t.condExpr(p, depth+1)
			if err != nil {
				return false, err
			}
			if and {
				res = res && v
			} else {
				res = res || v
			}
		}
		return res, nil
	}
	return false, t.errf(a, "%s is not a condition function", name)
}

// value resolves Fn::If (and Ref AWS::NoValue) at a node that holds a
// structured value; present is false when the property evaluates to
// AWS::NoValue.
func (t *template) value(a at) (v at, present bool, err error) {
	for i := 0; i < maxDepth; i++ {
		name, arg, ok := intrinsic(a)
		if !ok {
			return a, !a.isNull(), nil
		}
		switch name {
		case "Fn::If":
			b, err := t.ifBranch(arg, i)
			if err != nil {
				return at{}, false, err
			}
			a = b
		case "Ref":
			if s, _ := arg.scalar(); s == "AWS::NoValue" {
				return at{}, false, nil
			}
			return a, true, nil
		default:
			return a, true, nil
		}
	}
	return at{}, false, t.errf(a, "Fn::If nested deeper than %d", maxDepth)
}

// prop returns property key of a resource's (or any) mapping, with Fn::If
// resolved.
func (t *template) prop(m at, key string) (at, bool, error) {
	a, ok := m.get(key)
	if !ok {
		return at{}, false, nil
	}
	return t.value(a)
}

// list evaluates a as a list: a YAML list (its Fn::If items resolved, the
// AWS::NoValue ones left out), Fn::Split, or a function returning a list.
func (t *template) list(a at, depth int) ([]at, error) {
	if err := t.spend(a); err != nil {
		return nil, err
	}
	if depth > maxDepth {
		return nil, t.errf(a, "intrinsic functions nested deeper than %d", maxDepth)
	}
	v, present, err := t.value(a)
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, nil
	}
	name, arg, isFn := intrinsic(v)
	if !isFn && v.isSeq() {
		var out []at
		for _, it := range v.items() {
			iv, present, err := t.value(it)
			if err != nil {
				return nil, err
			}
			if present {
				out = append(out, iv)
			}
		}
		return out, nil
	}
	if !isFn {
		return nil, t.errf(v, "got %s: must be a list", kindName(v.n))
	}
	switch name {
	case "Fn::Split":
		parts := arg.items()
		if len(parts) != 2 {
			return nil, t.errf(arg, "Fn::Split takes [delimiter, string]")
		}
		d, err := t.str(parts[0], depth+1)
		if err != nil {
			return nil, err
		}
		s, err := t.str(parts[1], depth+1)
		if err != nil {
			return nil, err
		}
		if d.s == "" {
			return nil, t.errf(parts[0], "Fn::Split: the delimiter must not be empty")
		}
		var out []at
		for i, p := range strings.Split(s.s, d.s) {
			out = append(out, at{n: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p, Line: v.line()}, path: v.path + "[" + strconv.Itoa(i) + "]"})
		}
		return out, nil
	case "Fn::GetAZs", "Fn::Cidr", "Fn::ImportValue":
		return nil, t.unres(v, "%s: the list is only known at deploy time", name)
	case "Ref":
		// A CommaDelimitedList parameter.
		s, err := t.str(v, depth+1)
		if err != nil {
			return nil, err
		}
		var out []at
		for i, p := range strings.Split(s.s, ",") {
			out = append(out, at{n: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(p), Line: v.line()}, path: v.path + "[" + strconv.Itoa(i) + "]"})
		}
		return out, nil
	}
	return nil, t.errf(v, "%s does not return a list", name)
}

// isUnresolved reports whether err is an intrinsic that cannot be evaluated
// from the template alone (a warning), as opposed to a malformed template (an
// error).
func isUnresolved(err error) bool {
	var u unresolved
	return errors.As(err, &u)
}

// numberProp reads a numeric property (a number, a quoted number, or an
// intrinsic that evaluates to one).
func (t *template) number(a at) (float64, error) {
	v, err := t.str(a, 0)
	if err != nil {
		return 0, err
	}
	f, ok := parseNumber(v.s)
	if !ok {
		return 0, t.errf(a, "%q: must be a number", v.s)
	}
	return f, nil
}

func (t *template) integer(a at, lo, hi int) (int, error) {
	v, err := t.str(a, 0)
	if err != nil {
		return 0, err
	}
	i, ok := parseInt(v.s)
	if !ok || i < lo || i > hi {
		return 0, t.errf(a, "%q: must be an integer in [%d, %d]", v.s, lo, hi)
	}
	return i, nil
}

func (t *template) boolean(a at) (bool, error) {
	v, err := t.str(a, 0)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(v.s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, t.errf(a, "%q: must be true or false", v.s)
}
