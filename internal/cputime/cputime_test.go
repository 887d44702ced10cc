//go:build unix

package cputime

import "testing"

// CPU time grows with work done, and never goes back.
func TestUsedGrows(t *testing.T) {
	a, ok := Used()
	if !ok {
		t.Fatal("getrusage failed")
	}
	x := 0.0
	for i := 0; i < 50_000_000; i++ {
		x += float64(i & 7)
	}
	b, _ := Used()
	if b <= a || x == 0 {
		t.Errorf("CPU time %v then %v after 5e7 additions", a, b)
	}
}
