# W6 (Fashion-MNIST CNN) and W7 (one 64->64 3x3 convolution, forward + backward) of
# bench/conv_common.hpp, tapegrad against LibTorch. Sourced by run_comparison.sh after its own
# workloads (it uses that script's run_one, THREADS, P, QUICK, BUILD, OUT and has); runs when
# --parts names W6 or W7. Output files follow the W1-W5 naming, so summarize.py tables them.
if has W6 || has W7; then
  cmake --build "$BUILD" -j1 --target bench_conv_tapegrad bench_conv_torch >>"$OUT/build.log" 2>&1 ||
    { tail -30 "$OUT/build.log"; exit 1; }
  if [ $QUICK = 1 ]; then P_W6=1; else P_W6=3; fi
  for T in $THREADS; do
    for p in $(seq 1 $P_W6); do
      for w in W6 W7; do
        has $w || continue
        for lib in tapegrad torch; do
          echo "  T=$T $w process $p $lib"
          run_one "${lib}_T${T}_${w}_p$p" "$BIN/bench_conv_$lib" $w --threads "$T" --epochs 1
        done
      done
    done
  done
fi
