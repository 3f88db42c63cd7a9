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
    "W1_peak_rss": 0.6, "W4_peak_rss": 0.6,
    "compile_user_tu": 0.25,
    "startup": 0.05,
}
ORDER = ["W1_epoch", "W2_b1", "W2_b16", "W2_b64", "W2_b256", "W2_b1024",
         "W3_fwd_n1", "W3_fwdbwd_n1", "W3_fwdbwd_free_n1", "W3_fwd_nograd_n1", "W3_fwd_inference_n1",
         "W3_fwd_n64", "W3_fwdbwd_n64", "W3_fwdbwd_free_n64", "W3_fwd_nograd_n64",
         "W3_fwd_inference_n64",
         "W4_step", "W4_fwd", "W4_bwd", "W4_opt", "W4_gflops", "W4_mm_gflops", "W4_sgemm_gflops",
         "W5_step", "W5_step_mean", "W1_peak_rss", "W4_peak_rss", "compile_user_tu", "startup"]
# W8, the LSTM step (issue 18, bench/rnn_comparison.sh); its peak RSS is the program's own
TARGETS.update({"W8_step": 0.8, "W8_peak_rss": 0.6})
ORDER += ["W8_step", "W8_peak_rss"]
HIGHER_IS_BETTER = {"W4_gflops", "W4_mm_gflops", "W4_sgemm_gflops"}
CHECK_TOL = 1e-5


def pool(triples):
    meds, los, his = zip(*triples)
    return statistics.median(meds), min(los), max(his), len(triples)


def read_runs(out, threads):
    """figs[T][lib][fig] = (unit, [(med, lo, hi), ...]); checks[T][lib][name] = [values]."""
    figs, checks, others = {}, {}, []
    for path in sorted(glob.glob(os.path.join(out, "*_T*_W*.out"))):
        m = re.match(r"(tapegrad|torch)_T(\d+)_(W\d)(curve)?(?:_p\d+)?\.out$", os.path.basename(path))
        if not m:
            continue
        lib, t, w, curve = m.group(1), m.group(2), m.group(3), m.group(4)
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
        if w in ("W1", "W4") and not curve:
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
            flag = "ok" if diff <= CHECK_TOL else ("(accuracy)" if "accuracy" in name else "DIFFERS")
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
