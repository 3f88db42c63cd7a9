# W8 (one training step of a 1-layer LSTM over Fashion-MNIST rows, bench/rnn_common.hpp),
# tapegrad against LibTorch. Sourced by run_comparison.sh after its own workloads (it uses that
# script's run_one, THREADS, QUICK, BUILD, BIN, OUT and has); runs when --parts names W8. Output
# files follow the W1-W5 naming, so summarize.py tables them; W8_peak_rss is the program's own
# getrusage figure, printed after the timed steps.
if has W8; then
  cmake --build "$BUILD" -j1 --target bench_rnn_tapegrad bench_rnn_torch >>"$OUT/build.log" 2>&1 ||
    { tail -30 "$OUT/build.log"; exit 1; }
  if [ $QUICK = 1 ]; then P_W8=1; else P_W8=3; fi
  for T in $THREADS; do
    for p in $(seq 1 $P_W8); do
      for lib in tapegrad torch; do
        echo "  T=$T W8 process $p $lib"
        run_one "${lib}_T${T}_W8_p$p" "$BIN/bench_rnn_$lib" W8 --threads "$T"
      done
    done
  done
fi
