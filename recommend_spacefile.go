package deploysim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deploysim/deploysim/sim"
)

// MaxSpaceFile is the largest space file ParseSpaceFile reads: a space is a
// page of grids.
const MaxSpaceFile = 1 << 20

// ParseSpaceFile reads a space file (YAML, or JSON, which YAML reads) over
// DefaultSpaceGrid and expands it: each top-level key replaces that part of
// the default (a list replaces the list; a mapping such as canary or alarms
// replaces the fields it names and keeps the others), so a file says only
// what it changes. name is the file's name in errors, which have the form
// "space.yaml:12: alarms.periods[1]: 45: must be …". Unknown keys, values
// of the wrong type and values outside their rule are errors; nothing in
// the file is ignored.
//
//	presets: true
//	strategies: ["Steps:1%,2m,10%,5m,50%,5m"]
//	canary: {percents: [1, 5], intervals: [5m, 10m]}
//	linear: {percents: [10], intervals: [1m]}
//	exponential: {starts: [1], factors: [2], intervals: [2m]}
//	bake: [0s, 5m]
//	alarms:
//	  metrics: [Errors]
//	  dimensions: [candidate]
//	  statistics: [Sum]
//	  periods: [60]
//	  thresholds: {Errors: [1, 2, 3, 5]}
//	  m_of_n: ["1/1", "2/3"]
//	  treat_missing_data: [notBreaching, missing]
//	  poll_interval: 1m
//	compare: [0.98]
//	sequential: [0.05]
//	search: {min_runs: 8, max_runs: 512, keep: 16}
func ParseSpaceFile(name string, data []byte) (SpaceGrid, Space, error) {
	g := DefaultSpaceGrid()
	fail := func(line int, msg string) (SpaceGrid, Space, error) {
		if line > 0 {
			return g, Space{}, fmt.Errorf("%s:%d: %s: %w", name, line, msg, sim.ErrInvalid)
		}
		return g, Space{}, fmt.Errorf("%s: %s: %w", name, msg, sim.ErrInvalid)
	}
	if len(data) > MaxSpaceFile {
		return fail(0, fmt.Sprintf("%d bytes: a space file must be at most %d", len(data), MaxSpaceFile))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line, msg := yamlLine(err)
		return fail(line, msg)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return fail(0, "empty space file")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return fail(doc.Line, "want a mapping of keys (presets, strategies, canary, linear, exponential, bake, alarms, compare, sequential, search)")
	}
	if n := aliasNode(doc); n != nil {
		return fail(n.Line, "YAML aliases are not supported in a space file")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlLine(err)
		return fail(line, msg)
	}
	clearNegativeZeros(&g)
	sp, err := g.Space()
	if err != nil {
		var ge *gridError
		if errors.As(err, &ge) {
			line, where := lineOf(doc, ge.path)
			return fail(line, where+": "+ge.msg)
		}
		return fail(0, err.Error())
	}
	return g, sp, nil
}

// aliasNode returns the first alias node under n (aliases could expand a
// small file into a huge grid).
func aliasNode(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := aliasNode(c); a != nil {
			return a
		}
	}
	return nil
}

var yamlLineRe2 = regexp.MustCompile(`line (\d+): `)

// yamlLine pulls the first line number out of a yaml error and returns the
// message on one line without the "yaml: line N:" prefixes.
func yamlLine(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
	}
	line := 0
	if m := yamlLineRe2.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = yamlLineRe2.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, "unmarshal errors:", "")
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return line, msg
}

// lineOf finds the node at path (mapping keys, then sequence indices) under
// doc and returns its line and the path as written in errors
// (alarms.periods[1]). When the path leaves the file (a default value) the
// deepest node found is used.
func lineOf(doc *yaml.Node, path []string) (int, string) {
	n := doc
	line := doc.Line
	var where strings.Builder
	for _, p := range path {
		if i, err := strconv.Atoi(p); err == nil {
			fmt.Fprintf(&where, "[%d]", i)
			if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				n = n.Content[i]
				line = n.Line
			} else {
				n = nil
			}
			continue
		}
		if where.Len() > 0 {
			where.WriteByte('.')
		}
		where.WriteString(p)
		var next *yaml.Node
		if n != nil && n.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == p {
					next = n.Content[j+1]
					line = n.Content[j].Line
				}
			}
		}
		n = next
	}
	return line, where.String()
}

// clearNegativeZeros writes every -0 of g's number lists as 0: YAML keeps
// the sign of "-0.0", and a threshold of -0 was echoed back as
// Threshold=-0 in the recommended --alarm flags.
func clearNegativeZeros(g *SpaceGrid) {
	lists := [][]float64{g.Compare, g.Sequential}
	if g.Canary != nil {
		lists = append(lists, g.Canary.Percents)
	}
	if g.Linear != nil {
		lists = append(lists, g.Linear.Percents)
	}
	if g.Exponential != nil {
		lists = append(lists, g.Exponential.Starts, g.Exponential.Factors)
	}
	if g.Alarms != nil {
		for _, th := range g.Alarms.Thresholds {
			lists = append(lists, th)
		}
	}
	for _, l := range lists {
		for i := range l {
			if l[i] == 0 {
				l[i] = 0
			}
		}
	}
}
