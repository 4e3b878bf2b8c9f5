#!/usr/bin/env python3
"""gemm_hw.py: what an FP8 GEMM on the GPU computes (issue 8).

For every configuration (split, K, distribution, format pair, scaling,
fast accumulation) this draws L (M x K) and R^T (N x K) with
gpu/mqgpu_host.c (row r of a matrix is a function of its seed and r only),
quantizes them with metriq's mq_encode (rtne, saturate; scale 1 or the
per-tensor absmax scale of scale.h), multiplies the codes with
torch._scaled_mm (float32 output) and measures, over the whole M x N
output, the mean backward error |C_exact - C| / (|A||B|) against the exact
product C_exact of the dequantized operands A, B (a float64 GEMM: products
of FP8 values and their sums are exact or within 2^-53 there).  It keeps
the hardware's outputs on a 32 x 32 grid of rows and columns spread over
the matrix, so that the accumulation model can be fitted and checked on
the CPU (gpu/fit_accum.c draws the same rows again and checks the code
hashes recorded here).

  python3 gpu/gemm_hw.py BUILD_DIR OUT_DIR [--quick]

Writes OUT_DIR/gemm_configs.csv (one row a configuration), OUT_DIR/
gemm_hw_sub.bin (the 32 x 32 float32 outputs of each row, in order) and
OUT_DIR/gemm_kernels.txt (the CUDA kernels each shape ran).
"""
import ctypes
import os
import struct
import sys
import time

import numpy as np
import torch

M = N = 2048
SUB = 32
NTHREADS = os.cpu_count() or 16
DISTS = [("t3", 0, 3), ("t10", 0, 10), ("normal", 0, 0), ("codes", 1, 0), ("spike", 2, 0)]
PAIRS = [("e4m3", "e4m3"), ("e5m2", "e4m3")]
SCALINGS = ["one", "absmax"]
SPLITS = [("fit", 1000, [512, 1024, 4096]), ("heldout", 2000, [512, 1024, 4096, 16384, 65536])]
TDT = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}


def sub_rows(n):
    """32 indices spread over 0..n-1, at varying offsets within each 64-block."""
    step = n // SUB
    return np.array([i * step + (i * 13) % step for i in range(SUB)], np.int64)


def sub_cols(n):
    step = n // SUB
    return np.array([i * step + (i * 7 + 3) % step for i in range(SUB)], np.int64)


class Lib:
    def __init__(self, build):
        L = ctypes.CDLL(os.path.join(build, "libmqgpu.so"))
        P = ctypes.c_void_p
        L.mqg_sample.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint64, P,
                                 ctypes.c_int64, ctypes.c_int64, P, ctypes.c_int]
        L.mqg_absmax_scale.argtypes = [ctypes.c_char_p, P, ctypes.c_int64, P]
        L.mqg_encode.argtypes = [ctypes.c_char_p, P, ctypes.c_int64, ctypes.c_float, P,
                                 ctypes.c_int]
        L.mqg_hash.argtypes = [P, ctypes.c_int64]
        L.mqg_hash.restype = ctypes.c_uint64
        self.L = L

    def sample(self, dist, nu, fmt, seed, nrows, K):
        out = np.empty((nrows, K), np.float32)
        rc = self.L.mqg_sample(dist, nu, fmt.encode(), seed, None, nrows, K, out.ctypes.data,
                               NTHREADS)
        assert rc == 0
        return out

    def scale(self, fmt, x):
        s = ctypes.c_float()
        assert self.L.mqg_absmax_scale(fmt.encode(), x.ctypes.data, x.size,
                                       ctypes.addressof(s)) == 0
        return s.value

    def encode(self, fmt, x, scale):
        c = np.empty(x.shape, np.uint8)
        assert self.L.mqg_encode(fmt.encode(), x.ctypes.data, x.size, scale, c.ctypes.data,
                                 NTHREADS) == 0
        return c

    def hash(self, a):
        a = np.ascontiguousarray(a)
        return self.L.mqg_hash(a.ctypes.data, a.size)


def f32bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def seed_of(split_seed, K, di, which, fmt):
    # distinct per (split, K, distribution, operand); "codes" draws per format
    s = split_seed * 1000003 + K * 1009 + di * 101 + (1 if which == "L" else 2)
    if DISTS[di][0] == "codes":
        s = s * 31 + (5 if fmt == "e5m2" else 4)
    return s


def kernel_names(fn):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    names = sorted({e.name for e in prof.events() if e.device_type.name == "CUDA"})
    return names


def main():
    build, out = sys.argv[1], sys.argv[2]
    quick = "--quick" in sys.argv
    os.makedirs(out, exist_ok=True)
    lib = Lib(build)
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    ridx, cidx = sub_rows(M), sub_cols(N)
    ridx_t, cidx_t = torch.from_numpy(ridx).to(dev), torch.from_numpy(cidx).to(dev)
    cfg = open(os.path.join(out, "gemm_configs.csv"), "w")
    cfg.write("id,split,K,dist,nu,fmt_l,fmt_r,scaling,fast_accum,seed_l,seed_r,scale_l_bits,"
              "scale_r_bits,hash_l,hash_r,M,N,be_hw,be_fp32_gpu,be_quant,be_hw_vs_unquant,"
              "deterministic,trailing_zero_bits_min,seconds\n")
    sub = open(os.path.join(out, "gemm_hw_sub.bin"), "wb")
    kern = open(os.path.join(out, "gemm_kernels.txt"), "w")
    seen_shapes = set()
    cid = 0
    t_all = time.time()
    splits = SPLITS if not quick else [("fit", 1000, [512]), ("heldout", 2000, [4096])]
    for split, sseed, Ks in splits:
        for K in Ks:
            for di, (dname, dist, nu) in enumerate(DISTS):
                cache = {}
                for fl, fr in PAIRS:
                    t0 = time.time()
                    sl, sr = seed_of(sseed, K, di, "L", fl), seed_of(sseed, K, di, "R", fr)
                    # a seed names the data (seed_of folds the format in for "codes")
                    if sl not in cache:
                        cache[sl] = lib.sample(dist, nu, fl, sl, M, K)
                    if sr not in cache:
                        cache[sr] = lib.sample(dist, nu, fr, sr, N, K)
                    Lf, Rf = cache[sl], cache[sr]
                    # the unquantized product, for the quantization error
                    Lf64 = torch.from_numpy(Lf).to(dev, torch.float64)
                    Rf64 = torch.from_numpy(Rf).to(dev, torch.float64)
                    C_un = Lf64 @ Rf64.T
                    A_un = Lf64.abs() @ Rf64.abs().T
                    del Lf64, Rf64
                    for scaling in SCALINGS:
                        s_l = lib.scale(fl, Lf) if scaling == "absmax" else 1.0
                        s_r = lib.scale(fr, Rf) if scaling == "absmax" else 1.0
                        Lc, Rc = lib.encode(fl, Lf, s_l), lib.encode(fr, Rf, s_r)
                        h_l, h_r = lib.hash(Lc[ridx]), lib.hash(Rc[cidx])
                        Lg = torch.from_numpy(Lc).to(dev).view(TDT[fl])
                        Rg = torch.from_numpy(Rc).to(dev).view(TDT[fr])
                        La = Lg.to(torch.float32).to(torch.float64)
                        Ra = Rg.to(torch.float32).to(torch.float64)
                        sprod = float(np.float64(np.float32(s_l)) * np.float64(np.float32(s_r)))
                        C_ex = (La @ Ra.T) * sprod
                        A_ex = (La.abs() @ Ra.abs().T) * sprod
                        ok = A_ex > 0
                        # float32 accumulation on the GPU (cuBLAS sgemm, no TF32)
                        C32 = (La.float() @ Ra.float().T).double() * sprod
                        be32 = ((C_ex - C32).abs()[ok] / A_ex[ok]).mean().item()
                        beq = ((C_un - C_ex).abs()[A_un > 0] / A_un[A_un > 0]).mean().item()
                        del La, Ra, C32
                        sa = torch.tensor(s_l, device=dev, dtype=torch.float32)
                        sb = torch.tensor(s_r, device=dev, dtype=torch.float32)
                        for fast in (False, True):
                            def mm():
                                return torch._scaled_mm(Lg, Rg.t(), scale_a=sa, scale_b=sb,
                                                        out_dtype=torch.float32,
                                                        use_fast_accum=fast)
                            try:
                                C = mm()
                                C2 = mm()
                            except Exception as e:  # report, go on
                                print(f"_scaled_mm {fl}x{fr} K={K} fast={fast}: {e}")
                                continue
                            torch.cuda.synchronize()
                            det = bool(torch.equal(C.view(torch.int32), C2.view(torch.int32)))
                            C64 = C.double()
                            be = ((C_ex - C64).abs()[ok] / A_ex[ok]).mean().item()
                            beu = ((C_un - C64).abs()[A_un > 0] / A_un[A_un > 0]).mean().item()
                            # fewest trailing zero bits among non-zero outputs' significands
                            bits = C.view(torch.int32)[C != 0] & 0x7FFFFF
                            tz = 23
                            for b in range(23):
                                if bool(((bits >> b) & 1).any()):
                                    tz = b
                                    break
                            Cs = C.index_select(0, ridx_t).index_select(1, cidx_t)
                            sub.write(Cs.contiguous().cpu().numpy().astype("<f4").tobytes())
                            shape = (K, fl, fr, fast)
                            if shape not in seen_shapes:
                                seen_shapes.add(shape)
                                kern.write(f"M={M} N={N} K={K} {fl}x{fr} fast={fast}: "
                                           f"{' | '.join(kernel_names(mm))}\n")
                            dt = time.time() - t0
                            cfg.write(f"{cid},{split},{K},{dname},{nu},{fl},{fr},{scaling},"
                                      f"{int(fast)},{sl},{sr},0x{f32bits(s_l):08X},"
                                      f"0x{f32bits(s_r):08X},0x{h_l:016X},0x{h_r:016X},{M},{N},"
                                      f"{be:.6e},{be32:.6e},{beq:.6e},{beu:.6e},{int(det)},{tz},"
                                      f"{dt:.2f}\n")
                            cfg.flush()
                            print(f"[{cid:3d}] {split:7s} K={K:5d} {dname:6s} {fl}x{fr} "
                                  f"{scaling:6s} fast={int(fast)}  be_hw={be:.3e} "
                                  f"be_fp32gpu={be32:.3e} be_quant={beq:.3e} det={int(det)} "
                                  f"tz={tz}", flush=True)
                            cid += 1
                        del Lg, Rg, C_ex, A_ex
                    del C_un, A_un
                    torch.cuda.empty_cache()
    print(f"gemm_hw: {cid} configurations in {time.time() - t_all:.1f} s")


if __name__ == "__main__":
    main()
