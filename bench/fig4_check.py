#!/usr/bin/python3
"""fig4_check.py: checks that bench/fig4_numpy.py computes what metriq's
Fig. 4 sweep computes, so that fig4_sweep.sh times the same work.

    /usr/bin/python3 bench/fig4_check.py [METRIQ] [--seeds S]

(a) Same inputs, value by value.  numpy writes L, R (256 x 256 Student-t,
    rows of L and columns of R in blocks of nu = 1, 2, 3, inf) and T (rows
    built on the formats' rounding ties and their float32 neighbours,
    subnormals, saturation, signed zeros) as .npy; bench/fig4_check.lua
    quantizes them in metriq (channel, RTNE) and writes the fake-quantized
    values, Q (exact accumulation) and the backward error.  The
    fake-quantized values must agree bit for bit (sign of zero included);
    Q rounded to float32 must agree bit for bit where the float64 sum is
    exact (int8, e4m3) and within one float32 ulp for e5m2 (numpy's float64
    sum may round); the backward errors of that float32 Q to 1e-6 relative
    (metriq's BE is float32).
(b) The sweep, statistically.  The generators differ (GSL MT19937 against
    numpy PCG64), so the sweep's numbers cannot match digit for digit: both
    sweeps run with S seeds each, and per (nu, format) the mean BE over
    seeds must agree within sampling noise, |z| < 4 with
    z = (mean_metriq - mean_numpy) / sqrt(sd_m^2 / S + sd_n^2 / S).
Exit status 1 if a check fails.  Threads: one (OPENBLAS_NUM_THREADS=1).
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fig4_numpy as f4  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMATS = ["int8", "e4m3", "e5m2"]
NUS = "1,2,3,5,10,30,100,inf"


def grid(fmt):
    """Every non-negative value of the format."""
    if fmt == "int8":
        return np.arange(0, 128, dtype=np.float64)
    mbits, emin, vmax = f4.FLOAT_FORMATS[fmt]
    sub = np.arange(0, 2 ** mbits) * 2.0 ** (emin - mbits)
    norm = [(1 + m / 2 ** mbits) * 2.0 ** e for e in range(emin, 64)
            for m in range(2 ** mbits)]
    v = np.concatenate([sub, norm])
    return v[v <= vmax]


def tie_rows(rng, width=1024):
    """One row per format: its max (scale 1 for the row's own format), the
    midpoints between neighbours (RTNE ties), their float32 neighbours and
    the grid itself, padded with uniform values; then their negatives, a
    row of signed zeros and a row of tiny values."""
    rows = []
    for fmt in FORMATS:
        g = grid(fmt).astype(np.float32)
        mid = ((g[:-1].astype(np.float64) + g[1:]) / 2).astype(np.float32)
        vals = np.concatenate([g, mid, np.nextafter(mid, np.float32(0)),
                               np.nextafter(mid, np.float32(np.inf))])
        vals = vals[vals <= g[-1]]
        assert len(vals) <= width
        pad = rng.uniform(-g[-1], g[-1], width - len(vals)).astype(np.float32)
        rows.append(np.concatenate([vals, pad]))
    rows += [-r for r in rows]
    zeros = np.zeros(width, np.float32)
    zeros[::2] = -0.0
    rows.append(zeros)
    rows.append((rng.standard_normal(width) * 1e-30).astype(np.float32))
    return np.stack(rows)


def blocks(rng, n, axis):
    """n x n with rows (axis 0) or columns (axis 1) in blocks of nu."""
    parts = [f4.sample(rng, nu, (n // 4, n) if axis == 0 else (n, n // 4))
             for nu in (1.0, 2.0, 3.0, math.inf)]
    return np.concatenate(parts, axis=axis)


def read(path, shape):
    return np.loadtxt(path, dtype=np.float64).astype(np.float32).reshape(shape)


def same_bits(a, b):
    return int(np.count_nonzero(a.view(np.uint32) != b.view(np.uint32)))


def check_values(metriq, work, env):
    rng = np.random.default_rng(2026)
    n = 256
    L, R, T = blocks(rng, n, 0), blocks(rng, n, 1), tie_rows(rng)
    for name, x in (("L", L), ("R", R), ("T", T)):
        np.save(os.path.join(work, name + ".npy"), x)
    subprocess.run([metriq, "run", os.path.join(ROOT, "bench/fig4_check.lua"), "--quiet",
                    "--threads", "1", "--out", os.path.join(work, "run"), "--set",
                    "dir=" + work], check=True, env=env)
    ok = True
    LR = L.astype(np.float64) @ R.astype(np.float64)
    absLR = np.abs(L.astype(np.float64)) @ np.abs(R.astype(np.float64))
    for fmt in FORMATS:
        for name, x, axis in (("L", L, 1), ("R", R, 0), ("T", T, 1)):
            mine = f4.fake_quantize(x, fmt, axis)
            theirs = read(os.path.join(work, f"fq_{name}_{fmt}.txt"), x.shape)
            bad = same_bits(mine, theirs)
            print(f"(a) {fmt} {name} ({x.size} values): fake-quantized, {bad} differ in any bit")
            ok &= bad == 0
        Q = f4.qmatmul(L, R, fmt)
        Qm = read(os.path.join(work, f"Q_{fmt}.txt"), Q.shape)
        Q32 = Q.astype(np.float32)
        bad = same_bits(Q32, Qm)
        # float32 neighbours are adjacent integers in the bit image (same sign)
        ulps = int(np.max(np.abs(Q32.view(np.int32).astype(np.int64) -
                                 Qm.view(np.int32).astype(np.int64))))
        print(f"(a) {fmt} Q: {bad} of {Q.size} differ from float32(numpy) in any bit; "
              f"at most {ulps} float32 ulp apart")
        ok &= bad == 0 if fmt != "e5m2" else ulps <= 1
        # metriq's Eq. 3 takes its float32 Q: so does this comparison, else
        # Q's float32 rounding (6e-8 of |Q|) dominates where the BE is tiny
        be = f4.backward_error(L, R, Q32.astype(np.float64), (LR, absLR))
        bem = read(os.path.join(work, f"be_{fmt}.txt"), be.shape)
        d = np.abs(be - bem)
        worst = float(np.max(d / (be + 1e-12)))
        print(f"(a) {fmt} backward error: max |difference| {float(np.max(d)):.3g}, "
              f"max |difference| / (BE + 1e-12) {worst:.3g}")
        ok &= worst < 1e-6
    return ok


def read_csv(path):
    with open(path) as f:
        return {(r["nu"], r["format"]): float(r["be_mean"]) for r in csv.DictReader(f)}


def check_sweep(metriq, work, env, seeds):
    m, p = {}, {}
    for s in range(1, seeds + 1):
        out = os.path.join(work, f"metriq{s}")
        subprocess.run([metriq, "run", os.path.join(ROOT, "experiments/fig4_backward_error.lua"),
                        "--quiet", "--threads", "1", "--seed", str(s), "--out", out,
                        "--set", "n=512", "--set", "trials=1", "--set",
                        "formats=int8,e4m3,e5m2", "--set", "granularities=channel",
                        "--set", "roundings=rtne", "--set", "nus=" + NUS, "--set",
                        "plot=false"], check=True, env=env)
        for k, v in read_csv(os.path.join(out, "fig4_backward_error.csv")).items():
            m.setdefault(k, []).append(v)
        csvp = os.path.join(work, f"numpy{s}.csv")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/fig4_numpy.py"), "--seed",
                        str(s + 1000), "--out", csvp], check=True, env=env)
        for k, v in read_csv(csvp).items():
            p.setdefault(k, []).append(v)
    if set(m) != set(p):
        print(f"(b) the two sweeps have different cells: {sorted(set(m) ^ set(p))}")
        return False
    print(f"(b) mean BE over {seeds} seeds each: nu format metriq numpy z")
    worst = 0.0
    for k in sorted(m, key=lambda k: (float(k[0]), FORMATS.index(k[1]))):
        a, b = np.array(m[k]), np.array(p[k])
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        z = (a.mean() - b.mean()) / se if se > 0 else math.inf
        worst = max(worst, abs(z))
        print(f"    {k[0]:>4} {k[1]:5} {a.mean():.4e} {b.mean():.4e} {z:+.2f}")
    print(f"(b) largest |z|: {worst:.2f} (limit 4)")
    return worst < 4


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("metriq", nargs="?", default=os.path.join(ROOT, "build/metriq"))
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args()
    if a.seeds < 2:
        ap.error("--seeds must be >= 2 (a standard deviation)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="fig4_check.") as work:
        ok = check_values(a.metriq, work, env)
        ok &= check_sweep(a.metriq, work, env, a.seeds)
    print("fig4_check:", "all checks passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
