package io.dioring.backend;

import io.dioring.Backend;
import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Runs in a child JVM where io_uring is denied ({@link SeccompLauncher}): the engine's
 * defaults must pick THREADS and do a round trip with checksums, through the futures, the
 * blocking calls and an owned ring; the cause must name the errno; IO_URING must fail with it.
 * Prints {@value #OK} and exits 0, or throws (exit 1).
 */
public final class BlockedIoUringChild {
    static final String OK = "BLOCKED IO_URING ROUND TRIP OK";
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 1024;

    private BlockedIoUringChild() {}

    /** Args: a directory to write in, the errno name the filter returns. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String errno = args[1];
        String cause = IoEngine.unavailabilityCause();
        check(cause != null && cause.contains(errno), "the cause names " + errno + ": " + cause);
        check(!IoEngine.isAvailable(), "io_uring reported unavailable");
        check(IoEngine.autoChoice().startsWith("threads") && IoEngine.autoChoice().contains(errno),
                "autoChoice: " + IoEngine.autoChoice());
        byte[] data = new byte[BLOCKS * BLOCK];
        new Random(7).nextBytes(data);
        long expected = crc(data);
        // The README's example: IoEngine.create() with the defaults.
        try (IoEngine engine = IoEngine.create();
                DirectFile f = engine.open(dir.resolve("data"), StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE)) {
            check(engine.backend() == Backend.THREADS, "AUTO fell back to THREADS: " + engine.backend());
            check(f.isDirect(), "O_DIRECT");
            MemorySegment src = engine.buffers().allocateFor(f, data.length);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            check(f.write(0, src).get(10, TimeUnit.SECONDS) == data.length, "write");
            check(f.fsync().get(10, TimeUnit.SECONDS) == 0, "fsync");
            MemorySegment dst = engine.buffers().allocateFor(f, data.length);
            check(f.read(0, dst).get(10, TimeUnit.SECONDS) == data.length, "read");
            check(crc(dst.toArray(ValueLayout.JAVA_BYTE)) == expected, "checksum after the future read");
            dst.fill((byte) 0);
            check(f.readFully(0, dst) == data.length, "readFully");
            check(crc(dst.toArray(ValueLayout.JAVA_BYTE)) == expected, "checksum after readFully");
            ownedRingRoundTrip(engine, f, data, expected);
        }
        try (IoEngine again = IoEngine.create()) {
            check(again.backend() == Backend.THREADS, "a second engine also on THREADS");
        }
        try {
            IoEngine.create(EngineConfig.defaults().withBackend(Backend.IO_URING)).close();
            throw new AssertionError("Backend.IO_URING must fail where io_uring is denied");
        } catch (IOException e) {
            check(e.getMessage().contains("io_uring is unavailable") && e.getMessage().contains(errno),
                    "IO_URING fails with the cause: " + e.getMessage());
        }
        System.out.println(OK + " backend=THREADS cause=" + cause);
    }

    /** Writes the data again through an owned ring, block by block, then reads it back through it. */
    private static void ownedRingRoundTrip(IoEngine engine, DirectFile f, byte[] data, long expected)
            throws Exception {
        try (OwnedRing ring = engine.ownedRing(32)) {
            check(ring.backend() == Backend.THREADS, "the owned ring runs on THREADS");
            MemorySegment src = engine.buffers().allocateFor(f, data.length);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            ring.registerBuffers(src); // accepted and ignored on THREADS
            long[] done = {0};
            Thread owner = Thread.currentThread();
            CompletionHandler<Integer> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer i) {
                    check(Thread.currentThread() == owner, "handlers run on the owner");
                    done[0] += bytes;
                }

                @Override
                public void failed(Throwable t, Integer i) {
                    throw new AssertionError("owned-ring request " + i + " failed", t);
                }
            };
            for (int i = 0; i < BLOCKS; i++) {
                ring.write(f, (long) i * BLOCK, src.asSlice((long) i * BLOCK, BLOCK), i, handler);
            }
            ring.drain();
            check(done[0] == data.length, "owned-ring writes: " + done[0]);
            MemorySegment dst = engine.buffers().allocateFor(f, data.length);
            done[0] = 0;
            for (int i = 0; i < BLOCKS; i++) {
                ring.read(f, (long) i * BLOCK, dst.asSlice((long) i * BLOCK, BLOCK), i, handler);
            }
            ring.drain();
            check(done[0] == data.length, "owned-ring reads: " + done[0]);
            check(crc(dst.toArray(ValueLayout.JAVA_BYTE)) == expected, "checksum after the owned-ring round trip");
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
