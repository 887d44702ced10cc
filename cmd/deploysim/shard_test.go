package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --shard auto reads each batch engine's index and count.
func TestAutoShard(t *testing.T) {
	for _, c := range []struct {
		flag string
		env  map[string]string
		want string // the shard, or an error's text
	}{
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "3", "DEPLOYSIM_SHARD_COUNT": "8"}, "3/8 Kubernetes Indexed Job"},
		{"auto/5", map[string]string{"JOB_COMPLETION_INDEX": "4"}, "4/5 Kubernetes Indexed Job"},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "4"}, "gives the index (JOB_COMPLETION_INDEX) but not the count"},
		{"auto", map[string]string{"AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "2"}, "0/2 AWS Batch array job"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"}, "6/8 Slurm job array"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "8"}, "7/8 Slurm job array"},
		{"auto/4", map[string]string{"PARALLEL_SEQ": "1"}, "0/4 GNU parallel"},
		{"auto/4", map[string]string{"PARALLEL_SEQ": "5"}, "index 4 (PARALLEL_SEQ = 5) of 4"},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "x", "DEPLOYSIM_SHARD_COUNT": "8"}, `JOB_COMPLETION_INDEX = "x": must be a whole number`},
		{"auto/0", map[string]string{"PARALLEL_SEQ": "1"}, "N must be a whole number >= 1"},
		{"auto", map[string]string{}, "no batch engine's index in the environment"},
	} {
		s, engine, err := autoShard(c.flag, func(k string) string { return c.env[k] })
		got := fmt.Sprintf("%v %s", s, engine)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s with %v: %q, want %q", c.flag, c.env, got, c.want)
		}
	}
}

// merge reads a directory or a pattern of shard files, and refuses by name
// what is missing, given twice, relabelled or partial.
func TestMergeShardFiles(t *testing.T) {
	args := []string{"sweep", "-n", "3", "--rps", "1,2", "-s", "AllAtOnce", "--horizon", "0"}
	_, whole, _ := runCLI(t, append(args, "-o", "json")...)
	dir := t.TempDir()
	for i := range 3 {
		if code, _, errs := runCLI(t, append(args, "--shard", fmt.Sprintf("%d/3", i), "--out", dir+"/")...); code != 0 {
			t.Fatalf("shard %d: %s", i, errs)
		}
	}
	for _, a := range [][]string{{dir}, {filepath.Join(dir, "shard-*.json")}} {
		if code, got, errs := runCLI(t, append([]string{"merge", "-o", "json"}, a...)...); code != 0 || got != whole {
			t.Errorf("merge %q: exit %d (%s), output differs from the whole sweep", a, code, errs)
		}
	}
	shard := func(i int) string { return filepath.Join(dir, fmt.Sprintf("shard-%d-of-3.json", i)) }
	b1, _ := os.ReadFile(shard(1))
	other := t.TempDir()
	relabelled := filepath.Join(other, "shard-2-of-3.json")
	os.WriteFile(relabelled, b1, 0o644)
	partial := filepath.Join(other, "p.json")
	os.WriteFile(partial, []byte(strings.Replace(string(b1), `"shard": "1/3",`, `"shard": "1/3", "partial": {"interrupted": true, "runs": 2},`, 1)), 0o644)
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{shard(0), shard(2)}, "shard 1/3 is missing (shard-1-of-3.json)"},
		{[]string{shard(0), shard(1), shard(1), shard(2)}, `given twice (also in ` + shard(1) + ")"},
		{[]string{shard(0), shard(1), relabelled}, "the name says shard 2/3, the file holds shard 1/3: a relabelled copy"},
		{[]string{shard(0), partial, shard(2)}, "is partial (interrupted after 2 runs): run it again"},
		{[]string{filepath.Join(other, "none-*.json")}, "no file matches"},
	} {
		code, _, errs := runCLI(t, append([]string{"merge"}, c.files...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("merge %q: exit %d, stderr %q, want %q", c.files, code, errs, c.want)
		}
	}
}
