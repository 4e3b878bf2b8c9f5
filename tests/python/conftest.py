"""Shared helpers of the Python tests: the built module, the metriq
program (METRIQ_BIN) and its Lua scripts, inputs with a spread of
magnitudes.  ctest sets the environment (tests/python/python.cmake)."""
import os
import subprocess
import tempfile

import numpy as np
import pytest

import metriq

METRIQ_BIN = os.environ.get("METRIQ_BIN", "metriq")


def lua(script):
    """Run a Lua script under `metriq run`; its printed lines (%a floats
    are turned back into float32)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.lua")
        with open(path, "w") as f:
            f.write(script)
        out = subprocess.run([METRIQ_BIN, "run", path], cwd=d, check=True,
                             capture_output=True, text=True).stdout
    return out.split()


def lua_floats(script):
    return np.array([float.fromhex(s) for s in lua(script)], dtype=np.float32)


def lua_table(a):
    """A float32 array as a Lua table literal, exactly (hex floats)."""
    if a.ndim == 1:
        return "{" + ", ".join(float(v).hex() for v in a) + "}"
    return "{" + ", ".join(lua_table(r) for r in a) + "}"


def spread(shape, seed, octaves=12):
    """Normal values times 2^k for k uniform in [-octaves/2, octaves/2]:
    scales and subnormals matter, ties and zeros included."""
    g = np.random.default_rng(seed)
    x = g.standard_normal(shape) * np.exp2(g.integers(-octaves // 2, octaves // 2 + 1, shape))
    x = x.astype(np.float32)
    flat = x.reshape(-1)
    flat[:: 17] = 0.0
    return x


def bits(a):
    """float32 bit patterns, for bit-for-bit comparisons."""
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


@pytest.fixture
def m():
    return metriq
