package metrics

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(JSONSchema))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema.json does not compile: %v", err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

// Real output validates against the published schema: tables with and
// without state, with params, exact and sketch figures, an origin, rows
// with no healthy or no bad runs; and a document the schema must refuse
// is refused, so the test could fail.
func TestOutputMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	tb := comparison()
	tb.Rows[1].Params = []Param{{"rps", "100"}, {"error_rate", "0.05"}}
	big := summarize(badRuns(11, ExactValues+3))
	if err := big.SetOrigin(Fingerprint("big"), 0); err != nil {
		t.Fatal(err)
	}
	tb.Add("Big", big)
	mixed := summarize(randomRuns(12, 50))
	tb.Add("Mixed", mixed)
	for _, withState := range []bool{false, true} {
		var buf bytes.Buffer
		if err := tb.WriteWith(&buf, JSON, WriteOptions{WithState: withState}); err != nil {
			t.Fatal(err)
		}
		if err := validate(t, sch, buf.Bytes()); err != nil {
			t.Errorf("with state %v: output does not match the schema: %v", withState, err)
		}
		if withState != strings.Contains(buf.String(), `"state"`) {
			t.Errorf("with state %v: state present = %v", withState, !withState)
		}
	}
	// Every key the schema names for a figure or an outcome is one the code
	// writes, and the other way round.
	var s struct {
		Defs struct {
			Row struct {
				Required []string `json:"required"`
			} `json:"row"`
			Figures struct {
				PropertyNames struct {
					Enum []string `json:"enum"`
				} `json:"propertyNames"`
			} `json:"figures"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(JSONSchema), &s); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range RunFigures {
		names = append(names, f.String())
		if !slices.Contains(s.Defs.Row.Required, f.String()) {
			t.Errorf("schema row does not require %q", f)
		}
	}
	if !slices.Equal(s.Defs.Figures.PropertyNames.Enum, names) {
		t.Errorf("schema figure names %v, code %v", s.Defs.Figures.PropertyNames.Enum, names)
	}
	// Refusals: a camelCase key, a hyphenated outcome, a missing figure.
	var good bytes.Buffer
	if err := comparison().WriteJSON(&good); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string][2]string{
		"camelCase":        {`"ci_low"`, `"ciLow"`},
		"hyphen outcome":   {`"rolled_back"`, `"rolled-back"`},
		"missing figure":   {`"duration_s"`, `"duration"`},
		"unknown quantile": {`"quantiles": "exact"`, `"quantiles": "guess"`},
	} {
		bad := strings.Replace(good.String(), edit[0], edit[1], 1)
		if bad == good.String() {
			t.Fatalf("%s: %q not in the output", name, edit[0])
		}
		if err := validate(t, sch, []byte(bad)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
