// Package batch_test runs the batch examples as far as this machine allows:
// each array task's command, as the manifest, job definition or script
// writes it, with the environment the batch engine would give it (its
// index and count), then the merge of the shards they wrote, which must be
// the unsharded sweep.
package batch_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// shrink makes the examples' sweep small enough for a test; appended to the
// command, these flags override the example's own (the last value wins).
var shrink = []string{"--rps=1", "--error-rate=0,0.05", "--runs=3", "--horizon=0", "--progress=never"}

// build compiles deploysim into a temporary folder and returns its path.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "deploysim")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/deploysim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// env is the test's environment without any batch engine's variables, plus
// the given ones: each task sees only what its engine would set.
func env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "JOB_COMPLETION_INDEX", "DEPLOYSIM_SHARD_COUNT", "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE",
			"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "PARALLEL_SEQ":
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// command rewrites an example's container command for this machine: the
// built binary for "deploysim", dir for the shared /shards/ volume.
func command(bin, dir string, args []string) []string {
	out := make([]string, 0, len(args)+len(shrink))
	for _, a := range args {
		if a == "deploysim" {
			a = bin
		}
		out = append(out, strings.ReplaceAll(a, "/shards/", dir+"/"))
	}
	return append(out, shrink...)
}

// run runs argv with environ and fails the test unless it exits 0.
func run(t *testing.T, environ []string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = environ
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v\n%s", argv, err, errb.String())
	}
	return out.String()
}

// checkMerge merges the shards in dir and compares the result with the
// sweep run whole (the shrunk sweep of the example's command args).
func checkMerge(t *testing.T, bin, dir string, args []string, n int) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "shard-*-of-*.json"))
	if len(files) != n {
		t.Fatalf("%d shard files in %s, want %d", len(files), dir, n)
	}
	merged := run(t, env(), bin, "merge", dir, "-o", "json")
	var whole []string
	for _, a := range command(bin, dir, args) {
		if !strings.HasPrefix(a, "--shard") && !strings.HasPrefix(a, "--out") {
			whole = append(whole, a)
		}
	}
	if want := run(t, env(), append(whole, "-o", "json")...); merged != want {
		t.Errorf("merge of the %d shards differs from the whole sweep:\n%.400s\nvs\n%.400s", n, merged, want)
	}
}

func TestKubernetesIndexedJob(t *testing.T) {
	bin, dir := build(t), t.TempDir()
	b, err := os.ReadFile("kubernetes-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string
						Env     []struct{ Name, Value string }
					}
				}
			}
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for job.Kind != "Job" {
		if err := dec.Decode(&job); err != nil {
			t.Fatalf("no Job in the manifest: %v", err)
		}
	}
	c := job.Spec.Template.Spec.Containers[0]
	count := ""
	for _, e := range c.Env {
		if e.Name == "DEPLOYSIM_SHARD_COUNT" {
			count = e.Value
		}
	}
	if job.Spec.CompletionMode != "Indexed" || count != strconv.Itoa(job.Spec.Completions) {
		t.Fatalf("completionMode %q, completions %d, DEPLOYSIM_SHARD_COUNT %q: want Indexed and the count equal to completions",
			job.Spec.CompletionMode, job.Spec.Completions, count)
	}
	for i := range job.Spec.Completions {
		run(t, env(fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "DEPLOYSIM_SHARD_COUNT="+count), command(bin, dir, c.Command)...)
	}
	checkMerge(t, bin, dir, c.Command, job.Spec.Completions)
}

func TestAWSBatchArrayJob(t *testing.T) {
	bin, dir := build(t), t.TempDir()
	var def struct {
		ContainerProperties struct {
			Command     []string
			Environment []struct{ Name, Value string }
		} `json:"containerProperties"`
	}
	var submit struct {
		ArrayProperties struct{ Size int } `json:"arrayProperties"`
	}
	for f, v := range map[string]any{"aws-batch-job-definition.json": &def, "aws-batch-submit-job.json": &submit} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	size := ""
	for _, e := range def.ContainerProperties.Environment {
		if e.Name == "AWS_BATCH_JOB_ARRAY_SIZE" {
			size = e.Value
		}
	}
	n := submit.ArrayProperties.Size
	if size != strconv.Itoa(n) {
		t.Fatalf("AWS_BATCH_JOB_ARRAY_SIZE %q in the job definition, arrayProperties.size %d in the submission: want them equal", size, n)
	}
	for i := range n {
		run(t, env(fmt.Sprintf("AWS_BATCH_JOB_ARRAY_INDEX=%d", i), "AWS_BATCH_JOB_ARRAY_SIZE="+size), command(bin, dir, def.ContainerProperties.Command)...)
	}
	checkMerge(t, bin, dir, def.ContainerProperties.Command, n)
}

func TestSlurmJobArray(t *testing.T) {
	bin, dir := build(t), t.TempDir()
	b, err := os.ReadFile("slurm-sweep.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no #SBATCH --array=A-B line")
	}
	lo, _ := strconv.Atoi(string(m[1]))
	hi, _ := strconv.Atoi(string(m[2]))
	n := hi - lo + 1
	path := filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	for id := lo; id <= hi; id++ {
		// Slurm runs the script with the task's variables set; so does
		// the test, with the built deploysim first on the PATH.
		run(t, env("PATH="+path, "SHARDS="+dir, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", id),
			fmt.Sprintf("SLURM_ARRAY_TASK_MIN=%d", lo), fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", n)),
			append([]string{"bash", "slurm-sweep.sh"}, shrink...)...)
	}
	// The script's sweep, as the merge check needs it.
	args := []string{"deploysim", "sweep", "--rps=1,10,100,1000", "--error-rate=0,0.01,0.05",
		"--strategies=Canary10Percent5Minutes,Linear10PercentEvery1Minute,AllAtOnce", "--runs=2000"}
	if !bytes.Contains(b, []byte(strings.Join(args[2:5], " \\\n  "))) {
		t.Fatalf("the script's sweep is not %q", args)
	}
	checkMerge(t, bin, dir, args, n)
}
