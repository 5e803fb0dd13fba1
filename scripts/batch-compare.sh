#!/usr/bin/env bash
# One thread reading batches of 32 random 4 KiB O_DIRECT blocks (dioring IoBatch, JMH
# BatchRandomRead) against, on the same file in the same run:
#
#   batch       dioring IoBatch, 1 thread, 32 reads per submitAndWait   (JMH BatchRandomRead.randomRead4k_batch32)
#   batch2      the same thread with two batches of 32 in flight, submit/await in turn (randomRead4k_2x32)
#   jdk32       JDK FileChannel + DIRECT, 32 threads                     (JMH FileChannelDirect.randomRead4k_32threads)
#   fio-uring   fio --ioengine=io_uring --iodepth=32, 1 job --direct=1 --rw=randread --bs=4k
#   fio-batch   the same fio submitting 32 at once and waiting for all 32 before the next 32
#               (--iodepth_batch_submit=32 --iodepth_batch_complete_min=32): what a batch that
#               waits for its slowest read can get from the device, the bound for "batch"
#
# Systems take turns (the order rotates every round), ROUNDS rounds; printed: per system the
# medians of ops/s and process CPU-µs per read (JMH: io.dioring.jmh.CpuPerOp; fio: its
# utime + stime over the steady part of the run), and the medians of the per-round ratios
# of batch and batch2 to jdk32, fio-uring and fio-batch.
#
# Where: DIR=path (e.g. a directory on the disk) uses a file there (kept for reuse);
# without DIR the script makes a zram device of its own (hot_add, ext4; removed on exit,
# needs root). Run under the benchmark lock on a shared machine:
#   flock /tmp/dioring-bench.lock scripts/batch-compare.sh
#   DIR=/work/bench-batch flock /tmp/dioring-bench.lock scripts/batch-compare.sh
#
# Environment: ROUNDS (3), ITERATIONS (3), ITER_S (3), WARMUP_S (2), FILE_MIB (1024),
#   SYSTEMS ("batch batch2 jdk32 fio-uring fio-batch"), EXTRA_JVM_ARGS, JAVA, JMH_JAR, FIO (fio)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${ROUNDS:-3}
iterations=${ITERATIONS:-3}
iter_s=${ITER_S:-3}
warmup_s=${WARMUP_S:-2}
file_mib=${FILE_MIB:-1024}
zram_size=$((file_mib + file_mib / 4 + 64))M
systems=${SYSTEMS:-"batch batch2 jdk32 fio-uring fio-batch"}
extra_jvm_args=${EXTRA_JVM_ARGS:-}
dir=${DIR:-}
jmh_jar=${JMH_JAR:-$root/jmh/target/benchmarks.jar}
fio=${FIO:-fio}

name=batch-compare
# shellcheck source=bench-lib.sh
. "$root/scripts/bench-lib.sh"
positive ROUNDS "$rounds"
positive ITERATIONS "$iterations"
positive ITER_S "$iter_s"
positive WARMUP_S "$warmup_s"
positive FILE_MIB "$file_mib"
for s in $systems; do
    case $s in batch | batch2 | jdk32 | fio-uring | fio-batch) ;;
    *) die "SYSTEMS entry '$s': must be one of batch batch2 jdk32 fio-uring fio-batch" ;;
    esac
done
command -v "$fio" >/dev/null 2>&1 || die "fio not found (install it: apt-get install -y fio)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (used to read JMH's and fio's JSON)"
if [ -z "$dir" ]; then
    [ "$(id -u)" = 0 ] || die "needs root to set up a zram device (running as uid $(id -u)); or set DIR"
    command -v mkfs.ext4 >/dev/null 2>&1 || die "mkfs.ext4 not found (apt-get install -y e2fsprogs)"
fi

bench_setup
results="$work/results.tsv"
: >"$results"

run_jmh() { # dir benchmark-regex -> "ops cpu_us"
    local out="$work/jmh.json"
    "$java" -jar "$jmh_jar" "$2" -f 1 -wi 1 -w "${warmup_s}s" -i "$iterations" -r "${iter_s}s" \
        -prof io.dioring.jmh.CpuPerOp -rf json -rff "$out" \
        -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Ddioring.jmh.dir=$1 -Ddioring.jmh.fileMiB=$file_mib $extra_jvm_args" \
        >"$work/jmh.log" 2>&1 || { tail -40 "$work/jmh.log" >&2; die "JMH failed: $2 in $1"; }
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))[0]
print("%.1f %.3f" % (r["primaryMetric"]["score"], r["secondaryMetrics"]["cpu.us/op"]["score"]))' "$out"
}

run_fio() { # file [fio option...] -> "ops cpu_us"
    python3 - "$fio" "$1" "$warmup_s" "$((iterations * iter_s))" "$work" "${@:2}" <<'PY'
import json, os, subprocess, sys, time
fio, path, ramp, runtime, work = sys.argv[1:6]
ramp, runtime = int(ramp), int(runtime)
tick = os.sysconf("SC_CLK_TCK")
def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime
out = os.path.join(work, "fio.json")
cmd = [fio, "--name=batch-compare", "--filename=" + path, "--rw=randread", "--bs=4k", "--direct=1",
       "--ioengine=io_uring", "--iodepth=32", "--numjobs=1", "--thread", "--randrepeat=0", "--norandommap",
       "--time_based", "--ramp_time=%d" % ramp, "--runtime=%d" % runtime, "--output-format=json", "--output=" + out]
cmd += sys.argv[6:]
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "fio.err"), "w"))
margin = min(0.5, runtime / 4)
time.sleep(ramp + margin)
t0, c0 = time.monotonic(), cpu_seconds(p.pid)
time.sleep(runtime - 2 * margin)
t1, c1 = time.monotonic(), cpu_seconds(p.pid)
if p.wait() != 0:
    sys.stderr.write(open(os.path.join(work, "fio.err")).read())
    sys.exit("fio failed: " + " ".join(cmd))
iops = json.load(open(out))["jobs"][0]["read"]["iops"]
print("%.1f %.3f" % (iops, (c1 - c0) / (iops * (t1 - t0)) * 1e6))
PY
}

run_system() { # dir file system
    case $3 in
    batch) run_jmh "$1" 'io.dioring.jmh.BatchRandomRead.randomRead4k_batch32$' ;;
    batch2) run_jmh "$1" 'io.dioring.jmh.BatchRandomRead.randomRead4k_2x32$' ;;
    jdk32) run_jmh "$1" 'io.dioring.jmh.FileChannelDirect.randomRead4k_32threads$' ;;
    fio-uring) run_fio "$2" ;;
    fio-batch) run_fio "$2" --iodepth_batch_submit=32 --iodepth_batch_complete_min=32 ;;
    esac
}

if [ -z "$dir" ]; then
    setup_zram
    dir=$zram_mount
    where="zram (/dev/zram$zram_n)"
else
    where="$dir ($(df --output=source "$dir" 2>/dev/null | tail -n 1 || echo '?'))"
fi
file=$(layout "$dir")
read -r -a order <<<"$systems"
k=${#order[@]}
for ((round = 1; round <= rounds; round++)); do
    for ((i = 0; i < k; i++)); do
        s=${order[$(((i + round - 1) % k))]}
        figures=$(run_system "$dir" "$file" "$s")
        printf '%d\t%s\t%s\n' "$round" "$s" "${figures// /$'\t'}" >>"$results"
        echo "  round $round: $s $figures (ops/s, CPU-us/read)" >&2
    done
done

echo
echo "batch-compare: $where; $rounds round(s); JMH 1 x ${warmup_s}s warm-up + $iterations x ${iter_s}s;" \
    "fio ramp ${warmup_s}s + $((iterations * iter_s))s; $file_mib MiB file; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg);" \
    "$(uname -r); $("$java" -version 2>&1 | head -n 1)"
[ -n "$extra_jvm_args" ] && echo "EXTRA_JVM_ARGS: $extra_jvm_args"
python3 - "$results" "$systems" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
systems = sys.argv[2].split()
data = {}  # round -> system -> (ops, cpu)
for rnd, system, ops, cpu in rows:
    data.setdefault(int(rnd), {})[system] = (float(ops), float(cpu))
med = statistics.median
print("%-10s %12s %14s" % ("system", "ops/s", "CPU-us/read"))
for s in systems:
    got = [r[s] for r in data.values() if s in r]
    print("%-10s %12.0f %14.2f" % (s, med(g[0] for g in got), med(g[1] for g in got)))
for mine, ref in [(m, r) for m in ("batch", "batch2") for r in ("jdk32", "fio-uring", "fio-batch")]:
    both = [(r[mine], r[ref]) for r in data.values() if mine in r and ref in r]
    if both:
        print("%-6s / %-9s ops %.2f   CPU %.2f   (medians of per-round ratios; rounds: %s)" % (
            mine, ref, med(a[0] / b[0] for a, b in both), med(a[1] / b[1] for a, b in both),
            ", ".join("%.2f" % (a[0] / b[0]) for a, b in both)))
PY
