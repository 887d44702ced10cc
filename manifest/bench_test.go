package manifest

import (
	"os"
	"testing"
)

// BenchmarkRead reads the SAM documentation example with its alarms and
// the Argo canary with its analysis templates: the cost of `deploysim
// evaluate` before any simulation.
func BenchmarkRead(b *testing.B) {
	for _, name := range []string{"sam-safe-deployments.yaml", "argo-canary.yaml", "flagger-canary.yaml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := Read(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
