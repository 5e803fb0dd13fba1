#!/usr/bin/env bash
# Runs fio (io_uring, O_DIRECT) and `dioring bench` side by side on the same file with the
# same parameters, alternating, several rounds, and prints per case the median IOPS of
# each, the median of the per-round ratios dioring/fio, and for QD1 the p50 latency.
#
# Cases: 4 KiB randread QD32 on tmpfs (needs root to mount one; skipped otherwise),
# and on the disk: 4 KiB randread QD1 and QD32, 4 KiB randwrite QD32, 1 MiB read QD8.
#
# Environment: ROUNDS (3), RUNTIME seconds per run (5), BENCH_DIR (target/bench in the
# repo; must be on the disk to measure), SIZE of the disk file (1g), TMPFS_SIZE (256m),
# DIORING (the launcher, ./dioring), FIO (fio).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${ROUNDS:-3}
runtime=${RUNTIME:-5}
bench_dir=${BENCH_DIR:-$root/target/bench}
size=${SIZE:-1g}
tmpfs_size=${TMPFS_SIZE:-256m}
dioring=${DIORING:-$root/dioring}
fio=${FIO:-fio}

die() { echo "bench-vs-fio: $*" >&2; exit 1; }
command -v "$fio" >/dev/null 2>&1 || die "fio not found (install it: apt-get install -y fio)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (used to read fio's JSON)"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS=$rounds: must be a positive integer"
[[ "$runtime" =~ ^[1-9][0-9]*$ ]] || die "RUNTIME=$runtime: must be a positive whole number of seconds"

mkdir -p "$bench_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-fio.XXXXXX")
results="$work/results.tsv"
: >"$results"
tmpfs_mount=""
cleanup() {
    if [ -n "$tmpfs_mount" ]; then umount "$tmpfs_mount" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# fio's JSON -> "iops<TAB>lat_p50_ns" (reads and writes summed; p50 of the busier direction).
# The total latency (submission + completion, --lat_percentiles=1), which is what dioring
# bench measures from just before each submit; fio's default clat leaves out submission.
fio_figures() {
    python3 -c '
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
iops = job["read"]["iops"] + job["write"]["iops"]
side = job["read"] if job["read"]["iops"] >= job["write"]["iops"] else job["write"]
p50 = side["lat_ns"].get("percentile", {}).get("50.000000", 0)
print("%.1f\t%d" % (iops, p50))' "$1"
}

# dioring's JSON line -> "iops<TAB>p50_ns"
dioring_figures() {
    python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print("%.1f\t%d" % (d["iops"], d["latency_ns"]["p50"]))' "$1"
}

run_fio() { # case file size rw bs qd
    local out="$work/fio.json"
    "$fio" --name="$1" --filename="$2" --size="$3" --rw="$4" --bs="$5" --iodepth="$6" \
        --ioengine=io_uring --direct=1 --time_based --runtime="$runtime" --numjobs=1 --lat_percentiles=1 \
        --output-format=json >"$out" 2>"$work/fio.err" || { cat "$work/fio.err" >&2; die "fio failed on case $1"; }
    fio_figures "$out"
}

run_dioring() { # case file size rw bs qd
    local out="$work/dioring.json"
    "$dioring" bench --file "$2" --size "$3" --rw "$4" --bs "$5" --qd "$6" --runtime "$runtime" --json \
        >"$out" 2>"$work/dioring.err" || { cat "$work/dioring.err" >&2; die "dioring bench failed on case $1"; }
    dioring_figures "$out"
}

run_case() { # name file size rw bs qd
    local name=$1 round f d
    echo "case $name: $rounds rounds of ${runtime}s each tool" >&2
    for ((round = 1; round <= rounds; round++)); do
        # Alternate who goes first so drift on a shared machine does not favour one tool.
        if ((round % 2)); then
            f=$(run_fio "$@"); d=$(run_dioring "$@")
        else
            d=$(run_dioring "$@"); f=$(run_fio "$@")
        fi
        printf '%s\t%d\tfio\t%s\n%s\t%d\tdioring\t%s\n' "$name" "$round" "$f" "$name" "$round" "$d" >>"$results"
        echo "  round $round: fio $(cut -f1 <<<"$f") IOPS, dioring $(cut -f1 <<<"$d") IOPS" >&2
    done
}

# Lay the files out once (random data), so both tools read real blocks, not holes.
layout() { # file size
    "$dioring" bench --file "$1" --size "$2" --rw write --bs 1m --qd 8 --runtime 1 --json >/dev/null
}

skipped=()
if [ "$(id -u)" = 0 ]; then
    tmpfs_mount="$work/tmpfs"
    mkdir -p "$tmpfs_mount"
    if mount -t tmpfs -o size="$(python3 -c "
import sys
s = sys.argv[1].lower(); m = {'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
n = int(s[:-1]) * m[s[-1]] if s[-1] in m else int(s)
print(n + (16 << 20))" "$tmpfs_size")" tmpfs "$tmpfs_mount"; then
        layout "$tmpfs_mount/bench.dat" "$tmpfs_size"
        run_case "tmpfs 4k randread qd32" "$tmpfs_mount/bench.dat" "$tmpfs_size" randread 4k 32
    else
        tmpfs_mount=""
        skipped+=("tmpfs 4k randread qd32: mounting a tmpfs failed")
    fi
else
    skipped+=("tmpfs 4k randread qd32: needs root to mount a tmpfs (running as uid $(id -u))")
fi

disk_file="$bench_dir/bench-vs-fio.dat"
layout "$disk_file" "$size"
fs=$(stat -f -c %T "$bench_dir" 2>/dev/null || echo "?")
run_case "disk 4k randread qd1" "$disk_file" "$size" randread 4k 1
run_case "disk 4k randread qd32" "$disk_file" "$size" randread 4k 32
run_case "disk 4k randwrite qd32" "$disk_file" "$size" randwrite 4k 32
run_case "disk 1m read qd8" "$disk_file" "$size" read 1m 8

echo
echo "bench-vs-fio: $rounds rounds x ${runtime}s per tool; disk file $disk_file ($fs, $size); $(nproc) CPUs; $(uname -r)"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cases = []
data = {}
for name, rnd, tool, iops, p50 in rows:
    if name not in data:
        cases.append(name)
        data[name] = {}
    data[name].setdefault(int(rnd), {})[tool] = (float(iops), int(p50))
print("%-24s %14s %14s %10s   %s" % ("case", "fio IOPS", "dioring IOPS", "ratio", "p50 latency fio / dioring"))
for name in cases:
    rounds = [r for r in data[name].values() if "fio" in r and "dioring" in r]
    fio = statistics.median(r["fio"][0] for r in rounds)
    dio = statistics.median(r["dioring"][0] for r in rounds)
    ratio = statistics.median(r["dioring"][0] / r["fio"][0] for r in rounds if r["fio"][0] > 0)
    lat = ""
    if name.endswith("qd1"):
        lf = statistics.median(r["fio"][1] for r in rounds) / 1000
        ld = statistics.median(r["dioring"][1] for r in rounds) / 1000
        lat = "%.1f us / %.1f us (ratio %.2f)" % (lf, ld, ld / lf if lf else float("nan"))
    print("%-24s %14.0f %14.0f %10.3f   %s" % (name, fio, dio, ratio, lat))
PY
for s in ${skipped[@]+"${skipped[@]}"}; do echo "SKIPPED: $s"; done
