package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// FuzzMergeShards: merge never panics on hand-edited or corrupt shard
// files, and refuses them in one line. The seeds are a real pair of shards
// and edits of the kinds issue 13 reports (a huge shard count, a shard
// given twice, a foreign grid).
func FuzzMergeShards(f *testing.F) {
	args := []string{"sweep", "-n", "2", "-s", "AllAtOnce", "--horizon", "0", "--rps", "1"}
	var shards [2]string
	for i := range shards {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(args, "--shard", []string{"0/2", "1/2"}[i]), nil, &out, &errb); code != 0 {
			f.Fatalf("shard %d: %s", i, errb.String())
		}
		shards[i] = out.String()
	}
	f.Add(shards[0], shards[1])
	f.Add(shards[0], shards[0])
	f.Add(strings.Replace(shards[0], `"0/2"`, `"0/9223372036854775807"`, 1), shards[1])
	f.Add(shards[0], strings.Replace(shards[1], `"rps": [`, `"rps": [2, `, 1))
	f.Add(`{"scenario": {}, "grid": {}, "shard": "0/1", "rows": [{"strategy": "x", "state": {"sum": "1e400"}}]}`, "")
	f.Fuzz(func(t *testing.T, a, b string) {
		names := []string{"a.json", "b.json"}
		files := [][]byte{[]byte(a), []byte(b)}
		if b == "" {
			names, files = names[:1], files[:1]
		}
		_, _, err := mergeShards(names, files)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is more than one line: %q", err)
		}
	})
}
