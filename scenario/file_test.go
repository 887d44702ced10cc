package scenario

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Errors name the file, the line and the key, in one line.
func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"rps: 5\nbogus: 1\n", `f.yaml: line 2: unknown key "bogus"`},
		{"rps: 5\nrps: 6\n", "f.yaml: line 2: rps: given twice"},
		{"horizon: soon\n", `f.yaml: line 1: horizon: "soon": must be a duration such as 90s or 5m`},
		{"alarms:\n  - MetricName: Errors\n    Colour: red\n", `f.yaml: line 3: alarms[0]: unknown key "Colour"`},
		{"strategies: &x [AllAtOnce]\nalarms: *x\n", "f.yaml: line 2: alarms: YAML aliases are not supported"},
		{"", "f.yaml: empty scenario file"},
		{"rps: [1, 2]\n", "f.yaml: line 1: rps: cannot unmarshal"},
		// Numbers follow the flags' rules (issue 13.9): refused, not
		// truncated or saturated.
		{"runs: 2.7\n", `f.yaml: line 1: runs: "2.7": must be a whole number`},
		{"seed: 18446744073709551616\n", `f.yaml: line 1: seed: "18446744073709551616": must be a whole number in [0, 2^64)`},
		{"seed: 1.5\n", `f.yaml: line 1: seed: "1.5": must be a whole number in [0, 2^64)`},
		{"users: 1e3\n", `f.yaml: line 1: users: "1e3": must be a whole number`},
		{"rps: .nan\n", `f.yaml: line 1: rps: ".nan": must be a finite number`},
		// Later documents would be ignored.
		{"rps: 5\n---\nrps: 6\n", "f.yaml: line 2: a second YAML document: a scenario file holds one"},
	} {
		_, err := Decode("f.yaml", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Decode(%q) = %v, want one line containing %q", c.doc, err, c.want)
		}
	}
}

// Load refuses a file larger than MaxFileSize without reading it, and a
// directory, naming the path.
func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), big+": larger than 8 MiB") {
		t.Errorf("Load(8 MiB + 1) = %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Load(dir) = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.yaml")); !os.IsNotExist(err) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

// Validate names the file's key, or the flag once MarkFlag says the
// command line set it.
func TestValidateNamesTheSource(t *testing.T) {
	f, err := Decode("s.yaml", []byte("rps: -1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err == nil || err.Error() != "s.yaml: rps = -1: must be a finite number >= 0" {
		t.Errorf("Validate = %v", err)
	}
	f.MarkFlag("rps")
	if err := f.Validate(); err == nil || err.Error() != "--rps = -1: must be a finite number >= 0" {
		t.Errorf("Validate after MarkFlag = %v", err)
	}
	if f.Path() != "s.yaml" || !f.FromFlag("rps") || f.FromFlag("runs") {
		t.Errorf("Path %q, FromFlag(rps) %v, FromFlag(runs) %v", f.Path(), f.FromFlag("rps"), f.FromFlag("runs"))
	}
}

// Write writes every setting; Decode reads it back to the same settings.
// The example file, which sets every key, is the input.
func TestWriteRoundTrip(t *testing.T) {
	f, err := Load("../examples/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	back, err := Decode("back.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("own output refused: %v\n%s", err, b.String())
	}
	j1, _ := json.Marshal(&f)
	j2, _ := json.Marshal(&back)
	if string(j1) != string(j2) {
		t.Errorf("round trip differs:\n%s\n%s", j1, j2)
	}
	for _, k := range tags(reflect.TypeOf(File{})) {
		if !strings.Contains(b.String(), "\n"+k+":") && !strings.HasPrefix(b.String(), k+":") {
			t.Errorf("Write does not write %q", k)
		}
	}
}

// Set applies the flags' rules; Settings covers every scalar key of File.
func TestSet(t *testing.T) {
	f := Default()
	for _, c := range []struct{ key, v, want string }{
		{"runs", "2.7", "must be a whole number"},
		{"seed", "18446744073709551616", "must be a whole number in [0, 2^64)"},
		{"rps", "NaN", "must be a finite number"},
		{"horizon", "soon", "must be a duration such as 90s or 5m"},
		{"colour", "red", `unknown setting "colour"`},
	} {
		if err := f.Set(c.key, c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Set(%s, %q) = %v, want %q", c.key, c.v, err, c.want)
		}
	}
	if err := f.Set("horizon", "90"); err != nil || f.Horizon.String() != "1m30s" {
		t.Errorf("Set(horizon, 90) = %v, horizon %v", err, f.Horizon)
	}
	keys := map[string]bool{}
	for _, s := range Settings() {
		keys[s.Key] = true
	}
	for _, k := range tags(reflect.TypeOf(File{})) {
		if !keys[k] && k != "alarms" {
			t.Errorf("no setting for key %q", k)
		}
	}
}

// A huge bad value is clipped in the error: the message stays a line.
func TestDecodeClipsValues(t *testing.T) {
	huge := strings.Repeat("x", 7<<20)
	for _, doc := range []string{"traffic: " + huge + "\n", "rps: " + huge + "\n"} {
		f, err := Decode("f.yaml", []byte(doc))
		if err == nil {
			err = f.Validate()
		}
		if err == nil || len(err.Error()) > 300 {
			t.Errorf("Decode(%.20q…) = %.300v (%d bytes), want a short error", doc, err, len(fmt.Sprint(err)))
		}
	}
}

// A device or a binary file is refused at its first NUL byte, not after
// max bytes held in memory; a UTF-16 file (YAML allows it, with its byte
// order mark) still reads whole.
func TestReadFileRefusesNUL(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := ReadFile("/dev/zero", 1<<40) // would exhaust memory if read
		if err == nil || !strings.Contains(err.Error(), "NUL byte at offset 0") {
			t.Errorf("ReadFile(/dev/zero): %v, want the NUL byte refused", err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin.yaml")
	if err := os.WriteFile(bin, []byte("runs: 3\n\x00junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bin, 1<<20); err == nil || !strings.Contains(err.Error(), "offset 8") {
		t.Errorf("ReadFile(binary): %v, want the NUL at offset 8 named", err)
	}
	wide := filepath.Join(dir, "wide.yaml")
	utf16 := []byte{0xFF, 0xFE}
	for _, c := range "runs: 3\n" {
		utf16 = append(utf16, byte(c), 0)
	}
	if err := os.WriteFile(wide, utf16, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(wide, 1<<20); err != nil || len(b) != len(utf16) {
		t.Errorf("ReadFile(UTF-16): %d bytes, %v; want %d bytes", len(b), err, len(utf16))
	}
}

// A File built as a literal, not from Default or Decode, gets an error from
// Scenario naming its traffic, not a nil dereference: Scenario is callable
// without Validate.
func TestZeroFileScenario(t *testing.T) {
	for _, traffic := range []string{"", "poison"} {
		f := File{Traffic: traffic}
		sc, err := f.Scenario(nil)
		if err == nil || !strings.Contains(err.Error(), "traffic") {
			t.Errorf("File{Traffic: %q}.Scenario: %v, %v; want an error naming traffic", traffic, sc.Workload, err)
		}
	}
}
