#!/usr/bin/env bash
# fig4_sweep.sh: the Fig. 4 sweep subset timed in metriq and in numpy
# (bench/fig4_numpy.py), on the same machine, in one go.
#
#   bash bench/fig4_sweep.sh [METRIQ [REPS]]     (default build/metriq, 3)
#
# The two commands alternate REPS times (metriq, numpy, metriq, ...), so a
# change in the machine's load hits both alike; each is timed end to end as
# a process (start-up, numpy's import and the CSV included) and the medians
# of wall and CPU (user + sys) seconds are compared.  One thread each:
# OPENBLAS_NUM_THREADS=1 (numpy's matmul and metriq's reference dgemm) and
# metriq's --threads 1.  OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset
# for both (BENCHMARKS.md: these machines set them to slower kernels).
# Writes results/bench/fig4_sweep-<YYYYMMDD-HHMMSS>.md (temp file, renamed)
# with every run, the medians, the ratio and the load (uptime) before and
# after; prints it too.
set -euo pipefail
cd "$(dirname "$0")/.."
METRIQ=${1:-build/metriq}
REPS=${2:-3}
PY=/usr/bin/python3   # Debian's, with python3-numpy; a pyenv python3 may lack numpy
[ -x "$METRIQ" ] || { echo "fig4_sweep: no $METRIQ (build it: cmake --build build)" >&2; exit 2; }
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "fig4_sweep: REPS must be a positive integer" >&2; exit 2; }
"$PY" -c 'import numpy' 2>/dev/null || { echo "fig4_sweep: $PY has no numpy (apt-get install python3-numpy)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "fig4_sweep: needs /usr/bin/time (Debian time)" >&2; exit 2; }

NUS=1,2,3,5,10,30,100,inf
FORMATS=int8,e4m3,e5m2
work=$(mktemp -d /tmp/fig4_sweep.XXXXXX)
trap 'rm -rf "$work"' EXIT

metriq_cmd=("$METRIQ" run experiments/fig4_backward_error.lua --out "$work/metriq" --threads 1
	--quiet --set n=512 --set trials=1 --set formats=$FORMATS --set granularities=channel
	--set roundings=rtne --set nus=$NUS --set plot=false)
numpy_cmd=("$PY" bench/fig4_numpy.py --n 512 --nus $NUS --formats $FORMATS --out "$work/numpy.csv")
# timed NAME CMD...: one run, appends "wall cpu" to $work/NAME.times
timed() {
	local name=$1
	shift
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
		/usr/bin/time -f "%e %U %S" -o "$work/t" "$@"
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$work/t" >>"$work/$name.times"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

load_before=$(uptime)
for ((r = 1; r <= REPS; r++)); do
	timed metriq "${metriq_cmd[@]}"
	timed numpy "${numpy_cmd[@]}"
done
load_after=$(uptime)

mw=$(cut -d' ' -f1 "$work/metriq.times" | median); mc=$(cut -d' ' -f2 "$work/metriq.times" | median)
nw=$(cut -d' ' -f1 "$work/numpy.times" | median);  nc=$(cut -d' ' -f2 "$work/numpy.times" | median)
ratio_w=$(awk -v a="$nw" -v b="$mw" 'BEGIN { printf "%.2f", a / b }')
ratio_c=$(awk -v a="$nc" -v b="$mc" 'BEGIN { printf "%.2f", a / b }')

mkdir -p results/bench
stamp=$(date -u +%Y%m%d-%H%M%S)
out=results/bench/fig4_sweep-$stamp.md
{
	echo "# Fig. 4 sweep subset: metriq against numpy ($stamp UTC)"
	echo
	echo "n = 512, trials = 1, nus = $NUS, formats = $FORMATS, channel scaling, RTNE;"
	echo "one thread each (OPENBLAS_NUM_THREADS=1, metriq --threads 1), OPENBLAS_CORETYPE"
	echo "and OPENBLAS_L2_SIZE unset; $REPS runs each, alternating; seconds per process."
	echo
	echo "- metriq: \`$METRIQ\` at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
	echo "- numpy: $("$PY" -c 'import numpy, sys; print("numpy", numpy.__version__, "on Python", sys.version.split()[0])')"
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
	echo "- load before: $load_before"
	echo "- load after: $load_after"
	echo
	echo "| run | metriq wall | metriq CPU | numpy wall | numpy CPU |"
	echo "|---|---|---|---|---|"
	paste -d' ' "$work/metriq.times" "$work/numpy.times" | awk '{ printf "| %d | %s | %s | %s | %s |\n", NR, $1, $2, $3, $4 }'
	echo "| median | $mw | $mc | $nw | $nc |"
	echo
	echo "numpy / metriq: $ratio_w (wall), $ratio_c (CPU); above 1: metriq is faster."
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
echo "fig4_sweep: wrote $out" >&2
