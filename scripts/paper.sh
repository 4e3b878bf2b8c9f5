#!/usr/bin/env bash
# The main job: every figure of the paper, end to end, into results/paper/
# (CSV, manifest and PNG/SVG figures).  Installs what is missing, builds,
# runs each experiments/fig*.lua with its defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
out=${METRIQ_PAPER_OUT:-results/paper}
mkdir -p "$out"
shopt -s nullglob
scripts=(experiments/fig*.lua)
if [ ${#scripts[@]} -eq 0 ]; then
	echo "paper: no experiments/fig*.lua yet" >&2
	exit 1
fi
for s in "${scripts[@]}"; do
	echo "== $s" >&2
	./build/metriq run "$s" --out "$out" "$@"
done
echo "paper: results in $out" >&2
