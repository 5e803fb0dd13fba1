package io.dioring.seccomp;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.child.Report;
import io.dioring.child.Seccomp;
import io.dioring.testing.Callbacks;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An engine made with the defaults ({@code Submission.BY_CALL}) whose rings for asynchronous
 * calls cannot be set up when they are first needed: seccomp denies io_uring_setup (alone) after the
 * engine's first rings exist. Args: dir. Records {@code backend}, {@code blockingRead} (before
 * the filter), {@code directSetupErrno} (the filter in force), {@code asyncRead} and
 * {@code callbackRead} (after it: served by the callers' rings), {@code asyncRingThreads}
 * (live threads named for the asynchronous rings) and {@code healthy}. Prints SKIPPED when
 * seccomp or io_uring cannot be used here.
 */
public final class LateDenialSubject {
    private LateDenialSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            if (!IoEngine.isAvailable()) {
                Report.skip("io_uring unavailable: " + IoEngine.unavailabilityCause());
            }
            Path data = Path.of(args[0]).resolve("data");
            byte[] content = new byte[1 << 20];
            new Random(21).nextBytes(content);
            Files.write(data, content);
            try (IoEngine engine = IoEngine.create(); DirectFile f = engine.open(data)) {
                report.put("backend", engine.backend());
                MemorySegment buf = engine.buffers().allocate(4096);
                report.put("blockingRead", check(f.readFully(4096, buf), buf, content, 4096));
                String refused = Seccomp.denyIoUringSetup(Seccomp.EPERM);
                if (refused != null) {
                    Report.skip("seccomp unavailable: " + refused);
                }
                report.put("directSetupErrno", Seccomp.ioUringSetupErrno() == Seccomp.EPERM ? "EPERM" : "not EPERM");
                report.put("asyncRead", check(f.read(8192, buf).get(10, TimeUnit.SECONDS), buf, content, 8192));
                CompletableFuture<Long> cb = new CompletableFuture<>();
                f.read(12288, buf, cb, Callbacks.toFuture());
                report.put("callbackRead", check(cb.get(10, TimeUnit.SECONDS), buf, content, 12288));
                report.put("asyncRingThreads", Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("dioring-ring-async-")).count());
                report.put("healthy", engine.isHealthy());
            }
        });
    }

    private static String check(long n, MemorySegment buf, byte[] content, int at) {
        byte[] want = Arrays.copyOfRange(content, at, at + 4096);
        return n == 4096 && Arrays.equals(want, buf.toArray(ValueLayout.JAVA_BYTE)) ? "ok" : "wrong: " + n + " bytes";
    }
}
