package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.DirectIoPolicy;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import io.dioring.RingOptions;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Case d: 16 reads in flight on an {@link OwnedRing}; each one's handler queues a follow-up
 * read and then calls the ring again ({@link Reentry}) from inside the handler. Args: dir,
 * {@link Reentry}. Records how many original and follow-up handlers ran exactly once
 * ({@code originalsOnce}, {@code followUpsOnce}) and how many runs there were in all, what
 * the re-entrant calls did ({@code reentryThrew}: IllegalStateException naming the
 * completion handler), whether the data was right, then whether a final {@code drain()}
 * returned and {@code inFlight()} after it. All 16 completions are in the CQ before the
 * first reap, so the re-entrant calls land in the middle of one reap of 16 CQEs.
 */
public final class ReentrancySubject {
    // Optional third arg SPLIT: the file is read through the page cache (DirectIoPolicy.OFF)
    // with 4 KiB SQEs, and each follow-up is 8 KiB, so it goes out as two SQEs that the
    // kernel completes inside the handler's own submit: the re-entrant call then reaps two
    // CQEs in the middle of the outer reap of 16.
    private static final int READS = 16;

    /** What the handler calls on its own ring. */
    public enum Reentry { POLL, AWAIT, DRAIN, CLOSE }

    /**
     * No DEFER_TASKRUN or COOP_TASKRUN: the kernel posts each CQE as its read finishes, not
     * only when the owner next enters, so the test can wait until all are in the CQ.
     */
    private static final RingOptions POSTS_COMPLETIONS_AT_ONCE = new RingOptions(false, false, false, false, false,
            1000);

    private static final Duration CQ_WAIT = Duration.ofSeconds(2);

    private ReentrancySubject() {}

    /**
     * Read {@code i} (originals 0-15, follow-ups 16-31) goes to file block 3i (originals) or
     * 3(i-16)+1 (follow-ups, one or two blocks): no two originals are adjacent, so none is
     * coalesced with another and each has a CQE of its own.
     */
    private static int fileBlock(int i) {
        return i < READS ? 3 * i : 3 * (i - READS) + 1;
    }

    private static long blockOffset(int i) {
        return (long) fileBlock(i) * BLOCK;
    }

    private static int runs(int[] runs, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += runs[i];
        }
        return n;
    }

    public static void main(String[] args) {
        Report.run(report -> {
            Path data = Fixture.patternFile(Path.of(args[0]), "data", 3 * READS);
            Reentry reentry = Reentry.valueOf(args[1]);
            boolean split = args.length > 2 && args[2].equals("SPLIT");
            int followUpBlocks = split ? 2 : 1;
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create(split ? EngineConfig.defaults().withMaxIoBytes(BLOCK)
                    : EngineConfig.defaults());
            DirectFile file = split ? engine.open(data, DirectIoPolicy.OFF) : engine.open(data);
            OwnedRing ring = engine.ownedRing(64, POSTS_COMPLETIONS_AT_ONCE);
            MemorySegment[] bufs = new MemorySegment[2 * READS];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = engine.buffers().allocate((long) (i < READS ? 1 : followUpBlocks) * BLOCK);
            }
            int[] runs = new int[2 * READS];
            int[] wrongData = new int[1];
            int[] failures = new int[1];
            int[] reentryMessageOk = new int[1];
            Map<String, Integer> reentryOutcomes = new TreeMap<>();

            CompletionHandler<Integer> followUp = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer block) {
                    runs[block]++;
                    if (bytes != bufs[block].byteSize() || !Fixture.holds(bufs[block], fileBlock(block))) {
                        wrongData[0]++;
                    }
                }

                @Override
                public void failed(Throwable failure, Integer block) {
                    runs[block]++;
                    failures[0]++;
                }
            };
            CompletionHandler<Integer> original = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Integer block) {
                    runs[block]++;
                    if (bytes != BLOCK || !Fixture.holds(bufs[block], fileBlock(block))) {
                        wrongData[0]++;
                    }
                    int next = READS + block;
                    ring.read(file, blockOffset(next), bufs[next], next, followUp);
                    String outcome;
                    try {
                        switch (reentry) {
                            case POLL -> ring.poll();
                            case AWAIT -> ring.await(1);
                            case DRAIN -> ring.drain();
                            case CLOSE -> ring.close();
                            default -> throw new AssertionError(reentry);
                        }
                        outcome = "returned";
                    } catch (IllegalStateException e) {
                        outcome = IllegalStateException.class.getName();
                        if (e.getMessage() != null && e.getMessage().contains("completion handler")) {
                            reentryMessageOk[0]++;
                        } else {
                            report.put("reentryMessage", e.getMessage());
                        }
                    } catch (RuntimeException | Error e) {
                        outcome = e.getClass().getName();
                    }
                    reentryOutcomes.merge(outcome, 1, Integer::sum);
                }

                @Override
                public void failed(Throwable failure, Integer block) {
                    runs[block]++;
                    failures[0]++;
                }
            };
            for (int i = 0; i < READS; i++) {
                ring.read(file, blockOffset(i), bufs[i], i, original);
            }
            // Submit, then let every original's CQE land before the first reap, so that one
            // reap carries all 16 and the handlers re-enter the ring in the middle of it.
            ring.poll();
            // (Bounded: if handlers already ran inside poll() and lost CQEs, the rest never
            // comes, and the drain below reports it.)
            long cqDeadline = System.nanoTime() + CQ_WAIT.toNanos();
            while (ring.completionsReady() + runs(runs, 0, READS) < READS && System.nanoTime() < cqDeadline) {
                Thread.sleep(1);
            }
            report.put("inCqBeforeDrain", ring.completionsReady()).put("ranInFirstPoll", runs(runs, 0, READS));
            Runnable tally = () -> {
                int originalsOnce = 0;
                int followUpsOnce = 0;
                int originalRuns = 0;
                int followUpRuns = 0;
                for (int i = 0; i < READS; i++) {
                    originalsOnce += runs[i] == 1 ? 1 : 0;
                    followUpsOnce += runs[READS + i] == 1 ? 1 : 0;
                    originalRuns += runs[i];
                    followUpRuns += runs[READS + i];
                }
                report.put("originalsOnce", originalsOnce).put("originalRuns", originalRuns)
                        .put("followUpsOnce", followUpsOnce).put("followUpRuns", followUpRuns)
                        .put("wrongData", wrongData[0]).put("failed", failures[0])
                        .put("reentryOutcomes", reentryOutcomes).put("reentryMessageOk", reentryMessageOk[0]);
            };
            report.onHang(() -> {
                tally.run();
                report.put("inFlight", ring.inFlight());
            });
            try {
                report.within(SHORT, "drain() after handlers called " + reentry + " on their own ring", ring::drain);
                report.put("inFlight", ring.inFlight());
            } catch (IllegalStateException e) {
                report.put("finalDrain", Fixture.describe(e)); // the ring was closed from a handler
            } finally {
                tally.run();
            }
            report.within(SHORT, "ring.close()", ring::close);
            report.within(SHORT, "file.close()", file::close);
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }
}
