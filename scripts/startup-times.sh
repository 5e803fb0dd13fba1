#!/usr/bin/env bash
# Start-up times of shell commands: each command RUNS times (default 10), the commands
# interleaved round by round so a busy machine slows them all alike; prints min and median
# wall time per command (and the load average before and after). One warm-up round is not
# counted.
#   scripts/startup-times.sh [-n RUNS] 'COMMAND' ['COMMAND'...]
set -euo pipefail

runs=10
if [ "${1:-}" = -n ]; then runs=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n RUNS] 'COMMAND' ['COMMAND'...]" >&2; exit 2; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A times
for ((round = 0; round <= runs; round++)); do
    for i in $(seq 0 $(($# - 1))); do
        cmd=${*:$((i + 1)):1}
        start=$(date +%s%N)
        eval "$cmd" >/dev/null 2>&1 || { echo "failed: $cmd" >&2; exit 1; }
        end=$(date +%s%N)
        [ "$round" -gt 0 ] && times[$i]+="$(((end - start) / 1000)) "
    done
done
for i in $(seq 0 $(($# - 1))); do
    cmd=${*:$((i + 1)):1}
    # shellcheck disable=SC2086
    sorted=$(printf '%s\n' ${times[$i]} | sort -n)
    min=$(echo "$sorted" | head -n 1)
    median=$(echo "$sorted" | awk '{a[NR]=$1} END {printf "%.0f", NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
    printf 'min %6.1f ms  median %6.1f ms  %s\n' "$(awk "BEGIN {print $min / 1000}")" \
        "$(awk "BEGIN {print $median / 1000}")" "$cmd"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
