package io.dioring.reap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dioring.CompletionHandler;
import io.dioring.DirectIoException;
import io.dioring.ffi.Errno;
import io.dioring.DioAlignment;
import io.dioring.file.FileState;
import io.dioring.request.IoRequest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The aggregation rules (seed 003, extended; see {@link Aggregator}) checked over thousands
 * of random requests, splits and faults on a {@link SimulatedRing}, driving {@link RingLoop}
 * directly with inline delivery.
 *
 * <p>Each case draws a ring size, an in-flight bound and one to five requests, each on its
 * own simulated file with its own maxIoBytes, alignment (O_DIRECT 512 or buffered),
 * segments and one fault: none, a transient short transfer inside a slice (aligned or not),
 * a "wall" where transfers stop making progress, EIO in one slice, or EIO in two slices;
 * plus random EAGAIN, reordered and partial submissions, and stale or unknown CQEs. The
 * expected outcome of each request is computed from the fault, independently of the
 * engine, and the run must reach a quota of each interesting case.
 */
class AggregationPropertyTest {
    private static final int CASES = 4000;
    private static final int QUOTA = 40;
    private static final int SECTOR = 512;

    enum Fault { NONE, SHORT, WALL, EIO, EIO_TWO }

    /** One request of a case and what the test knows about it. */
    static final class Probe {
        int index;
        int fd;
        int op;
        boolean direct;
        int maxIo;
        long offset;
        long length;
        MemorySegment[] segments;
        long[][] slices; // {offset, length} as the split rule cuts them
        Fault fault = Fault.NONE;
        int faultSlice = -1;
        long faultAt = -1;
        long fileSize;
        byte[] initial;
        byte[] written;
        int deliveries;
        long result;
        Throwable failure;
    }

    private final Map<String, Integer> seen = new LinkedHashMap<>();

    private void count(String what) {
        seen.merge(what, 1, Integer::sum);
    }

    @Test
    void aggregationRulesHoldOverRandomSplitsAndFaults() {
        long base = Long.getLong("dioring.seed", 0x5EED_0003L);
        System.out.println("AggregationPropertyTest: base seed " + base + " (-Ddioring.seed to replay), "
                + CASES + " cases");
        int requests = 0;
        for (int c = 0; c < CASES; c++) {
            requests += runCase(base + c);
        }
        System.out.println("AggregationPropertyTest: " + requests + " requests; cases seen: " + seen);
        for (String quota : List.of("no-split", "short-middle", "error-middle", "reordered", "eagain-retried",
                "short-read-resubmitted", "short-write-resubmitted", "read-eof-prefix", "short-read-caps-prefix",
                "write-no-progress-eio", "unaligned-short-write-eio", "first-error-of-two", "stale-cqe",
                "multi-segment", "partial-submit")) {
            int n = seen.getOrDefault(quota, 0);
            assertTrue(n >= QUOTA, "quota not reached: " + quota + " seen " + n + " times, need " + QUOTA
                    + "; all: " + seen);
        }
    }

    /** Runs one request alone on a fresh simulated ring until it is delivered. */
    private static Object[] runAlone(SimulatedRing sim, IoRequest r) {
        Object[] outcome = new Object[2];
        r.replyTo(new CompletionHandler<>() {
            @Override
            public void completed(long bytes, Object attachment) {
                outcome[0] = bytes;
            }

            @Override
            public void failed(Throwable failure, Object attachment) {
                outcome[1] = failure;
            }
        }, null, null, false);
        RingLoop loop = new RingLoop(sim, sim.cqEntries(), 0, new io.dioring.deliver.Delivery(null, Runnable::run), null);
        loop.add(r);
        for (int i = 0; loop.busy(); i++) {
            loop.prepare();
            loop.submit(loop.inFlight() > 0);
            loop.reap();
            assertTrue(i < 10_000, "no progress");
        }
        return outcome;
    }

    @Test
    void eioInTheMiddleSliceFailsTheRequestWithThatSlicesOffset() {
        try (Arena arena = Arena.ofConfined(); SimulatedRing sim = new SimulatedRing(1, 8, 16)) {
            sim.completeChance = 1;
            sim.partialSubmit = 0;
            SimulatedRing.SimFile f = sim.file(7);
            f.setContents(new byte[8 * 4096]);
            f.eioAt = new long[] {4096 * 4 + 100}; // inside slice 2 of 4 (2 blocks each)
            FileState file = new FileState(7, Path.of("/sim/middle"), true, true, true,
                    new DioAlignment(SECTOR, SECTOR, "simulated"), 2 * 4096, 8 * 4096);
            Object[] outcome = runAlone(sim, new IoRequest().set(IoRequest.READ, file, 0, arena.allocate(8 * 4096), -1));
            DirectIoException e = assertInstanceOf(DirectIoException.class, outcome[1]);
            assertNull(outcome[0]);
            assertEquals("EIO", e.errnoName());
            assertEquals(4 * 4096, e.offset());
            assertEquals(2 * 4096, e.length());
            assertEquals("read", e.op());
        }
    }

    @Test
    void rawOutcomesJudgeAShortReadAsItCameInsteadOfResubmittingIt() {
        for (boolean raw : new boolean[] {false, true}) {
            try (Arena arena = Arena.ofConfined(); SimulatedRing sim = new SimulatedRing(3, 8, 16)) {
                sim.completeChance = 1;
                sim.partialSubmit = 0;
                SimulatedRing.SimFile f = sim.file(11);
                f.setContents(new byte[8 * 4096]);
                f.shortAt = 4096 * 3; // inside slice 1 of 4 (2 blocks each), transient
                FileState file = new FileState(11, Path.of("/sim/raw"), true, true, true,
                        new DioAlignment(SECTOR, SECTOR, "simulated"), 2 * 4096, 8 * 4096);
                file.setRawOutcomes(raw);
                Object[] outcome = runAlone(sim,
                        new IoRequest().set(IoRequest.READ, file, 0, arena.allocate(8 * 4096), -1));
                assertNull(outcome[1], "raw " + raw);
                assertEquals(raw ? 3L * 4096 : 8L * 4096, outcome[0],
                        "raw " + raw + ": the prefix up to the short slice, or all of it after resubmission");
            }
        }
    }

    @Test
    void eagainIsRetriedABoundedNumberOfTimesThenStands() {
        try (Arena arena = Arena.ofConfined(); SimulatedRing sim = new SimulatedRing(2, 4, 8)) {
            SimulatedRing.SimFile f = sim.file(9);
            f.setContents(new byte[4096]);
            f.eagain = 1.0;
            FileState file = new FileState(9, Path.of("/sim/busy"), true, true, true,
                    new DioAlignment(SECTOR, SECTOR, "simulated"), 4096, 4096);
            Object[] outcome = runAlone(sim, new IoRequest().set(IoRequest.READ, file, 0, arena.allocate(4096), -1));
            DirectIoException e = assertInstanceOf(DirectIoException.class, outcome[1]);
            assertEquals("EAGAIN", e.errnoName());
            assertEquals(Aggregator.MAX_RETRIES + 1, f.eagainPosted(), "first try plus MAX_RETRIES retries");
        }
    }

    private int runCase(long seed) {
        Random rnd = new Random(seed);
        int sq = 1 << rnd.nextInt(6);
        int cq = 2 * sq;
        int maxInFlight = 1 + rnd.nextInt(cq);
        try (Arena arena = Arena.ofConfined(); SimulatedRing sim = new SimulatedRing(seed * 31 + 7, sq, cq)) {
            sim.staleChance = rnd.nextInt(4) == 0 ? 0.05 : 0;
            sim.unknownChance = rnd.nextInt(4) == 0 ? 0.02 : 0;
            List<Probe> probes = new ArrayList<>();
            int n = 1 + rnd.nextInt(5);
            for (int i = 0; i < n; i++) {
                probes.add(newProbe(rnd, arena, sim, i));
            }
            RingLoop loop = new RingLoop(sim, maxInFlight, 0, new io.dioring.deliver.Delivery(null, Runnable::run), null);
            CompletionHandler<Object> handler = new CompletionHandler<>() {
                @Override
                public void completed(long bytes, Object attachment) {
                    Probe p = probes.get((Integer) attachment);
                    checkNothingInFlight(sim, p, seed);
                    p.deliveries++;
                    p.result = bytes;
                }

                @Override
                public void failed(Throwable failure, Object attachment) {
                    Probe p = probes.get((Integer) attachment);
                    checkNothingInFlight(sim, p, seed);
                    p.deliveries++;
                    p.failure = failure;
                }
            };
            int added = 0;
            int firstBatch = 1 + rnd.nextInt(n);
            for (int iteration = 0; ; iteration++) {
                int target = iteration == 0 ? firstBatch : n;
                while (added < target) {
                    loop.add(request(probes.get(added), handler));
                    added++;
                }
                loop.prepare();
                loop.submit(loop.inFlight() > 0 && rnd.nextBoolean());
                loop.reap();
                if (added == n && probes.stream().allMatch(p -> p.deliveries > 0) && !loop.busy()) {
                    break;
                }
                if (iteration > 200_000) {
                    fail("seed " + seed + ": no progress; in flight " + loop.inFlight() + ", waiting "
                            + loop.waitingCount());
                }
            }
            assertEquals(0, sim.held(), "seed " + seed + ": SQEs still held after every request completed");
            assertEquals(n, loop.requestsCompleted(), "seed " + seed);
            assertEquals(sim.staleInjected(), loop.staleCompletions(),
                    "seed " + seed + ": every stale or unknown CQE counted, none applied");
            if (sim.partialSubmits() > 0) {
                count("partial-submit");
            }
            if (sim.staleInjected() > 0) {
                count("stale-cqe");
            }
            for (Probe p : probes) {
                check(p, sim.file(p.fd), seed);
            }
            return n;
        }
    }

    private static void checkNothingInFlight(SimulatedRing sim, Probe p, long seed) {
        assertEquals(0, sim.inFlightFor(p.fd), "seed " + seed + ": request " + p.index
                + " delivered while the kernel may still touch its buffer");
    }

    private Probe newProbe(Random rnd, Arena arena, SimulatedRing sim, int index) {
        Probe p = new Probe();
        p.index = index;
        p.fd = 100 + index;
        p.op = rnd.nextBoolean() ? IoRequest.READ : IoRequest.WRITE;
        p.direct = rnd.nextInt(4) != 0;
        int unit = p.direct ? SECTOR : 1;
        p.maxIo = p.direct ? SECTOR * (1 + rnd.nextInt(8)) : 100 + rnd.nextInt(3000);
        int sliceCount = rnd.nextInt(50) == 0 ? 0 : rnd.nextInt(10) < 3 ? 1 : 2 + rnd.nextInt(10);
        if (sliceCount == 0) {
            p.length = 0;
        } else {
            long last = unit * (1 + (long) rnd.nextInt(p.maxIo / unit));
            p.length = (long) (sliceCount - 1) * p.maxIo + last;
        }
        p.offset = unit * (long) rnd.nextInt(65536 / unit);
        // Segments: one, or the length cut at random aligned points (a cut may give an empty one).
        int segs = p.length == 0 || rnd.nextInt(10) < 7 ? 1 : 2 + rnd.nextInt(3);
        long[] cuts = new long[segs + 1];
        cuts[segs] = p.length;
        for (int i = 1; i < segs; i++) {
            cuts[i] = unit * (long) rnd.nextInt((int) (p.length / unit) + 1);
        }
        Arrays.sort(cuts);
        p.segments = new MemorySegment[segs];
        for (int i = 0; i < segs; i++) {
            p.segments[i] = arena.allocate(Math.max(1, cuts[i + 1] - cuts[i]), SECTOR).asSlice(0, cuts[i + 1] - cuts[i]);
        }
        if (segs > 1) {
            count("multi-segment");
        }
        p.slices = split(p);
        long end = p.offset + p.length;
        if (p.op == IoRequest.READ && rnd.nextInt(5) == 0) {
            p.fileSize = p.offset + (p.length == 0 ? 0 : rnd.nextLong(p.length)); // end of file inside the range
            if (p.direct && rnd.nextBoolean()) {
                p.fileSize &= ~(SECTOR - 1L);
            }
        } else {
            p.fileSize = end + rnd.nextInt(4096);
        }
        if (p.op == IoRequest.WRITE) {
            p.fileSize = rnd.nextLong(end + 4096);
        }
        p.initial = new byte[(int) p.fileSize];
        rnd.nextBytes(p.initial);
        SimulatedRing.SimFile f = sim.file(p.fd);
        f.setContents(p.initial);
        if (p.op == IoRequest.WRITE) {
            p.written = new byte[(int) p.length];
            rnd.nextBytes(p.written);
            long at = 0;
            for (MemorySegment s : p.segments) {
                MemorySegment.copy(p.written, (int) at, s, ValueLayout.JAVA_BYTE, 0, (int) s.byteSize());
                at += s.byteSize();
            }
        } else {
            for (MemorySegment s : p.segments) {
                s.fill((byte) 0x5A);
            }
        }
        if (rnd.nextInt(10) < 3) {
            f.eagain = 0.2;
        }
        if (p.slices.length > 0) {
            int k = rnd.nextInt(p.slices.length);
            long start = p.slices[k][0];
            long len = p.slices[k][1];
            int roll = rnd.nextInt(100);
            if (roll < 30 && len >= 2) {
                p.fault = Fault.SHORT;
                long j;
                if (p.direct && len >= 2 * SECTOR && rnd.nextBoolean()) {
                    j = SECTOR * (1 + (long) rnd.nextInt((int) (len / SECTOR) - 1));
                } else {
                    do {
                        j = 1 + rnd.nextLong(len - 1);
                    } while (p.direct && j % SECTOR == 0);
                }
                p.faultAt = start + j;
                f.shortAt = p.faultAt;
            } else if (roll < 45) {
                p.fault = Fault.WALL;
                p.faultAt = start + unit * rnd.nextLong(len / unit);
                f.wallAt = p.faultAt;
            } else if (roll < 65) {
                p.fault = Fault.EIO;
                p.faultAt = start + rnd.nextLong(len);
                f.eioAt = new long[] {p.faultAt};
            } else if (roll < 75 && p.slices.length >= 2) {
                p.fault = Fault.EIO_TWO;
                int k2 = (k + 1 + rnd.nextInt(p.slices.length - 1)) % p.slices.length;
                f.eioAt = new long[] {start + rnd.nextLong(len), p.slices[k2][0] + rnd.nextLong(p.slices[k2][1])};
            }
            p.faultSlice = p.fault == Fault.NONE ? -1 : k;
        }
        return p;
    }

    /** The split rule, written out independently: per segment, chunks of at most maxIo. */
    private static long[][] split(Probe p) {
        List<long[]> out = new ArrayList<>();
        long rel = 0;
        for (MemorySegment s : p.segments) {
            for (long pos = 0; pos < s.byteSize(); ) {
                long len = Math.min(s.byteSize() - pos, p.maxIo);
                out.add(new long[] {p.offset + rel, len});
                pos += len;
                rel += len;
            }
        }
        return out.toArray(long[][]::new);
    }

    private static IoRequest request(Probe p, CompletionHandler<Object> handler) {
        DioAlignment alignment = p.direct ? new DioAlignment(SECTOR, SECTOR, "simulated") : DioAlignment.none();
        FileState file = new FileState(p.fd, Path.of("/sim/file-" + p.index), p.direct, true, true, alignment,
                p.maxIo, p.fileSize);
        IoRequest r = new IoRequest();
        if (p.segments.length == 1) {
            r.set(p.op, file, p.offset, p.segments[0], -1);
        } else {
            r.set(p.op, file, p.offset, p.segments, null);
        }
        r.replyTo(handler, p.index, null, false);
        return r;
    }

    private void check(Probe p, SimulatedRing.SimFile f, long seed) {
        String where = "seed " + seed + " request " + p.index + " (" + (p.op == IoRequest.READ ? "read" : "write")
                + " off " + p.offset + " len " + p.length + " maxIo " + p.maxIo + " direct " + p.direct
                + " segments " + p.segments.length + " fault " + p.fault + " at " + p.faultAt + " slice "
                + p.faultSlice + "/" + p.slices.length + " file size " + p.fileSize + ")";
        assertEquals(1, p.deliveries, where + ": delivered exactly once");
        boolean middle = p.faultSlice > 0 && p.faultSlice < p.slices.length - 1;
        if (f.reordered()) {
            count("reordered");
        }
        checkSlices(p, f, where);

        boolean shortContinuable = p.fault == Fault.SHORT && (!p.direct || p.faultAt % SECTOR == 0);
        long failAt = -1;
        int failErrno = 0;
        long failLength = -1;
        switch (p.fault) {
            case EIO -> {
                failErrno = Errno.EIO;
                failAt = p.slices[p.faultSlice][0];
                failLength = p.slices[p.faultSlice][1];
                if (middle) {
                    count("error-middle");
                }
            }
            case EIO_TWO -> {
                SimulatedRing.Cqe first = f.log().stream().filter(c -> c.result() == -Errno.EIO).findFirst()
                        .orElseThrow(() -> new AssertionError(where + ": no EIO posted"));
                failErrno = Errno.EIO;
                failAt = first.sqe().offset();
                failLength = first.sqe().length();
                long eios = f.log().stream().filter(c -> c.result() == -Errno.EIO).count();
                if (eios >= 2) {
                    count("first-error-of-two");
                }
            }
            case WALL -> {
                if (p.op == IoRequest.WRITE) {
                    failErrno = Errno.EIO;
                    failAt = p.faultAt;
                    count("write-no-progress-eio");
                }
            }
            case SHORT -> {
                if (p.op == IoRequest.WRITE && !shortContinuable) {
                    failErrno = Errno.EIO;
                    failAt = p.faultAt;
                    failLength = p.slices[p.faultSlice][0] + p.slices[p.faultSlice][1] - p.faultAt;
                    count("unaligned-short-write-eio");
                }
                if (middle) {
                    count("short-middle");
                }
            }
            default -> { }
        }
        if (f.eagainPosted() > 0) {
            count("eagain-retried");
        }
        if (failErrno != 0) {
            assertInstanceOf(DirectIoException.class, p.failure, where + ": must fail");
            DirectIoException e = (DirectIoException) p.failure;
            assertEquals(failErrno, e.errno(), where + ": errno of the first error");
            assertEquals("EIO", e.errnoName(), where);
            assertEquals(failAt, e.offset(), where + ": offset of the failing slice");
            if (failLength >= 0) {
                assertEquals(failLength, e.length(), where + ": length of the failing slice");
            }
            assertTrue(e.getMessage().contains("/sim/file-" + p.index), where + ": path in " + e.getMessage());
            return;
        }
        assertNull(p.failure, () -> where + ": unexpected failure " + p.failure);
        if (p.op == IoRequest.WRITE) {
            assertEquals(p.length, p.result, where + ": a write completes with its full length");
            byte[] now = f.contents();
            if (p.length > 0) {
                assertArrayEquals(p.written, Arrays.copyOfRange(now, (int) p.offset, (int) (p.offset + p.length)),
                        where + ": bytes written");
            }
            int before = (int) Math.min(p.offset, p.initial.length);
            assertArrayEquals(Arrays.copyOf(p.initial, before), Arrays.copyOf(now, before), where + ": bytes before");
            if (shortContinuable && f.shortPosted() > 0) {
                count("short-write-resubmitted");
            }
            if (p.slices.length == 1 && p.fault == Fault.NONE) {
                count("no-split");
            }
            return;
        }
        long expected = Math.min(p.length, Math.max(0, p.fileSize - p.offset));
        if ((p.fault == Fault.SHORT && !shortContinuable) || p.fault == Fault.WALL) {
            expected = Math.min(expected, p.faultAt - p.offset);
            if (p.faultAt < p.fileSize && f.log().size() > 1) {
                count("short-read-caps-prefix");
            }
        }
        assertEquals(expected, p.result, where + ": read result is the longest contiguous prefix");
        byte[] got = new byte[(int) p.length];
        long at = 0;
        for (MemorySegment s : p.segments) {
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, got, (int) at, (int) s.byteSize());
            at += s.byteSize();
        }
        if (expected > 0) {
            assertArrayEquals(Arrays.copyOfRange(p.initial, (int) p.offset, (int) (p.offset + expected)),
                    Arrays.copyOf(got, (int) expected), where + ": bytes of the prefix");
        }
        if (expected < p.length && p.fault == Fault.NONE) {
            count("read-eof-prefix");
        }
        if (shortContinuable && f.shortPosted() > 0 && p.faultAt < p.fileSize) {
            count("short-read-resubmitted");
        }
        if (p.slices.length == 1 && p.fault == Fault.NONE && expected == p.length) {
            count("no-split");
        }
    }

    /** Every SQE respects maxIoBytes and lies inside the request; a clean single-buffer request is cut as the rule says. */
    private static void checkSlices(Probe p, SimulatedRing.SimFile f, String where) {
        for (SimulatedRing.Cqe c : f.log()) {
            SimulatedRing.Sqe s = c.sqe();
            assertTrue(s.length() <= p.maxIo || s.isVectored(), where + ": SQE of " + s.length() + " bytes > maxIo");
            assertTrue(s.offset() >= p.offset && s.offset() + (s.isVectored() ? 0 : s.length()) <= p.offset + p.length,
                    where + ": SQE at " + s.offset() + " outside the request");
        }
        boolean clean = p.fault == Fault.NONE && f.eagainPosted() == 0 && p.segments.length == 1
                && (p.op == IoRequest.WRITE || p.fileSize >= p.offset + p.length);
        if (clean) {
            long[][] issued = f.log().stream().map(c -> new long[] {c.sqe().offset(), c.sqe().length()})
                    .sorted((a, b) -> Long.compare(a[0], b[0])).toArray(long[][]::new);
            assertEquals(p.slices.length, issued.length, where + ": one SQE per slice");
            for (int i = 0; i < issued.length; i++) {
                assertArrayEquals(p.slices[i], issued[i], where + ": slice " + i);
            }
        }
        assertFalse(p.deliveries > 1, where);
    }
}
