#!/usr/bin/env bash
# A soak: a mixed load over every door of the engine at once, on both backends, with a share
# of the files on the FUSE fault filesystem (root + fuse3 + gcc; skipped with the reason
# otherwise), every byte checked against a model, resources sampled every 30 s. The last line:
#   soak: <ops> ops, <n> lost, <n> corrupt, fds A->B, rss A->B MiB, threads A->B: PASS|FAIL
# Exit 0 only on PASS. Needs `mvn package` first (or -DskipTests package): it runs
# io.dioring.soak.Soak from the engine's test classes.
#
#   scripts/soak.sh --minutes 30                    # files under target/soak
#   scripts/soak.sh --minutes 5 --dir /mnt/zram/me  # elsewhere
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
java=${JAVA:-}
if [ -z "$java" ]; then
    for candidate in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java || true)"; do
        if [ -x "$candidate" ] && "$candidate" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then
            java=$candidate
            break
        fi
    done
fi
[ -n "$java" ] || { echo "soak.sh: no Java 22+ found (set JAVA or JAVA_HOME)" >&2; exit 2; }

jars=("$root"/native-bindings/target/dioring-native-bindings-*[0-9T].jar)
engine=("$root"/engine/target/dioring-engine-*[0-9T].jar)
tests=$root/engine/target/test-classes
for f in "${jars[0]}" "${engine[0]}" "$tests/io/dioring/soak/Soak.class"; do
    [ -e "$f" ] || { echo "soak.sh: $f is missing: run 'mvn -B package -DskipTests' first" >&2; exit 2; }
done

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--minutes 1)
cd "$root"  # FaultFs finds engine/src/test/c/faultfs.c from here
exec "$java" --enable-native-access=ALL-UNNAMED -ea -Xms256m -Xmx256m -XX:+AlwaysPreTouch \
    -XX:NativeMemoryTracking=summary \
    -cp "${jars[0]}:${engine[0]}:$tests" io.dioring.soak.Soak "${args[@]}"
