#!/usr/bin/env bash
# 4 KiB random O_DIRECT reads of a 1 GiB file on ext4 over a zram device of its own (where
# the CPU, not the device, decides), from N = 32 and 256 concurrent readers, through:
#
#   readFully   dioring DirectFile.readFully from N virtual threads   (JMH VirtualThreadRandomRead)
#   channel     dioring's FileChannel view, aligned direct buffers   (same, api=channelDirect)
#   jdk         JDK FileChannel + ExtendedOpenOption.DIRECT           (same, api=jdkDirect)
#   jdk-async   JDK AsynchronousFileChannel + DIRECT on N pool threads, each virtual thread
#               waiting on its read's future (same, api=jdkAsyncDirect): a read completed
#               away from the carrier, as any asynchronous engine completes it; not in the
#               default SYSTEMS
#   fio-uring   fio --ioengine=io_uring, 1 job, --iodepth=N
#   fio-psync   fio --ioengine=psync, N jobs (threads)
#
# Systems take turns (the order rotates every round), ROUNDS rounds; the table gives per
# system the medians of ops/s, process CPU-µs per read (user + system, every thread of the
# process) and platform threads, and the medians of the per-round ratios to the JDK.
# JMH's figures come from its profiler io.dioring.jmh.CpuPerOp (CPU over each measured
# iteration / reads in it, all threads of the benchmark JVM; threads = peak platform
# threads of the fork). fio's CPU is its process's utime + stime (/proc/PID/stat, jobs
# run as threads) sampled over the steady part of the run, divided by fio's IOPS times
# that window; its threads are fio's own at the end.
#
# Needs root (zram set-up: hot_add, disksize, mkfs.ext4, mount; removed again on exit),
# fio, python3, and a JDK >= 22. Run under the benchmark lock on a shared machine:
#   flock /tmp/dioring-bench.lock scripts/zram-compare.sh
#
# Environment:
#   ROUNDS (3)            rounds; medians over them
#   THREADS ("32 256")    reader counts N
#   ITERATIONS (3), ITER_S (3), WARMUP_S (2)
#                         JMH: 1 warm-up iteration of WARMUP_S s, then ITERATIONS of ITER_S s;
#                         fio: ramp WARMUP_S s, then ITERATIONS x ITER_S s
#   FILE_MIB (1024)       data file size; ZRAM_SIZE (FILE_MIB + 25%) the device's size
#   SYSTEMS               subset/order of "readFully channel jdk fio-uring fio-psync" (jdk-async too)
#   EXTRA_JVM_ARGS        JVM options for the benchmark JVM (e.g. -Ddioring.<property>=...
#                         to choose an engine mode), appended after the script's own
#   DISK=1                also run everything on a directory on the disk: DISK_DIR
#                         (target/zram-compare in the repo; its 1 GiB file stays for reuse)
#   JAVA                  the java to run JMH with (default: JAVA_HOME, then newest in /usr/lib/jvm)
#   JMH_JAR (jmh/target/benchmarks.jar; built with Maven when missing), FIO (fio)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${ROUNDS:-3}
threads=${THREADS:-"32 256"}
iterations=${ITERATIONS:-3}
iter_s=${ITER_S:-3}
warmup_s=${WARMUP_S:-2}
file_mib=${FILE_MIB:-1024}
zram_size=${ZRAM_SIZE:-$((file_mib + file_mib / 4 + 64))M}
systems=${SYSTEMS:-"readFully channel jdk fio-uring fio-psync"}
extra_jvm_args=${EXTRA_JVM_ARGS:-}
disk=${DISK:-0}
disk_dir=${DISK_DIR:-$root/target/zram-compare}
jmh_jar=${JMH_JAR:-$root/jmh/target/benchmarks.jar}
fio=${FIO:-fio}

name=zram-compare
# shellcheck source=bench-lib.sh
. "$root/scripts/bench-lib.sh"
positive ROUNDS "$rounds"
positive ITERATIONS "$iterations"
positive ITER_S "$iter_s"
positive WARMUP_S "$warmup_s"
positive FILE_MIB "$file_mib"
for n in $threads; do positive "THREADS entry" "$n"; done
for s in $systems; do
    case $s in readFully | channel | jdk | jdk-async | fio-uring | fio-psync) ;;
    *) die "SYSTEMS entry '$s': must be one of readFully channel jdk jdk-async fio-uring fio-psync" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "needs root to set up a zram device (running as uid $(id -u))"
command -v "$fio" >/dev/null 2>&1 || die "fio not found (install it: apt-get install -y fio)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (used to read JMH's and fio's JSON)"
command -v mkfs.ext4 >/dev/null 2>&1 || die "mkfs.ext4 not found (apt-get install -y e2fsprogs)"

bench_setup
results="$work/results.tsv"
: >"$results"

run_jmh() { # dir api n -> "ops cpu_us threads"
    local out="$work/jmh.json"
    # -jvmArgsAppend on the command line replaces the @Fork's, so native access goes here too.
    "$java" -jar "$jmh_jar" 'io.dioring.jmh.VirtualThreadRandomRead.randomRead4k$' \
        -p api="$2" -p vthreads="$3" -f 1 -wi 1 -w "${warmup_s}s" -i "$iterations" -r "${iter_s}s" \
        -prof io.dioring.jmh.CpuPerOp -rf json -rff "$out" \
        -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Ddioring.jmh.dir=$1 -Ddioring.jmh.fileMiB=$file_mib $extra_jvm_args" \
        >"$work/jmh.log" 2>&1 || { tail -40 "$work/jmh.log" >&2; die "JMH failed: api=$2 vthreads=$3 in $1"; }
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))[0]
s = r["secondaryMetrics"]
print("%.1f %.3f %d" % (r["primaryMetric"]["score"], s["cpu.us/op"]["score"], s["threads.peak"]["score"]))' "$out"
}

run_fio() { # file engine n -> "ops cpu_us threads"
    local file=$1 engine=$2 n=$3 jobs depth
    if [ "$engine" = io_uring ]; then jobs=1 depth=$n; else jobs=$n depth=1; fi
    python3 - "$fio" "$file" "$engine" "$jobs" "$depth" "$warmup_s" "$((iterations * iter_s))" "$work" <<'PY'
import json, os, subprocess, sys, time
fio, path, engine, jobs, depth, ramp, runtime, work = sys.argv[1:]
ramp, runtime = int(ramp), int(runtime)
tick = os.sysconf("SC_CLK_TCK")
def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime: fields 14, 15
out = os.path.join(work, "fio.json")
cmd = [fio, "--name=zram-compare", "--filename=" + path, "--rw=randread", "--bs=4k", "--direct=1",
       "--ioengine=" + engine, "--iodepth=" + depth, "--numjobs=" + jobs,
       "--thread", "--group_reporting", "--randrepeat=0", "--norandommap", "--time_based",
       "--ramp_time=%d" % ramp, "--runtime=%d" % runtime, "--output-format=json", "--output=" + out]
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "fio.err"), "w"))
margin = min(0.5, runtime / 4)
time.sleep(ramp + margin)
t0, c0 = time.monotonic(), cpu_seconds(p.pid)
time.sleep(runtime - 2 * margin)
t1, c1 = time.monotonic(), cpu_seconds(p.pid)
nthreads = len(os.listdir("/proc/%d/task" % p.pid))
if p.wait() != 0:
    sys.stderr.write(open(os.path.join(work, "fio.err")).read())
    sys.exit("fio failed: " + " ".join(cmd))
iops = json.load(open(out))["jobs"][0]["read"]["iops"]
print("%.1f %.3f %d" % (iops, (c1 - c0) / (iops * (t1 - t0)) * 1e6, nthreads))
PY
}

run_system() { # device dir file system n
    case $4 in
    readFully) run_jmh "$2" readFully "$5" ;;
    channel) run_jmh "$2" channelDirect "$5" ;;
    jdk) run_jmh "$2" jdkDirect "$5" ;;
    jdk-async) run_jmh "$2" jdkAsyncDirect "$5" ;;
    fio-uring) run_fio "$3" io_uring "$5" ;;
    fio-psync) run_fio "$3" psync "$5" ;;
    esac
}

run_device() { # device dir
    local device=$1 dir=$2 file round n s i k figures
    file=$(layout "$dir")
    read -r -a order <<<"$systems"
    k=${#order[@]}
    for ((round = 1; round <= rounds; round++)); do
        for n in $threads; do
            for ((i = 0; i < k; i++)); do
                s=${order[$(((i + round - 1) % k))]}
                figures=$(run_system "$device" "$dir" "$file" "$s" "$n")
                printf '%s\t%s\t%d\t%s\t%s\n' "$device" "$n" "$round" "$s" "${figures// /$'\t'}" >>"$results"
                echo "  $device N=$n round $round: $s $figures (ops/s, CPU-us/read, threads)" >&2
            done
        done
    done
}

setup_zram
run_device zram "$zram_mount"
if [ "$disk" = 1 ]; then
    run_device disk "$disk_dir"
fi

echo
echo "zram-compare: $rounds round(s); JMH 1 x ${warmup_s}s warm-up + $iterations x ${iter_s}s; fio ramp ${warmup_s}s + $((iterations * iter_s))s;" \
    "$file_mib MiB file; $(nproc) CPUs; $(uname -r); $("$java" -version 2>&1 | head -n 1)"
[ -n "$extra_jvm_args" ] && echo "EXTRA_JVM_ARGS: $extra_jvm_args"
python3 - "$results" "$systems" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
systems = sys.argv[2].split()
data = {}  # (device, n) -> round -> system -> (ops, cpu, threads)
for device, n, rnd, system, ops, cpu, thr in rows:
    data.setdefault((device, int(n)), {}).setdefault(int(rnd), {})[system] = (float(ops), float(cpu), int(thr))
med = statistics.median
for (device, n), rounds in data.items():
    print("\n%s, N = %d (medians of %d rounds)" % (device, n, len(rounds)))
    print("%-10s %12s %14s %8s %10s %10s" % ("system", "ops/s", "CPU-us/read", "threads", "ops/jdk", "CPU/jdk"))
    for s in systems:
        got = [r[s] for r in rounds.values() if s in r]
        if not got:
            continue
        both = [(r[s], r["jdk"]) for r in rounds.values() if s in r and "jdk" in r]
        ops_ratio = "%.2f" % med(a[0] / b[0] for a, b in both) if both else "-"
        cpu_ratio = "%.2f" % med(a[1] / b[1] for a, b in both) if both else "-"
        print("%-10s %12.0f %14.2f %8d %10s %10s" % (s, med(g[0] for g in got), med(g[1] for g in got),
                                                    med(g[2] for g in got), ops_ratio, cpu_ratio))
PY
