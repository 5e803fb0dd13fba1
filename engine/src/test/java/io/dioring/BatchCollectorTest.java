package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dioring.request.IoRequest;
import io.dioring.request.RequestSink;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BatchCollector#flush}: a ring that stops taking requests (closed while the batch was
 * being dispatched, as {@code IoEngine.close(true)} closes the rings before the files) refuses
 * them with IllegalStateException; every kept request is then counted out of its file and its
 * entry fails, so neither the batch's wait nor the file's close waits for a request that never
 * went out.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BatchCollectorTest {
    @TempDir
    Path dir;

    /** A ring closed since the run started: refuses every request, takes none. */
    private static final class ClosedSink implements RequestSink {
        int acceptAllCalls;

        @Override
        public void accept(IoRequest r) {
            throw new IllegalStateException("engine closed");
        }

        @Override
        public void release(IoRequest r) {
            throw new AssertionError("nothing is held here");
        }

        @Override
        public int acceptAll(IoRequest[] requests, int from, int to) {
            acceptAllCalls++;
            throw new IllegalStateException("engine closed");
        }
    }

    @Test
    void keptRequestsRefusedByAClosedRingAreCountedOutAndTheirEntriesFail() throws Exception {
        Path path = dir.resolve("data");
        Files.write(path, new byte[8 * 4096]);
        try (IoEngine engine = IoEngine.create(EngineConfig.defaults().withBackend(Backend.THREADS));
                DirectFile file = engine.open(path); Arena arena = Arena.ofConfined()) {
            List<Integer> refusedEntries = new ArrayList<>();
            List<Throwable> reasons = new ArrayList<>();
            List<IoRequest> countedOut = new ArrayList<>();
            BatchCollector collector = new BatchCollector((r, entry, e) -> {
                refusedEntries.add(entry);
                reasons.add(e);
            });
            collector.grow(4);
            ClosedSink sink = new ClosedSink();
            collector.start(sink);
            IoRequest[] requests = new IoRequest[4];
            for (int i = 0; i < 4; i++) {
                requests[i] = new IoRequest().set(IoRequest.READ, file.state(), 4096L * i, arena.allocate(4096, 4096), -1);
                requests[i].listenWith(countedOut::add); // as the file's issuer registers it
                collector.entry(i, file);
                collector.accept(requests[i]); // kept until the flush
            }
            collector.flush();
            assertEquals(1, sink.acceptAllCalls);
            assertEquals(List.of(0, 1, 2, 3), refusedEntries, "every kept entry is refused, in order");
            for (Throwable e : reasons) {
                assertEquals("engine closed", e.getMessage());
            }
            assertEquals(List.of(requests), countedOut, "each one is counted out of its file once");
            for (IoRequest r : requests) {
                assertNull(r.listener(), "unregistered");
            }
            collector.end();
        }
    }
}
