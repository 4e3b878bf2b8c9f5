#!/usr/bin/env bash
# Small runs of every figure script (tests/figures.cmake), their checks
# (tests/lua/check_figs.lua), rendering through gnuplot, and `metriq plot`
# with bad input.  Usage: figures_test.sh METRIQ SRCDIR OUTDIR
set -u
M=$1 SRC=$2 OUT=$3
rm -rf "$OUT"; mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
run() { "$M" run "$@" --quiet; }
check() { "$M" run "$SRC/tests/lua/check_figs.lua" --out "$OUT/check-$1" --set which=$1 --set dir="$2" --quiet; }

# fig3, small, rendered
run "$SRC/experiments/fig3_relative_error.lua" --out "$OUT/fig3" --set points_per_octave=16 \
	&& ok || bad "fig3 run"
check fig3 "$OUT/fig3" && ok || bad "fig3 checks"
[ -s "$OUT/fig3/fig3.png" ] && [ -s "$OUT/fig3/fig3.svg" ] && ok || bad "fig3 figures missing"
# fig4, small, fresh samples (a seed no reference run uses), not rendered
run "$SRC/experiments/fig4_backward_error.lua" --out "$OUT/fig4" --seed 20261123 --set n=96 \
	--set trials=2 --set nus=1,inf --set formats=int8,e4m3 --set granularities=channel,block:32 \
	--set roundings=rtne,sr --set plot=false && ok || bad "fig4 run"
check fig4 "$OUT/fig4" && ok || bad "fig4 checks"
[ ! -e "$OUT/fig4/fig4.png" ] && ok || bad "fig4: plot=false still rendered"
# ...then rendered afterwards from its data
"$M" plot fig4 "$OUT/fig4" 2>/dev/null && [ -s "$OUT/fig4/fig4.png" ] && [ -s "$OUT/fig4/fig4.svg" ] \
	&& ok || bad "metriq plot fig4"
# fig2, small: a tiny model's training, sampled
run "$SRC/experiments/fig2_moments.lua" --out "$OUT/fig2" --set quick=true && ok || bad "fig2 run"
# the kept subset: the index lists exactly the .npy files left
[ "$(tail -n +2 "$OUT/fig2/tensors/tensors.csv" | cut -d, -f12 | sort -u)" = \
  "$(cd "$OUT/fig2/tensors" && ls *.npy | sort)" ] && ok || bad "fig2: index and files differ"
check fig2 "$OUT/fig2" && ok || bad "fig2 checks"
[ -s "$OUT/fig2/fig2.png" ] && ok || bad "fig2 figure missing"

# bad input: a message naming the problem, non-zero exit, nothing written
expect_err() { # expect_err "substring" cmd...
	local want=$1; shift
	local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
	[ $rc -ne 0 ] || { bad "$*: exit 0"; return; }
	case "$err" in *"$want"*) ok ;; *) bad "$*: '$err' lacks '$want'" ;; esac
}
expect_err "no figure 'fig9'" "$M" plot fig9 "$OUT/fig4"
expect_err "does not exist" "$M" plot fig3 "$OUT/nowhere"
expect_err "usage" "$M" plot
expect_err "declares no parameter 'bogus'" "$M" run "$SRC/experiments/fig4_backward_error.lua" \
	--out "$OUT/bad" --set bogus=1 --quiet
[ ! -e "$OUT/bad/fig4_backward_error.csv" ] && ok || bad "bad --set left a CSV"
expect_err "unknown format 'e9m9'" "$M" run "$SRC/experiments/fig4_backward_error.lua" \
	--out "$OUT/bad2" --set n=8 --set formats=e9m9 --set nus=2 --quiet
[ ! -s "$OUT/bad2/fig4_backward_error.csv" ] && ok || bad "failed run left rows"
# a failing render leaves the previous figure in place
cp "$OUT/fig4/fig4.png" "$OUT/fig4.before"
METRIQ_PLOTS=/nonexistent "$M" plot fig4 "$OUT/fig4" 2>/dev/null && bad "plot with no scripts succeeded" || ok
cmp -s "$OUT/fig4/fig4.png" "$OUT/fig4.before" && ok || bad "failed plot touched the figure"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
