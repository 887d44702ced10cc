package manifest

import (
	"math"
	"os"
	"strings"
	"testing"
)

// A threshold written -0 in a file is 0: the explanation echoed it back as
// "> -0", as compare's header once printed "-0 req/s".
func TestNegativeZeroThreshold(t *testing.T) {
	data, err := os.ReadFile("testdata/sam-burn-rate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), "Threshold: 0.0144", "Threshold: -0.0", 1)
	if doc == string(data) {
		t.Fatal("testdata/sam-burn-rate.yaml no longer has Threshold: 0.0144")
	}
	f, err := Read("negzero.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range f.Deployables {
		lines = append(lines, d.Explain().Policy...)
	}
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "> 0,") || strings.Contains(text, "-0") {
		t.Errorf("policy explained as\n%s\nwant the -0.0 threshold written > 0", text)
	}
	c, err := parseCondition("result[0] < -0")
	if err != nil || c.threshold != 0 || math.Signbit(c.threshold) {
		t.Errorf("parseCondition(< -0) = %+v, %v; want threshold +0", c, err)
	}
}
