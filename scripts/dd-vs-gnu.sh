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
# With BOUND=1 each round also measures what bounds any copier on this device, beside GNU
# dd: GNU dd reading alone (of=/dev/null) and writing alone (if=/dev/zero: zram stores
# zero pages without compressing them, so this one is a floor); scripts/dd-bound.py
# reading the source alone, writing a new file alone (incompressible data, as the copy's)
# and both at once on two threads, one pread/pwrite at a time as dd makes them: the most
# a copier that reads on one CPU and writes on another can get; and the JVM's start-up
# (`dioring --version`). The bound is start-up + "both at once", wall clock, set beside GNU
# dd's wall clock of the same round. (fio's write jobs, io_uring or psync, took 2-6x as long
# as GNU dd's whole copy in the same rounds on zram, so they bound nothing there.)
# CEILING=0 skips the fio io_uring ceiling runs. BEFORE=CMD also runs CMD (another dioring
# build, taking ./dioring's arguments) in the same rounds, for before/after ratios (wall clock
# and copy time; BEFORE runs just before the measured build in even rounds, just after it in
# odd ones);
# DIORING=CMD runs CMD instead of ./dioring as the build measured (a frozen copy, so that
# editing the sources meanwhile does not make ./dioring rebuild during the run).
#
#   scripts/dd-vs-gnu.sh                       # 2 GiB file under target/bench, 3 rounds, qd=8
#   SIZE_MIB=1024 ROUNDS=1 QD=16 BS_LIST="1M" BENCH_DIR=/mnt/disk scripts/dd-vs-gnu.sh
#   SIZE_MIB=1024 BOUND=1 BENCH_DIR=/mnt/zram/dd scripts/dd-vs-gnu.sh
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
dioring=${DIORING:-$root/dioring}
bound=${BOUND:-0}
before=${BEFORE:-}
$dioring --version >/dev/null 2>&1 || $dioring info >/dev/null  # build once, outside timing
if [ -n "$before" ]; then $before --version >/dev/null 2>&1; fi

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

wall_of() { # runs "$@" (output to /dev/null), prints its wall-clock seconds
    local t0 t1
    t0=$(now)
    "$@" >/dev/null 2>&1
    t1=$(now)
    calc "$t1 - $t0"
}

run_before() { # BEFORE's copy: sets bw (wall) and bc (its own copy time)
    local t0
    rm -f "$our_out"
    t0=$(now)
    $before dd if="$src" of="$our_out" bs="$bs" iflag=direct oflag=direct qd="$qd" >/dev/null 2> "$dir/before.err"
    bw=$(calc "$(now) - $t0")
    bc=$(seconds_from_dd "$dir/before.err")
    cmp -s "$src" "$our_out" || { echo "BEFORE's dd output differs from the input" >&2; exit 1; }
    rm -f "$our_out"
}

summary=()
for bs in $bs_list; do
    r_copy=(); r_wall=(); r_ceil=(); r_serial=(); r_before=(); r_before_copy=(); r_bound=(); r_gnu_bound=()
    count=$((bytes / $(numfmt --from=iec "${bs^^}")))
    for round in $(seq 1 "$rounds"); do
        rm -f "$gnu_out" "$our_out"
        t0=$(now)
        dd if="$src" of="$gnu_out" bs="$bs" iflag=direct oflag=direct 2> "$dir/gnu.err"
        t1=$(now)
        rm -f "$gnu_out"
        # BEFORE runs right before the build measured in even rounds and right after it in odd
        # ones: each then follows the same runs as often (whichever ran just before leaves
        # zram and the page allocator in a state the next run pays for).
        [ -n "$before" ] && [ $((round % 2)) = 0 ] && run_before
        t1b=$(now)
        $dioring dd if="$src" of="$our_out" bs="$bs" iflag=direct oflag=direct qd="$qd" 2> "$dir/dioring.err"
        t2=$(now)
        cmp -s "$src" "$our_out" || { echo "dioring dd output differs from the input" >&2; exit 1; }
        rm -f "$gnu_out" "$our_out"
        [ -n "$before" ] && [ $((round % 2)) = 1 ] && run_before
        if [ -n "$before" ]; then
            r_before+=("$(calc "$bw / ($t2 - $t1b)")")
            r_before_copy+=("$(calc "$bc / $(seconds_from_dd "$dir/dioring.err")")")
            printf 'bs=%s round %d: before: wall %.3f s, copy %.3f s; before/after %.2f (wall), %.2f (copy time)\n' \
                "$bs" "$round" "$bw" "$bc" "${r_before[-1]}" "${r_before_copy[-1]}"
        fi
        if [ "$bound" = 1 ]; then
            gr=$(wall_of dd if="$src" of=/dev/null bs="$bs" iflag=direct)
            gz=$(wall_of dd if=/dev/zero of="$gnu_out" bs="$bs" count="$count" oflag=direct)
            rm -f "$gnu_out"
            read -r _ fr _ fw _ frw < <(python3 "$root/scripts/dd-bound.py" "$src" "$our_out" "$(numfmt --from=iec "${bs^^}")")
            st=$(wall_of $dioring --version)
            best=$(calc "$st + $frw")
            gw0=$(calc "$t1 - $t0")
            r_bound+=("$(calc "$gw0 / $best")")
            printf 'bs=%s round %d: bound: GNU dd read alone %.3f s, write zeros alone %.3f s; dd-bound.py read alone %.3f s, write alone %.3f s, both at once %.3f s; start-up %.3f s => best copier %.3f s wall, GNU dd %.3f s: at most %.2fx GNU dd\n' \
                "$bs" "$round" "$gr" "$gz" "$fr" "$fw" "$frw" "$st" "$best" "$gw0" "${r_bound[-1]}"
        fi
        ceiling=n/a
        serial=n/a
        if [ "${CEILING:-1}" != 0 ] && command -v fio >/dev/null 2>&1; then
            ceiling=$(ceiling_gbps "$bs" "$qd" || echo n/a)
            serial=$(ceiling_gbps "$bs" 1 || echo n/a)
        fi
        g=$(seconds_from_dd "$dir/gnu.err")
        d=$(seconds_from_dd "$dir/dioring.err")
        gw=$(calc "$t1 - $t0")
        dw=$(calc "$t2 - $t1b")
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
    [ ${#r_before[@]} -gt 0 ] && summary+=("$(printf 'bs=%s: before/after ratio %.2f wall clock, %.2f copy time (above 1: after is faster)' "$bs" "$(median "${r_before[@]}")" "$(median "${r_before_copy[@]}")")")
    [ ${#r_bound[@]} -gt 0 ] && summary+=("$(printf 'bs=%s: the bound (start-up + dd-bound.py reading and writing at once) is %.2fx GNU dd wall clock' "$bs" "$(median "${r_bound[@]}")")")
    summary+=("$(printf 'bs=%s direct, %d MiB, qd=%d, %d round(s): dioring/GNU dd %.2f (copy time), %.2f (wall clock incl. JVM start); dioring/ceiling %s (serial-write ceiling %s)' \
        "$bs" "$size_mib" "$qd" "$rounds" "$(median "${r_copy[@]}")" "$(median "${r_wall[@]}")" "$ceil_median" "$serial_median")")
done
printf '%s\n' "medians:" "${summary[@]}"
