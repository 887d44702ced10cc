package manifest

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kobj is one Kubernetes object of the file.
type kobj struct {
	root       at
	apiVersion string
	kind       string
	name       string
	used       bool // an AnalysisTemplate some Rollout refers to
}

func (o *kobj) group() string {
	if i := strings.IndexByte(o.apiVersion, '/'); i >= 0 {
		return o.apiVersion[:i]
	}
	return o.apiVersion
}

func (o *kobj) label() string { return o.kind + "/" + o.name }

// readKubernetes reads Argo Rollouts Rollouts (with the AnalysisTemplates of
// the same file) and Flagger Canaries (with the MetricTemplates of the same
// file).
func (r *reader) readKubernetes(docs []*yaml.Node, out *File) error {
	var objs []*kobj
	var add func(a at, depth int) error
	add = func(a at, depth int) error {
		if !a.isMap() {
			return r.errf(a, "got %s: expected a Kubernetes object (apiVersion, kind, metadata, spec) or a CloudFormation template", kindName(a.n))
		}
		av, ok1 := a.get("apiVersion")
		k, ok2 := a.get("kind")
		if !ok1 || !ok2 {
			return r.errf(a, "neither a CloudFormation template (no Resources) nor a Kubernetes object (no apiVersion and kind)")
		}
		o := &kobj{root: a}
		var err error
		if o.apiVersion, err = r.plainString(av); err != nil {
			return err
		}
		if o.kind, err = r.plainString(k); err != nil {
			return err
		}
		if o.kind == "List" && depth == 0 {
			items, _ := a.get("items")
			for _, it := range items.items() {
				if err := add(it, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		md, _ := a.get("metadata")
		if n, ok := md.get("name"); ok {
			o.name, _ = n.scalar()
		}
		objs = append(objs, o)
		return nil
	}
	for _, d := range docs {
		if err := add(at{n: d}, 0); err != nil {
			return err
		}
	}
	k := &kube{reader: r, objs: objs}
	for _, o := range objs {
		var d *Deployable
		var err error
		switch {
		case o.group() == "argoproj.io" && o.kind == "Rollout":
			d, err = k.rollout(o)
		case o.group() == "flagger.app" && o.kind == "Canary":
			d, err = k.flaggerCanary(o)
		case o.group() == "argoproj.io" && (o.kind == "AnalysisTemplate" || o.kind == "ClusterAnalysisTemplate"),
			o.group() == "flagger.app" && o.kind == "MetricTemplate":
			continue // read when a Rollout or Canary refers to it
		case o.group() == "argoproj.io" || o.group() == "flagger.app":
			r.warnf(o.root, "%s %s: deploysim reads Rollout, AnalysisTemplate, ClusterAnalysisTemplate (Argo) and Canary, MetricTemplate (Flagger); ignored", o.apiVersion, o.label())
			continue
		default:
			continue // Deployments, Services …: not rollout configuration
		}
		if err != nil {
			return err
		}
		if d != nil {
			d.Source = Source{Kind: o.group() + "/" + o.kind, File: r.file, Line: o.root.line(), Path: o.label()}
			d.Warnings = append(d.Warnings, r.takeWarnings()...)
			out.Deployables = append(out.Deployables, *d)
		}
		out.Warnings = append(out.Warnings, r.takeWarnings()...)
	}
	for _, o := range objs {
		if (o.kind == "AnalysisTemplate" || o.kind == "ClusterAnalysisTemplate" || o.kind == "MetricTemplate") && !o.used {
			r.warnf(o.root, "%s is not used by any Rollout or Canary of this file; not read", o.label())
		}
	}
	if len(out.Deployables) == 0 {
		r.warnf(at{n: docs[0]}, "no Argo Rollouts Rollout and no Flagger Canary in the file: nothing is deployed progressively")
	}
	out.Warnings = append(out.Warnings, r.takeWarnings()...)
	return nil
}

type kube struct {
	*reader
	objs []*kobj
}

// find returns the object of the given kinds and name.
func (k *kube) find(name string, kinds ...string) *kobj {
	for _, o := range k.objs {
		if o.name != name {
			continue
		}
		for _, kd := range kinds {
			if o.kind == kd {
				return o
			}
		}
	}
	return nil
}

var _ = fmt.Sprint
