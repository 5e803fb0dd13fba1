# Shared by the comparison scripts (zram-compare.sh, batch-compare.sh): finding a JDK,
# the JMH jar, a work directory removed on exit, a zram device of the script's own, and the
# benchmark file. Source it after setting:
#   name       the script's name, for messages
#   root       the repository
#   jmh_jar    the JMH jar (built with Maven when missing)
#   file_mib   the benchmark file's size; zram_size the device's size (setup_zram only)
# It sets java, work, and (setup_zram) zram_n and zram_mount.

die() { echo "$name: $*" >&2; exit 1; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1=$2: must be a positive integer"; }

find_java() {
    if [ -n "${JAVA:-}" ]; then echo "$JAVA"; return; fi
    local candidates=() j v
    [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
    for j in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do candidates+=("$j"); done
    candidates+=("$(command -v java || true)")
    for j in "${candidates[@]}"; do
        [ -x "$j" ] || continue
        v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
        if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$j"; return; fi
    done
    die "no JDK >= 22 found (set JAVA or JAVA_HOME)"
}

# Sets java, builds the JMH jar if missing, makes the work directory and the exit trap.
bench_setup() {
    java=$(find_java)
    if [ ! -f "$jmh_jar" ]; then
        echo "$name: building $jmh_jar" >&2
        (cd "$root" && mvn -B -q -pl jmh -am package -DskipTests) || die "building the JMH jar failed"
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
    zram_n=""
    zram_mount=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_cleanup() {
    if [ -n "$zram_mount" ]; then umount "$zram_mount" 2>/dev/null || echo "$name: umount $zram_mount failed" >&2; fi
    if [ -n "$zram_n" ]; then
        echo "$zram_n" >/sys/class/zram-control/hot_remove 2>/dev/null ||
            echo "$name: removing /dev/zram$zram_n failed" >&2
    fi
    rm -rf "$work"
}

# A zram device of the script's own (hot_add), ext4, mounted under the work directory.
setup_zram() {
    [ -d /sys/class/zram-control ] || modprobe zram 2>/dev/null || true
    [ -w /sys/class/zram-control/hot_add ] || die "no /sys/class/zram-control (zram module missing?)"
    zram_n=$(cat /sys/class/zram-control/hot_add)
    echo "$zram_size" >"/sys/block/zram$zram_n/disksize" || die "setting /dev/zram$zram_n's disksize to $zram_size failed"
    # No lazy init: ext4lazyinit would write the inode tables in the background during the runs.
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "/dev/zram$zram_n" || die "mkfs.ext4 /dev/zram$zram_n failed"
    zram_mount="$work/zram"
    mkdir -p "$zram_mount"
    mount "/dev/zram$zram_n" "$zram_mount" || { zram_mount=""; die "mounting /dev/zram$zram_n failed"; }
    echo "$name: /dev/zram$zram_n ($zram_size, ext4) at $zram_mount" >&2
}

# The file BenchFiles (JMH) reuses when its size matches: random data, written O_DIRECT.
layout() { # dir -> the file's path
    local f="$1/dioring-jmh-${file_mib}m.dat"
    mkdir -p "$1"
    if [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" != $((file_mib << 20)) ]; then
        echo "$name: writing $f ($file_mib MiB)" >&2
        dd if=/dev/urandom of="$f.partial" bs=1M count="$file_mib" oflag=direct status=none
        mv "$f.partial" "$f"
    fi
    echo "$f"
}
