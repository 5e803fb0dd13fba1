package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.CompletionHandler;
import io.dioring.RingOptions;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Libc;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests other threads put in a ring thread's inbox go out one io_uring_enter each, as
 * they are taken, not gathered into one submit: on the virtio disk a batch arriving at once
 * was served slower than the same requests one by one (RingLoop.submitBatch gives the
 * numbers). A run of requests that continue each other still goes out as one coalesced SQE.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InboxSubmitTest {
    @TempDir
    Path dir;

    /** A kernel ring that records how many SQEs each io_uring_enter carried. */
    static final class CountingRing extends ForwardingRing {
        final List<Integer> perSubmit = new CopyOnWriteArrayList<>();
        private int prepared;

        CountingRing(Ring ring) {
            super(ring);
        }

        @Override
        public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length, int opFlags,
                int bufIndex, long userData) {
            prepared++;
            super.prepare(opcode, sqeFlags, fd, fileOffset, address, length, opFlags, bufIndex, userData);
        }

        @Override
        public int submit(boolean waitForOne) {
            int n = ring.submit(waitForOne);
            if (prepared > 0) {
                perSubmit.add(prepared);
                prepared = 0;
            }
            return n;
        }
    }

    @Test
    void requestsQueuedWhileTheRingThreadIsBusyGoOutOneSubmitEach() throws Exception {
        List<Integer> perSubmit = queueEightWhileHeld(2);
        assertEquals(8, perSubmit.size(), "one io_uring_enter per queued read, not one for the batch: " + perSubmit);
        assertEquals(8, perSubmit.stream().mapToInt(Integer::intValue).sum(), "one SQE each: " + perSubmit);
    }

    @Test
    void contiguousRequestsQueuedTogetherStillGoOutAsOneCoalescedSqe() throws Exception {
        assertEquals(List.of(1), queueEightWhileHeld(1), "eight contiguous 4 KiB reads: one READV SQE");
    }

    /**
     * Holds the ring thread in the handler of a first read (INLINE delivery), queues eight 4 KiB
     * reads {@code stride} blocks apart meanwhile, lets it go, and returns the SQEs of each
     * io_uring_enter made after that.
     */
    private List<Integer> queueEightWhileHeld(int stride) throws Exception {
        Path p = dir.resolve("data");
        int fd = ForwardingRing.openBlocks(p, 64);
        CountingRing[] made = new CountingRing[1];
        // INLINE delivery: the first read's handler runs on the ring thread and holds it there.
        RingThread thread = new RingThread("test-ring", () -> made[0] = new CountingRing(
                Ring.create(32, RingOptions.defaults())), 0, new Delivery(null, Runnable::run), 64);
        try (Arena arena = Arena.ofShared()) {
            FileState file = new FileState(fd, p, false, true, false, FileProbe.alignment(fd), 1 << 20, 64 * 4096);
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            int n = 8;
            CountDownLatch done = new CountDownLatch(n);
            AtomicInteger ok = new AtomicInteger();
            CompletionHandler<Object> hold = handler(() -> {
                holding.countDown();
                await(release);
            }, ok, null);
            CompletionHandler<Object> count = handler(() -> { }, ok, done);
            thread.accept(read(file, 0, arena, hold, thread));
            assertTrue(holding.await(10, TimeUnit.SECONDS), "the first read completed and its handler holds the ring");
            for (int i = 1; i <= n; i++) {
                thread.accept(read(file, i * stride, arena, count, thread));
            }
            int before = made[0].perSubmit.size();
            release.countDown();
            assertTrue(done.await(10, TimeUnit.SECONDS), "the " + n + " queued reads completed");
            assertEquals(n + 1, ok.get(), "every read returned its 4096 bytes");
            List<Integer> after = List.copyOf(made[0].perSubmit.subList(before, made[0].perSubmit.size()));
            thread.close(false); // before the arena goes
            return after;
        } finally {
            thread.close(false);
            Libc.close(fd);
        }
    }

    private static IoRequest read(FileState file, int block, Arena arena, CompletionHandler<Object> h, RingThread t) {
        IoRequest r = new IoRequest().set(IoRequest.READ, file, (long) block * 4096, arena.allocate(4096, 4096), -1);
        r.replyTo(h, null, null, false);
        r.givenTo(t);
        return r;
    }

    private static CompletionHandler<Object> handler(Runnable then, AtomicInteger ok, CountDownLatch done) {
        return new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Object attachment) {
                if (bytes == 4096) {
                    ok.incrementAndGet();
                }
                then.run();
                if (done != null) {
                    done.countDown();
                }
            }

            @Override
            public void failed(Throwable e, Object attachment) {
                then.run();
                if (done != null) {
                    done.countDown();
                }
            }
        };
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
