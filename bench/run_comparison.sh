#!/usr/bin/env bash
# tapegrad versus LibTorch on the workloads of WORKLOADS.md (and W9 of bench/common.hpp), plus
# peak memory, the compile time of one user file, start-up time, and the roofline: the machine's
# measured FMA peak and bandwidth (bench/roofline.cpp), the limit of each workload and the
# fraction of it each library reaches.
#
# Installs what is missing (libtorch-dev, the Fashion-MNIST data), builds in Release, runs both
# sides alternately (A B A B, several processes each), and prints every figure for both libraries
# with the ratio tapegrad / LibTorch. The last lines are `ratio <figure> <value>` at one thread.
#
# Usage: bench/run_comparison.sh [--quick] [--threads "1 2"] [--build-dir DIR] [--out DIR]
#   --quick     fewer repetitions (one process per side and workload), waits at most 5 s for
#               quiet and never re-runs: under 5 minutes
#   --threads   thread counts to run (default "1 2"); the ratio lines are for 1 thread
#   --parts     what to run (default "W1 W2 W3 W4 W4_autocast W5 W9 roofline startup compile";
#               also W6 W7 W8 and ddp, DistributedDataParallel with 1 and 2 processes;
#               W4_autocast is tapegrad's W4 under autocast, against LibTorch's float32 W4); with --out DIR, parts
#               measured earlier into DIR are kept and summarised with the new ones
# Environment: runs under the caller's environment, the same for both sides (OPENBLAS_CORETYPE
# is reported). Before each process it waits for the machine to go quiet, and re-runs a process
# during which other processes used more than 0.25 of a core (a bounded number of times).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench
OUT=""
QUICK=0
THREADS="1 2"
PARTS="W1 W2 W3 W4 W4_autocast W5 W9 roofline startup compile"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --threads) THREADS=$2; shift ;;
    --parts) PARTS=$2; shift ;;
    --build-dir) BUILD=$2; shift ;;
    --out) OUT=$2; shift ;;
    *) echo "usage: $0 [--quick] [--threads \"1 2\"] [--parts \"W1 ... startup compile\"] [--build-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
OUT=${OUT:-$BUILD/comparison-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
START=$EPOCHREALTIME
has() { [[ " $PARTS " == *" $1 "* ]]; }

# ---- 1. what must be installed ------------------------------------------------------------
need=()
for p in cmake g++ libopenblas-dev zlib1g-dev libtorch-dev dataset-fashion-mnist time python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi

# ---- 2. build (Release, one job: the machine is shared) ------------------------------------
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_BUILD_TESTS=OFF \
  -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCH=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$OUT/cmake.log"
cmake --build "$BUILD" -j1 --target bench_tapegrad startup_tapegrad bench_overhead bench_roofline \
  bench_torch startup_torch >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
BIN=$BUILD/bench

# ---- 3. running one process on a quiet machine ----------------------------------------------
NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
if [ $QUICK = 1 ]; then QUIET_WAIT=5; RETRIES=0; else QUIET_WAIT=120; RETRIES=3; fi

busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }

# Waits (at most QUIET_WAIT s) until the other processes use less than 0.25 of a core.
wait_quiet() {
  local waited=0 b0 b1
  while [ $waited -lt $((QUIET_WAIT * 2)) ]; do  # half-second samples
    b0=$(busy_jiffies); sleep 0.5; b1=$(busy_jiffies)
    if awk -v d=$((b1 - b0)) -v hz="$HZ" 'BEGIN{exit !(d / hz / 0.5 < 0.25)}'; then return 0; fi
    waited=$((waited + 1))
  done
}

# run_one <label> <command...>: runs under /usr/bin/time -v into $OUT/<label>.{out,time};
# re-runs when others used > 0.25 core meanwhile. Appends "# others_cores X" to the output.
run_one() {
  local label=$1; shift
  local try=0 b0 b1 t0 t1 other
  while :; do
    wait_quiet
    b0=$(busy_jiffies); t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$OUT/$label.time" "$@" >"$OUT/$label.out" 2>"$OUT/$label.err" || {
      echo "FAILED: $label ($*)"; cat "$OUT/$label.err" >&2; exit 1; }
    t1=$EPOCHREALTIME; b1=$(busy_jiffies)
    other=$(awk -v d=$((b1 - b0)) -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v f="$OUT/$label.time" 'BEGIN{
      while ((getline l < f) > 0) { if (l ~ /User time|System time/) { sub(/.*: /, "", l); cpu += l } }
      w = t1 - t0; o = (d / hz - cpu) / w; printf "%.2f", o < 0 ? 0 : o }')
    echo "# others_cores $other" >>"$OUT/$label.out"
    if awk -v o="$other" 'BEGIN{exit !(o <= 0.25)}' || [ $try -ge $RETRIES ]; then break; fi
    try=$((try + 1))
    echo "  (re-running $label: other processes used $other cores)"
  done
}

if [ $QUICK = 1 ]; then
  P_W1=1; P=1; W1_EPOCHS=3; W2_RUNS=3; W3_RUNS=3; W4_STEPS=10; W5_RUNS=5; N_START=10; N_COMPILE=1
else
  P_W1=5; P=3; W1_EPOCHS=3; W2_RUNS=5; W3_RUNS=5; W4_STEPS=10; W5_RUNS=5; N_START=20; N_COMPILE=3
fi

echo "tapegrad vs LibTorch: $(date -Is), $(nproc) cores, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}," \
  "threads: $THREADS, quick=$QUICK, results in $OUT"
# the machine's limits (bench/roofline.cpp): FMA peak and triad bandwidth, once per thread count
has roofline && for T in $THREADS; do
  echo "  T=$T roofline"
  run_one "roofline_T$T" "$BIN/bench_roofline" --threads "$T"
done
for T in $THREADS; do
  has W1 && for p in $(seq 1 $P_W1); do
    for lib in tapegrad torch; do
      echo "  T=$T W1 process $p $lib"
      run_one "${lib}_T${T}_W1_p$p" "$BIN/bench_$lib" W1 --threads "$T" --epochs $W1_EPOCHS
    done
  done
  for p in $(seq 1 $P); do
    for w in W2 W3 W4 W5 W9; do
      has $w || continue
      case $w in
        W2) extra=(--runs $W2_RUNS) ;;
        W3) extra=(--runs $W3_RUNS) ;;
        W4) extra=(--w4-steps $W4_STEPS) ;;
        W5) extra=(--runs $W5_RUNS) ;;
        W9) extra=(--runs $W2_RUNS) ;;
      esac
      for lib in tapegrad torch; do
        echo "  T=$T $w process $p $lib"
        run_one "${lib}_T${T}_${w}_p$p" "$BIN/bench_$lib" $w --threads "$T" "${extra[@]}"
      done
      if [ $w = W4 ] && has W4_autocast; then  # bfloat16 products: tapegrad only
        echo "  T=$T W4_autocast process $p tapegrad"
        run_one "tapegrad_T${T}_W4autocast_p$p" "$BIN/bench_tapegrad" W4_autocast --threads "$T" \
          --w4-steps $W4_STEPS
      fi
    done
  done
done
if [ $QUICK = 0 ]; then
  for T in $THREADS; do  # the accuracy curve: 10 epochs once per thread count
    for lib in tapegrad torch; do
      echo "  T=$T W1 10 epochs $lib"
      run_one "${lib}_T${T}_W1curve" "$BIN/bench_$lib" W1 --threads "$T" --epochs 10
    done
  done
fi

# run_twins <stem> "<extra args>" <workloads...>: for the workloads --parts names, builds
# bench_<stem>_tapegrad and bench_<stem>_torch, then runs them alternately (one process per
# side, 3 repetitions, 1 with --quick) at every thread count; output files as W1-W5's.
run_twins() {
  local stem=$1 extra=$2 w any=0
  shift 2
  for w in "$@"; do has "$w" && any=1; done
  [ $any = 1 ] || return 0
  cmake --build "$BUILD" -j1 --target "bench_${stem}_tapegrad" "bench_${stem}_torch" \
    >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
  local reps=3
  [ $QUICK = 1 ] && reps=1
  for T in $THREADS; do
    for p in $(seq 1 $reps); do
      for w in "$@"; do
        has "$w" || continue
        for lib in tapegrad torch; do
          echo "  T=$T $w process $p $lib"
          # shellcheck disable=SC2086  # extra is a list of words
          run_one "${lib}_T${T}_${w}_p$p" "$BIN/bench_${stem}_$lib" "$w" --threads "$T" $extra
        done
      done
    done
  done
}

source "$ROOT/bench/conv_comparison.sh"  # W6, W7 when --parts names them (issue 17)
source "$ROOT/bench/rnn_comparison.sh"   # W8 when --parts names it (issue 18)
source "$ROOT/bench/ddp_comparison.sh"   # DDP with 1 and 2 processes when --parts names ddp (issue 19)

# ---- 4. start-up: a 2x2 op and exit, whole process, default environment ---------------------
if has startup; then
echo "  startup ($N_START runs each, alternating)"
"$BIN/startup_tapegrad"; "$BIN/startup_torch"  # page cache warm-up, not counted
: >"$OUT/startup.txt"
for i in $(seq 1 $N_START); do
  for lib in tapegrad torch; do
    wait_quiet
    t0=$EPOCHREALTIME; "$BIN/startup_$lib"; t1=$EPOCHREALTIME
    echo "$lib $t0 $t1" >>"$OUT/startup.txt"
  done
done
echo "  startup: $(ldd "$BIN/startup_tapegrad" | wc -l) vs $(ldd "$BIN/startup_torch" | wc -l) shared libraries"
ldd "$BIN/startup_tapegrad" | wc -l >"$OUT/startup_libs_tapegrad.txt"
ldd "$BIN/startup_torch" | wc -l >"$OUT/startup_libs_torch.txt"
fi

# ---- 5. compile time of one user file (the build's own command for it) ----------------------
if has compile; then
echo "  compile_user_tu ($N_COMPILE each, alternating)"
: >"$OUT/compile.txt"
for lib in tapegrad torch; do
  python3 - "$BUILD/compile_commands.json" "user_tu_$lib.cpp" >"$OUT/compile_cmd_$lib.sh" <<'EOF'
import json, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("/" + sys.argv[2]):
        print("cd '%s' && %s" % (e["directory"], e["command"]))
        break
EOF
done
for i in $(seq 1 $N_COMPILE); do
  for lib in tapegrad torch; do
    wait_quiet
    t0=$EPOCHREALTIME; bash "$OUT/compile_cmd_$lib.sh"; t1=$EPOCHREALTIME
    echo "$lib $t0 $t1" >>"$OUT/compile.txt"
  done
done
fi

# ---- 6. the table -----------------------------------------------------------------------------
ELAPSED=$(awk -v s="$START" -v e="$EPOCHREALTIME" 'BEGIN{printf "%.0f", e - s}')
python3 "$ROOT/bench/summarize.py" "$OUT" --threads "$THREADS" --elapsed "$ELAPSED" | tee "$OUT/summary.txt"
