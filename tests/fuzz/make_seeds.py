#!/usr/bin/env python3
"""Seed files for the fuzz corpus (tests/fuzz/corpus), written by NumPy
itself where NumPy can write them, so that the readers are tested on the
bytes real users produce.  Run once by hand (Debian: python3-numpy); the
output is committed, and tests/test_io.c checks the values of some of these
files.  safetensors files are written the way the reference serializer
does: compact JSON, "__metadata__" first, header padded with spaces to a
multiple of 8 bytes, data in the order of the header.

usage: make_seeds.py CORPUS_DIR
"""
import io, json, os, struct, sys
import numpy as np
from numpy.lib import format as npf

out = sys.argv[1]
npy = os.path.join(out, "npy")
st = os.path.join(out, "safetensors")
os.makedirs(npy, exist_ok=True)
os.makedirs(st, exist_ok=True)

def save(name, arr, version=None):
    with open(os.path.join(npy, name), "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            npf.write_array(f, arr, version=version)

a = (np.arange(12, dtype="<f4").reshape(3, 4) - 5) / 4      # -1.25 .. 1.5
save("f4_c.npy", a)
save("f4_fortran.npy", np.asfortranarray(a))
save("f4_be.npy", a.astype(">f4"))
save("f4_v2.npy", a, version=(2, 0))
save("f4_v3.npy", a, version=(3, 0))
save("f4_3d_fortran.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
save("f2.npy", np.array([0.0, -0.0, 1.0, 65504.0, 2.0**-24, 2.0**-14, np.inf, -np.inf, np.nan],
                        dtype="<f2"))
save("f8.npy", np.array([0.1, 1e300, -1e300, 1e-300, 3.4028235677973366e38, -2.5], dtype="<f8"))
save("scalar.npy", np.float32(3.5))
save("empty.npy", np.zeros((0, 5), dtype="<f4"))
# bfloat16 bits of 1, -2, 0.5, 3.140625 (0x3f80 0xc000 0x3f00 0x4049)
bits = np.array([0x3F80, 0xC000, 0x3F00, 0x4049], dtype="<u2")
save("bf16_u2.npy", bits)
save("bf16_i2.npy", bits.view("<i2"))
save("bf16_void.npy", bits.view("V2"))           # NumPy writes '|V2'
# ml_dtypes' bfloat16 dtype.str is '<V2': the same header with that descr
b = io.BytesIO()
np.save(b, bits.view("V2"))
with open(os.path.join(npy, "bf16_mldtypes.npy"), "wb") as f:
    f.write(b.getvalue().replace(b"'|V2'", b"'<V2'"))
with open(os.path.join(npy, "multi.npy"), "wb") as f:  # np.save twice on one file
    np.save(f, a)
    np.save(f, np.array([7.0, 8.0], dtype="<f8"))

def safetensors(name, tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for key, dtype, shape, raw in tensors:
        header[key] = {"dtype": dtype, "shape": list(shape),
                       "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(st, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)

safetensors("all.safetensors", [
    ("w.f32", "F32", (3, 4), a.tobytes()),
    ("w.f16", "F16", (2, 2), np.array([1, -2, 0.5, 65504], "<f2").tobytes()),
    ("w.bf16", "BF16", (4,), bits.tobytes()),
    ("w.f64", "F64", (2,), np.array([0.1, -1e-300], "<f8").tobytes()),
    ("pos", "I64", (3,), np.arange(3, dtype="<i8").tobytes()),
], metadata={"format": "pt"})
safetensors("empty.safetensors", [])
safetensors("zero_size.safetensors", [("z", "F32", (0, 3), b""), ("s", "F32", (), struct.pack("<f", 2.5))])
