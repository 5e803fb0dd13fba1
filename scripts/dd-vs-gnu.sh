#!/usr/bin/env bash
# Copies a file with GNU dd and with `dioring dd`, alternating, and prints the
# throughput ratio. Both get `bs=1M iflag=direct oflag=direct`; dioring adds qd=.
#
#   scripts/dd-vs-gnu.sh            # 2 GiB file under target/bench, 3 rounds, qd=8
#   SIZE_MIB=4096 ROUNDS=5 QD=16 BENCH_DIR=/mnt/disk scripts/dd-vs-gnu.sh
#
# Each round also runs fio reading the source while writing another file (1 MiB,
# depth $QD, direct, io_uring): what the disk gives a copy at that moment, the
# ceiling both dd's share on a busy machine. Throughput is taken two ways: from each dd's own "copied, T s" line (the copy
# alone), and from wall-clock time around the whole command (dioring's includes JVM
# start-up). The ratios are dioring / GNU; the median over the rounds is reported.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${SIZE_MIB:-2048}
rounds=${ROUNDS:-3}
qd=${QD:-8}
dir=${BENCH_DIR:-$root/target/bench}
mkdir -p "$dir"
src="$dir/dd-src.bin"
gnu_out="$dir/dd-gnu.out"
our_out="$dir/dd-dioring.out"

if [ ! -f "$src" ] || [ "$(stat -c %s "$src")" -ne $((size_mib * 1024 * 1024)) ]; then
    echo "creating $src ($size_mib MiB of random data)..."
    head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$src.tmp" && mv "$src.tmp" "$src"
fi
"$root/dioring" --version >/dev/null 2>&1 || "$root/dioring" info >/dev/null  # build once, outside timing

seconds_from_dd() { # the "T s" of dd's last stderr line
    sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$1" | tail -n 1
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

ratios_internal=()
ratios_wall=()
for round in $(seq 1 "$rounds"); do
    rm -f "$gnu_out" "$our_out"
    t0=$(now)
    dd if="$src" of="$gnu_out" bs=1M iflag=direct oflag=direct 2> "$dir/gnu.err"
    t1=$(now)
    "$root/dioring" dd if="$src" of="$our_out" bs=1M iflag=direct oflag=direct qd="$qd" 2> "$dir/dioring.err"
    t2=$(now)
    cmp -s "$src" "$our_out" || { echo "dioring dd output differs from the input" >&2; exit 1; }
    ceiling=""
    if command -v fio >/dev/null 2>&1; then
        rm -f "$our_out"
        # A copy moves each byte in and out: its ceiling is the slower of the two streams.
        ceiling=$(fio --ioengine=io_uring --direct=1 --bs=1M --iodepth="$qd" --output-format=json \
                --name=r --filename="$src" --rw=read --size="${size_mib}M" \
                --name=w --filename="$our_out" --rw=write --size="${size_mib}M" 2>/dev/null |
            python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print("%.2f" % (min(j[0]["read"]["bw_bytes"], j[1]["write"]["bw_bytes"]) / 1e9))' \
            2>/dev/null || true)
    fi
    g=$(seconds_from_dd "$dir/gnu.err")
    d=$(seconds_from_dd "$dir/dioring.err")
    gw=$(calc "$t1 - $t0")
    dw=$(calc "$t2 - $t1")
    ri=$(calc "$g / $d")
    rw=$(calc "$gw / $dw")
    ratios_internal+=("$ri")
    ratios_wall+=("$rw")
    printf 'round %d: fio read+write ceiling %s GB/s; GNU dd %.2f GB/s (%.3f s), dioring dd %.2f GB/s (%.3f s); ratio %.2f (wall clock %.2f)\n' \
        "$round" "${ceiling:-n/a}" \
        "$(calc "$size_mib * 1048576 / $g / 1e9")" "$g" \
        "$(calc "$size_mib * 1048576 / $d / 1e9")" "$d" "$ri" "$rw"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf 'median throughput ratio dioring/GNU dd over %d rounds: %.2f (copy time), %.2f (wall clock incl. JVM start)\n' \
    "$rounds" "$(median "${ratios_internal[@]}")" "$(median "${ratios_wall[@]}")"
rm -f "$gnu_out" "$our_out"
