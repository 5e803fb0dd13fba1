package io.dioring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.FaultFs;
import io.dioring.testing.FuseDataFile;
import io.dioring.testing.Waits;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link IoBatch} over the FUSE fault filesystem ({@link FaultFs}): each entry's result is
 * its own (an EIO fails one entry and hides none of the others' bytes; a short read is
 * resubmitted; a false end of file caps that entry only), and virtual threads waiting in
 * batches of slow reads do not hold their carriers.
 */
class FuseBatchTest {
    private static final int BLOCK = 64 << 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final FuseDataFile fuse = new FuseDataFile(16 * BLOCK, 17);
    private Backend backend;

    @BeforeEach
    void backend(Backend backend) {
        this.backend = backend;
    }

    private byte[] expected(long from, long n) {
        return Arrays.copyOfRange(fuse.data(), (int) from, (int) (from + n));
    }

    @BackendTest
    void eachEntryHasItsOwnResultBesideAFailedOne() throws Exception {
        long eio = 3L * BLOCK + 100;
        long cut = 5L * BLOCK + 4096;         // a short read, resubmitted for the rest
        long falseEnd = 7L * BLOCK + 8192;    // a short read, then 0 bytes: the prefix is the result
        fuse.fs().configure(FaultFs.readEio(eio, eio + 1), FaultFs.cut(cut), FaultFs.cut(falseEnd), FaultFs.zero(falseEnd));
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                IoBatch batch = IoBatch.of(f, 8);
                MemorySegment[] bufs = new MemorySegment[8];
                for (int i = 0; i < 8; i++) {
                    bufs[i] = engine.buffers().allocate(BLOCK);
                    bufs[i].fill((byte) 0);
                    assertEquals(i, batch.read(i * (long) BLOCK, bufs[i]));
                }
                assertEquals(1, batch.submitAndWait(), "one entry failed");
                for (int i = 0; i < 8; i++) {
                    long n = i == 7 ? falseEnd - 7L * BLOCK : BLOCK;
                    if (i == 3) {
                        DirectIoException e = assertInstanceOf(DirectIoException.class, batch.failure(3));
                        assertEquals("EIO", e.errnoName());
                        assertEquals(3L * BLOCK, e.offset(), e.getMessage());
                        assertThrows(DirectIoException.class, () -> batch.result(3));
                        continue;
                    }
                    assertNull(batch.failure(i), "entry " + i);
                    assertEquals(n, batch.result(i), "entry " + i);
                    assertArrayEquals(expected(i * (long) BLOCK, n),
                            bufs[i].asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), "entry " + i + "'s bytes");
                }
                // Reused with the faults gone: every entry succeeds.
                fuse.fs().configure();
                assertEquals(0, batch.submitAndWait());
                assertArrayEquals(expected(3L * BLOCK, BLOCK), bufs[3].toArray(ValueLayout.JAVA_BYTE));
            }
        });
    }

    /**
     * More virtual threads than carriers, each waiting in a batch of slow reads (the daemon
     * answers one request at a time, each after 300 ms): all of them are inside their batch
     * before the first batch returns, which they could not be if a waiting batch held its
     * carrier.
     */
    @BackendTest
    void virtualThreadsWaitingInBatchesLeaveTheirCarriers() throws Exception {
        fuse.fs().configure(FaultFs.delayMs(300));
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                Runtime.getRuntime().availableProcessors());
        int vthreads = carriers + 4;
        assertTimeoutPreemptively(TIMEOUT, () -> {
            try (IoEngine engine = IoEngine.create(BackendSuite.defaults(backend).withThreads(Math.max(4, vthreads)));
                    DirectFile f = engine.open(fuse.file(), StandardOpenOption.READ)) {
                AtomicInteger inside = new AtomicInteger();
                AtomicInteger insideWhenFirstReturned = new AtomicInteger(-1);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < vthreads; t++) {
                    long offset = (t % 16) * (long) BLOCK;
                    threads.add(Thread.ofVirtual().start(() -> {
                        try {
                            IoBatch batch = IoBatch.of(f, 1);
                            MemorySegment buf = engine.buffers().allocate(4096);
                            batch.read(offset, buf);
                            inside.incrementAndGet();
                            int failed = batch.submitAndWait();
                            insideWhenFirstReturned.compareAndSet(-1, inside.get());
                            assertEquals(0, failed);
                            assertArrayEquals(expected(offset, 4096), buf.toArray(ValueLayout.JAVA_BYTE));
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                for (Thread t : threads) {
                    Waits.join(t, "a virtual thread running slow batches");
                }
                if (failure.get() != null) {
                    throw new AssertionError(failure.get());
                }
                System.out.println("virtual threads inside a batch when the first returned: "
                        + insideWhenFirstReturned.get() + " of " + vthreads + " (carriers " + carriers + ")");
                assertEquals(vthreads, insideWhenFirstReturned.get(),
                        "every virtual thread entered its batch while the others waited in theirs");
            }
        });
    }
}
