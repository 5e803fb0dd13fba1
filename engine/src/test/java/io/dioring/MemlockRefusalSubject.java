package io.dioring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Child JVM of {@link RegisteredBuffersMemlockTest}: run without CAP_IPC_LOCK and with a
 * small RLIMIT_MEMLOCK, it reads a file through a pooled buffer and prints what the engine
 * did: {@code registered=..}, {@code fixed=..}, {@code firstByte=..}, {@code refusal=..}.
 */
public final class MemlockRefusalSubject {
    private MemlockRefusalSubject() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.IO_URING).withRings(2));
                DirectFile f = engine.open(data)) {
            MemorySegment buf = engine.buffers().take(1 << 20); // a 1 MiB slab: over a 64 KiB limit
            long n = f.readFully(0, buf);
            System.out.println("read=" + n);
            System.out.println("firstByte=" + buf.get(ValueLayout.JAVA_BYTE, 0));
            System.out.println("lastByte=" + buf.get(ValueLayout.JAVA_BYTE, n - 1));
            System.out.println("fixed=" + engine.fixedBufferSlices());
            System.out.println("registered=" + engine.registeredBuffers());
            System.out.println("refusal=" + engine.registeredBuffersRefusal());
            System.out.println("healthy=" + engine.isHealthy());
        }
        System.out.println("closed=true");
        System.exit(0);
    }
}
