#!/usr/bin/env python3
"""merge_results.py: the result tables of issue 8 from the GPU runs' raw
files (results/gpu/raw) and the CPU-side model evaluations.

  python3 gpu/merge_results.py RAW OUT

RAW is laid out as results/gpu/raw is:
  run1/   gpu/run_all.sh (default steps): conversions*.csv (metriq's
          auto-selected encoder), gemm_configs.csv, gemm_hw_sub.bin, and the
          evaluations eval_fast0.csv / eval_fast1.csv written by
          mq_fit_accum --preset h100-fp8 / h100-fp8-fast --csv
  run2/   STEPS="env build conversions_isa gemm shapes throughput":
          isa-generic/, isa-avx2/ (conversions with forced encoders),
          shapes/ (gemm_configs.csv, gemm_full.csv, eval_*.csv), throughput.*
Writes OUT/conversions.csv, conversions_mismatches.csv, conversions_nan.csv,
gemm_accumulation.csv and gemm_shapes.csv.  Plain Python, no numpy.
"""
import csv
import os
import sys


def conv_rows(path):
    """conversions.csv rows; early runs left the GPU routine unquoted."""
    rows = []
    with open(path) as f:
        header = f.readline()
        for line in f:
            p = line.rstrip("\n").split(",")
            if len(p) > 6:
                p = p[:2] + [",".join(p[2:len(p) - 3])] + p[len(p) - 3:]
            if p[2].startswith('"'):
                p[2] = p[2].strip('"')
            rows.append(p)
    return rows


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def main():
    raw, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    runs = [("run1", os.path.join(raw, "run1")),
            ("run2/isa-generic", os.path.join(raw, "run2", "isa-generic")),
            ("run2/isa-avx2", os.path.join(raw, "run2", "isa-avx2"))]

    with open(os.path.join(out, "conversions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["format", "mode", "gpu_op", "checked", "mismatches", "mismatches_non_nan",
                     "metriq_path", "run"])
        for name, d in runs:
            mism = read(os.path.join(d, "conversions_mismatches.csv"))
            for p in conv_rows(os.path.join(d, "conversions.csv")):
                nonnan = sum(int(m["count"]) for m in mism
                             if m["format"] == p[0] and m["mode"] == p[1]
                             and m["input_class"] != "nan")
                w.writerow(p[:5] + [nonnan, p[5], name])
    with open(os.path.join(out, "conversions_mismatches.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["format", "mode", "input_class", "gpu_code", "metriq_code", "count",
                    "example_input", "metriq_path"])
        for name, d in runs:
            path = conv_rows(os.path.join(d, "conversions.csv"))[0][5]
            for m in read(os.path.join(d, "conversions_mismatches.csv")):
                w.writerow([m["format"], m["mode"], m["input_class"], m["gpu_code"],
                            m["metriq_code"], m["count"], m["example_input"], path])
    with open(os.path.join(out, "conversions_nan.csv"), "w", newline="") as f:
        w = csv.writer(f)
        first = True
        for name, d in runs:
            path = conv_rows(os.path.join(d, "conversions.csv"))[0][5]
            for m in read(os.path.join(d, "conversions_nan.csv")):
                if first:
                    w.writerow(list(m.keys()) + ["metriq_path"])
                    first = False
                w.writerow(list(m.values()) + [path])

    # ---- GEMM accumulation, M = N = 2048 ----
    r1 = os.path.join(raw, "run1")
    cfg = {r["id"]: r for r in read(os.path.join(r1, "gemm_configs.csv"))}
    ev = {}
    for fn, model in (("eval_fast0.csv", "h100-fp8"), ("eval_fast1.csv", "h100-fp8-fast")):
        for r in read(os.path.join(r1, fn)):
            ev[r["id"]] = (model, r)
    cols = ["split", "M", "N", "K", "dist", "nu", "formats", "scaling", "fast_accum", "model",
            "outputs_compared", "bitexact_model", "be_hw", "be_model", "be_model_over_hw",
            "be_fp32", "be_hw_full", "be_fp32_gpu_full", "be_exact", "be_hw_vs_unquant_full",
            "deterministic"]
    with open(os.path.join(out, "gemm_accumulation.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for cid in sorted(cfg, key=int):
            c = cfg[cid]
            model, e = ev[cid]
            w.writerow([c["split"], c["M"], c["N"], c["K"], c["dist"], c["nu"],
                        f"{c['fmt_l']}x{c['fmt_r']}", c["scaling"], c["fast_accum"], model,
                        e["outputs"], e["bitexact_model"], e["be_hw"], e["be_model"],
                        e["be_model_over_hw"], e["be_fp32"], c["be_hw"], c["be_fp32_gpu"],
                        c["be_quant"], c["be_hw_vs_unquant"], c["deterministic"]])

    # ---- other shapes ----
    sd = os.path.join(raw, "run2", "shapes")
    cfg = {r["id"]: r for r in read(os.path.join(sd, "gemm_configs.csv"))}
    full = {r["id"]: r for r in read(os.path.join(sd, "gemm_full.csv"))}
    ev = {}
    for fn, model in (("eval_fast0.csv", "h100-fp8"), ("eval_fast1.csv", "h100-fp8-fast"),
                      ("eval_splitk.csv", "h100-fp8-fast,promote=4096")):
        p = os.path.join(sd, fn)
        if os.path.exists(p):
            for r in read(p):
                ev.setdefault(r["id"], []).append((model, r))
    with open(os.path.join(out, "gemm_shapes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["M", "N", "K", "dist", "formats", "scaling", "fast_accum", "model",
                    "outputs_compared", "bitexact_model", "be_hw", "be_model", "be_fp32",
                    "be_hw_full", "full_outputs", "full_bitexact", "be_model_full"])
        for cid in sorted(cfg, key=int):
            c = cfg[cid]
            for model, e in ev.get(cid, []):
                # the all-outputs check ran with the preset only
                fr = full.get(cid) if "promote" not in model else None
                w.writerow([c["M"], c["N"], c["K"], c["dist"], f"{c['fmt_l']}x{c['fmt_r']}",
                            c["scaling"], c["fast_accum"], model, e["outputs"],
                            e["bitexact_model"], e["be_hw"], e["be_model"], e["be_fp32"],
                            c["be_hw"], fr["outputs"] if fr else "", fr["bitexact"] if fr else "",
                            fr["be_model"] if fr else ""])


if __name__ == "__main__":
    main()
