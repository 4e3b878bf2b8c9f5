"""Bad arguments never crash the module: every keyword of every function
gets wrong types and values, and each call either succeeds (the value was
a valid one) or raises TypeError/ValueError naming the argument; then a
seeded random fuzz of whole calls.  As the Lua API's fuzz does."""
import random

import numpy as np
import pytest

import metriq

X = np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)
L, R = X, X.T.copy()

BAD = [1, -1, 0, 2**70, -2**70, 1.5, float("nan"), float("inf"), -0.0, "bogus", "",
       "e4m3\x00x", "\udcff", "block:0", "sr:99", "channel", "ieee", "pow2", b"e4m3", [], [1],
       ["int8", 3], {}, {"format": 1}, {"bogus": 1}, object(), True, False, np.float32(2),
       np.int64(3), np.ones(3), lambda: 0, ("e4m3",), "int8,e4m3", "e8m0"]

# every function, its positional arguments and its keywords
CALLS = {
    "quantize": ((X,), dict(format="e4m3"), ["format", "rounding", "granularity", "block",
                 "role", "overflow", "underflow", "scale", "seed", "stats"]),
    "codes": ((X,), dict(format="e4m3"), ["format", "rounding", "granularity", "block", "role",
              "overflow", "underflow", "scale", "seed", "stats"]),
    "cast": ((X,), dict(format="e4m3"), ["format", "rounding", "overflow", "underflow",
             "scale", "seed", "stats"]),
    "qmatmul": ((L, R), dict(format="e4m3"), ["format", "rounding", "granularity", "block",
                "overflow", "underflow", "scale", "seed", "accum", "threads", "reference",
                "lhs", "rhs", "stats"]),
    "error_split": ((X, X), dict(format="e4m3"), ["format", "rounding", "granularity", "block",
                    "role", "overflow", "underflow", "scale", "seed"]),
    "advise": ((X,), {}, ["granularity", "role", "formats", "roundings", "scale", "seed",
               "underflow_budget", "clip_budget", "margin"]),
    "format": ((), dict(name="e4m3"), ["name"]),
}
# array arguments, by position name
ARRAYS = {"quantize": ["x"], "codes": ["x"], "cast": ["x"], "qmatmul": ["L", "R"],
          "error_split": ["x", "xq"], "advise": ["x"], "backward_error": ["L", "R", "Q"],
          "relerr": ["v", "q"], "moments": ["x"], "summary": ["x"], "mse": ["x", "xq"],
          "sqnr": ["x", "xq"], "matmul": ["L", "R"]}
BAD_ARRAYS = [None, 1, "x", [], [[1.0], [1.0, 2.0]], np.zeros((0, 3), np.float32),
              np.arange(6), np.ones((2, 2), bool), np.ones((2, 2), complex),
              np.array(["a", "b"]), np.ones((1,) * 5, np.float32), {"a": 1},
              np.full((3, 3), np.nan, np.float32), np.full((3, 3), np.inf),
              np.ones((3, 5), np.float32), np.float64(2.0), object()]


def check(fn, args, kw, name):
    try:
        fn(*args, **kw)
    except (TypeError, ValueError) as e:
        assert name in str(e), f"{fn.__name__}({name}=...): message does not name it: {e}"
        return False
    return True


@pytest.mark.parametrize("fname", sorted(CALLS))
def test_every_keyword(fname):
    fn = getattr(metriq, fname)
    args, base, keys = CALLS[fname]
    for key in keys:
        accepted = 0
        for v in BAD:
            kw = dict(base)
            kw[key] = v
            accepted += check(fn, args, kw, key)
        assert accepted < len(BAD), f"{fname}: {key} accepts everything"


@pytest.mark.parametrize("fname", sorted(ARRAYS))
def test_every_array(fname):
    fn = getattr(metriq, fname)
    names = ARRAYS[fname]
    good = {"qmatmul": (L, R), "matmul": (L, R), "backward_error": (L, R, X @ X.T),
            }.get(fname, tuple(X for _ in names))
    base = CALLS.get(fname, (None, {}, None))[1]
    for i, name in enumerate(names):
        rejected = 0
        for v in BAD_ARRAYS:
            args = list(good)
            args[i] = v
            rejected += not check(fn, args, base, name)
        assert rejected >= len(BAD_ARRAYS) - 6, f"{fname}: {name} accepts too much"


def test_messages():
    with pytest.raises(ValueError, match=r"^format: unknown format 'e4m3x' \(known: int8, "):
        metriq.quantize(X, format="e4m3x")
    with pytest.raises(TypeError, match=r"^rounding: expected a str, got int"):
        metriq.quantize(X, "e4m3", rounding=3)
    with pytest.raises(TypeError, match=r"^format: missing"):
        metriq.quantize(X)
    with pytest.raises(ValueError, match=r"^lhs.granularity: unknown granularity 'rows'"):
        metriq.qmatmul(L, R, "e4m3", lhs={"granularity": "rows"})
    with pytest.raises(ValueError, match=r"^lhs: unknown key 'role'"):
        metriq.qmatmul(L, R, "e4m3", lhs={"role": "rhs"})
    with pytest.raises(ValueError, match=r"^accum: 'h100-fp8' models an FP8 tensor core"):
        metriq.qmatmul(L, R, "int8", accum="h100-fp8")
    with pytest.raises(ValueError, match=r"^x: NaN or Inf"):
        metriq.quantize(np.array([1.0, np.nan]), "e4m3")
    with pytest.raises(TypeError, match="'recipe' is an invalid keyword"):
        metriq.quantize(X, "e4m3", recipe="mxfp8")
    with pytest.raises(ValueError, match=r"^R: shapes 4x6 and 4x6 do not fit"):
        metriq.qmatmul(L, L, "e4m3")
    with pytest.raises(TypeError, match=r"^x: expected a float16, float32 or float64 array"):
        metriq.quantize(np.arange(4), "e4m3")


def test_random_calls():
    rng = random.Random(19)
    values = BAD + [None, "e4m3", "int8", "rtne", "sr", "tensor", "block:2", 2, "lhs", "rhs",
                    "exact", "fp32", "saturate", "gradual", "flush", 0.5]
    for _ in range(3000):
        fname = rng.choice(sorted(CALLS))
        args, base, keys = CALLS[fname]
        kw = dict(base)
        for key in rng.sample(keys, rng.randint(1, min(4, len(keys)))):
            kw[key] = rng.choice(values)
        try:
            getattr(metriq, fname)(*args, **kw)
        except (TypeError, ValueError) as e:
            assert any(k in str(e) for k in list(kw) + ["L", "R", "x"]), (fname, kw, str(e))
