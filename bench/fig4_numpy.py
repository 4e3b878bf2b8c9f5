#!/usr/bin/python3
"""fig4_numpy.py: the Fig. 4 sweep subset in plain numpy, the baseline metriq
is timed against (bench/fig4_sweep.sh).

It computes what

    metriq run experiments/fig4_backward_error.lua --set n=512 --set trials=1 \
        --set formats=int8,e4m3,e5m2 --set granularities=channel \
        --set roundings=rtne --set nus=1,2,3,5,10,30,100,inf --set plot=false

computes: per nu, L and R are n x n i.i.d. Student-t(nu) (normal for inf),
drawn in float64 and rounded to float32 as metriq's samplers do; each is
quantized in every format with absmax channel scaling (L per row, R per
column: scale = absmax / max of the format, in float32, kernels/scale.h) and
RTNE with saturation and subnormals; Q is the product of the quantized
operands, descaled after the sum (the paper's Fig. 1, kernels/qgemm.h):

    Q_ij = (sum_k a_ik b_kj) * sL_i * sR_j,   a = fq(L / sL), b = fq(R / sR)

The sum runs as a float64 matmul.  It is exact for int8 (integers, |sum| <=
512 * 127^2 < 2^23) and e4m3 (multiples of 2^-18, |sum| <= 512 * 448^2 <
2^27: at most 45 significant bits); for e5m2 it is not always (multiples of
2^-32 up to 512 * 57344^2 < 2^41: up to 73 bits), but the rounding is at most
n * 2^-53 of sum |a b|, about 1e-13 of the backward error's denominator,
against e5m2 errors of 1e-2.  Eq. 3's backward error
|LR - Q| / (|L||R|) is taken elementwise with LR and |L||R| float64 matmuls
of the float32 inputs; per (nu, format) its mean, median, p99 (linear
quantile, as metriq's) and max go to a CSV.

The random numbers are numpy's (PCG64 from --seed), not metriq's (GSL's
MT19937 from the run seed), so the figures agree with metriq's in
distribution, not digit for digit: bench/fig4_check.py checks that.
Threads: whatever OpenBLAS is told (fig4_sweep.sh sets
OPENBLAS_NUM_THREADS=1).  Needs numpy only (Debian python3-numpy).
"""
import argparse
import math
import os
import sys

import numpy as np

# format: (mantissa bits, exponent of the smallest normal binade, max);
# int8 is symmetric, [-127, 127]
FLOAT_FORMATS = {
    "e4m3": (3, -6, 448.0),     # OCP E4M3FN
    "e5m2": (2, -14, 57344.0),  # IEEE-like E5M2
}
INT8_MAX = 127.0


def fmt_max(fmt):
    return INT8_MAX if fmt == "int8" else FLOAT_FORMATS[fmt][2]


def round_to_format(v, fmt):
    """RTNE of float32 values v to the format, saturating; float32 result."""
    if fmt == "int8":
        return np.clip(np.rint(v), -INT8_MAX, INT8_MAX)   # rint: ties to even
    mbits, emin, vmax = FLOAT_FORMATS[fmt]
    a = np.abs(v)
    _, e = np.frexp(a)                      # a = f * 2^e, 0.5 <= f < 1
    e = np.maximum(e - 1, emin)             # subnormals share the smallest binade's spacing
    ulp = np.ldexp(np.float32(1.0), e - mbits).astype(np.float32)
    q = np.rint(a / ulp) * ulp              # exact: ulp is a power of two
    return np.copysign(np.minimum(q, np.float32(vmax)), v)


def quantize(x, fmt, axis):
    """Absmax scaling over `axis` (the contracting one: 1 for an LHS, 0 for an
    RHS) and RTNE; returns the scaled-down values and the float32 scales."""
    amax = np.max(np.abs(x), axis=axis, keepdims=True)
    s = amax / np.float32(fmt_max(fmt))
    s[amax == 0] = 1.0                      # an all-zero row stays zero
    return round_to_format(x / s, fmt), s


def fake_quantize(x, fmt, axis):
    """The float32 values the quantized operand stands for (fq(x/s) * s)."""
    q, s = quantize(x, fmt, axis)
    return q * s


def sample(rng, nu, shape):
    if math.isinf(nu):
        return rng.standard_normal(shape).astype(np.float32)
    return rng.standard_t(nu, shape).astype(np.float32)


def backward_error(L, R, Q, ref=None):
    """Eq. 3 elementwise, with LR and |L||R| in float64."""
    if ref is None:
        L64, R64 = L.astype(np.float64), R.astype(np.float64)
        ref = (L64 @ R64, np.abs(L64) @ np.abs(R64))
    LR, absLR = ref
    return np.abs(LR - Q) / absLR


def qmatmul(L, R, fmt):
    a, sL = quantize(L, fmt, 1)
    b, sR = quantize(R, fmt, 0)
    return (a.astype(np.float64) @ b.astype(np.float64)) * (sL.astype(np.float64) *
                                                            sR.astype(np.float64))


def sweep(n, nus, formats, seed):
    """Rows (nu, format, mean, median, p99, max), one trial per nu."""
    rows = []
    for i, nu in enumerate(nus):
        # one stream per nu, so a cell does not depend on the others
        rng = np.random.default_rng([seed, i])
        L, R = sample(rng, nu, (n, n)), sample(rng, nu, (n, n))
        L64, R64 = L.astype(np.float64), R.astype(np.float64)
        ref = (L64 @ R64, np.abs(L64) @ np.abs(R64))
        for fmt in formats:
            be = backward_error(L, R, qmatmul(L, R, fmt), ref)
            rows.append((nu, fmt, be.mean(), np.median(be), np.percentile(be, 99), be.max()))
    return rows


def parse_nus(text):
    nus = []
    for t in text.split(","):
        v = float(t)   # "inf" parses
        if not v > 0:
            raise argparse.ArgumentTypeError(f"nu must be > 0, got {t}")
        nus.append(v)
    return nus


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--nus", type=parse_nus, default=parse_nus("1,2,3,5,10,30,100,inf"))
    ap.add_argument("--formats", default="int8,e4m3,e5m2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="CSV file (written to a temp file, renamed)")
    a = ap.parse_args()
    formats = a.formats.split(",")
    for f in formats:
        if f != "int8" and f not in FLOAT_FORMATS:
            ap.error(f"unknown format '{f}' (int8, e4m3, e5m2)")
    if a.n < 1:
        ap.error("--n must be >= 1")
    rows = sweep(a.n, a.nus, formats, a.seed)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("nu,format,granularity,rounding,trials,n,seed,be_mean,be_median,be_p99,be_max\n")
        for nu, fmt, mean, med, p99, mx in rows:
            f.write(f"{nu:g},{fmt},channel,rtne,1,{a.n},{a.seed},"
                    f"{mean:.9g},{med:.9g},{p99:.9g},{mx:.9g}\n")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    sys.exit(main())
