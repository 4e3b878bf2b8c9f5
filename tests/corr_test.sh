#!/usr/bin/env bash
# The metric-against-training experiment (tests/corr.cmake), quick, on a
# fixture of synthetic sampled tensors (tests/corr_fixture.lua): its files
# and figure, a rerun gives the same bytes, and bad input stops it with a
# message that names the problem.
# Usage: corr_test.sh METRIQ SRCDIR OUTDIR
set -u
M=$1 SRC=$2 OUT=$3
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
lines() { wc -l < "$1" | tr -d ' '; }
S=$SRC/experiments/table1_metric.lua
SUM=$SRC/results/table1/table1_summary.csv
TR=$SRC/results/table1/table1_training.csv
FX=$OUT/fixture

"$M" run "$SRC/tests/corr_fixture.lua" --out "$OUT/fixture-run" --set dir="$FX" --quiet \
	&& ok || bad "fixture"
run() { # run OUTNAME [--set ...]
	local o=$1; shift
	"$M" run "$S" --out "$OUT/$o" --set tensors="$FX" --set summary="$SUM" --set training="$TR" \
		--set runs="$SRC/results/table1/table1_runs.csv" \
		--set quick=true --quiet "$@"
}
run quick && ok || bad "quick run"
# 36 cells of Table I; quick: 4 tensors a category (the fixture has 4 lhs,
# 4 rhs, 4 grad); 5 scopes x (5 metrics against the AUC + 2 against training)
[ "$(lines "$OUT/quick/table1_metric.csv")" = 37 ] && ok || bad "table1_metric.csv rows"
[ "$(lines "$OUT/quick/table1_metric_tensors.csv")" = $((1 + 36 * 4)) ] && ok \
	|| bad "table1_metric_tensors.csv rows"
[ "$(lines "$OUT/quick/table1_corr.csv")" = 36 ] && ok || bad "table1_corr.csv rows"
head -1 "$OUT/quick/table1_corr.csv" | grep -qx 'against,auc_reliability,metric,n,p,perm_seed,permutations,rho,scope' \
	&& ok || bad "table1_corr.csv header: $(head -1 "$OUT/quick/table1_corr.csv")"
# n per scope: 9 lhs, 9 rhs, 18 grad, 9 grad_rtne, 36 all; every rho in [-1, 1], every p in (0, 1]
awk -F, 'NR > 1 { want = ($9 == "grad") ? 18 : ($9 == "all") ? 36 : 9;
	if ($4 != want || !($8 >= -1 && $8 <= 1) || !($5 > 0 && $5 <= 1)) exit 1 }' \
	"$OUT/quick/table1_corr.csv" && ok || bad "n, rho or p out of range"
[ -s "$OUT/quick/table1_corr.png" ] && [ -s "$OUT/quick/table1_corr.svg" ] && ok || bad "figure missing"
grep -q '"status": "done"' "$OUT/quick/manifest.json" && ok || bad "manifest not done"
# finer scales never lose SQNR on these tensors at int8 RTNE: channel >= tensor for rhs
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["category"] == "rhs" && $c["format"] == "int8" { s[$c["granularity"]] = $c["sqnr_mean"] }
	END { exit !(s["channel"] >= s["tensor"] && s["fine"] >= s["tensor"]) }' \
	"$OUT/quick/table1_metric.csv" && ok || bad "int8 rhs: finer scales lost SQNR"

run again --set plot=false && ok || bad "rerun"
for f in table1_metric.csv table1_metric_tensors.csv table1_corr.csv; do
	cmp -s "$OUT/quick/$f" "$OUT/again/$f" && ok || bad "rerun: $f differs"
done

# bad input: a message naming the problem, non-zero exit
expect_err() { # expect_err "substring" OUTNAME --set ...
	local want=$1 o=$2; shift 2
	local err; err=$("$M" run "$S" --out "$OUT/$o" --set summary="$SUM" --set training="" --set runs="" \
		--set plot=false --quiet "$@" 2>&1 >/dev/null); local rc=$?
	[ $rc -ne 0 ] || { bad "$o: exit 0"; return; }
	case "$err" in *"$want"*) ok ;; *) bad "$o: '$err' lacks '$want'" ;; esac
}
mkdir -p "$OUT/empty"
expect_err "cannot read $OUT/empty/tensors.csv" noindex --set tensors="$OUT/empty"
cp -r "$FX" "$OUT/gone"; rm "$OUT/gone/s2_attn.qk_fwd_B.npy"
expect_err "row 10: file $OUT/gone/s2_attn.qk_fwd_B.npy is missing" gone --set tensors="$OUT/gone"
cp -r "$FX" "$OUT/shape"; sed -i 's/^1,0,mlp.fc1,fwd,A,lhs,2,1,8,16,/1,0,mlp.fc1,fwd,A,lhs,2,1,16,8,/' "$OUT/shape/tensors.csv"
expect_err "s1_mlp.fc1_fwd_A.npy is 2x1x8x16, tensors.csv says 2x1x16x8" shape --set tensors="$OUT/shape"
cp -r "$FX" "$OUT/cat"; sed -i '2s/,lhs,/,weights,/' "$OUT/cat/tensors.csv"
expect_err "row 1: unknown category 'weights'" cat --set tensors="$OUT/cat"
cp -r "$FX" "$OUT/col"; sed -i '1s/,contract,/,k,/' "$OUT/col/tensors.csv"
expect_err "tensors.csv has no column 'contract'" col --set tensors="$OUT/col"
cp -r "$FX" "$OUT/junk"; printf 'not a tensor' > "$OUT/junk/s1_mlp.fc1_fwd_B.npy"
expect_err "s1_mlp.fc1_fwd_B.npy: neither a .npy file" junk --set tensors="$OUT/junk"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
