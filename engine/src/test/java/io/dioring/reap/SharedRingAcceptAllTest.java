package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.RingOptions;
import io.dioring.deliver.Completion;
import io.dioring.deliver.Delivery;
import io.dioring.ffi.Libc;
import io.dioring.file.FileProbe;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import io.dioring.ring.Ring;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link SharedRing#acceptAll}: a batch of requests reaches the kernel in one io_uring_enter. */
@Timeout(60)
class SharedRingAcceptAllTest {
    private static final int N = 32;

    @TempDir
    Path dir;

    @Test
    void thirtyTwoReadsGoOutInOneSubmit() throws Exception {
        Path p = dir.resolve("blocks");
        int fd = ForwardingRing.openBlocks(p, 2 * N);
        InboxSubmitTest.CountingRing counting = new InboxSubmitTest.CountingRing(Ring.create(64,
                new RingOptions(false, false, false, false, false, 0))); // several submitters, as SharedRing.kernel sets up
        SharedRing ring = SharedRing.of("test-shared", counting, 0, new Delivery(null, Runnable::run), 64);
        try (Arena arena = Arena.ofShared()) {
            FileState file = new FileState(fd, p, false, true, false, FileProbe.alignment(fd), 1 << 20, 2L * N * 4096);
            boolean oneSubmit = false;
            // The reaper may drive the ring between two offers (it polls here): a few tries.
            for (int attempt = 0; attempt < 5 && !oneSubmit; attempt++) {
                IoRequest[] batch = new IoRequest[N];
                for (int i = 0; i < N; i++) {
                    // every other block: nothing adjacent to coalesce
                    batch[i] = new IoRequest().set(IoRequest.READ, file, 2L * i * 4096, arena.allocate(4096, 4096), -1);
                    batch[i].givenTo(ring);
                    batch[i].ticket().awaitOn(Thread.currentThread());
                }
                int before = counting.perSubmit.size();
                assertEquals(N, ring.acceptAll(batch, 0, N), "all fit the inbox");
                for (IoRequest r : batch) {
                    Completion.await(r);
                    assertEquals(4096, r.outcome().result(), "read at " + r.offset());
                }
                List<Integer> submits = counting.perSubmit.subList(before, counting.perSubmit.size());
                oneSubmit = submits.contains(N);
                System.out.println("SQEs per submit for a batch of " + N + ": " + submits);
            }
            assertTrue(oneSubmit, "one io_uring_enter carried all " + N + " reads: " + counting.perSubmit);
        } finally {
            ring.close(false);
            Libc.close(fd);
        }
    }

    @Test
    void aFullInboxTakesAPrefixAndLeavesTheRestUntouched() throws Exception {
        Path p = dir.resolve("blocks");
        int fd = ForwardingRing.openBlocks(p, 2 * N);
        SharedRing ring = SharedRing.kernel("test-shared", 64, RingOptions.defaults(), new Delivery(null, Runnable::run), 4, null);
        try (Arena arena = Arena.ofShared()) {
            FileState file = new FileState(fd, p, false, true, false, FileProbe.alignment(fd), 1 << 20, 2L * N * 4096);
            IoRequest[] batch = new IoRequest[N];
            for (int i = 0; i < N; i++) {
                batch[i] = new IoRequest().set(IoRequest.READ, file, 2L * i * 4096, arena.allocate(4096, 4096), -1);
                batch[i].givenTo(ring);
                batch[i].ticket().awaitOn(Thread.currentThread());
            }
            int i = 0;
            while (i < N) {
                int next = ring.acceptAll(batch, i, N);
                assertTrue(next - i <= 4, "at most the inbox's 4 places at once: took " + (next - i));
                if (next < N) {
                    ring.accept(batch[next]); // as IoBatch does: waits for room
                    next++;
                }
                i = next;
            }
            for (IoRequest r : batch) {
                Completion.await(r);
                assertEquals(4096, r.outcome().result(), "read at " + r.offset());
            }
        } finally {
            ring.close(false);
            Libc.close(fd);
        }
    }
}
