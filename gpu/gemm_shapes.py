#!/usr/bin/env python3
"""gemm_shapes.py: the accumulation model on shapes it was not fitted on.

gemm_hw.py fits and checks the model at M = N = 2048 with K a multiple of
512.  This script runs torch._scaled_mm on other shapes (K not a multiple
of the 32-product block or of the 128-product K tile; small M, N that
cuBLAS may split along K; tall and wide outputs), keeps the same 32 x 32
output grid for gpu/fit_accum.c, and where M*N*K is small enough also
computes the model (kernels/accum.c through libmqgpu.so) for every output
on the CPUs here and compares it with the GPU bit for bit.

  python3 gpu/gemm_shapes.py BUILD_DIR OUT_DIR

Writes OUT_DIR/gemm_configs.csv, OUT_DIR/gemm_hw_sub.bin (the layout of
gemm_hw.py, split "shapes"), OUT_DIR/gemm_full.csv (per configuration:
outputs compared, how many the model gives bit for bit, the mean backward
errors of GPU and model over all outputs) and OUT_DIR/gemm_kernels.txt.
"""
import ctypes
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gemm_hw as G  # noqa: E402

SHAPES = [(2048, 2048, 1008), (2048, 2048, 2000), (256, 256, 8192), (512, 512, 65536),
          (128, 4096, 16384), (4096, 4096, 2048)]
DISTS = [("t3", 0, 3), ("normal", 0, 0)]
FULL_LIMIT = 5e9  # M*N*K at most this: every output is checked on the CPU


class Model(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int) for n in ("block", "frac_bits", "round_align", "acc_bits",
                                           "round_norm", "promote", "operand_exp", "emin_a",
                                           "emin_b")]


def main():
    build, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    lib = G.Lib(build)
    L = lib.L
    L.mq_accum_model_preset.argtypes = [ctypes.c_char_p, ctypes.POINTER(Model)]
    L.mq_accum_gemm.argtypes = [ctypes.POINTER(Model), ctypes.c_size_t, ctypes.c_size_t,
                                ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_float,
                                ctypes.c_void_p, ctypes.c_int]
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = torch.device("cuda")
    cfg = open(os.path.join(out, "gemm_configs.csv"), "w")
    cfg.write("id,split,K,dist,nu,fmt_l,fmt_r,scaling,fast_accum,seed_l,seed_r,scale_l_bits,"
              "scale_r_bits,hash_l,hash_r,M,N,be_hw,seconds\n")
    full = open(os.path.join(out, "gemm_full.csv"), "w")
    full.write("id,M,N,K,dist,fmt_l,fmt_r,scaling,fast_accum,outputs,bitexact,be_hw,be_model\n")
    sub = open(os.path.join(out, "gemm_hw_sub.bin"), "wb")
    kern = open(os.path.join(out, "gemm_kernels.txt"), "w")
    cid = 0
    for (M, N, K) in SHAPES:
        ridx, cidx = G.sub_rows(M), G.sub_cols(N)
        ridx_t, cidx_t = torch.from_numpy(ridx).to(dev), torch.from_numpy(cidx).to(dev)
        for di, (dname, dist, nu) in enumerate(DISTS):
            sl = 3000 * 1000003 + M * 7919 + N * 31 + K * 1009 + di * 101 + 1
            sr = sl + 1
            Lf, Rf = lib.sample(dist, nu, "e4m3", sl, M, K), lib.sample(dist, nu, "e4m3", sr, N, K)
            for fl, fr in G.PAIRS:
                scalings = ["one", "absmax"] if (M, N, K) == SHAPES[0] else ["one"]
                for scaling in scalings:
                    t0 = time.time()
                    s_l = lib.scale(fl, Lf) if scaling == "absmax" else 1.0
                    s_r = lib.scale(fr, Rf) if scaling == "absmax" else 1.0
                    Lc, Rc = lib.encode(fl, Lf, s_l), lib.encode(fr, Rf, s_r)
                    h_l, h_r = lib.hash(Lc[ridx]), lib.hash(Rc[cidx])
                    Lg = torch.from_numpy(Lc).to(dev).view(G.TDT[fl])
                    Rg = torch.from_numpy(Rc).to(dev).view(G.TDT[fr])
                    La = Lg.to(torch.float32)
                    Ra = Rg.to(torch.float32)
                    sprod = float(np.float64(np.float32(s_l)) * np.float64(np.float32(s_r)))
                    C_ex = (La.double() @ Ra.double().T) * sprod
                    A_ex = (La.double().abs() @ Ra.double().abs().T) * sprod
                    ok = A_ex > 0
                    sa = torch.tensor(s_l, device=dev, dtype=torch.float32)
                    sb = torch.tensor(s_r, device=dev, dtype=torch.float32)
                    for fast in (False, True):
                        def mm():
                            return torch._scaled_mm(Lg, Rg.t(), scale_a=sa, scale_b=sb,
                                                    out_dtype=torch.float32, use_fast_accum=fast)
                        try:
                            C = mm()
                        except Exception as e:
                            print(f"_scaled_mm {M}x{N}x{K} {fl}x{fr} fast={fast}: {e}")
                            continue
                        be = ((C_ex - C.double()).abs()[ok] / A_ex[ok]).mean().item()
                        Cs = C.index_select(0, ridx_t).index_select(1, cidx_t)
                        sub.write(Cs.contiguous().cpu().numpy().astype("<f4").tobytes())
                        if dname == DISTS[0][0] and scaling == "one":
                            try:
                                names = " | ".join(G.kernel_names(mm))
                            except Exception as e:
                                names = f"(profiler: {e})"
                            kern.write(f"M={M} N={N} K={K} {fl}x{fr} fast={fast}: {names}\n")
                        line = ""
                        if M * N * K <= FULL_LIMIT:
                            m = Model()
                            assert L.mq_accum_model_preset(
                                b"h100-fp8-fast" if fast else b"h100-fp8", ctypes.byref(m)) == 0
                            m.emin_a = -14 if fl == "e5m2" else -6
                            m.emin_b = -14 if fr == "e5m2" else -6
                            Ln = np.ascontiguousarray(La.cpu().numpy())
                            Rn = np.ascontiguousarray(Ra.cpu().numpy().T)  # K x N
                            Cm = np.empty((M, N), np.float32)
                            sc = float(np.float32(np.float32(s_l) * np.float32(s_r)))
                            rc = L.mq_accum_gemm(ctypes.byref(m), M, K, N, Ln.ctypes.data,
                                                 Rn.ctypes.data, sc, Cm.ctypes.data,
                                                 os.cpu_count() or 16)
                            assert rc == 0, rc
                            Ch = C.cpu().numpy()
                            same = int((Cm.view(np.int32) == Ch.view(np.int32)).sum())
                            Cmt = torch.from_numpy(Cm).to(dev).double()
                            bem = ((C_ex - Cmt).abs()[ok] / A_ex[ok]).mean().item()
                            full.write(f"{cid},{M},{N},{K},{dname},{fl},{fr},{scaling},{int(fast)},"
                                       f"{M * N},{same},{be:.6e},{bem:.6e}\n")
                            full.flush()
                            line = f" full: {same}/{M * N} bit-exact, be_model={bem:.3e}"
                        cfg.write(f"{cid},shapes,{K},{dname},{nu},{fl},{fr},{scaling},{int(fast)},"
                                  f"{sl},{sr},0x{G.f32bits(s_l):08X},0x{G.f32bits(s_r):08X},"
                                  f"0x{h_l:016X},0x{h_r:016X},{M},{N},{be:.6e},"
                                  f"{time.time() - t0:.2f}\n")
                        cfg.flush()
                        print(f"[{cid:3d}] {M}x{N}x{K} {dname:6s} {fl}x{fr} {scaling:6s} "
                              f"fast={int(fast)} be_hw={be:.3e}{line}", flush=True)
                        cid += 1
                    del Lg, Rg, La, Ra, C_ex, A_ex
                    torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
