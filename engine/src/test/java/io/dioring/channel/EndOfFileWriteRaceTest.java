package io.dioring.channel;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.Kernel;
import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A channel's write whose last alignment unit straddles the end of an O_DIRECT file, racing
 * an extending write made at the same time through another handle of the file (a separate
 * {@link DirectFile}). The channel used to write that unit whole and truncate the file back
 * to its logical end, cutting off the other handle's block if it landed in between (the
 * soak's finding); it must never shrink the file below what another writer made.
 */
class EndOfFileWriteRaceTest {
    private static final int BLOCK = 4096;
    private static final int TRIALS = 500;

    @TempDir
    Path dir;

    @BeforeEach
    void gate() {
        Kernel.assumeIoUring();
    }

    @Test
    void aStraddlingChannelWriteNeverCutsOffAnotherHandlesExtendingWrite() throws Exception {
        Path p = dir.resolve("race");
        long endOfFile = BLOCK + 100; // inside the second block
        try (IoEngine engine = IoEngine.create();
                FileChannel ch = engine.openChannel(p, READ, WRITE, CREATE);
                DirectFile other = engine.open(p, READ, WRITE)) {
            MemorySegment block = engine.buffers().allocateFor(other, BLOCK);
            CyclicBarrier start = new CyclicBarrier(2);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<String> cut = new ArrayList<>();
            for (int trial = 0; trial < TRIALS && failure.get() == null; trial++) {
                other.truncate(endOfFile);
                byte stamp = (byte) (1 + trial % 250);
                block.fill(stamp);
                Thread extender = Thread.ofPlatform().start(() -> {
                    try {
                        Waits.await(start, "the channel's writer");
                        other.writeFully(2L * BLOCK, block); // extending: the file was 2 blocks less 3996 bytes
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                });
                Waits.await(start, "the extending writer");
                // 10 bytes across the end of the file: the second block is partly written, partly past the end.
                ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), endOfFile - 5);
                Waits.join(extender, "the extending writer");
                long size = ch.size();
                MemorySegment back = engine.buffers().allocateFor(other, BLOCK);
                long n = other.readFully(2L * BLOCK, back);
                if (size != 3L * BLOCK || n != BLOCK || back.get(ValueLayout.JAVA_BYTE, BLOCK - 1) != stamp) {
                    cut.add("trial " + trial + ": size " + size + ", the other handle's block read back " + n
                            + " bytes");
                }
            }
            if (failure.get() != null) {
                throw new AssertionError("the extending writer failed", failure.get());
            }
            assertTrue(cut.isEmpty(), cut.size() + " of " + TRIALS + " extending writes were cut off, first: "
                    + (cut.isEmpty() ? "" : cut.get(0)));
            ByteBuffer mine = ByteBuffer.allocate(10);
            assertEquals(10, ch.read(mine, endOfFile - 5));
            assertEquals(10, mine.get(9), "the channel's own bytes");
        }
    }
}
