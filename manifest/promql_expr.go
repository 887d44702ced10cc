package manifest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deploysim/deploysim/internal/quote"
)

// This file reads the arithmetic of a PromQL query: which sub-expression is
// the measurement deploysim recognises (a ratio of request rates, or a
// histogram_quantile), and the linear function of it the query returns.
// Flagger's Gateway API tutorial writes an error rate in percent as
//
//	100 - sum(rate(…{code!~"5.*"}[1m])) / sum(rate(…[1m])) * 100
//
// which is 100 - 100·s for the success ratio s, and a latency in seconds as
// histogram_quantile(0.99, …milliseconds…) / 1000. Only the operators
// PromQL evaluates the same on one series as on a number are followed:
// numbers, + - * /, parentheses, unary minus, scalar() and vector(). Anything
// else around the measurement (comparisons, set operators, vector matching,
// other functions) is refused, so that a query is never guessed at.

// pnode is a node of a parsed query.
type pnode struct {
	kind   pkind
	op     byte // bin: + - * /
	num    float64
	name   string // call: the function name
	args   []*pnode
	lo, hi int // the node's text in the query
}

type pkind uint8

const (
	pNum  pkind = iota + 1 // a number
	pBin                   // l op r: args[0], args[1]
	pNeg                   // -args[0]
	pCall                  // name(args…), with by/without clauses skipped
	pSel                   // a selector, a string, a template placeholder: opaque data
)

// maxQueryNodes bounds the parse of a query (a query is a few hundred bytes).
const maxQueryNodes = 10_000

type qparser struct {
	s     string
	i     int
	nodes int
	depth int
}

var errQuery = errors.New("query not understood")

func (p *qparser) fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errQuery}, args...)...)
}

func (p *qparser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		case '#': // a comment runs to the end of the line
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *qparser) node(n *pnode) (*pnode, error) {
	p.nodes++
	if p.nodes > maxQueryNodes {
		return nil, p.fail("more than %d terms", maxQueryNodes)
	}
	return n, nil
}

// parseQuery parses a whole query.
func parseQuery(q string) (*pnode, error) {
	p := &qparser{s: q}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.fail("unexpected %q at byte %d", clip(p.s[p.i:], 20), p.i)
	}
	return n, nil
}

func clip(s string, n int) string { return quote.Clip(s, n) }

// binary operators the reader refuses, longest first.
var otherOps = []string{"==", "!=", ">=", "<=", ">", "<", "%", "^", "atan2"}

// expr: addExpr ('or' addExpr)*. Only `X or vector(c)` — X, or c where X
// has no series, the usual guard against an absent numerator — is
// understood (see linear); `or` binds loosest of all operators.
func (p *qparser) expr() (*pnode, error) {
	lo := p.i
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if !hasWord(p.s[p.i:], "or") {
			return l, nil
		}
		p.i += len("or")
		if err := p.modifiers(); err != nil {
			return nil, err
		}
		r, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		if l, err = p.node(&pnode{kind: pBin, op: 'o', args: []*pnode{l, r}, lo: lo, hi: p.i}); err != nil {
			return nil, err
		}
	}
}

// addExpr: term (('+'|'-') term)*
func (p *qparser) addExpr() (*pnode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.fail("nested deeper than %d", maxDepth)
	}
	lo := p.i
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return l, p.refuseOp()
		}
		op := p.s[p.i]
		p.i++
		if err := p.modifiers(); err != nil {
			return nil, err
		}
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		if l, err = p.node(&pnode{kind: pBin, op: op, args: []*pnode{l, r}, lo: lo, hi: p.i}); err != nil {
			return nil, err
		}
	}
}

// refuseOp fails on a binary operator the reader does not follow.
func (p *qparser) refuseOp() error {
	p.space()
	rest := p.s[p.i:]
	for _, op := range otherOps {
		if strings.HasPrefix(rest, op) {
			return p.fail("operator %s (only + - * / are followed)", op)
		}
	}
	for _, kw := range []string{"and", "unless"} {
		if hasWord(rest, kw) {
			return p.fail("set operator %s", kw)
		}
	}
	return nil
}

// modifiers refuses vector matching and bool after a binary operator: they
// change which series meet, which a number cannot stand for.
func (p *qparser) modifiers() error {
	p.space()
	for _, kw := range []string{"bool", "on", "ignoring", "group_left", "group_right"} {
		if hasWord(p.s[p.i:], kw) {
			return p.fail("vector matching (%s)", kw)
		}
	}
	return nil
}

func hasWord(s, w string) bool {
	return strings.HasPrefix(s, w) && (len(s) == len(w) || !isIdent(s[len(w)]))
}

func isIdent(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// term: unary (('*'|'/') unary)*
func (p *qparser) term() (*pnode, error) {
	lo := p.i
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return l, nil
		}
		op := p.s[p.i]
		p.i++
		if err := p.modifiers(); err != nil {
			return nil, err
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if l, err = p.node(&pnode{kind: pBin, op: op, args: []*pnode{l, r}, lo: lo, hi: p.i}); err != nil {
			return nil, err
		}
	}
}

func (p *qparser) unary() (*pnode, error) {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		neg := p.s[p.i] == '-'
		lo := p.i
		p.i++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.fail("nested deeper than %d", maxDepth)
		}
		x, err := p.unary()
		if err != nil || !neg {
			return x, err
		}
		return p.node(&pnode{kind: pNeg, args: []*pnode{x}, lo: lo, hi: p.i})
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	// Postfix: a range or subquery, offset, @.
	for {
		p.space()
		switch {
		case p.i < len(p.s) && p.s[p.i] == '[':
			if err := p.skipBlock('[', ']'); err != nil {
				return nil, err
			}
			x.kind = pSel // a range vector: data, not a number
		case hasWord(p.s[p.i:], "offset"):
			p.i += len("offset")
			p.space()
			for p.i < len(p.s) && (isIdent(p.s[p.i]) || p.s[p.i] == '-') {
				p.i++
			}
		case p.i < len(p.s) && p.s[p.i] == '@':
			p.i++
			p.space()
			for p.i < len(p.s) && (isIdent(p.s[p.i]) || p.s[p.i] == '.' || p.s[p.i] == '(' || p.s[p.i] == ')') {
				p.i++
			}
		default:
			x.hi = p.i
			return x, nil
		}
	}
}

func (p *qparser) primary() (*pnode, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, p.fail("the query ends where a value is expected")
	}
	lo := p.i
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.fail("unbalanced parenthesis at byte %d", lo)
		}
		p.i++
		return x, nil
	case c == '"' || c == '\'' || c == '`':
		if err := p.skipString(); err != nil {
			return nil, err
		}
		return p.node(&pnode{kind: pSel, lo: lo, hi: p.i})
	case c == '{':
		if strings.HasPrefix(p.s[p.i:], "{{") { // a template placeholder, e.g. {{ args.x }}
			j := strings.Index(p.s[p.i:], "}}")
			if j < 0 {
				return nil, p.fail("unclosed {{")
			}
			p.i += j + 2
			return p.node(&pnode{kind: pSel, lo: lo, hi: p.i})
		}
		if err := p.skipBlock('{', '}'); err != nil {
			return nil, err
		}
		return p.node(&pnode{kind: pSel, lo: lo, hi: p.i})
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (isIdent(p.s[j]) || p.s[j] == '.' || ((p.s[j] == '+' || p.s[j] == '-') && (p.s[j-1] == 'e' || p.s[j-1] == 'E'))) {
			j++
		}
		v, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return nil, p.fail("number %q", clip(p.s[p.i:j], 20))
		}
		p.i = j
		return p.node(&pnode{kind: pNum, num: v, lo: lo, hi: p.i})
	case isIdent(c):
		j := p.i
		for j < len(p.s) && isIdent(p.s[j]) {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		if err := p.grouping(); err != nil {
			return nil, err
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			p.i++
			n := &pnode{kind: pCall, name: name, lo: lo}
			for {
				p.space()
				if p.i < len(p.s) && p.s[p.i] == ')' {
					p.i++
					break
				}
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, a)
				p.space()
				if p.i < len(p.s) && p.s[p.i] == ',' {
					p.i++
					continue
				}
				if p.i < len(p.s) && p.s[p.i] == ')' {
					p.i++
					break
				}
				return nil, p.fail("expected , or ) in %s(…) at byte %d", name, p.i)
			}
			if err := p.grouping(); err != nil {
				return nil, err
			}
			n.hi = p.i
			return p.node(n)
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '{' && !strings.HasPrefix(p.s[p.i:], "{{") {
			if err := p.skipBlock('{', '}'); err != nil {
				return nil, err
			}
		}
		return p.node(&pnode{kind: pSel, name: name, lo: lo, hi: p.i})
	}
	return nil, p.fail("unexpected %q at byte %d", clip(p.s[p.i:], 20), p.i)
}

// grouping skips an aggregation's by (…) or without (…).
func (p *qparser) grouping() error {
	p.space()
	for _, kw := range []string{"by", "without"} {
		if hasWord(p.s[p.i:], kw) {
			p.i += len(kw)
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '(' {
				return p.fail("%s without a label list", kw)
			}
			return p.skipBlock('(', ')')
		}
	}
	return nil
}

// skipBlock skips from an opening bracket to its match, over strings and
// template placeholders.
func (p *qparser) skipBlock(open, close byte) error {
	depth := 0
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			if err := p.skipString(); err != nil {
				return err
			}
			continue
		case c == open:
			depth++
		case c == close:
			depth--
			if depth == 0 {
				p.i++
				return nil
			}
		}
		p.i++
	}
	return p.fail("unclosed %c at byte %d", open, start)
}

func (p *qparser) skipString() error {
	q := p.s[p.i]
	start := p.i
	p.i++
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			if q != '`' {
				p.i++
			}
		case q:
			p.i++
			return nil
		}
		p.i++
	}
	return p.fail("unclosed string at byte %d", start)
}

// affine is the query's value as scale·core + offset, where core is the
// measurement found (ratio or quantile).
type affine struct {
	scale, offset float64
	core          *pnode // nil for a constant
}

// linear reads n as a linear function of the one measurement it contains.
func linear(n *pnode, q string) (affine, error) {
	switch n.kind {
	case pNum:
		return affine{offset: n.num}, nil
	case pNeg:
		x, err := linear(n.args[0], q)
		return affine{scale: -x.scale, offset: -x.offset, core: x.core}, err
	case pCall:
		switch n.name {
		case "scalar", "vector":
			if len(n.args) != 1 {
				return affine{}, fmt.Errorf("%w: %s takes one argument", errQuery, n.name)
			}
			return linear(n.args[0], q)
		case "histogram_quantile":
			return affine{scale: 1, core: n}, nil
		}
		return affine{}, fmt.Errorf("%w: %s(…) outside a ratio or histogram_quantile", errQuery, n.name)
	case pSel:
		return affine{}, fmt.Errorf("%w: %s outside a ratio or histogram_quantile", errQuery, clip(strings.TrimSpace(q[n.lo:n.hi]), 40))
	}
	// pBin
	l, r := n.args[0], n.args[1]
	if n.op == 'o' {
		x, _ := orFallback(n, q)
		if x == n {
			return affine{}, fmt.Errorf("%w: set operator or, other than `X or vector(0)`", errQuery)
		}
		return linear(x, q)
	}
	if n.op == '/' && !constant(l) && !constant(r) {
		if hasCore(l) || hasCore(r) {
			return affine{}, fmt.Errorf("%w: a ratio of a histogram_quantile", errQuery)
		}
		// 100 * sum(a) / sum(b) parses as (100 * sum(a)) / sum(b): the
		// constants factor out of the numerator and the denominator.
		kn, num, err := ratioSide(l, q)
		if err != nil {
			return affine{}, err
		}
		kd, den, err := ratioSide(r, q)
		if err != nil {
			return affine{}, err
		}
		return affine{scale: kn / kd, core: &pnode{kind: pBin, op: '/', args: []*pnode{num, den}, lo: n.lo, hi: n.hi}}, nil
	}
	x, err := linear(l, q)
	if err != nil {
		return affine{}, err
	}
	y, err := linear(r, q)
	if err != nil {
		return affine{}, err
	}
	if x.core != nil && y.core != nil {
		return affine{}, fmt.Errorf("%w: two measurements combined (%s)", errQuery, clip(strings.TrimSpace(q[n.lo:n.hi]), 40))
	}
	core := x.core
	if core == nil {
		core = y.core
	}
	switch n.op {
	case '+':
		return affine{x.scale + y.scale, x.offset + y.offset, core}, nil
	case '-':
		return affine{x.scale - y.scale, x.offset - y.offset, core}, nil
	case '*':
		if x.core == nil {
			return affine{x.offset * y.scale, x.offset * y.offset, core}, nil
		}
		return affine{x.scale * y.offset, x.offset * y.offset, core}, nil
	}
	// '/': the divisor is a constant here (else the ratio case above).
	if y.core != nil {
		return affine{}, fmt.Errorf("%w: a number divided by the measurement", errQuery)
	}
	if y.offset == 0 {
		return affine{}, fmt.Errorf("%w: division by zero", errQuery)
	}
	return affine{x.scale / y.offset, x.offset / y.offset, core}, nil
}

// constant reports whether n is built from numbers alone.
func constant(n *pnode) bool {
	switch n.kind {
	case pNum:
		return true
	case pNeg, pBin:
		for _, a := range n.args {
			if !constant(a) {
				return false
			}
		}
		return true
	case pCall:
		return (n.name == "scalar" || n.name == "vector") && len(n.args) == 1 && constant(n.args[0])
	}
	return false
}

func hasCore(n *pnode) bool {
	if n.kind == pCall && n.name == "histogram_quantile" {
		return true
	}
	for _, a := range n.args {
		if hasCore(a) {
			return true
		}
	}
	return false
}

// ratioSide reads n as k × x, x one term that is not a number (a side of a
// ratio); anything else (a sum, a difference) is not understood.
func ratioSide(n *pnode, q string) (float64, *pnode, error) {
	switch {
	case n.kind == pNeg:
		k, x, err := ratioSide(n.args[0], q)
		return -k, x, err
	case n.kind == pCall && (n.name == "scalar" || n.name == "vector") && len(n.args) == 1:
		return ratioSide(n.args[0], q)
	case n.kind == pBin && n.op == 'o':
		x, _ := orFallback(n, q)
		if x == n {
			break
		}
		return ratioSide(x, q)
	case n.kind == pBin && (n.op == '*' || n.op == '/'):
		l, r := n.args[0], n.args[1]
		switch {
		case constant(r):
			c, _ := linear(r, q)
			k, x, err := ratioSide(l, q)
			if err != nil {
				return 0, nil, err
			}
			if n.op == '*' {
				return k * c.offset, x, nil
			}
			if c.offset == 0 {
				return 0, nil, fmt.Errorf("%w: division by zero", errQuery)
			}
			return k / c.offset, x, nil
		case constant(l) && n.op == '*':
			c, _ := linear(l, q)
			k, x, err := ratioSide(r, q)
			return k * c.offset, x, err
		}
	case n.kind == pCall || n.kind == pSel:
		return 1, n, nil
	}
	return 0, nil, fmt.Errorf("%w: a side of the ratio is itself arithmetic (%s)", errQuery, clip(strings.TrimSpace(q[n.lo:n.hi]), 40))
}

// orFallback reads `X or vector(c)` (or `X or c`) as X: the right side only
// stands in when X has no series, which in the simulator is a window with
// no request, where X is already what c says for the usual c = 0. Any other
// `or` is returned as is, and refused by its caller.
func orFallback(n *pnode, q string) (*pnode, string) {
	if constant(n.args[1]) {
		return n.args[0], q
	}
	return n, q
}
