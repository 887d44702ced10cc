package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/deploysim/deploysim/sim"
	"github.com/deploysim/deploysim/strategy"
)

// The event source mapping's settings reach sim.Queue (issue 18.4), and a
// bad one is an error naming its key.
func TestQueueKeys(t *testing.T) {
	c, err := Decode("s.yaml", []byte("event_model: queue\nbatch_size: 4\nbatching_window: 2s\npartial_batch_response: true\nmax_concurrency: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.Scenario(strategy.AllAtOnce{})
	if err != nil {
		t.Fatal(err)
	}
	q, ok := sc.EventModel.(sim.Queue)
	if !ok || q.BatchSize != 4 || q.BatchWindow != 2*time.Second || !q.PartialBatchResponse || q.MaxConcurrency != 3 ||
		q.VisibilityTimeout != sim.DefaultVisibilityTimeout || q.MaxReceiveCount != sim.DefaultMaxReceiveCount {
		t.Errorf("queue %+v", sc.EventModel)
	}
	for key, bad := range map[string]string{"batch_size": "11", "batching_window": "301s", "max_concurrency": "1"} {
		c, err := Decode("s.yaml", []byte("event_model: queue\n"+key+": "+bad+"\n"))
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %s: error %v, want one naming the key", key, bad, err)
		}
	}
}
