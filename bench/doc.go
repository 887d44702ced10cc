// Package bench holds the side-by-side benchmark of BENCHMARKS.md: one
// scenario simulated by deploysim's per-request engine, by its bucketed
// engine, by a tight Go loop that draws the same arrivals, routing and
// errors (the floor for any per-request simulator in Go), and by SimPy
// (simpy_bench.py, a process per request, run separately). It has no
// exported API: run
//
//	go test -run '^$' -bench . -count 5 ./bench/ | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /engine bench.txt
//	python3 bench/simpy_bench.py
package bench
