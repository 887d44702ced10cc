package metrics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A sketch store's offset near MaxInt64 must be refused, not overflow the
// range check (Offset+len(Counts) wrapped negative and the reader then
// looped over 2^63 buckets: a hang in deploysim merge).
func TestSummaryJSONOffsetOverflow(t *testing.T) {
	var s Summary
	for range ExactValues + 1 { // past the exact values: the state holds sketch buckets
		s.Add(&Run{Outcome: RolledBack, Bad: true, Candidate: VersionCounts{Requests: 10, Errors: 3},
			FaultOnset: 0, FirstFailure: time.Second, Detected: time.Minute, WeightZero: time.Minute, Drained: time.Minute,
			Promoted: Never, End: time.Minute})
	}
	b, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, `"offset":`)
	if i < 0 {
		t.Fatalf("no sketch store in %s", doc)
	}
	j := i + len(`"offset":`)
	k := j
	for k < len(doc) && (doc[k] == '-' || doc[k] >= '0' && doc[k] <= '9') {
		k++
	}
	bad := doc[:j] + "9223372036854775807" + doc[k:]
	done := make(chan error, 1)
	go func() {
		var back Summary
		done <- json.Unmarshal([]byte(bad), &back)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "offset") {
			t.Fatalf("Unmarshal with offset MaxInt64: err = %v, want an error naming the offset", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Unmarshal with offset MaxInt64 did not return within 10 s")
	}
}
