#!/usr/bin/env python3
"""Pools the outputs of run_comparison.sh into one table: tapegrad and LibTorch side by side.

Each figure is the median of the per-process medians, with the smallest per-process min and the
largest per-process max ("spread"). The last lines are `ratio <figure> <value>` (tapegrad /
LibTorch, one thread), one per figure of the targets table.
"""
import argparse
import glob
import os
import re
import statistics

LIBS = ("tapegrad", "torch")
# figure -> (target ratio tapegrad / LibTorch, at most)
TARGETS = {
    "W1_epoch": 0.8,
    "W2_b1": 0.5, "W2_b16": 0.5, "W2_b64": 0.5, "W2_b256": 0.9, "W2_b1024": 0.9,
    "W3_fwdbwd_n1": 0.25, "W3_fwdbwd_n64": 0.25,
    "W4_step": 0.85,
    "W5_step": 0.5,
    "W9_tmm": 1.0, "W9_strided": 1.0,
    "W1_peak_rss": 0.6, "W4_peak_rss": 0.6,
    "compile_user_tu": 0.25,
    "startup": 0.05,
}
ORDER = ["W1_epoch", "W2_b1", "W2_b16", "W2_b64", "W2_b256", "W2_b1024",
         "W3_fwd_n1", "W3_fwdbwd_n1", "W3_fwdbwd_free_n1", "W3_fwd_nograd_n1", "W3_fwd_inference_n1",
         "W3_fwd_n64", "W3_fwdbwd_n64", "W3_fwdbwd_free_n64", "W3_fwd_nograd_n64",
         "W3_fwd_inference_n64",
         "W4_step", "W4_fwd", "W4_bwd", "W4_opt", "W4_gflops", "W4_mm_gflops", "W4_sgemm_gflops",
         "W5_step", "W5_step_mean", "W9_tmm", "W9_strided", "W1_peak_rss", "W4_peak_rss",
         "compile_user_tu", "startup"]
# W8, the LSTM step (issue 18, bench/rnn_comparison.sh); its peak RSS is the program's own
TARGETS.update({"W8_step": 0.8, "W8_peak_rss": 0.6})
ORDER += ["W8_step", "W8_peak_rss"]
# W4 under tapegrad's autocast (bfloat16 products) against LibTorch's float32 W4 (issue 20)
TARGETS.update({"W4_autocast_step": 0.6})
ORDER += ["W4_autocast_step", "W4_autocast_fwd", "W4_autocast_bwd", "W4_autocast_gflops",
          "W4_autocast_peak_rss"]
HIGHER_IS_BETTER = {"W4_gflops", "W4_mm_gflops", "W4_sgemm_gflops", "W4_autocast_gflops"}
CHECK_TOL = 1e-5  # absolute below 1, relative above

# ---- the roofline (issue 20) ------------------------------------------------------------------
# For each figure: the FLOPs and the bytes one unit of it (a step, an epoch, an op) must move, and
# its working set, which picks the triad bandwidth measured at the smallest size holding it
# (bench/roofline.cpp). limit = max(FLOP / peak, bytes / bandwidth); a library reaches
# limit / its time. The counts are lower bounds of the work, not of an implementation: products
# count 2*M*N*K forward and twice that backward, less the first layer's input gradient (W4_gflops
# keeps WORKLOADS.md's convention, which counts it: 64.56 against 60.26 GFLOP); bytes count each
# tensor a step must read or write once per use (bench/RESULTS.md, "Roofline", has the table).
OPT_WORDS = {"sgd": 6, "momentum": 8, "adam": 10}  # per parameter: fwd+bwd reads, grad, update
OPT_STATE = {"sgd": 0, "momentum": 1, "adam": 2}


def mlp_work(sizes, batch, opt, samples=None, steps=1):
    """(flop, [(bytes, working set bytes)]) of `steps` steps of an MLP over `samples` rows."""
    samples = samples if samples is not None else batch * steps
    macs = sum(a * b for a, b in zip(sizes, sizes[1:]))
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    acts = 2 * sum(sizes[1:-1]) + sizes[-1]  # pre- and post-activation of hidden layers, logits
    # the first layer's input gradient is never needed (the input is data): neither library
    # computes it, so it is not counted
    flop = 6.0 * samples * macs - 2.0 * samples * sizes[0] * sizes[1]
    # input read by the forward and by the first weight gradient; each activation written and
    # read, its gradient written and read; the parameters' words per step
    nbytes = 4.0 * (2 * samples * sizes[0] + 4 * samples * acts + steps * OPT_WORDS[opt] * params)
    ws = 4.0 * (batch * sizes[0] + (2 + OPT_STATE[opt]) * params + 2 * batch * acts)
    return flop, [(nbytes, ws)]


def roofline_work():
    w = {}
    # W1: an epoch of 938 steps over 60000 samples; besides the steps (whose working set is one
    # batch and the model), the gather reads each row of the 188 MB train set from memory and
    # writes it into the batch
    f, step = mlp_work([784, 128, 10], 64, "adam", samples=60000, steps=938)
    w["W1_epoch"] = (f, step + [(4.0 * 2 * 60000 * 784, 4.0 * 60000 * 784)])
    for bs in (1, 16, 64, 256, 1024):
        w["W2_b%d" % bs] = mlp_work([784, 256, 10], bs, "momentum")
    for n in (1, 64):  # one op of the chain: forward and backward, n elements
        for fig in ("W3_fwdbwd_n%d", "W3_fwdbwd_free_n%d"):
            w[fig % n] = (3.0 * n, [(4.0 * 5 * n, 4.0 * 5 * n)])
    w["W4_step"] = mlp_work([1024, 4096, 4096, 10], 512, "momentum")
    w["W5_step"] = w["W5_step_mean"] = mlp_work([2, 16, 16, 1], 100, "sgd")
    # W6: the CNN of conv_common.hpp, an epoch of 60000 samples, the gather as in W1
    macs = 10 * 24 * 24 * 25 + 20 * 8 * 8 * 250 + 320 * 50 + 50 * 10
    params = 10 * 26 + 20 * 251 + 320 * 50 + 50 + 50 * 10 + 10
    acts = 10 * 576 + 10 * 144 + 20 * 64 + 320 + 50 + 10
    w["W6_epoch"] = (6.0 * 60000 * macs - 2.0 * 60000 * 10 * 24 * 24 * 25,  # no input gradient
                     [(4.0 * (2 * 60000 * 784 + 4 * 60000 * acts + 938 * 8 * params),
                       4.0 * (64 * 784 + 3 * params + 2 * 64 * acts)),
                      (4.0 * 2 * 60000 * 784, 4.0 * 60000 * 784)])
    # W7: x, y, grad_y and grad_x of [32, 64, 32, 32], each read or written twice
    t = 32 * 64 * 32 * 32
    w["W7_step"] = (7.248e9, [(4.0 * 8 * t, 4.0 * 4 * t)])
    # W9: x [1024, 512], w [1024, 256], p [512, 256]: each, and each gradient, used 3 times
    xn, wn, pn = 1024 * 512, 1024 * 256, 512 * 256
    w["W9_tmm"] = (3 * 2.0 * 512 * 1024 * 256,
                   [(4.0 * 3 * (xn + wn + pn), 4.0 * (2 * xn + 2 * wn + pn))])
    # the strided chain over n = 512 x 1024: z's sliced half reads whole lines (2n), x (n), and
    # their gradients written (2n, n); about 9 FLOP an element
    n = 512 * 1024
    w["W9_strided"] = (9.0 * n, [(4.0 * 6 * n, 4.0 * 6 * n)])
    return w


UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns/op": 1e-9}


def read_roofline(out):
    """roof[T] = {"peak": GFLOP/s, "bw": [(working set bytes, GB/s), ...] ascending}."""
    roof = {}
    for path in glob.glob(os.path.join(out, "roofline_T*.out")):
        for line in open(path):
            m = re.match(r"fig roofline_(\w+?)_T(\d+) \S+ (\S+)", line)
            if not m:
                continue
            name, t, best = m.group(1), m.group(2), float(m.group(3))
            r = roof.setdefault(t, {"peak": None, "bw": [], "fma": {}})
            if name == "peak":
                r["peak"] = best
            elif name.startswith("fma_"):
                r["fma"][name[4:]] = best
            elif name == "triad_mem":
                r["bw"].append((float("inf"), best))
            elif name.startswith("triad_"):
                kib = float(name[len("triad_"):-len("KiB")])
                r["bw"].append((kib * 1024, best))
    for r in roof.values():
        r["bw"].sort()
    return roof


def print_roofline(t, roof, rows):
    r = roof.get(t)
    if not r or not r["peak"] or not r["bw"]:
        return
    work = roofline_work()
    print()
    print("roofline (%s thread%s): FMA peak %.0f GFLOP/s (%s), triad %s" % (
        t, "" if t == "1" else "s", r["peak"],
        ", ".join("%s %.0f" % kv for kv in sorted(r["fma"].items())),
        ", ".join("%s %.1f GB/s" % ("mem" if ws == float("inf") else "%.0f KiB" % (ws / 1024), bw)
                  for ws, bw in r["bw"])))
    print("%-22s %-8s %10s %10s %10s %-9s %9s %9s" % (
        "figure", "unit", "GFLOP", "MB", "limit", "bound", "tapegrad", "libtorch"))
    print("(tapegrad, libtorch: the fraction of the limit reached, limit / time; * above 1: the\n"
          " data stayed in a faster cache level than the working set implies)")
    for fig in ORDER + sorted(set(rows) - set(ORDER)):
        if fig not in work or fig not in rows:
            continue
        unit, per = rows[fig]
        if unit not in UNIT_SECONDS:
            continue
        flop, traffic = work[fig]
        nbytes = sum(b for b, _ in traffic)
        # each part of the traffic at the rate measured for the smallest size holding it
        t_mem = sum(b / (next((bw for size, bw in r["bw"] if size >= ws), r["bw"][-1][1]) * 1e9)
                    for b, ws in traffic)
        t_flop = flop / (r["peak"] * 1e9)
        limit = max(t_flop, t_mem) / UNIT_SECONDS[unit]
        # above 1: the step ran from a faster cache level than its working set suggests
        fracs = ["%.3f%s" % (limit / per[lib][0], "*" if limit > per[lib][0] else "")
                 if lib in per and per[lib][0] else "-" for lib in LIBS]
        print("%-22s %-8s %10.4g %10.4g %10s %-9s %9s %9s" % (
            fig, unit, flop * 1e-9, nbytes * 1e-6, fmt(limit),
            "compute" if t_flop >= t_mem else "memory", fracs[0], fracs[1]))


def pool(triples):
    meds, los, his = zip(*triples)
    return statistics.median(meds), min(los), max(his), len(triples)


def read_runs(out, threads):
    """figs[T][lib][fig] = (unit, [(med, lo, hi), ...]); checks[T][lib][name] = [values]."""
    figs, checks, others = {}, {}, []
    for path in sorted(glob.glob(os.path.join(out, "*_T*_W*.out"))):
        m = re.match(r"(tapegrad|torch)_T(\d+)_(W\d)(curve|autocast)?(?:_p\d+)?\.out$",
                     os.path.basename(path))
        if not m:
            continue
        lib, t, w, variant = m.group(1), m.group(2), m.group(3), m.group(4)
        curve = variant == "curve"
        if variant == "autocast":
            w += "_autocast"
        f = figs.setdefault(t, {}).setdefault(lib, {})
        c = checks.setdefault(t, {}).setdefault(lib, {})
        for line in open(path):
            parts = line.split()
            if line.startswith("fig ") and not curve:
                f.setdefault(parts[1], (parts[2], []))[1].append(tuple(map(float, parts[3:6])))
            elif line.startswith("check "):
                name = parts[1] + ("_curve" if curve else "")
                c.setdefault(name, []).append(float(parts[2]))
            elif line.startswith("# others_cores"):
                others.append(float(parts[2]))
        if w in ("W1", "W4", "W4_autocast") and not curve:
            text = open(path[:-4] + ".time").read()
            kib = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
            mib = kib / 1024
            f.setdefault(w + "_peak_rss", ("MiB", []))[1].append((mib, mib, mib))
    return figs, checks, others


def read_timings(path):
    per = {lib: [] for lib in LIBS}
    if os.path.exists(path):
        for line in open(path):
            lib, t0, t1 = line.split()
            per[lib].append(float(t1) - float(t0))
    return per


def fmt(v):
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    if v >= 1:
        return "%.2f" % v
    return "%.4f" % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--threads", default="1 2")
    ap.add_argument("--elapsed", default="")
    args = ap.parse_args()
    threads = args.threads.split()
    figs, checks, others = read_runs(args.out, threads)
    roof = read_roofline(args.out)

    # process-level figures: one per thread setting does not apply (default environment)
    single = {}
    for name, fname, unit, scale in (("startup", "startup.txt", "ms", 1e3),
                                     ("compile_user_tu", "compile.txt", "s", 1.0)):
        per = read_timings(os.path.join(args.out, fname))
        if all(per[lib] for lib in LIBS):
            single[name] = (unit, {lib: [(v * scale,) * 3 for v in per[lib]] for lib in LIBS})

    ratios = {}
    print()
    print("tapegrad / LibTorch: median [min, max] of per-process figures (n = processes or runs)")
    for t in threads:
        print()
        print("== %s thread%s ==" % (t, "" if t == "1" else "s"))
        print("%-22s %-8s %-30s %-30s %7s %8s %s" % ("figure", "unit", "tapegrad", "libtorch",
                                                      "ratio", "target", "met"))
        rows = {}
        for lib in LIBS:
            for fig, (unit, trip) in figs.get(t, {}).get(lib, {}).items():
                rows.setdefault(fig, [unit, {}])[1][lib] = pool(trip)
        for fig, (unit, per) in single.items():
            rows[fig] = [unit, {lib: pool(per[lib]) for lib in LIBS}]
        for fig in [f for f in rows if f.startswith("W4_autocast_")]:  # against float32 W4
            base = rows.get("W4_" + fig[len("W4_autocast_"):], [None, {}])[1].get("torch")
            if base:
                rows[fig][1]["torch"] = base
        for fig in ORDER + sorted(set(rows) - set(ORDER)):
            if fig not in rows:
                continue
            unit, per = rows[fig]
            cells = []
            for lib in LIBS:
                if lib in per:
                    med, lo, hi, n = per[lib]
                    cells.append("%s [%s, %s] n=%d" % (fmt(med), fmt(lo), fmt(hi), n))
                else:
                    cells.append("-")
            ratio = per["tapegrad"][0] / per["torch"][0] if len(per) == 2 and per["torch"][0] else None
            target = TARGETS.get(fig)
            met = ""
            if ratio is not None and target is not None:
                met = "yes" if ratio <= target else "NO"
            note = " (higher is better)" if fig in HIGHER_IS_BETTER else ""
            print("%-22s %-8s %-30s %-30s %7s %8s %s%s" % (
                fig, unit, cells[0], cells[1], "%.3f" % ratio if ratio is not None else "-",
                "<= %.2g" % target if target else "", met, note))
            if t == threads[0] and fig in TARGETS and ratio is not None:
                ratios[fig] = ratio
        print_roofline(t, roof, rows)
        tg = rows.get("W4_gflops", [None, {}])[1].get("tapegrad")
        ref = rows.get("W4_sgemm_gflops", [None, {}])[1].get("tapegrad")
        if tg and ref:
            frac = tg[0] / ref[0]
            print("%-22s %-8s %-30s %-30s %7s %8s %s" % (
                "W4_of_sgemm_rate", "frac", "%.3f" % frac, "", "", ">= 0.85",
                "yes" if frac >= 0.85 else "NO"))
        print()
        print("checks (the same work is timed): %-32s %-14s %-14s %s" % ("", "tapegrad", "libtorch", "|diff|"))
        names = sorted(set(checks.get(t, {}).get("tapegrad", {})) | set(checks.get(t, {}).get("torch", {})))
        for name in names:
            vals = [checks[t].get(lib, {}).get(name) for lib in LIBS]
            if None in vals:
                continue
            a, b = vals[0][0], vals[1][0]
            consistent = all(v == a for v in vals[0]) and all(v == b for v in vals[1])
            diff = abs(a - b)
            # float32 sums carry ~1e-7 of their magnitude: a sum of 4e4 may differ by 4e-3
            flag = "ok" if diff <= CHECK_TOL * max(1.0, abs(a), abs(b)) else ("(accuracy)" if "accuracy" in name else "DIFFERS")
            print("  %-62s %-14.8g %-14.8g %.2g %s%s" % (name, a, b, diff, flag,
                                                         "" if consistent else " (varies between processes)"))
    if others:
        print()
        print("other processes during the runs: median %.2f cores, max %.2f (re-run above 0.25)"
              % (statistics.median(others), max(others)))
    libs_t = os.path.join(args.out, "startup_libs_tapegrad.txt")
    libs_l = os.path.join(args.out, "startup_libs_torch.txt")
    if os.path.exists(libs_t) and os.path.exists(libs_l):
        print("shared libraries loaded at start-up (ldd): tapegrad %s, libtorch %s"
              % (open(libs_t).read().strip(), open(libs_l).read().strip()))
    if args.elapsed:
        print("total time of run_comparison.sh: %s s" % args.elapsed)
    print()
    for fig in TARGETS:
        if fig in ratios:
            print("ratio %s %.4g" % (fig, ratios[fig]))


if __name__ == "__main__":
    main()
