#!/usr/bin/env python3
"""SimPy on the scenario of bench_test.go, for BENCHMARKS.md's side-by-side table.

The same scenario as bench.scenario: Poisson arrivals at 1,000 req/s, 10 %
routed to the candidate, 1 % errors on either version, lognormal durations
of median 100 ms and p99 500 ms cut at a 3 s timeout, with the event
structure of deploysim's per-request engine: an arrival event per request
and a process per request that waits for its completion. Prints simulated
requests per second of this process's CPU time (time.process_time), the
figure the Go benchmarks report as cpu-req/s, and the CPU time of one
600,000-request run at that pace.

SimPy is optional: SimPy 3/4 (import simpy) or SimPy 2 (import
SimPy.Simulation, Debian's python3-simpy 2.3.1, which is what the figures
in BENCHMARKS.md use: PyPI is not reachable from the machines this project
is measured on). Without either, the script says so and exits 0.

    python3 bench/simpy_bench.py [simulated seconds, default 60]
"""

import math
import random
import sys
import time

try:
    import simpy
except ImportError:
    simpy = None
    try:
        import SimPy.Simulation as simpy2
    except ImportError:
        print("SimPy not installed: skipped (pip install simpy, or apt-get install python3-simpy)")
        sys.exit(0)

RATE, CANARY, ERROR_PROB = 1000.0, 0.10, 0.01
MU, SIGMA = math.log(100.0), (math.log(500.0) - math.log(100.0)) / 2.3263478740408408
TIMEOUT_MS = 3000.0


def duration(rng):
    return min(TIMEOUT_MS, math.exp(MU + SIGMA * rng.gauss(0.0, 1.0))) / 1000.0


def run_simpy3(horizon, rng, counts):
    env = simpy.Environment()

    def request(env):
        yield env.timeout(duration(rng))
        if rng.random() < ERROR_PROB:
            counts["failures"] += 1

    def arrivals(env):
        while True:
            yield env.timeout(rng.expovariate(RATE))
            counts["requests"] += 1
            if rng.random() < CANARY:
                counts["candidate"] += 1
            env.process(request(env))

    env.process(arrivals(env))
    env.run(until=horizon)
    return "simpy " + simpy.__version__


def run_simpy2(horizon, rng, counts):
    S = simpy2

    class Request(S.Process):
        def run(self):
            yield S.hold, self, duration(rng)
            if rng.random() < ERROR_PROB:
                counts["failures"] += 1

    class Arrivals(S.Process):
        def run(self):
            while True:
                yield S.hold, self, rng.expovariate(RATE)
                counts["requests"] += 1
                if rng.random() < CANARY:
                    counts["candidate"] += 1
                req = Request()
                S.activate(req, req.run())

    S.initialize()
    a = Arrivals()
    S.activate(a, a.run())
    S.simulate(until=horizon)
    return "SimPy " + getattr(S, "version", "2")


def main():
    horizon = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    rng = random.Random(1)
    counts = {"requests": 0, "candidate": 0, "failures": 0}
    c0 = time.process_time()
    name = (run_simpy3 if simpy else run_simpy2)(horizon, rng, counts)
    cpu = time.process_time() - c0
    n = counts["requests"]
    print(f"{name}: {n} requests in {cpu:.3f} s CPU: "
          f"{n / cpu:.0f} cpu-req/s, {600000 / (n / cpu) * 1000:.0f} cpu-ms/run")


if __name__ == "__main__":
    main()
