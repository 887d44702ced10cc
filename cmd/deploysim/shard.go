package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Batch engines that run an array of identical tasks, each told its index
// (and, for some, the array's size) in environment variables. `--shard auto`
// reads them, so that one command line serves every task of the array.
var batchEngines = []struct {
	name         string
	index, count string // variables; count "" when the engine sets none
	base         string // variable holding the first index, "" when it is 0
	oneBased     bool   // index counts from 1
}{
	// Kubernetes Indexed Job: JOB_COMPLETION_INDEX in [0, completions).
	// The completions count is not in the environment: give it as
	// auto/N, or set DEPLOYSIM_SHARD_COUNT from the Job's spec.
	{name: "Kubernetes Indexed Job", index: "JOB_COMPLETION_INDEX"},
	// AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX in [0, size); the
	// size is the job's arrayProperties.size, which the job definition
	// passes as AWS_BATCH_JOB_ARRAY_SIZE.
	{name: "AWS Batch array job", index: "AWS_BATCH_JOB_ARRAY_INDEX", count: "AWS_BATCH_JOB_ARRAY_SIZE"},
	// Slurm job array: SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN,
	// SLURM_ARRAY_TASK_COUNT tasks.
	{name: "Slurm job array", index: "SLURM_ARRAY_TASK_ID", count: "SLURM_ARRAY_TASK_COUNT", base: "SLURM_ARRAY_TASK_MIN"},
	// GNU parallel: PARALLEL_SEQ counts jobs from 1; the count is the
	// number of inputs, given as auto/N.
	{name: "GNU parallel", index: "PARALLEL_SEQ", oneBased: true},
}

// shardCountEnv gives the shard count to `--shard auto` when the engine
// does not (a Kubernetes Indexed Job's completions).
const shardCountEnv = "DEPLOYSIM_SHARD_COUNT"

// autoShard reads `--shard auto` or `--shard auto/N` from the environment
// (getenv): the index from the first batch engine whose variable is set,
// the count from N, else the engine's variable, else DEPLOYSIM_SHARD_COUNT.
// It says which engine it read, for the shard's JSON and errors.
func autoShard(v string, getenv func(string) string) (shardSpec, string, error) {
	_, countText, hasCount := strings.Cut(v, "/")
	for _, e := range batchEngines {
		iv := strings.TrimSpace(getenv(e.index))
		if iv == "" {
			continue
		}
		i, err := strconv.Atoi(iv)
		if err != nil {
			return shardSpec{}, "", fmt.Errorf("--shard = %q: %s = %q: must be a whole number", clip(v), e.index, clip(iv))
		}
		if e.oneBased {
			i--
		}
		if e.base != "" {
			if b, err := strconv.Atoi(strings.TrimSpace(getenv(e.base))); err == nil {
				i -= b
			}
		}
		var n int
		var from string
		switch {
		case hasCount:
			n, err, from = atoi(countText), nil, "--shard auto/N"
			if n == 0 {
				err = fmt.Errorf("--shard = %q: N must be a whole number >= 1", clip(v))
			}
		case e.count != "" && getenv(e.count) != "":
			n, from = atoi(getenv(e.count)), e.count
		case getenv(shardCountEnv) != "":
			n, from = atoi(getenv(shardCountEnv)), shardCountEnv
		default:
			err = fmt.Errorf("--shard = %q: %s gives the index (%s) but not the count: write --shard auto/N or set %s", clip(v), e.name, e.index, shardCountEnv)
		}
		if err != nil {
			return shardSpec{}, "", err
		}
		s, err := parseShard(fmt.Sprintf("%d/%d", i, n))
		if err != nil {
			return shardSpec{}, "", fmt.Errorf("--shard = %q: %s: index %d (%s = %s) of %d (%s): must be 0 <= index < count <= %d", clip(v), e.name, i, e.index, iv, n, from, maxShards)
		}
		return s, e.name, nil
	}
	var names []string
	for _, e := range batchEngines {
		names = append(names, e.index)
	}
	return shardSpec{}, "", fmt.Errorf("--shard = %q: no batch engine's index in the environment (%s)", clip(v), strings.Join(names, ", "))
}

// atoi reads a count, 0 when it is not a whole number >= 1.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// shardFileName is the name `sweep --shard i/n --out DIR` gives shard i:
// the index and the count in the name, zero-padded so that a listing sorts
// in shard order, which is what lets merge find a missing or relabelled
// shard by its name.
func shardFileName(s shardSpec) string {
	w := len(strconv.Itoa(s.count - 1))
	return fmt.Sprintf("shard-%0*d-of-%d.json", w, s.index, s.count)
}

// shardNameRe reads a shard file name back.
var shardNameRe = regexp.MustCompile(`^shard-(\d+)-of-(\d+)\.json$`)

// shardFromName is the shard a file's name says it holds, if it is named
// as shardFileName names it.
func shardFromName(path string) (shardSpec, bool) {
	m := shardNameRe.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return shardSpec{}, false
	}
	i, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return shardSpec{}, false
	}
	return shardSpec{i, n}, true
}

// expandShardArgs turns merge's arguments into files: a directory stands
// for the shard files in it (named shard-I-of-N.json), a pattern with
// * ? or [ that names no file for the files it matches (for the shells and
// batch scripts that pass it quoted). Files are kept in the order given,
// a directory's and a pattern's sorted.
func expandShardArgs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		switch {
		case err == nil && st.IsDir():
			m, _ := filepath.Glob(filepath.Join(a, "shard-*-of-*.json"))
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no shard files (shard-I-of-N.json, as sweep --shard i/n --out DIR writes them) in the directory", a)
			}
			sort.Strings(m)
			out = append(out, m...)
		case err != nil && strings.ContainsAny(a, "*?["):
			m, gerr := filepath.Glob(a)
			if gerr != nil {
				return nil, fmt.Errorf("%q: %w", clip(a), gerr)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%q: no file matches", clip(a))
			}
			sort.Strings(m)
			out = append(out, m...)
		default:
			out = append(out, a)
		}
	}
	return out, nil
}
