package io.dioring.misuse;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** What the misuse subjects share: patterned files, outcome strings, the fd snapshot, a round trip. */
final class Fixture {
    static final int BLOCK = 4096;
    static final Duration SHORT = Duration.ofSeconds(5);
    static final Duration CLOSE_LIMIT = Duration.ofSeconds(10);

    private Fixture() {}

    /** The byte at {@code index} of block {@code block}: every block differs from every other. */
    static byte patternByte(int block, int index) {
        return (byte) (block * 131 + index * 7 + 1);
    }

    /** A file of {@code blocks} patterned blocks. */
    static Path patternFile(Path dir, String name, int blocks) throws IOException {
        byte[] bytes = new byte[blocks * BLOCK];
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i < BLOCK; i++) {
                bytes[b * BLOCK + i] = patternByte(b, i);
            }
        }
        return Files.write(dir.resolve(name), bytes);
    }

    /** Fills {@code segment} (whole blocks) with the pattern of blocks {@code firstBlock} on. */
    static void fill(MemorySegment segment, int firstBlock) {
        for (long i = 0; i < segment.byteSize(); i++) {
            segment.set(ValueLayout.JAVA_BYTE, i, patternByte(firstBlock + (int) (i / BLOCK), (int) (i % BLOCK)));
        }
    }

    /** Whether {@code segment} holds the pattern of blocks {@code firstBlock} on. */
    static boolean holds(MemorySegment segment, int firstBlock) {
        for (long i = 0; i < segment.byteSize(); i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, i) != patternByte(firstBlock + (int) (i / BLOCK),
                    (int) (i % BLOCK))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The descriptors open before the engine is touched. The engine's classes are loaded
     * first (their jar stays open once read), so only the engine's own descriptors can
     * differ later.
     */
    static Map<Integer, String> fdsBeforeEngine(Report report) throws IOException {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            Report.skip("io_uring unavailable: " + cause);
        }
        return Fds.open();
    }

    /** "completed:n", "failed:Class: message" or "pending" after waiting up to {@link #SHORT}. */
    static String outcome(CompletableFuture<Long> f) throws InterruptedException {
        try {
            return "completed:" + f.get(SHORT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return "failed:" + describe(e.getCause());
        } catch (java.util.concurrent.CancellationException e) {
            return "failed:" + describe(e);
        } catch (TimeoutException e) {
            return "pending";
        }
    }

    /** "Class: message". */
    static String describe(Throwable t) {
        return t.getClass().getName() + ": " + t.getMessage();
    }

    /**
     * Proves the engine still works: writes block {@code block} of {@code file} with a fresh
     * pattern, reads it back through the future API, and records {@code roundTrip=ok} or
     * what went wrong.
     */
    static void roundTrip(Report report, IoEngine engine, DirectFile file, int block) throws Exception {
        MemorySegment src = engine.buffers().allocate(BLOCK);
        MemorySegment dst = engine.buffers().allocate(BLOCK);
        fill(src, 1000 + block);
        report.within(SHORT, "the round trip after the misuse", () -> {
            try {
                long written = file.writeFully((long) block * BLOCK, src);
                String read = outcome(file.read((long) block * BLOCK, dst));
                report.put("roundTrip", written == BLOCK && read.equals("completed:" + BLOCK) && holds(dst, 1000 + block)
                        ? "ok" : "wrote " + written + ", read " + read + ", bytes match " + holds(dst, 1000 + block));
            } catch (Exception e) {
                report.put("roundTrip", "failed: " + describe(e));
            }
        });
    }

    /** Waits, up to {@code limit}, until {@code t} is parked inside the engine; false if it ended first. */
    static boolean awaitBlockedInEngine(Thread t, Duration limit) throws InterruptedException {
        return awaitBlockedInEngineUnless(t, () -> false, limit);
    }

    /**
     * Waits until {@code t} is parked inside the engine (true), or {@code instead} holds, or
     * {@code t} ended (false); {@code limit} is a backstop against a hang (then false).
     */
    static boolean awaitBlockedInEngineUnless(Thread t, BooleanSupplier instead, Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!t.isAlive()) {
                return false;
            }
            Thread.State s = t.getState();
            if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED)
                    && !engineFrames(t).isEmpty()) {
                return true;
            }
            if (instead.getAsBoolean()) {
                return false;
            }
            Thread.sleep(1);
        }
        return false;
    }

    /** The engine's frames on {@code t}'s stack, innermost first (for the report: where it blocked). */
    static String engineFrames(Thread t) {
        return Arrays.stream(t.getStackTrace())
                .filter(e -> e.getClassName().startsWith("io.dioring.") && !e.getClassName().startsWith(
                        "io.dioring.misuse.") && !e.getClassName().startsWith("io.dioring.child."))
                .limit(3)
                .map(e -> e.getClassName().substring("io.dioring.".length()) + "." + e.getMethodName() + ":"
                        + e.getLineNumber())
                .reduce((a, b) -> a + " < " + b)
                .orElse("");
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
