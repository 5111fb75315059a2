#!/bin/bash
# First-sight run on a labelled set: wardgate from PATH on each corpus the set's expected.tsv names, a JSON report
# and timing per corpus, and the label score, in OUT. (Sets 6-8 were first run with per-set copies of this script.)
#   bash benchmarks/first_sight.sh benchmarks/blindN CORPORA_ROOT OUT
set -u
set_dir=$(cd "$1" && pwd); root=$2; out=$3; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
for c in $(awk -F'\t' 'NR > 1 {print $1}' "$set_dir/expected.tsv" | sort -u); do
  (cd "$root/$c" && /usr/bin/time -f "%e s" -o "$out/$c.time" wardgate check . --format json --no-llm > "$out/$c.json" 2> "$out/$c.err")
  echo "$c exit $?" >> "$out/runs.log"
done
python "$here/../../shared/tools/eval_real.py" "$root" --tsv "$set_dir/expected.tsv" > "$out/eval.txt" 2>&1
