#!/bin/bash
# Every labelled set scored by one wardgate install: the acceptance and hold-out corpora (eval_labels.py) and the
# real-code and every blind set (eval_real.py), one report per set in OUT.
#   bash benchmarks/evalall.sh VENV OUT      (VENV: a virtualenv with wardgate and the tools installed)
# Corpora are expected where FETCH.md of each set puts them: /work/corpora (real-code), /work/blind (set 1),
# /work/blindN (set N); a missing one is reported by eval_real.py and skipped.
set -u
venv=$1; out=$2; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd); shared="$here/../../shared"
source "$venv/bin/activate"
cd "$here/.."
python "$shared/tools/eval_labels.py" "$shared/acceptance" > "$out/acc.txt" 2>&1
python "$shared/tools/eval_labels.py" benchmarks/holdout2 > "$out/holdout2.txt" 2>&1
python "$shared/tools/eval_real.py" /work/corpora > "$out/dev.txt" 2>&1
python "$shared/tools/eval_real.py" /work/blind --tsv benchmarks/blind/expected.tsv > "$out/blind1.txt" 2>&1
for d in benchmarks/blind[0-9]*/; do  # every later set (sets 2-23 and any added)
  s=$(basename "$d")
  python "$shared/tools/eval_real.py" "/work/$s" --tsv "benchmarks/$s/expected.tsv" > "$out/$s.txt" 2>&1
done
for f in "$out"/*.txt; do echo "$(basename "$f" .txt): $(tail -n 1 "$f")"; done
