#!/bin/bash
# first-sight run of wardgate (the commit checked out in /work/wt-blind5) on blind set 5; OUT = output dir
OUT=$1
mkdir -p $OUT
source /work/wt-blind5/.venv/bin/activate
git -C /work/wt-blind5 log --oneline -1 > $OUT/commit.txt
for c in opaladmin hellomama ohcopal; do
  cd /work/blind5/$c
  rm -rf .wardgate-cache
  /usr/bin/time -f "%e s" -o $OUT/$c.time wardgate check . --format json --no-llm --no-cache > $OUT/$c.json 2> $OUT/$c.err
  echo "$c exit $?" >> $OUT/runs.log
done
cd /work/blind5 && python /work/shared/tools/eval_real.py /work/blind5 --tsv labels/expected.tsv --wardgate /work/wt-blind5/.venv/bin/wardgate > $OUT/eval.txt 2>&1
