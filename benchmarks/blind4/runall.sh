#!/bin/bash
# first-sight run of wardgate at 5f29246 (worktree /work/wt-blind3) on blind set 4
source /work/wt-blind3/.venv/bin/activate
for c in healthcheck txtalert worth2; do
  cd /work/blind4/$c
  /usr/bin/time -f "%e s" -o /work/blind4/out/$c.time wardgate check . --format json --no-llm --no-cache > /work/blind4/out/$c.json 2> /work/blind4/out/$c.err
  echo "$c exit $?" >> /work/blind4/out/runs.log
done
cd /work/blind4 && python /work/shared/tools/eval_real.py /work/blind4 --tsv labels/expected.tsv --wardgate /work/wt-blind3/.venv/bin/wardgate > out/eval.txt 2>&1
