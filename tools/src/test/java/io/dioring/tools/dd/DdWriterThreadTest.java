package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The write-behind thread of {@link RingBackend}'s output: writes made in submission order,
 * one at a time (the crash-consistency of dd's output rests on it), none after a failure.
 */
class DdWriterThreadTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final MemorySegment BLOCK = MemorySegment.ofArray(new byte[16]);

    /** Records the writes made; at most one may run at a time. */
    private static final class Recorder implements DdWriterThread.Writes {
        final List<Long> made = new CopyOnWriteArrayList<>();
        final AtomicInteger running = new AtomicInteger();
        volatile boolean overlapped;
        volatile long failAt = -1;

        @Override
        public long write(long offset, MemorySegment src) throws IOException {
            if (running.incrementAndGet() != 1) {
                overlapped = true;
            }
            try {
                made.add(offset);
                if (offset == failAt) {
                    throw new IOException("injected failure at " + offset);
                }
                return src.byteSize();
            } finally {
                running.decrementAndGet();
            }
        }
    }

    @Test
    void writesAreMadeInOrderOneAtATime() {
        Recorder r = new Recorder();
        assertTimeoutPreemptively(LIMIT, () -> {
            try (DdWriterThread w = new DdWriterThread(r, "test-writer")) {
                for (int round = 0; round < 200; round++) {
                    for (int i = 0; i < 8; i++) {
                        w.submit((round * 8L + i) * 16, BLOCK);
                    }
                    while (w.inFlight() > 3) { // awaits interleaved with submissions, as dd does
                        DdWriterThread.Write done = w.awaitOldest();
                        assertNull(done.failure);
                        assertEquals(16, done.result);
                    }
                }
            }
        });
        assertFalse(r.overlapped, "two writes ran at once");
        assertEquals(1600, r.made.size());
        for (int i = 0; i < r.made.size(); i++) {
            assertEquals(i * 16L, r.made.get(i), "write " + i + " out of order");
        }
    }

    @Test
    void aLaterWriteWaitsUntilTheEarlierOneCompleted() {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        List<Long> made = new CopyOnWriteArrayList<>();
        DdWriterThread.Writes blocking = (offset, src) -> {
            made.add(offset);
            if (offset == 0) {
                firstStarted.countDown();
                assertTrue(releaseFirst.await(30, TimeUnit.SECONDS), "the test never released the first write");
            }
            return src.byteSize();
        };
        assertTimeoutPreemptively(LIMIT, () -> {
            try (DdWriterThread w = new DdWriterThread(blocking, "test-writer")) {
                w.submit(0, BLOCK);
                w.submit(16, BLOCK);
                w.submit(32, BLOCK);
                assertTrue(firstStarted.await(30, TimeUnit.SECONDS), "the first write never started");
                assertEquals(List.of(0L), made, "a later write started before the first completed");
                releaseFirst.countDown();
                for (int i = 0; i < 3; i++) {
                    assertNull(w.awaitOldest().failure);
                }
            }
        });
        assertEquals(List.of(0L, 16L, 32L), made);
    }

    @Test
    void nothingIsWrittenBehindAFailedWrite() {
        Recorder r = new Recorder();
        r.failAt = 32;
        assertTimeoutPreemptively(LIMIT, () -> {
            try (DdWriterThread w = new DdWriterThread(r, "test-writer")) {
                for (int i = 0; i < 6; i++) {
                    w.submit(i * 16L, BLOCK);
                }
                assertNull(w.awaitOldest().failure);
                assertNull(w.awaitOldest().failure);
                DdWriterThread.Write failed = w.awaitOldest();
                assertTrue(failed.failure instanceof IOException, () -> "failure: " + failed.failure);
                for (int i = 3; i < 6; i++) {
                    assertSame(DdWriterThread.CANCELLED, w.awaitOldest().failure, "write " + i);
                }
                w.submit(96, BLOCK); // still refused: dd stops after a failed write anyway
                assertSame(DdWriterThread.CANCELLED, w.awaitOldest().failure);
            }
        });
        assertEquals(List.of(0L, 16L, 32L), r.made, "only the writes up to the failed one were made");
    }

    @Test
    void closeWaitsForEveryWriteAndRefusesMore() {
        Recorder r = new Recorder();
        DdWriterThread[] writer = new DdWriterThread[1];
        assertTimeoutPreemptively(LIMIT, () -> {
            DdWriterThread w = new DdWriterThread(r, "test-writer");
            writer[0] = w;
            for (int i = 0; i < 50; i++) {
                w.submit(i * 16L, BLOCK);
            }
            w.close();
            assertEquals(0, w.inFlight());
        });
        assertEquals(50, r.made.size(), "close returned before every write was made");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> writer[0].submit(0, BLOCK));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
