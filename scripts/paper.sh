#!/usr/bin/env bash
# The main job: every figure of the paper, end to end, into
# results/paper/<figure>/ (CSV, manifest.json, PNG and SVG figures; a folder
# per script, since a folder holds one run's manifest).  Installs what is
# missing, builds, runs each experiments/fig*.lua with its defaults; extra
# arguments go to every `metriq run` (e.g. --threads 2).
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
	name=$(basename "$s" .lua)
	fig=${name%%_*}
	echo "== $s -> $out/$fig" >&2
	./build/metriq run "$s" --out "$out/$fig" "$@"
done
echo "paper: results in $out" >&2
