package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Case h: reads into {@code engine.buffers()} memory in flight, then {@code engine.close()}
 * (or {@code close(true)}) from another thread. Args: dir, WAIT|CANCEL. The engine must not
 * free the buffers while the kernel may still write them: every read has completed (or,
 * with cancel, failed with CancellationException) by the time close returns. Records
 * {@code notDoneWhenCloseReturned}, the reads' outcomes ({@code outcomes}), whether each
 * completed read's bytes were right when it was delivered ({@code dataOk}), and the fd
 * comparison.
 */
public final class BufferLifetimeSubject {
    private static final int READS = 16;
    private static final int READ_BYTES = 1 << 20;

    private BufferLifetimeSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            int blocksPerRead = READ_BYTES / BLOCK;
            Path data = Fixture.patternFile(Path.of(args[0]), "data", READS * blocksPerRead);
            boolean cancel = args[1].equals("CANCEL");
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create();
            DirectFile file = engine.open(data);
            List<CompletableFuture<Long>> reads = new ArrayList<>();
            int[] dataOk = new int[1];
            int[] freedAtDelivery = new int[1];
            for (int i = 0; i < READS; i++) {
                MemorySegment buf = engine.buffers().allocate(READ_BYTES);
                int first = i * blocksPerRead;
                CompletableFuture<Long> f = file.read((long) i * READ_BYTES, buf);
                f.whenComplete((n, e) -> {
                    if (e != null) {
                        return;
                    }
                    try {
                        if (n == READ_BYTES && Fixture.holds(buf, first)) {
                            synchronized (dataOk) {
                                dataOk[0]++;
                            }
                        }
                    } catch (IllegalStateException freed) {
                        synchronized (dataOk) {
                            freedAtDelivery[0]++;
                        }
                    }
                });
                reads.add(f);
            }
            long inFlight = reads.stream().filter(f -> !f.isDone()).count();
            int[] notDone = new int[1];
            Thread closer = new Thread(() -> {
                engine.close(cancel);
                notDone[0] = (int) reads.stream().filter(f -> !f.isDone()).count();
            }, "engine-closer");
            closer.start();
            report.joinWithin(CLOSE_LIMIT, "engine.close(" + cancel + ") with reads in flight", closer);
            report.put("inFlightWhenCloseCalled", inFlight).put("notDoneWhenCloseReturned", notDone[0]);
            Map<String, Integer> outcomes = new TreeMap<>();
            for (CompletableFuture<Long> f : reads) {
                String o = Fixture.outcome(f);
                int colon = o.indexOf(':', o.startsWith("failed:") ? "failed:".length() : 0);
                outcomes.merge(o.startsWith("failed:") && colon > 0 ? o.substring(0, colon) : o, 1, Integer::sum);
            }
            report.put("outcomes", outcomes);
            synchronized (dataOk) {
                report.put("dataOk", dataOk[0]).put("bufferFreedAtDelivery", freedAtDelivery[0]);
            }
            Fds.compare(report, before);
        });
    }
}
