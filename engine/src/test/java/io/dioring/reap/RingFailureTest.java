package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.CompletionHandler;
import io.dioring.DirectIoException;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import io.dioring.ring.RingFailedException;
import io.dioring.RingOptions;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A ring thread whose io_uring_enter fails for good: every request still completes once. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RingFailureTest {
    @TempDir
    Path dir;

    /** A kernel ring whose submit fails with EBADF once {@link #broken} is set. */
    static final class BreakableRing extends ForwardingRing {
        volatile boolean broken;

        BreakableRing(Ring ring) {
            super(ring);
        }

        @Override
        public int submit(boolean waitForOne) {
            if (broken) {
                throw new RingFailedException("io_uring_enter (injected)", Errno.EBADF);
            }
            return ring.submit(waitForOne);
        }
    }

    @Test
    void aFatalEnterErrorFailsEveryRequestOnceAndRefusesNewOnes() throws Exception {
        Path p = dir.resolve("data");
        int fd = ForwardingRing.openBlocks(p, 64);
        BreakableRing[] made = new BreakableRing[1];
        RingThread thread = new RingThread("test-ring", () -> made[0] = new BreakableRing(
                Ring.create(8, RingOptions.defaults())), 0, new Delivery(null, Runnable::run), 64);
        try (Arena arena = Arena.ofShared()) {
            FileState file = new FileState(fd, p, false, true, false, FileProbe.alignment(fd), 1 << 20,
                    64 * 4096);
            int n = 32;
            CountDownLatch done = new CountDownLatch(n);
            AtomicInteger ok = new AtomicInteger();
            ConcurrentHashMap<Integer, Throwable> failed = new ConcurrentHashMap<>();
            AtomicInteger deliveries = new AtomicInteger();
            CompletionHandler<Object> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Object i) {
                    deliveries.incrementAndGet();
                    ok.incrementAndGet();
                    done.countDown();
                }

                @Override
                public void failed(Throwable e, Object i) {
                    deliveries.incrementAndGet();
                    failed.put((Integer) i, e);
                    done.countDown();
                }
            };
            made[0].broken = true; // the next io_uring_enter fails: the ring thread is asleep in one now
            for (int i = 0; i < n; i++) {
                IoRequest r = new IoRequest().set(IoRequest.READ, file, (long) i * 4096, arena.allocate(4096, 4096), -1);
                r.replyTo(handler, i, null, false);
                r.givenTo(thread);
                try {
                    thread.accept(r);
                } catch (IllegalStateException refused) {
                    deliveries.incrementAndGet();
                    failed.put(i, refused);
                    done.countDown();
                }
            }
            assertTrue(done.await(10, TimeUnit.SECONDS), "every request completed: " + done.getCount() + " left");
            assertEquals(n, deliveries.get(), "exactly once each");
            assertTrue(failed.size() > 0, "the broken ring failed what it held");
            for (Throwable e : failed.values()) {
                if (e instanceof DirectIoException d) {
                    assertEquals("EBADF", d.errnoName(), d.getMessage());
                } else if (!(e instanceof IllegalStateException) && !(e instanceof java.util.concurrent.CancellationException)) {
                    throw new AssertionError("unexpected failure type", e);
                }
            }
            assertNotNull(thread.failure(), "the ring reports why it stopped");
            assertInstanceOf(RingFailedException.class, thread.failure());
            IoRequest late = new IoRequest().set(IoRequest.READ, file, 0, arena.allocate(4096, 4096), -1);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> thread.accept(late));
            assertTrue(refused.getMessage().contains("failed"), refused.getMessage());
            thread.close(false);
            assertTrue(thread.isTerminated());
        } finally {
            Libc.close(fd);
        }
    }
}
