#!/bin/bash
# First-sight run on blind set 8: wardgate from PATH on each corpus, JSON reports and the label score in OUT.
# usage: bash benchmarks/blind8/runall.sh CORPORA_ROOT OUT
set -u
root=$1; out=$2; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
for c in crate iskylims variantgrid; do
  (cd "$root/$c" && /usr/bin/time -f "%e s" -o "$out/$c.time" wardgate check . --format json --no-llm > "$out/$c.json" 2> "$out/$c.err")
  echo "$c exit $?" >> "$out/runs.log"
done
python "$here/../../../shared/tools/eval_real.py" "$root" --tsv "$here/expected.tsv" > "$out/eval.txt" 2>&1
