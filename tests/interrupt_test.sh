#!/bin/bash
# interrupt_test.sh METRIQ SCRIPT OUT: Ctrl-C (SIGINT) during a long C call
# (a permutation test, a training run) stops the run: exit 130, the message
# "interrupted", the manifest "interrupted".  Without the kernels' interrupt
# flag the call would run for years and ctest's timeout would fail this.
set -u
metriq=$1 script=$2 out=$3
mkdir -p "$out" || exit 1
fail=0
for case in spearman train; do
  rm -rf "$out/$case"
  "$metriq" run "$script" --out "$out/$case" --quiet --set case=$case 2>"$out/$case.err" &
  pid=$!
  sleep 1
  kill -INT $pid
  wait $pid
  rc=$?
  if [ $rc -ne 130 ]; then
    echo "$case: exit $rc, want 130"; cat "$out/$case.err"; fail=1
  elif ! grep -q "interrupted" "$out/$case.err"; then
    echo "$case: no 'interrupted' in stderr:"; cat "$out/$case.err"; fail=1
  elif ! grep -q '"status": "interrupted"' "$out/$case/manifest.json"; then
    echo "$case: the manifest does not say interrupted"; fail=1
  fi
done
exit $fail
