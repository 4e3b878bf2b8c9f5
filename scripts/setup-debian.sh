#!/usr/bin/env bash
# Install the Debian packages metriq builds and runs with, if any is missing.
# Nothing else is downloaded, at build or at run time.
set -euo pipefail
# libjansson-dev: safetensors headers (io/) and metriq compare (Google Benchmark
# JSON); clang: libFuzzer (METRIQ_FUZZ); libbenchmark-tools: Google Benchmark's
# compare.py (/usr/share/benchmark), which needs python3-scipy; python3-numpy:
# it and bench/fig4_numpy.py; python3-dev, python3-pytest: the Python module
# (python/) and its tests
pkgs=(build-essential cmake pkg-config libgsl-dev liblua5.4-dev lua5.4
      libopenblas-dev openmpi-bin libopenmpi-dev libbenchmark-dev gnuplot-nox
      libjansson-dev clang libbenchmark-tools python3-numpy python3-scipy
      python3-dev python3-pytest)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
