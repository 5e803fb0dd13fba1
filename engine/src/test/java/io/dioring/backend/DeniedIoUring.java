package io.dioring.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a main class in a child JVM ({@link ChildJvm}) that first denies itself io_uring
 * with {@code errno} ({@link SeccompLauncher}). Skips the calling test, printing why, where
 * seccomp cannot be used; fails it if the child hangs.
 */
public final class DeniedIoUring {
    private DeniedIoUring() {}

    /** Runs {@code mainClass args} under the filter; the child's output is printed too. */
    public static ChildResult run(String errno, String caseName, Duration timeout, String mainClass,
            String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(errno, mainClass));
        all.addAll(List.of(args));
        ChildResult r = ChildJvm.of(caseName + "-" + errno, SeccompLauncher.class).timeout(timeout)
                .args(all.toArray(String[]::new)).run();
        System.out.print(r.stdout());
        System.out.print(r.stderr());
        String skip = r.skipReason().orElse(null);
        if (skip != null) {
            System.out.println("SKIPPED: " + skip);
        }
        assumeTrue(skip == null, () -> "SKIPPED: " + skip);
        assertFalse(r.timedOut(), () -> caseName + ": hung\n" + r.diagnostics());
        return r;
    }
}
