#!/usr/bin/env bash
# Copies a file with GNU dd and with `dioring dd`, alternating, at bs=1M and bs=64k, both
# with iflag=direct oflag=direct (dioring adds qd=), next to the device's copy ceiling, and
# prints, in one run, for each block size:
#   - copy-time ratio to GNU dd: from each dd's own "copied, T s" line (the copy alone);
#   - wall-clock ratio to GNU dd: time around the whole command (dioring's includes JVM start-up);
#   - ratio to the ceiling: dioring's copy throughput / what fio gets reading the source and
#     writing a new file side by side (same bs, depth $QD, direct, io_uring) — a copy moves
#     each byte in and out, so its ceiling is the slower of the two streams;
#   - and, for reference, the same fio run with one write in flight ("serial-write ceiling"):
#     what a copy that keeps its output crash-consistent (a prefix of the source at every
#     moment, nothing written behind a failed write) can get, as dioring dd does.
# Ratios above 1 mean dioring is faster (or, for the ceiling, at it). Medians over the rounds.
#
#   scripts/dd-vs-gnu.sh                       # 2 GiB file under target/bench, 3 rounds, qd=8
#   SIZE_MIB=1024 ROUNDS=1 QD=16 BS_LIST="1M" BENCH_DIR=/mnt/disk scripts/dd-vs-gnu.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${SIZE_MIB:-2048}
rounds=${ROUNDS:-3}
qd=${QD:-8}
bs_list=${BS_LIST:-"1M 64k"}
dir=${BENCH_DIR:-$root/target/bench}
mkdir -p "$dir"
src="$dir/dd-src.bin"
gnu_out="$dir/dd-gnu.out"
our_out="$dir/dd-dioring.out"
bytes=$((size_mib * 1024 * 1024))

if [ ! -f "$src" ] || [ "$(stat -c %s "$src")" -ne "$bytes" ]; then
    echo "creating $src ($size_mib MiB of random data)..."
    head -c "$bytes" /dev/urandom > "$src.tmp" && mv "$src.tmp" "$src"
fi
"$root/dioring" --version >/dev/null 2>&1 || "$root/dioring" info >/dev/null  # build once, outside timing

seconds_from_dd() { # the "T s" of dd's last stderr line
    sed -n 's/.* copied, \([0-9.e+-]*\) s,.*/\1/p' "$1" | tail -n 1
}
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ceiling_gbps() { # fio: read the source and write a new file side by side; the slower stream, GB/s
    local bs=$1 write_depth=$2
    rm -f "$our_out"
    fio --ioengine=io_uring --direct=1 --bs="$bs" --output-format=json \
            --name=r --filename="$src" --rw=read --size="${size_mib}M" --iodepth="$qd" \
            --name=w --filename="$our_out" --rw=write --size="${size_mib}M" --iodepth="$write_depth" 2>/dev/null |
        python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print("%.4f" % (min(j[0]["read"]["bw_bytes"], j[1]["write"]["bw_bytes"]) / 1e9))'
    rm -f "$our_out"
}

summary=()
for bs in $bs_list; do
    r_copy=(); r_wall=(); r_ceil=(); r_serial=()
    for round in $(seq 1 "$rounds"); do
        rm -f "$gnu_out" "$our_out"
        t0=$(now)
        dd if="$src" of="$gnu_out" bs="$bs" iflag=direct oflag=direct 2> "$dir/gnu.err"
        t1=$(now)
        "$root/dioring" dd if="$src" of="$our_out" bs="$bs" iflag=direct oflag=direct qd="$qd" 2> "$dir/dioring.err"
        t2=$(now)
        cmp -s "$src" "$our_out" || { echo "dioring dd output differs from the input" >&2; exit 1; }
        rm -f "$gnu_out" "$our_out"
        ceiling=n/a
        serial=n/a
        if command -v fio >/dev/null 2>&1; then
            ceiling=$(ceiling_gbps "$bs" "$qd" || echo n/a)
            serial=$(ceiling_gbps "$bs" 1 || echo n/a)
        fi
        g=$(seconds_from_dd "$dir/gnu.err")
        d=$(seconds_from_dd "$dir/dioring.err")
        gw=$(calc "$t1 - $t0")
        dw=$(calc "$t2 - $t1")
        d_gbps=$(calc "$bytes / $d / 1e9")
        r_copy+=("$(calc "$g / $d")")
        r_wall+=("$(calc "$gw / $dw")")
        rc=n/a
        if [ "$ceiling" != n/a ]; then
            rc=$(calc "$d_gbps / $ceiling")
            r_ceil+=("$rc")
        fi
        rs=n/a
        if [ "$serial" != n/a ]; then
            rs=$(calc "$d_gbps / $serial")
            r_serial+=("$rs")
        fi
        printf 'bs=%s round %d: ceiling %s GB/s (serial-write %s); GNU dd %.2f GB/s (%.3f s, wall %.3f s); dioring dd %.2f GB/s (%.3f s, wall %.3f s); vs GNU %.2f (wall %.2f);  vs ceiling %s (serial-write %s)\n' \
            "$bs" "$round" "$ceiling" "$serial" "$(calc "$bytes / $g / 1e9")" "$g" "$gw" "$d_gbps" "$d" "$dw" \
            "${r_copy[-1]}" "${r_wall[-1]}" "$rc" "$rs"
    done
    ceil_median=n/a
    [ ${#r_ceil[@]} -gt 0 ] && ceil_median=$(printf '%.2f' "$(median "${r_ceil[@]}")")
    serial_median=n/a
    [ ${#r_serial[@]} -gt 0 ] && serial_median=$(printf '%.2f' "$(median "${r_serial[@]}")")
    summary+=("$(printf 'bs=%s direct, %d MiB, qd=%d, %d round(s): dioring/GNU dd %.2f (copy time), %.2f (wall clock incl. JVM start); dioring/ceiling %s (serial-write ceiling %s)' \
        "$bs" "$size_mib" "$qd" "$rounds" "$(median "${r_copy[@]}")" "$(median "${r_wall[@]}")" "$ceil_median" "$serial_median")")
done
printf '%s\n' "medians:" "${summary[@]}"
