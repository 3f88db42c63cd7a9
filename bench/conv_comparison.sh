# W6 (Fashion-MNIST CNN) and W7 (one 64->64 3x3 convolution, forward + backward) of
# bench/conv_common.hpp, tapegrad against LibTorch. Sourced by run_comparison.sh after its own
# workloads (it uses that script's run_twins and has); runs when --parts names W6 or W7. Output
# files follow the W1-W5 naming, so summarize.py tables them.
run_twins conv "--epochs 1" W6 W7
