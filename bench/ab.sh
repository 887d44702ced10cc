#!/bin/bash
# bench/ab.sh OLD [NEW]: the issue-14 measurements of BENCHMARKS.md, side by
# side, the two commits' binaries run alternately in the same minutes (this
# machine's speed drifts by 10-20 % from one minute to the next, so only
# interleaved runs compare). NEW defaults to the working tree.
#
#   bench/ab.sh 187ceee            # what BENCHMARKS.md's issue-14 closing table ran
#
# It prints, per line, the commit (old/new) and:
#   1. the target command, 5 runs each after a warm-up: wall s, user s, sys s, peak RSS KiB
#      (compare --rps 10000 --error-rate 0.01 --runs 1000 --horizon 2h --seed 3 --format json)
#   2. BenchmarkBucketedRate (cost per bucketed run against rate and users), 3 runs each
#   3. BenchmarkEventLoop and BenchmarkEventLoopConcurrency (per-request engine), 5 runs each
#   4. once, for the working tree: the four simulators of bench/ and SimPy (if installed)
set -euo pipefail
old=${1:?usage: bench/ab.sh OLD [NEW]}
new=${2:-}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/src-old" >/dev/null 2>&1 || true; git -C "$root" worktree remove --force "$tmp/src-new" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
build() { # build DIR NAME
	(cd "$1" && go build -o "$tmp/$2" ./cmd/deploysim && go test -c -o "$tmp/sim-$2.test" ./sim/)
}
git -C "$root" worktree add -q --detach "$tmp/src-old" "$old"
build "$tmp/src-old" old
if [ -n "$new" ]; then
	git -C "$root" worktree add -q --detach "$tmp/src-new" "$new"
	build "$tmp/src-new" new
else
	build "$root" new
fi
date -u; uptime
args=(compare --rps 10000 --error-rate 0.01 --runs 1000 --horizon 2h --seed 3 --format json)
for b in old new; do "$tmp/$b" "${args[@]}" >/dev/null; done
for i in 1 2 3 4 5; do for b in old new; do
	/usr/bin/time -f "$b target %e %U %S %M" "$tmp/$b" "${args[@]}" >/dev/null
done; done 2>&1
cd "$root/sim"
for i in 1 2 3; do for b in old new; do
	"$tmp/sim-$b.test" -test.run '^$' -test.bench 'BucketedRate' -test.benchtime 4500x | grep '^Bench' | sed "s/^/$b /"
done; done
for i in 1 2 3 4 5; do for b in old new; do
	"$tmp/sim-$b.test" -test.run '^$' -test.bench 'EventLoop(Concurrency)?$' -test.benchtime 3000000x | grep '^Bench' | sed "s/^/$b /"
done; done
cd "$root"
go test -run '^$' -bench . -benchtime 5x -count 3 ./bench/ | grep '^Bench'
for i in 1 2 3; do /usr/bin/python3 bench/simpy_bench.py 60 | tail -1; done
date -u; uptime
