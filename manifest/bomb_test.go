package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// subBomb is issue 13's template: parameter k's Default is parameter k-1
// twice, so parameter n stands for 2^n copies of the first; 30 deep it made
// a 1.7 KB template run out of memory.
func subBomb(n int) string {
	var b strings.Builder
	b.WriteString("Parameters:\n  P0:\n    Type: String\n    Default: ab\n")
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&b, "  P%d:\n    Type: String\n    Default: !Sub \"${P%d}${P%d}\"\n", k, k-1, k-1)
	}
	fmt.Fprintf(&b, "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      AutoPublishAlias: !Ref P%d\n      DeploymentPreference:\n        Type: AllAtOnce\n", n)
	return b.String()
}

// joinBomb doubles a list through YAML aliases: a_k = Join(a_{k-1}, a_{k-1}).
func joinBomb(n int) string {
	var b strings.Builder
	b.WriteString("Metadata:\n  a0: &a0 x\n")
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&b, "  a%d: &a%d !Join ['', [*a%d, *a%d]]\n", k, k, k-1, k-1)
	}
	fmt.Fprintf(&b, "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      AutoPublishAlias: live\n      DeploymentPreference:\n        Type: !Join ['', [*a%d, *a%d]]\n", n, n)
	return b.String()
}

// Both bombs end in one error that names the function being read and the
// budget, not in an out-of-memory crash; and the work done stays within the
// budget (memoised, each expression is evaluated once, so a template of n
// parameters costs O(n) steps; the bytes it would expand to are what stop it).
func TestIntrinsicBombs(t *testing.T) {
	for name, src := range map[string]string{"sub30": subBomb(30), "join24": joinBomb(24)} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(name+".yaml", []byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, "while reading resource Fn") || !strings.Contains(msg, "more than 1048576 bytes") {
				t.Errorf("error: %s", msg)
			}
		})
	}
}

// Below the budget the same shapes evaluate to the right string: memoising
// does not change values. 2^10 copies of "ab" is 2 KB.
func TestIntrinsicMemoKeepsValues(t *testing.T) {
	f, err := Read("sub10.yaml", []byte(strings.Replace(subBomb(10), "Type: AllAtOnce", "Type: Canary10Percent5Minutes", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deployables) != 1 {
		t.Fatalf("%d deployables", len(f.Deployables))
	}
	r := &reader{file: "x"}
	root, err := parseDocuments("x", []byte(subBomb(10)))
	if err != nil {
		t.Fatal(err)
	}
	tp := &template{reader: r, root: at{n: root[0]}, resources: map[string]at{}, params: map[string]at{}, conditions: map[string]at{}}
	p, _ := at{n: root[0]}.get("Parameters")
	for _, e := range p.entries() {
		tp.params[e.key] = e.val
	}
	v, err := tp.refName(at{}, "P10", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v.s != strings.Repeat("ab", 1024) {
		t.Errorf("P10 = %d bytes, want 2048", len(v.s))
	}
	if tp.steps > 200 {
		t.Errorf("%d steps for 10 parameters: not memoised", tp.steps)
	}
}

// A template that spends the step budget without producing bytes (a
// condition over a list of conditions, each list the previous one twice)
// ends with the step error: conditions are not memoised by node, only by
// name, so the budget is what stops them.
func TestIntrinsicStepBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("Metadata:\n  l0: &l0 [!Condition C0, !Condition C0]\n")
	for k := 1; k <= 30; k++ {
		fmt.Fprintf(&b, "  l%d: &l%d [{\"Fn::And\": *l%d}, {\"Fn::And\": *l%d}]\n", k, k, k-1, k-1)
	}
	b.WriteString("Conditions:\n  C0: !Equals [a, a]\n  Big: {\"Fn::And\": *l30}\n")
	b.WriteString("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Condition: Big\n    Properties:\n      AutoPublishAlias: live\n      DeploymentPreference:\n        Type: AllAtOnce\n")
	_, err := Read("steps.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "evaluation steps") || !strings.Contains(err.Error(), "resource Fn") {
		t.Fatalf("err = %v", err)
	}
}

// Groups tied to aliases are matched through an index: with a scan of every
// alias for every group, 2,000 of each spent 4 million evaluation steps and
// hit the budget (each step is counted, so the budget catches quadratic
// work as well as doubling values).
func TestManyAliasesLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("Resources:\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "  G%d:\n    Type: AWS::CodeDeploy::DeploymentGroup\n    Properties: {ApplicationName: app, DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce}\n", i)
		fmt.Fprintf(&b, "  A%d:\n    Type: AWS::Lambda::Alias\n    UpdatePolicy: {CodeDeployLambdaAliasUpdate: {ApplicationName: app, DeploymentGroupName: !Ref G%d}}\n    Properties: {FunctionName: !Ref F%d, FunctionVersion: '1', Name: live}\n", i, i, i)
		fmt.Fprintf(&b, "  F%d:\n    Type: AWS::Lambda::Function\n    Properties: {Handler: h}\n", i)
	}
	f, err := Read("many.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deployables) != 2000 || f.Deployables[1999].Name != "F1999" {
		t.Fatalf("%d deployables", len(f.Deployables))
	}
}
