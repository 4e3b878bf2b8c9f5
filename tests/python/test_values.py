"""metriq from Python gives the C library's bits: against `metriq quantize`
(the CLI) and `metriq run` (Lua) for the same options and seed, for
float64, float16 and non-contiguous inputs, and qmatmul for any threads."""
import subprocess

import numpy as np
import pytest

import metriq
from conftest import METRIQ_BIN, bits, lua, lua_floats, lua_table, spread


def cli_quantize(x, *args):
    text = "\n".join(float(v).hex() for v in x.reshape(-1))
    out = subprocess.run([METRIQ_BIN, "quantize", *args], input=text, check=True,
                         capture_output=True, text=True).stdout.split()
    return out


def parse_cli(lines):
    # %.9g round-trips float32; -0 and nan keep their sign
    return np.array([float(s) for s in lines], dtype=np.float32)


@pytest.mark.parametrize("fmt,rnd,extra", [
    ("e4m3", "rtne", []), ("e5m2", "sr", ["--seed", "12345"]), ("int8", "rna", []),
    ("bf16", "sr:7", ["--seed", "9"]), ("e2m1", "rtz", []),
    ("e5m2", "rtne", ["--overflow", "ieee", "--underflow", "flush"]),
])
def test_cast_matches_cli(fmt, rnd, extra):
    x = spread(600, 1, octaves=40)
    x[:3] = [np.inf, -np.inf, np.nan]
    opts = {}  # the CLI options as keyword arguments
    it = iter(extra)
    for k in it:
        opts[k.lstrip("-")] = next(it)
    seed = int(opts.pop("seed", 0))
    scale = 0.375
    want = parse_cli(cli_quantize(x, "--format", fmt, "--rounding", rnd, "--scale", "0.375",
                                  *extra))
    got = metriq.quantize(x, fmt, rounding=rnd, scale=scale, seed=seed, **opts)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    assert np.array_equal(bits(got)[ok], bits(want)[ok])
    assert np.array_equal(bits(metriq.cast(x, fmt, rounding=rnd, scale=scale, seed=seed,
                                           **opts)), bits(got))
    codes = cli_quantize(x, "--format", fmt, "--rounding", rnd, "--scale", "0.375", "--codes",
                         *extra)
    c, s = metriq.codes(x, fmt, rounding=rnd, scale=scale, seed=seed, **opts)
    assert s.tolist() == [scale]
    assert c.tolist() == [int(v, 16) for v in codes]
    assert c.dtype == (np.uint16 if fmt == "bf16" else np.uint8)


@pytest.mark.parametrize("cfg", [
    dict(format="e4m3", granularity="channel", rounding="sr", seed=77),
    dict(format="int8", granularity="block:4", role="rhs", rounding="rtne", seed=0),
    dict(format="e5m2", granularity="tensor", scale="pow2", rounding="sr:3", seed=2**63 + 5),
    dict(format="e2m3", block=3, rounding="rna", seed=1),
])
def test_quantize_matches_lua(cfg):
    x = spread((6, 10), 2)
    luacfg = ", ".join(f"{k} = {v if isinstance(v, int) else repr(v)}" if k != "seed"
                       else f"seed = {v - 2**64 if v >= 2**63 else v}" for k, v in cfg.items())
    want = lua_floats(f"""
local t = metriq.tensor{lua_table(x)}
local y, st = metriq.quantize(t, {{{luacfg}}})
for i = 1, #y do print(string.format("%a", y[i])) end
for i = 1, #st.scales do print(string.format("%a", st.scales[i])) end
""")
    y, st = metriq.quantize(x, stats=True, **cfg)
    assert np.array_equal(bits(y).reshape(-1), bits(want[: x.size]))
    assert np.array_equal(bits(st["scales"]), bits(want[x.size:]))
    assert st["n"] == x.size


@pytest.mark.parametrize("accum,lhs,rhs", [
    ("exact", {"format": "int8", "granularity": "channel"}, {"format": "e4m3"}),
    ("fp32", {"format": "e4m3", "rounding": "sr", "seed": 3}, {"format": "e5m2", "seed": 4,
                                                                "rounding": "sr"}),
    ("h100-fp8", {"format": "e4m3"}, {"format": "e4m3", "granularity": "block:8"}),
])
def test_qmatmul_matches_lua(accum, lhs, rhs):
    L, R = spread((5, 16), 3), spread((16, 7), 4)
    def tab(d):
        return "{" + ", ".join(f"{k} = {v!r}" for k, v in d.items()) + "}"
    out = lua(f"""
local L = metriq.tensor{lua_table(L)}
local R = metriq.tensor{lua_table(R)}
local C = metriq.qmatmul(L, R, {{accum = {accum!r}, lhs = {tab(lhs)}, rhs = {tab(rhs)}}})
local be = metriq.backward_error(L, R, C)
for i = 1, #C do print(string.format("%a", C[i])) end
for i = 1, #be do print(string.format("%a", be[i])) end
""")
    want = np.array([float.fromhex(s) for s in out], dtype=np.float32)
    C = metriq.qmatmul(L, R, accum=accum, lhs=lhs, rhs=rhs)
    assert C.shape == (5, 7) and C.dtype == np.float32
    assert np.array_equal(bits(C).reshape(-1), bits(want[:35]))
    be = metriq.backward_error(L, R, C)
    assert np.array_equal(bits(be).reshape(-1), bits(want[35:]))
    for t in (2, 3, 8):
        assert np.array_equal(bits(metriq.qmatmul(L, R, accum=accum, lhs=lhs, rhs=rhs,
                                                  threads=t)), bits(C))


def test_metrics_match_lua():
    x = spread((8, 12), 5)
    out = lua(f"""
local x = metriq.tensor{lua_table(x)}
local y = metriq.quantize(x, {{format = "e4m3", granularity = "channel", seed = 0}})
local m = metriq.moments(x)
local e = metriq.error_split(x, y, {{format = "e4m3", granularity = "channel"}})
for _, v in ipairs{{m.mean, m.variance, m.skew, m.kurtosis, metriq.sqnr(x, y),
                   metriq.mse(x, y), e.sse_clip, e.sse_round, e.sqnr}} do
  print(string.format("%a", v))
end
local a = metriq.advise(x, {{granularity = "channel", formats = "int8,e4m3,e5m2"}})
print(a.advice.format, a.advice.rounding, a.advice.index, #a.candidates)
for _, c in ipairs(a.candidates) do print(string.format("%a", c.sqnr_db)) end
""")
    y = metriq.quantize(x, "e4m3", granularity="channel")
    mo = metriq.moments(x)
    e = metriq.error_split(x, y, format="e4m3", granularity="channel")
    got = [mo["mean"], mo["variance"], mo["skew"], mo["kurtosis"], metriq.sqnr(x, y),
           metriq.mse(x, y), e["sse_clip"], e["sse_round"], e["sqnr"]]
    assert got == [float.fromhex(s) for s in out[:9]]
    a = metriq.advise(x, granularity="channel", formats=["int8", "e4m3", "e5m2"])
    assert [a["advice"]["format"], a["advice"]["rounding"], str(a["advice"]["index"] + 1),
            str(len(a["candidates"]))] == out[9:13]
    assert [c["sqnr_db"] for c in a["candidates"]] == [float.fromhex(s) for s in out[13:]]
    assert sum(c["recommended"] for c in a["candidates"]) == 1


def test_inputs_of_any_layout_and_dtype():
    x = spread((9, 20), 6)
    want = metriq.quantize(x, "e4m3", granularity="channel", rounding="sr", seed=5)
    x64 = x.astype(np.float64)
    assert np.array_equal(bits(metriq.quantize(x64, "e4m3", granularity="channel",
                                               rounding="sr", seed=5)), bits(want))
    # a strided view: every other column of a wider array, and a transpose
    wide = np.zeros((9, 40), np.float32)
    wide[:, ::2] = x
    view = wide[:, ::2]
    assert not view.flags.c_contiguous
    assert np.array_equal(bits(metriq.quantize(view, "e4m3", granularity="channel",
                                               rounding="sr", seed=5)), bits(want))
    t = np.asfortranarray(x)
    assert np.array_equal(bits(metriq.quantize(t, "e4m3", granularity="channel",
                                               rounding="sr", seed=5)), bits(want))
    # float16 converts exactly; float64 rounds to nearest float32 first
    h = x.astype(np.float16)
    assert np.array_equal(bits(metriq.quantize(h, "e5m2")),
                          bits(metriq.quantize(h.astype(np.float32), "e5m2")))
    d = np.array([1 + 2.0**-30, 0.1, 1e-50], np.float64)
    assert np.array_equal(bits(metriq.cast(d, "fp16")),
                          bits(metriq.cast(d.astype(np.float32), "fp16")))
    # a list, and byte-swapped data
    assert np.array_equal(bits(metriq.cast([0.3, -2.5], "e4m3")),
                          bits(metriq.cast(np.array([0.3, -2.5], np.float32), "e4m3")))
    sw = x.astype(">f4")
    assert np.array_equal(bits(metriq.quantize(sw, "int8")), bits(metriq.quantize(x, "int8")))
    # the input is never written
    before = x.copy()
    metriq.quantize(x, "e4m3")
    assert np.array_equal(bits(x), bits(before))


def test_shapes_and_stats():
    x = spread((2, 3, 8), 7)
    y, st = metriq.quantize(x, "int4", granularity="fine", stats=True)
    assert y.shape == x.shape and y.dtype == np.float32
    # the first of 3 axes indexes examples (scale.h): fine = a scale per row,
    # shared by the examples; each group's absmax becomes 7 * scale
    assert st["scales"].shape == (3,)
    assert np.allclose(np.abs(x).max(axis=(0, 2)), st["scales"] * 7, rtol=1e-6)
    c, s = metriq.codes(x, "int4", granularity="fine")
    assert c.dtype == np.uint8 and c.shape == x.shape
    signed = np.where(c > 7, c.astype(np.int32) - 16, c)
    assert np.array_equal((signed * s[None, :, None]).astype(np.float32), y)
    _, st = metriq.quantize(np.array([1e-9, 1.0, 300.0], np.float32), "e4m3", scale=1.0,
                            stats=True)
    assert (st["clipped"], st["underflowed"], st["n"]) == (0, 1, 3)
    _, st = metriq.quantize(np.array([1e-9, 1.0, 600.0], np.float32), "e4m3", scale=1.0,
                            stats=True)
    assert st["clipped"] == 1
    assert metriq.formats()[:3] == ["int8", "int4", "e4m3"]
    assert metriq.format("e4m3")["max"] == 448.0


def test_gil_released_threads_agree():
    import threading
    x = spread((256, 256), 8)
    want = metriq.quantize(x, "e4m3", rounding="sr", seed=3)
    res = [None] * 4
    def work(i):
        res[i] = metriq.quantize(x, "e4m3", rounding="sr", seed=3)
    th = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert all(np.array_equal(bits(r), bits(want)) for r in res)
