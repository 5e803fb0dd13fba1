package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Case g: {@code IoEngine.close()} from another thread while an {@link OwnedRing} on this
 * (its owner) thread has the engine's buffers registered and reads into them in flight.
 * The owner then drains its ring and closes it. Records each read's fate
 * ({@code readsDelivered}, {@code readsCompleted}, {@code readsFailedBy}), whether the owner's
 * drain, {@code ring.close()} and the other thread's {@code engine.close()} returned, and
 * the fd comparison.
 */
public final class EngineCloseUnderOwnedRingSubject {
    private static final int READS = 16;
    private static final int READ_BYTES = 64 * 1024;
    /** How long the closer gets to block inside the engine before the owner goes on regardless. */
    private static final Duration CLOSER_HEAD_START = Duration.ofMillis(500);

    private EngineCloseUnderOwnedRingSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            int blocksPerRead = READ_BYTES / BLOCK;
            Path data = Fixture.patternFile(Path.of(args[0]), "data", READS * blocksPerRead);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create();
            DirectFile file = engine.open(data);
            OwnedRing ring = engine.ownedRing();
            MemorySegment[] bufs = new MemorySegment[READS];
            for (int i = 0; i < READS; i++) {
                bufs[i] = engine.buffers().allocate(READ_BYTES);
            }
            ring.registerBuffers(bufs);
            int[] delivered = new int[READS];
            int[] completed = new int[1];
            int[] dataOk = new int[1];
            Map<String, Integer> failedBy = new TreeMap<>();
            CompletionHandler<Integer> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer i) {
                    delivered[i]++;
                    completed[0]++;
                    try {
                        if (bytes == READ_BYTES && Fixture.holds(bufs[i], i * blocksPerRead)) {
                            dataOk[0]++;
                        }
                    } catch (IllegalStateException freed) {
                        failedBy.merge("bufferFreedBeforeDelivery", 1, Integer::sum);
                    }
                }

                @Override
                public void failed(Throwable failure, Integer i) {
                    delivered[i]++;
                    failedBy.merge(failure.getClass().getName(), 1, Integer::sum);
                }
            };
            for (int i = 0; i < READS; i++) {
                ring.read(file, (long) i * READ_BYTES, bufs[i], i, handler);
            }
            ring.poll(); // submits them: in flight from here on
            report.put("inFlightAtClose", ring.inFlight());

            Thread closer = new Thread(engine::close, "engine-closer");
            closer.start();
            // Let close get as far as it can without the owner (it may wait for the ring's requests).
            Fixture.awaitBlockedInEngine(closer, CLOSER_HEAD_START);
            Runnable tally = () -> {
                int once = 0;
                for (int d : delivered) {
                    once += d == 1 ? 1 : 0;
                }
                report.put("readsDeliveredOnce", once).put("readsCompleted", completed[0])
                        .put("readsDataOk", dataOk[0]).put("readsFailedBy", failedBy);
            };
            report.onHang(tally);
            try {
                report.within(SHORT, "the owner's drain() while engine.close() runs elsewhere", ring::drain);
                report.put("drain", "returned");
            } catch (RuntimeException e) {
                report.put("drain", Fixture.describe(e));
            }
            tally.run();
            try {
                report.within(SHORT, "ring.close() after engine.close()", ring::close);
                report.put("ringClose", "returned");
            } catch (RuntimeException e) {
                report.put("ringClose", Fixture.describe(e));
            }
            report.joinWithin(CLOSE_LIMIT, "engine.close() on the other thread", closer);
            report.put("engineClosed", engine.isClosed());
            Fds.compare(report, before);
        });
    }
}
