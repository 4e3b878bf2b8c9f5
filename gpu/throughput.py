#!/usr/bin/env python3
"""throughput.py: GEMM and quantize throughput on the GPU (issue 8).

  python3 gpu/throughput.py BUILD_DIR OUT_DIR

Times, with CUDA events (median of the timed repetitions after warm-up,
operands rotated among 3 sets so that no repetition finds its inputs in
L2):
  gemm_fp8_e4m3      torch._scaled_mm, e4m3 x e4m3, bf16 out, scales 1,
                     use_fast_accum False and True
  gemm_int8          torch._int_mm, int8 x int8 -> int32, both row-major
  gemm_int8_colmajorB    the same with B column-major
  gemm_bf16          torch.mm, bf16
  quantize_e4m3      float32 -> e4m3 codes, given scale (gpu/quant.cu)
  quantize_e4m3_absmax   absmax pass + quantize pass (gpu/quant.cu)
  quantize_e4m3_torch    (x / s).clamp(-448, 448).to(float8_e4m3fn), eager
Before timing, the quant.cu kernels are checked against metriq's mq_encode
(libmqgpu.so) on 2^24 elements: codes must be identical.

Writes OUT_DIR/throughput.csv and OUT_DIR/throughput.json (Google
Benchmark's JSON schema: context + benchmarks with name, real_time,
time_unit, items_per_second; items are FLOPs (2MNK) for GEMMs and elements
for quantize).  Device, driver and CUDA version are in the context and in
each row (CSV) or each benchmark's label (JSON).
"""
import ctypes
import datetime
import json
import os
import platform
import socket
import subprocess
import sys

import numpy as np
import torch


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=60).stdout.strip()
    except Exception:
        return ""


def timed(fn, reps, warm=3):
    for _ in range(warm):
        fn(0)
    torch.cuda.synchronize()
    ts = []
    for i in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(i)
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2], ts


def main():
    build, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    dev = torch.device("cuda")
    name = torch.cuda.get_device_name(0)
    driver = sh("nvidia-smi --query-gpu=driver_version --format=csv,noheader").splitlines()[0:1]
    driver = driver[0] if driver else "?"
    nvcc = sh("nvcc --version | tail -2 | head -1")
    cuda = f"runtime {torch.version.cuda} (torch {torch.__version__}); {nvcc}"
    label = f"{name}; driver {driver}; CUDA {torch.version.cuda}"
    print(label)
    rows = []

    def kernels(fn):
        try:
            from torch.profiler import ProfilerActivity, profile
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                fn(0)
                torch.cuda.synchronize()
            return " | ".join(sorted({e.name[:90] for e in prof.events()
                                      if e.device_type.name == "CUDA"}))
        except Exception as e:
            return f"(profiler: {e})"

    def add(bench, shape, ms, items, unit_items, reps, kern=""):
        rate = items / (ms * 1e-3)
        rows.append({"bench": bench, "shape": shape, "ms": ms, "items": items, "rate": rate,
                     "unit": unit_items, "reps": reps, "kernel": kern})
        scale = 1e12 if unit_items == "FLOP" else 1e9
        u = "TFLOP/s" if unit_items == "FLOP" else "G elements/s"
        print(f"{bench:28s} {shape:18s} {ms:9.4f} ms  {rate / scale:9.1f} {u}", flush=True)

    # ---- GEMMs ----
    torch.manual_seed(0)
    for n in (2048, 4096, 8192, 16384):
        reps = 20 if n <= 8192 else 10
        flops = 2.0 * n * n * n
        sets = []
        for _ in range(3):
            a = torch.randn(n, n, device=dev)
            b = torch.randn(n, n, device=dev)
            sets.append((a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn).t().contiguous().t()))
            del a, b
        one = torch.tensor(1.0, device=dev)
        for fast in (False, True):
            def f8(i, fast=fast):
                x, y = sets[i % 3]
                return torch._scaled_mm(x, y, scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                        use_fast_accum=fast)
            ms, _ = timed(f8, reps)
            add(f"gemm_fp8_e4m3{'_fastaccum' if fast else ''}", f"{n}x{n}x{n}", ms, flops,
                "FLOP", reps, kernels(f8))
        del sets
        sets = [(torch.randint(-127, 128, (n, n), device=dev, dtype=torch.int8),
                 torch.randint(-127, 128, (n, n), device=dev, dtype=torch.int8)) for _ in range(3)]

        def i8(i):
            x, y = sets[i % 3]
            return torch._int_mm(x, y)
        ms, _ = timed(i8, reps)
        add("gemm_int8", f"{n}x{n}x{n}", ms, flops, "FLOP", reps, kernels(i8))
        # the same with B column-major (cuBLASLt's "TN" layout, as the FP8 case)
        sets = [(x, y.t().contiguous().t()) for x, y in sets]
        ms, _ = timed(i8, reps)
        add("gemm_int8_colmajorB", f"{n}x{n}x{n}", ms, flops, "FLOP", reps, kernels(i8))
        del sets
        sets = [(torch.randn(n, n, device=dev, dtype=torch.bfloat16),
                 torch.randn(n, n, device=dev, dtype=torch.bfloat16)) for _ in range(3)]

        def bf(i):
            x, y = sets[i % 3]
            return torch.mm(x, y)
        ms, _ = timed(bf, reps)
        add("gemm_bf16", f"{n}x{n}x{n}", ms, flops, "FLOP", reps, kernels(bf))
        del sets
        torch.cuda.empty_cache()

    # ---- quantize ----
    q = ctypes.CDLL(os.path.join(build, "libmqquant.so"))
    q.mqq_quant_e4m3.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                 ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    q.mqq_absmax.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p]
    h = ctypes.CDLL(os.path.join(build, "libmqgpu.so"))
    h.mqg_encode.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_float,
                             ctypes.c_void_p, ctypes.c_int]
    h.mqg_absmax_scale.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int64,
                                   ctypes.c_void_p]
    stream = torch.cuda.current_stream().cuda_stream

    # correctness against metriq, 2^24 + 3 elements (a tail), heavy tails
    # (finite: absmax scaling of non-finite data is an error in metriq)
    n = (1 << 24) + 3
    x = torch.randn(n, device=dev) / (torch.rand(n, device=dev) + 1e-3)
    xs = x.cpu().numpy()
    y = torch.empty(n, dtype=torch.uint8, device=dev)
    amax = torch.empty(1, dtype=torch.int32, device=dev)
    assert q.mqq_absmax(x.data_ptr(), n, amax.data_ptr(), stream) == 0
    assert q.mqq_quant_e4m3(x.data_ptr(), y.data_ptr(), n, amax.data_ptr(), 1, stream) == 0
    s = ctypes.c_float()
    h.mqg_absmax_scale(b"e4m3", xs.ctypes.data, n, ctypes.addressof(s))
    ref = np.empty(n, np.uint8)
    h.mqg_encode(b"e4m3", xs.ctypes.data, n, s.value, ref.ctypes.data, os.cpu_count() or 8)
    got = y.cpu().numpy()
    bad_absmax = int((got != ref).sum())
    sc = torch.tensor([3.0], device=dev)
    assert q.mqq_quant_e4m3(x.data_ptr(), y.data_ptr(), n, sc.data_ptr(), 0, stream) == 0
    h.mqg_encode(b"e4m3", xs.ctypes.data, n, 3.0, ref.ctypes.data, os.cpu_count() or 8)
    bad_given = int((y.cpu().numpy() != ref).sum())
    print(f"quant.cu vs metriq mq_encode on {n} elements: absmax-scaled mismatches {bad_absmax} "
          f"(scale {s.value!r}), scale-3 mismatches {bad_given}")
    check = {"elements": n, "mismatch_absmax": bad_absmax, "mismatch_scale3": bad_given}
    del x, y

    for lg in (26, 28):
        n = 1 << lg
        reps = 30
        xs_ = [torch.randn(n, device=dev) for _ in range(2)]
        y = torch.empty(n, dtype=torch.uint8, device=dev)
        sc = torch.tensor([0.01], device=dev)
        amax = torch.empty(1, dtype=torch.int32, device=dev)

        def qk(i):
            q.mqq_quant_e4m3(xs_[i % 2].data_ptr(), y.data_ptr(), n, sc.data_ptr(), 0, stream)

        def qa(i):
            q.mqq_absmax(xs_[i % 2].data_ptr(), n, amax.data_ptr(), stream)
            q.mqq_quant_e4m3(xs_[i % 2].data_ptr(), y.data_ptr(), n, amax.data_ptr(), 1, stream)

        def qt(i):
            return (xs_[i % 2] / 0.01).clamp_(-448.0, 448.0).to(torch.float8_e4m3fn)
        for bench, fn in (("quantize_e4m3", qk), ("quantize_e4m3_absmax", qa),
                          ("quantize_e4m3_torch", qt)):
            ms, _ = timed(fn, reps)
            add(bench, f"n=2^{lg}", ms, float(n), "element", reps)
        del xs_, y
        torch.cuda.empty_cache()

    # ---- write ----
    with open(os.path.join(out, "throughput.csv"), "w") as f:
        f.write("device,driver,cuda,benchmark,shape,median_ms,items,items_per_second,item,"
                "repetitions,kernels\n")
        for r in rows:
            f.write(f"\"{name}\",{driver},{torch.version.cuda},{r['bench']},{r['shape']},"
                    f"{r['ms']:.6f},{r['items']:.0f},{r['rate']:.6e},{r['unit']},{r['reps']},"
                    f"\"{r['kernel']}\"\n")
    ctx = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "host_name": socket.gethostname(),
        "executable": "gpu/throughput.py",
        "num_cpus": os.cpu_count(),
        "mhz_per_cpu": 0,
        "cpu_scaling_enabled": False,
        "caches": [],
        "library_build_type": "release",
        "device": name,
        "driver": driver,
        "cuda": cuda,
        "torch": torch.__version__,
        "platform": platform.platform(),
        "quant_check": check,
    }
    benches = []
    for i, r in enumerate(rows):
        benches.append({
            "name": f"gpu/{r['bench']}/{r['shape']}",
            "family_index": i,
            "per_family_instance_index": 0,
            "run_name": f"gpu/{r['bench']}/{r['shape']}",
            "run_type": "iteration",
            "repetitions": r["reps"],
            "repetition_index": 0,
            "threads": 1,
            "iterations": 1,
            "real_time": r["ms"],
            "cpu_time": r["ms"],
            "time_unit": "ms",
            "items_per_second": r["rate"],
            "label": label,
        })
    with open(os.path.join(out, "throughput.json"), "w") as f:
        json.dump({"context": ctx, "benchmarks": benches}, f, indent=2)


if __name__ == "__main__":
    main()
