#!/usr/bin/env python3
"""conv_xcheck.py: a third and fourth opinion on the conversions (issue 8).

Reads the sample that `mq_gpu_conv --dump FILE` writes (every S-th float32
bit pattern plus special values, with the GPU's and metriq's codes) and
converts the same inputs with ml_dtypes (and numpy for fp16) and with
PyTorch on the CPU and on the GPU.  Prints and writes, for each (library,
format, mode), how many codes differ from the GPU's routine and from
metriq's, with and without NaN inputs.

  python3 gpu/conv_xcheck.py DUMP OUT.csv

Modes: "ieee" converts x as is (ml_dtypes and torch overflow to NaN in
e4m3fn and to inf in e5m2, bf16, fp16); "saturate" converts x clipped to
[-max, max] first (clip keeps NaN), which is what a saturating conversion
is for every non-NaN input.
"""
import sys

import numpy as np

REC = np.dtype([("x", "<u4"), ("g8", "u1", 4), ("g16", "<u2", 2), ("m8", "u1", 4),
                ("m16", "<u2", 2)])
# column of each (format, mode) in the dump: conv.cu's order
COL = {("e4m3", "saturate"): ("8", 0), ("e4m3", "ieee"): ("8", 1),
       ("e5m2", "saturate"): ("8", 2), ("e5m2", "ieee"): ("8", 3),
       ("bf16", "ieee"): ("16", 0), ("fp16", "ieee"): ("16", 1)}
FMAX = {"e4m3": 448.0, "e5m2": 57344.0}


def main():
    dump, out = sys.argv[1], sys.argv[2]
    r = np.fromfile(dump, dtype=REC)
    xb = r["x"]
    x = xb.view(np.float32)
    nan = np.isnan(x)
    rows = []

    def compare(lib, fmt, mode, codes):
        kind, c = COL[(fmt, mode)]
        g = r["g" + kind][:, c]
        m = r["m" + kind][:, c]
        codes = codes.astype(g.dtype)
        dg, dm = codes != g, codes != m
        row = (lib, fmt, mode, len(x), int(dg.sum()), int((dg & ~nan).sum()), int(dm.sum()),
               int((dm & ~nan).sum()))
        rows.append(row)
        ex = ""
        if row[5]:
            i = np.flatnonzero(dg & ~nan)[0]
            ex = f" e.g. x=0x{xb[i]:08X}: {lib} 0x{int(codes[i]):X} gpu 0x{int(g[i]):X}"
        print(f"{lib:12s} {fmt:5s} {mode:8s} n={len(x)} vs GPU {row[4]} (non-NaN {row[5]})"
              f"  vs metriq {row[6]} (non-NaN {row[7]}){ex}")

    try:
        import ml_dtypes
        libs = {"e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2,
                "bf16": ml_dtypes.bfloat16}
        name = f"ml_dtypes-{ml_dtypes.__version__}"
        with np.errstate(all="ignore"):
            for fmt in ("e4m3", "e5m2"):
                compare(name, fmt, "ieee", x.astype(libs[fmt]).view(np.uint8))
                xc = np.clip(x, -FMAX[fmt], FMAX[fmt])
                compare(name, fmt, "saturate", xc.astype(libs[fmt]).view(np.uint8))
            compare(name, "bf16", "ieee", x.astype(libs["bf16"]).view(np.uint16))
            compare(f"numpy-{np.__version__}", "fp16", "ieee", x.astype(np.float16).view(np.uint16))
    except ImportError as e:
        print("ml_dtypes not available:", e)

    try:
        import torch
        tt = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2, "bf16": torch.bfloat16,
              "fp16": torch.float16}
        devs = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for dev in devs:
            name = f"torch-{torch.__version__}-{dev}"
            xt = torch.from_numpy(x.copy()).to(dev)
            for fmt in ("e4m3", "e5m2", "bf16", "fp16"):
                wide = fmt in ("bf16", "fp16")
                view = torch.int16 if wide else torch.uint8
                npt = np.uint16 if wide else np.uint8
                c = xt.to(tt[fmt]).view(view).cpu().numpy().view(npt)
                compare(name, fmt, "ieee", c)
                if not wide:
                    xc = torch.clamp(xt, -FMAX[fmt], FMAX[fmt])
                    c = xc.to(tt[fmt]).view(view).cpu().numpy().view(npt)
                    compare(name, fmt, "saturate", c)
    except ImportError as e:
        print("torch not available:", e)

    with open(out, "w") as f:
        f.write("library,format,mode,checked,mismatch_vs_gpu,mismatch_vs_gpu_nonnan,"
                "mismatch_vs_metriq,mismatch_vs_metriq_nonnan\n")
        for row in rows:
            f.write(",".join(str(v) for v in row) + "\n")


if __name__ == "__main__":
    main()
