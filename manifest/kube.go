package manifest

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// kobj is one Kubernetes object of the input.
type kobj struct {
	file       string // the file it came from
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

// kdocs are the documents of one file.
type kdocs struct {
	file string
	docs []*yaml.Node
}

// readKubernetesFiles reads Argo Rollouts Rollouts (with the
// AnalysisTemplates read with them) and Flagger Canaries (with their
// MetricTemplates). It reads the objects of several files together, so that
// a Rollout can use the AnalysisTemplates of another file; out[i] receives
// what files[i] declares.
func (r *reader) readKubernetesFiles(files []kdocs, outs []*File) error {
	var objs []*kobj
	var cur string
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
		o := &kobj{root: a, file: cur}
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
	for _, f := range files {
		cur, r.file = f.file, f.file
		for _, d := range f.docs {
			if err := add(at{n: d}, 0); err != nil {
				return err
			}
		}
	}
	outOf := func(file string) *File {
		for i, f := range files {
			if f.file == file {
				return outs[i]
			}
		}
		return outs[0]
	}
	k := &kube{reader: r, objs: objs}
	for _, o := range objs {
		r.file = o.file
		out := outOf(o.file)
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
			d.Declared, d.Watched = declaredK8s(o)
			if d.Policy != nil {
				d.IngestionDelay, d.Period = PrometheusDelay, PrometheusPeriod
			}
			d.Warnings = append(d.Warnings, r.takeWarnings()...)
			out.Deployables = append(out.Deployables, *d)
		}
		out.Warnings = append(out.Warnings, r.takeWarnings()...)
	}
	for _, o := range objs {
		if (o.kind == "AnalysisTemplate" || o.kind == "ClusterAnalysisTemplate" || o.kind == "MetricTemplate") && !o.used {
			r.file = o.file
			r.warnf(o.root, "%s is not used by any Rollout or Canary read with it; not read", o.label())
			outOf(o.file).Warnings = append(outOf(o.file).Warnings, r.takeWarnings()...)
		}
	}
	total := 0
	for _, out := range outs {
		total += len(out.Deployables)
	}
	if total == 0 {
		r.file = files[0].file
		r.warnf(at{n: files[0].docs[0]}, "no Argo Rollouts Rollout and no Flagger Canary: nothing is deployed progressively")
		outs[0].Warnings = append(outs[0].Warnings, r.takeWarnings()...)
	}
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
