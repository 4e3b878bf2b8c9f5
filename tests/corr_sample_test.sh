#!/usr/bin/env bash
# table1_metric.lua with sample=true (tests/corr.cmake): it reruns Table
# I's seed-1 fp32 baseline with sampling (here at one step), and that run
# must be the committed table's (the same AUC to the bit: else
# results/table1/correlation is stale); the .npy files it wrote are gone
# afterwards and tensors.csv stays.
# Usage: corr_sample_test.sh METRIQ SRCDIR OUTDIR
set -u
M=$1 SRC=$2 OUT=$3
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
export OPENBLAS_NUM_THREADS=1
cd "$SRC" || exit 1
"$M" run experiments/table1_metric.lua --out "$OUT/run" --set sample=true --set sample_steps=599 \
	--set quick=true --set plot=false --threads 1 --quiet && ok || bad "run"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ exit !($c["same_run"] == "true" && $c["auc"] == $c["table1_auc"]) }' "$OUT/run/table1_sample.csv" \
	&& ok || bad "not Table I's seed-1 baseline: $(cat "$OUT/run/table1_sample.csv")"
[ -s "$OUT/run/tensors/tensors.csv" ] && ok || bad "tensors.csv missing"
[ -z "$(ls "$OUT/run/tensors" | grep -v '^tensors.csv$')" ] && ok || bad ".npy files left"
[ "$(wc -l < "$OUT/run/table1_metric.csv")" = 37 ] && ok || bad "table1_metric.csv rows"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
