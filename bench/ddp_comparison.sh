# DistributedDataParallel's speed-up (issue 19): W1 and W6 (bench/ddp.cpp) with 1 and 2 MPI
# processes of one thread each, alternated. Sourced by run_comparison.sh (it uses that script's
# run_one, QUICK, BUILD, BIN, OUT and has); runs when --parts names ddp. Prints, and writes to
# $OUT/ddp_summary.txt, the median seconds per epoch and the speed-up np1 / np2 per workload.
if has ddp; then
  cmake --build "$BUILD" -j1 --target bench_ddp >>"$OUT/build.log" 2>&1 ||
    { tail -30 "$OUT/build.log"; echo "bench_ddp needs MPI (libopenmpi-dev)"; exit 1; }
  if [ $QUICK = 1 ]; then P_DDP=1; else P_DDP=3; fi
  MPIRUN=(mpirun -np)
  [ "$(id -u)" -eq 0 ] && MPIRUN=(mpirun --allow-run-as-root -np)
  for w in W1 W6; do
    for p in $(seq 1 $P_DDP); do
      for np in 1 2; do
        echo "  ddp $w process $p np=$np"
        run_one "ddp_${w}_np${np}_p$p" env OPENBLAS_NUM_THREADS=1 "${MPIRUN[@]}" "$np" \
          "$BIN/bench_ddp" "$w" --epochs 2
      done
    done
  done
  python3 - "$OUT" <<'PY' | tee "$OUT/ddp_summary.txt"
import glob, re, statistics, sys
out = sys.argv[1]
print("\nDistributedDataParallel, 1 thread per process (median over processes of s/epoch):")
for w in ("W1", "W6"):
    med = {}
    for np in (1, 2):
        vals, waits = [], []
        for f in glob.glob(f"{out}/ddp_{w}_np{np}_p*.out"):
            for line in open(f):
                m = re.match(r"fig ddp_\w+_np\d+ s/epoch (\S+) samples/s \S+ backward \S+ wait (\S+)%", line)
                if m:
                    vals.append(float(m.group(1)))
                    waits.append(float(m.group(2)))
        if vals:
            med[np] = statistics.median(vals)
            print(f"  ddp_{w}_np{np}  {med[np]:.3f} s/epoch [{min(vals):.3f}, {max(vals):.3f}] "
                  f"n={len(vals)}, waiting for all-reduce {statistics.median(waits):.1f}%")
    if 1 in med and 2 in med:
        print(f"ratio ddp_{w}_speedup_np2 {med[1] / med[2]:.3f}")
PY
fi
