package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/strategy"
)

// SAM's own test template names a configuration made outside it
// (TestDeploymentConfiguration): the function is skipped with a warning
// that says how to supply it, not the whole file refused; supplied, it is
// evaluated with it.
func TestDeploymentConfigOutsideTheFile(t *testing.T) {
	const path = "testdata/real/sam/function_with_custom_codedeploy_deployment_preference.yaml"
	f := read(t, path)
	if len(f.Deployables) != 0 {
		t.Fatalf("%d deployables without the configuration", len(f.Deployables))
	}
	wantWarning(t, f.Warnings, 10, `deployment configuration "TestDeploymentConfiguration" is neither predefined nor defined in this template`)
	wantWarning(t, f.Warnings, 10, "--deployment-config TestDeploymentConfiguration=")
	wantWarning(t, f.Warnings, 1, "nothing to simulate")

	name, st, err := ParseDeploymentConfig("TestDeploymentConfiguration=Linear:20%,2m")
	if err != nil || name != "TestDeploymentConfiguration" {
		t.Fatal(name, err)
	}
	f2, err := Options{DeploymentConfigs: map[string]strategy.Strategy{name: st}}.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := only(t, f2)
	if !strategy.Equal(d.Strategy, strategy.Linear{Percent: 20, Interval: 2 * time.Minute}) {
		t.Errorf("strategy %v", d.Strategy)
	}
}

func TestParseDeploymentConfig(t *testing.T) {
	for in, want := range map[string]string{
		"A=Canary10Percent7Minutes": "",
		"B=AllAtOnce":               "",
		"=Linear:20%,2m":            "want NAME=STRATEGY",
		"C":                         "want NAME=STRATEGY",
		"D=Linear:0%,2m":            "deployment config D",
		"E=Steps:10%,5m":            "AllAtOnce, Canary or Linear",
	} {
		_, _, err := ParseDeploymentConfig(in)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}
