"""metriq.cast and metriq.codes against tests/ref's independent reference
quantizer (written from the format specifications, no code shared with the
library), called through ctypes, for the formats the C library names
(ml_dtypes' names are not in it yet), every rounding, both overflow and
both underflow rules; stochastic rounding with the reference's own Philox."""
import ctypes
import os
import zlib

import numpy as np
import pytest

import metriq
from conftest import bits

REF = ctypes.CDLL(os.environ["METRIQ_PYREF"])
REF.mqpy_ref_quant.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_void_p, ctypes.c_void_p]
MODES = {"rtne": (0, 0), "rtz": (1, 0), "rna": (2, 0), "sr": (3, 32), "sr:5": (3, 5)}
FORMATS = ["int8", "int4", "e4m3", "e5m2", "fp16", "bf16", "e3m2", "e2m3", "e2m1", "e3m4",
           "e4m3fn", "e5m2mx", "int16"]


def ref(x, fmt, rounding, overflow, underflow, seed):
    mode, k = MODES[rounding]
    y = np.empty_like(x)
    c = np.empty(x.shape, np.uint32)
    rc = REF.mqpy_ref_quant(fmt.encode(), mode, k, overflow == "ieee", underflow == "flush",
                            seed, x.ctypes.data, x.size, y.ctypes.data, c.ctypes.data)
    assert rc == 0, f"the reference does not know {fmt}"
    return y, c


def inputs(fmt, seed):
    """Values across the format's range and beyond, its own values and the
    midpoints between them (the ties), specials and random bit patterns."""
    f = metriq.format(fmt)
    g = np.random.default_rng(seed)
    lo, hi = np.log2(f["min_subnormal"]) - 3, min(np.log2(f["max"]) + 2, 127.9)
    parts = [g.choice([-1, 1], 3000) * np.exp2(g.uniform(lo, hi, 3000))]
    grid = np.exp2(np.linspace(lo, hi, 4000))
    vals = np.unique(np.abs(metriq.cast(grid.astype(np.float32), fmt)))
    mids = (vals[:-1].astype(np.float64) + vals[1:]) / 2
    parts += [vals, -vals, mids, -mids, [np.inf, -np.inf, np.nan, 0.0, -0.0, f["max"] * 1.0625]]
    with np.errstate(over="ignore"):  # bf16's max * 1.0625 is beyond float32: inf
        x = np.concatenate([np.asarray(p, np.float64) for p in parts]).astype(np.float32)
    pat = g.integers(0, 2**32, 2000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([x, pat])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rounding", list(MODES))
def test_against_reference(fmt, rounding):
    x = inputs(fmt, zlib.crc32(f"{fmt} {rounding}".encode()))
    has_special = metriq.format(fmt)["has_nan"]
    checked = 0
    for overflow in ("saturate", "ieee"):
        for underflow in ("gradual", "flush"):
            if overflow == "ieee" and not has_special:
                with pytest.raises(ValueError, match="overflow"):
                    metriq.cast(x, fmt, rounding=rounding, overflow=overflow)
                continue
            seed = 1234567 + checked
            want, wcodes = ref(x, fmt, rounding, overflow, underflow, seed)
            got = metriq.cast(x, fmt, rounding=rounding, overflow=overflow,
                              underflow=underflow, seed=seed)
            nan = np.isnan(want)
            assert np.array_equal(np.isnan(got), nan), (fmt, rounding, overflow, underflow)
            bad = np.flatnonzero(bits(got)[~nan] != bits(want)[~nan])
            assert bad.size == 0, (fmt, rounding, overflow, underflow,
                                   x[~nan][bad[:5]], got[~nan][bad[:5]], want[~nan][bad[:5]])
            codes, _ = metriq.codes(x, fmt, rounding=rounding, overflow=overflow,
                                    underflow=underflow, seed=seed, scale=1.0)
            assert np.array_equal(codes.astype(np.uint32), wcodes), (fmt, rounding)
            checked += 1
    assert checked >= 2
