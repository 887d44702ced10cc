#!/bin/bash
# A sweep split across a Slurm job array: each task runs one shard
# (`--shard auto` reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
# SLURM_ARRAY_TASK_COUNT) and writes shard-I-of-8.json to a shared folder; a
# job that depends on the array merges them.
#
#   jobid=$(sbatch --parsable slurm-sweep.sh)
#   sbatch --dependency=afterok:$jobid --wrap "deploysim merge $PWD/shards > sweep.txt"
#
#SBATCH --job-name=deploysim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=02:00:00
#SBATCH --output=shards/%x-%a.log
set -euo pipefail

SHARDS="${SHARDS:-$PWD/shards}"
mkdir -p "$SHARDS"
exec deploysim sweep \
  --rps=1,10,100,1000 \
  --error-rate=0,0.01,0.05 \
  --strategies=Canary10Percent5Minutes,Linear10PercentEvery1Minute,AllAtOnce \
  --runs="${RUNS:-2000}" \
  --shard=auto \
  --out="$SHARDS/" \
  --progress=always \
  "$@"
