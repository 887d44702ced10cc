package manifest

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Fn::ForEach (the AWS::LanguageExtensions transform) writes several
// resources as one: `Fn::ForEach::Name: [Identifier, Collection,
// {OutputKey: Template}]` makes, for each value of the collection, the
// resources of the template with ${Identifier} and &{Identifier} replaced by
// the value (&{} keeps only its letters and digits) and !Ref Identifier by
// the value itself (AWS CloudFormation User Guide, "Fn::ForEach",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-foreach.html).
// The reader expands it where the resources are listed, nested loops
// included, within maxGenerated resources.

// maxGenerated bounds the resources Fn::ForEach loops may generate in one
// template. [chosen] CloudFormation accepts at most 500 resources; the bound
// leaves room and stops nested loops that multiply out of reach.
const maxGenerated = 5000

// forEach expands one Fn::ForEach entry of Resources into its resources.
func (t *template) forEach(e kv, depth int) ([]kv, error) {
	if depth > maxDepth {
		return nil, t.errf(e.val, "Fn::ForEach nested deeper than %d", maxDepth)
	}
	parts := e.val.items()
	if !e.val.isSeq() || len(parts) != 3 {
		return nil, t.errf(e.val, "%s takes [Identifier, Collection, {OutputKey: Template}]", e.key)
	}
	id, ok := parts[0].scalar()
	if !ok || id == "" {
		return nil, t.errf(parts[0], "%s: the identifier must be a string", e.key)
	}
	coll, err := t.list(parts[1], 0)
	if err != nil {
		if isUnresolved(err) {
			t.warnOrErr(err, "the resources "+e.key+" generates are not read")
			return nil, nil
		}
		return nil, err
	}
	if !parts[2].isMap() {
		return nil, t.errf(parts[2], "%s: the output must be a mapping of OutputKey to template", e.key)
	}
	var out []kv
	for _, item := range coll {
		v, err := t.str(item, 0)
		if err != nil {
			if isUnresolved(err) {
				t.warnOrErr(err, "the resources "+e.key+" generates are not read")
				return nil, nil
			}
			return nil, err
		}
		sub := strings.NewReplacer("${"+id+"}", v.s, "&{"+id+"}", alnum(v.s))
		for _, o := range parts[2].entries() {
			key := sub.Replace(o.key)
			body, err := t.copySubst(o.val.n, id, v.s, sub, 0)
			if err != nil {
				return nil, err
			}
			g := kv{key: key, keyLine: o.keyLine, val: at{n: body, path: "Resources." + key, keyLine: o.keyLine}}
			if strings.HasPrefix(key, "Fn::ForEach::") {
				inner, err := t.forEach(g, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, inner...)
			} else {
				out = append(out, g)
			}
			if t.generated += 1; t.generated > maxGenerated {
				return nil, t.errf(e.val, "Fn::ForEach loops generate more than %d resources (CloudFormation accepts at most 500)", maxGenerated)
			}
		}
	}
	return out, nil
}

// copySubst copies a template fragment with the loop's value put in.
func (t *template) copySubst(n *yaml.Node, id, value string, sub *strings.Replacer, depth int) (*yaml.Node, error) {
	if err := t.spend(at{n: n}); err != nil {
		return nil, err
	}
	n = deref(n)
	if n == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, t.errf(at{n: n}, "Fn::ForEach template nested deeper than %d", maxDepth)
	}
	c := *n
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!Ref" && n.Value == id {
			c.Tag, c.Value = "!!str", value
			return &c, nil
		}
		c.Value = sub.Replace(n.Value)
		return &c, nil
	case yaml.MappingNode:
		// {Ref: Identifier} is the value itself.
		if len(n.Content) == 2 {
			if k := deref(n.Content[0]); k != nil && k.Value == "Ref" {
				if v := deref(n.Content[1]); v != nil && v.Kind == yaml.ScalarNode && v.Value == id {
					return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: n.Line, Column: n.Column}, nil
				}
			}
		}
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		cc, err := t.copySubst(ch, id, value, sub, depth+1)
		if err != nil {
			return nil, err
		}
		c.Content[i] = cc
	}
	return &c, nil
}

// alnum keeps the letters and digits of s (&{Identifier}).
func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
