package manifest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is a problem in a file that stops a value from being read: it names
// the file, the line and the path of the offending node, as in
//
//	template.yaml:14: Resources.MyFn.Properties.DeploymentPreference.Type: unknown type "Canary10Percent7Minutes"
type Error struct {
	File string
	Line int    // 1-based; 0 when the problem is not tied to a line
	Path string // dotted path from the document root, e.g. spec.strategy.canary.steps[2].pause.duration
	Err  error
}

// Error formats the error as file:line: path: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Warning is something a file says that the simulation cannot model, or that
// it models under an assumption the user should know about. A warning never
// stops the reading; the deployable it belongs to is still returned.
type Warning struct {
	File    string
	Line    int
	Path    string
	Message string
}

// String formats the warning as file:line: path: message.
func (w Warning) String() string {
	return (&Error{File: w.File, Line: w.Line, Path: w.Path, Err: errors.New(w.Message)}).Error()
}

// maxDepth bounds every recursive walk over a document, so that a hostile
// input (deep nesting, alias chains, self-referencing intrinsics) ends in an
// error instead of a stack overflow.
const maxDepth = 64

// at is a node with the dotted path that led to it. keyLine is the line of
// the mapping key the node is the value of: errors about a nested mapping
// point at its key ("DeploymentPreference:"), not at its first entry.
type at struct {
	n       *yaml.Node
	path    string
	keyLine int
}

// deref follows YAML aliases (bounded) and unwraps a document node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < maxDepth; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	if n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		return nil
	}
	return n
}

func (a at) valid() bool { return a.n != nil }

func (a at) line() int {
	if a.keyLine > 0 {
		return a.keyLine
	}
	if a.n == nil {
		return 0
	}
	return a.n.Line
}

// isNull reports a missing node or an explicit YAML null.
func (a at) isNull() bool {
	n := deref(a.n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func (a at) isMap() bool {
	n := deref(a.n)
	return n != nil && n.Kind == yaml.MappingNode
}

func (a at) isSeq() bool {
	n := deref(a.n)
	return n != nil && n.Kind == yaml.SequenceNode
}

// get returns the value under key in a mapping; ok is false when a is not a
// mapping or has no such key. Keys merged with YAML's "<<: *anchor" count,
// the mapping's own keys first. A key written twice has its last value, as
// JSON parsers and PyYAML (which CloudFormation's and SAM's tools use) read
// it: SAM's own translated templates repeat AlarmConfiguration.
func (a at) get(key string) (at, bool) {
	n := deref(a.n)
	if n == nil || n.Kind != yaml.MappingNode {
		return at{}, false
	}
	merged := false
	found := -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Value == key {
			found = i
		}
		merged = merged || k.Value == "<<"
	}
	if found >= 0 {
		k := deref(n.Content[found])
		return at{n: n.Content[found+1], path: joinPath(a.path, key), keyLine: k.Line}, true
	}
	if merged {
		for _, e := range a.entries() {
			if e.key == key {
				return e.val, true
			}
		}
	}
	return at{}, false
}

// entries returns the keys of a mapping in document order, with their
// values, followed by the keys merged in with "<<" that the mapping does not
// set itself (YAML merge keys, common in Kubernetes manifests).
func (a at) entries() []kv {
	budget := maxMergeVisits
	return a.entriesDepth(0, &budget)
}

// maxMergeVisits bounds the mappings one lookup visits through merge keys:
// merges of merges can otherwise grow exponentially ("billion laughs").
const maxMergeVisits = 1000

func (a at) entriesDepth(depth int, budget *int) []kv {
	n := deref(a.n)
	if n == nil || n.Kind != yaml.MappingNode || depth > maxDepth || *budget <= 0 {
		return nil
	}
	*budget--
	out := make([]kv, 0, len(n.Content)/2)
	index := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
			merges = append(merges, n.Content[i+1])
			continue
		}
		e := kv{key: k.Value, keyLine: k.Line, val: at{n: n.Content[i+1], path: joinPath(a.path, k.Value), keyLine: k.Line}}
		// A repeated key keeps its first place and its last value (see get).
		if j, dup := index[e.key]; dup {
			out[j] = e
			continue
		}
		index[e.key] = len(out)
		out = append(out, e)
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if d := deref(m); d != nil && d.Kind == yaml.SequenceNode {
			srcs = d.Content
		}
		for _, src := range srcs {
			for _, e := range (at{n: src, path: a.path}).entriesDepth(depth+1, budget) {
				dup := false
				for _, o := range out {
					dup = dup || o.key == e.key
				}
				if !dup {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

type kv struct {
	key     string
	keyLine int
	val     at
}

// items returns the elements of a sequence.
func (a at) items() []at {
	n := deref(a.n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]at, len(n.Content))
	for i, c := range n.Content {
		out[i] = at{n: c, path: fmt.Sprintf("%s[%d]", a.path, i)}
	}
	return out
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// scalar returns the text of a plain scalar (no intrinsic tag).
func (a at) scalar() (string, bool) {
	n := deref(a.n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" || isCustomTag(n.Tag) {
		return "", false
	}
	return n.Value, true
}

func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// kindName describes a node for error messages.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	if isCustomTag(n.Tag) {
		return "intrinsic function " + n.Tag
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unknown node"
}

// reader carries the file name and collects warnings while one file is read.
type reader struct {
	file     string
	opts     Options
	warnings []Warning
}

func (r *reader) errf(a at, format string, args ...any) *Error {
	return &Error{File: r.file, Line: a.line(), Path: a.path, Err: fmt.Errorf(format, clipArgs(format, args)...)}
}

// maxQuoted is the longest string value an error or warning quotes (%q)
// whole: a file's value may be megabytes long, and the message is one line.
const maxQuoted = 80

// clipArgs shortens to maxQuoted bytes the string arguments that format
// quotes with %q (the values read from the file; other strings are the
// message's own text).
func clipArgs(format string, args []any) []any {
	out := append([]any(nil), args...)
	ai := 0
	for i := 0; i < len(format) && ai < len(out); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			break
		}
		if s, ok := out[ai].(string); ok && format[i] == 'q' && len(s) > maxQuoted {
			out[ai] = s[:maxQuoted] + "…"
		}
		ai++
	}
	return out
}

func (r *reader) wrap(a at, err error) *Error {
	return &Error{File: r.file, Line: a.line(), Path: a.path, Err: err}
}

func (r *reader) warnf(a at, format string, args ...any) {
	r.warnings = append(r.warnings, Warning{File: r.file, Line: a.line(), Path: a.path, Message: fmt.Sprintf(format, clipArgs(format, args)...)})
}

// takeWarnings returns the warnings collected since the last call.
func (r *reader) takeWarnings() []Warning {
	w := r.warnings
	r.warnings = nil
	return w
}

// plainString reads a scalar that must be a plain string.
func (r *reader) plainString(a at) (string, error) {
	s, ok := a.scalar()
	if !ok {
		return "", r.errf(a, "got %s: must be a string", kindName(a.n))
	}
	return s, nil
}

// number parses a scalar (YAML number or quoted number, as CloudFormation
// accepts both) as a finite float; -0 is read as 0, which the explanations
// would otherwise echo as "> -0".
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if f == 0 {
		f = 0 // clears the sign of -0
	}
	return f, true
}

// parseInt parses an integer scalar, accepting "5" and "5.0" (YAML writers
// and JSON serialisers produce both) but not 5.5.
func parseInt(s string) (int, bool) {
	f, ok := parseNumber(s)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, false
	}
	return int(f), true
}

// parseKubeDuration reads a duration as Argo Rollouts and Flagger write it:
// a Go duration ("30s", "1m30s", "1h"), a bare integer meaning seconds (Argo's
// `duration: 30`), or Argo's day suffix ("1d"). Negative durations are rejected.
func parseKubeDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("duration %q: must be a non-negative number of seconds", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("duration %q: must be like 30s, 5m, 1h or 1d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: must be like 30s, 5m, 1h or 1d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q: must not be negative", s)
	}
	return d, nil
}

// duration reads a Kubernetes-style duration field.
func (r *reader) duration(a at) (time.Duration, error) {
	s, ok := a.scalar()
	if !ok {
		return 0, r.errf(a, "got %s: must be a duration such as 30s or 5m", kindName(a.n))
	}
	d, err := parseKubeDuration(s)
	if err != nil {
		return 0, r.wrap(a, err)
	}
	return d, nil
}

// intField reads an integer scalar in [lo, hi].
func (r *reader) intField(a at, lo, hi int) (int, error) {
	s, ok := a.scalar()
	if !ok {
		return 0, r.errf(a, "got %s: must be an integer in [%d, %d]", kindName(a.n), lo, hi)
	}
	v, ok := parseInt(s)
	if !ok || v < lo || v > hi {
		return 0, r.errf(a, "%q: must be an integer in [%d, %d]", s, lo, hi)
	}
	return v, nil
}

// boolField reads a YAML boolean, also accepting the strings "true"/"false"
// in any case (CloudFormation templates often quote them).
func (r *reader) boolField(a at) (bool, error) {
	s, ok := a.scalar()
	if ok {
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, r.errf(a, "got %s: must be true or false", kindName(a.n))
}

// scalarAt makes a synthetic string node (a value substituted from elsewhere)
// that reports the line and path of the node it stands for.
func scalarAt(v string, line int, path string) at {
	return at{n: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: line}, path: path}
}

// unknownKey returns the first key of mapping a that is not in allowed.
func (a at) unknownKey(allowed ...string) (kv, bool) {
	for _, e := range a.entries() {
		ok := false
		for _, k := range allowed {
			if e.key == k {
				ok = true
				break
			}
		}
		if !ok {
			return e, true
		}
	}
	return kv{}, false
}

// warnUnknown warns about every key of a Kubernetes mapping the reader does
// not know: the API server prunes unknown fields of a structural schema, so
// a misspelt field is silently lost there; here it is said.
func (r *reader) warnUnknown(a at, what string, allowed ...string) {
	for _, e := range a.entries() {
		known := false
		for _, k := range allowed {
			known = known || e.key == k
		}
		if !known {
			r.warnf(e.val, "%s has no field %q (a misspelling?); ignored", what, e.key)
		}
	}
}
