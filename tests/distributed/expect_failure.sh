#!/usr/bin/env bash
# expect_failure.sh SECONDS MODE COMMAND...: passes when COMMAND (an mpirun job in which one rank
# fails) exits non-zero within SECONDS, and fails when it succeeds or hangs.
limit=$1; mode=$2; shift 2
start=$(date +%s)
timeout --kill-after=5 "$limit" "$@"
status=$?
elapsed=$(( $(date +%s) - start ))
echo "mode $mode: exit status $status after ${elapsed} s"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && [ "$elapsed" -ge "$limit" ]; then
  echo "FAIL: the job did not end within $limit s"; exit 1
fi
if [ "$status" -eq 0 ]; then echo "FAIL: the job exited 0 although a rank failed"; exit 1; fi
echo "PASS: the job ended non-zero within $limit s"
