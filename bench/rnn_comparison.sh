# W8 (one training step of a 1-layer LSTM over Fashion-MNIST rows, bench/rnn_common.hpp),
# tapegrad against LibTorch. Sourced by run_comparison.sh after its own workloads (it uses that
# script's run_twins and has); runs when --parts names W8. Output files follow the W1-W5 naming,
# so summarize.py tables them; W8_peak_rss is the program's own getrusage figure, printed after
# the timed steps.
run_twins rnn "" W8
