package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkRead is the invariant of every reader: an error that names the file,
// or deployables whose strategies and policies validate and whose warnings
// name the file.
func checkRead(t *testing.T, data []byte) {
	const name = "fuzz.yaml"
	f, err := Read(name, data)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.File != name {
			t.Fatalf("error %v (%T) does not name the file", err, err)
		}
		if !strings.HasPrefix(err.Error(), name+":") {
			t.Fatalf("error %q does not start with the file name", err)
		}
		return
	}
	for _, d := range f.Deployables {
		if d.Strategy == nil {
			t.Fatalf("deployable %s has no strategy", d.Name)
		}
		if err := d.Strategy.Validate(); err != nil {
			t.Fatalf("deployable %s: strategy %v: %v", d.Name, d.Strategy, err)
		}
		if err := d.Strategy.Schedule().Validate(); err != nil {
			t.Fatalf("deployable %s: schedule: %v", d.Name, err)
		}
		if d.Policy != nil {
			if err := d.Policy.Validate(); err != nil {
				t.Fatalf("deployable %s: policy %s: %v", d.Name, d.Policy.Name(), err)
			}
		}
	}
	for _, w := range f.AllWarnings() {
		if w.File != name || w.Message == "" {
			t.Fatalf("warning %+v", w)
		}
	}
}

// FuzzReadTemplate feeds SAM/CloudFormation templates (YAML and JSON).
func FuzzReadTemplate(f *testing.F) {
	// Seeds: every template of testdata, the real ones included.
	for _, glob := range []string{"testdata/*.yaml", "testdata/*.json", "testdata/real/sam*/*"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil && !bytes.Contains(data, []byte("apiVersion:")) {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data) })
}

// FuzzReadRollout feeds Argo Rollouts manifests.
func FuzzReadRollout(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data) })
}

// FuzzReadCanary feeds Flagger manifests.
func FuzzReadCanary(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data) })
}

// FuzzParseMathExpr: a monomial with a finite coefficient, or an error.
func FuzzParseMathExpr(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMathExpr(s)
		if err == nil && m.pow == nil {
			t.Fatalf("%q: nil powers", s)
		}
	})
}

// FuzzRecogniseQuery: a query is recognised as a modelled metric or refused.
func FuzzRecogniseQuery(f *testing.F) {
	f.Add(`100 - sum(rate(rq{code!~"5.*"}[1m])) / sum(rate(rq[1m])) * 100`)
	f.Add(`histogram_quantile(0.99, sum(rate(x_milliseconds_bucket[30s])) by (le)) / 1000`)
	f.Add(`scalar(1 - sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m])))`)
	f.Fuzz(func(t *testing.T, q string) {
		m, err := recogniseQuery(q, nil, nil)
		if err != nil {
			return
		}
		if m.statistic.Kind > 5 || m.scale == 0 || m.scale != m.scale || m.offset != m.offset {
			t.Fatalf("%q: %+v", q, m)
		}
	})
}

// FuzzParseCondition: a comparison with a finite threshold, or an error.
func FuzzParseCondition(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCondition(s)
		if err == nil && (c.op == "" || c.threshold != c.threshold) {
			t.Fatalf("%q: %+v", s, c)
		}
	})
}

// FuzzIntrinsicExpansion builds templates whose values refer to each other
// many times over (issue 13.1: parameters doubling through !Sub, lists
// doubling through YAML aliases and !Join) from a depth and a leaf text, and
// checks the reader's invariant: a value within the budget is read, one
// beyond it is one error naming the resource; never a crash.
func FuzzIntrinsicExpansion(f *testing.F) {
	f.Add(uint8(30), "ab", false)
	f.Add(uint8(24), "x", true)
	f.Add(uint8(3), "Canary10Percent5Minutes", false)
	f.Fuzz(func(t *testing.T, depth uint8, leaf string, join bool) {
		if depth > 40 || len(leaf) > 64 || strings.ContainsAny(leaf, "\"\\\n\r\t'${}[]*&!#:,") {
			return
		}
		if leaf == "" {
			leaf = "a"
		}
		var src string
		if join {
			src = strings.Replace(joinBomb(int(depth)), "&a0 x", "&a0 "+leaf, 1)
		} else {
			src = strings.Replace(subBomb(int(depth)), "Default: ab", "Default: "+leaf, 1)
		}
		_, err := Read("bomb.yaml", []byte(src))
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "bomb.yaml:") {
				t.Fatalf("error not one line naming the file: %q", msg)
			}
			if strings.Contains(msg, "intrinsic functions expand") && !strings.Contains(msg, "resource Fn") {
				t.Fatalf("budget error without the resource: %s", msg)
			}
		}
	})
}
