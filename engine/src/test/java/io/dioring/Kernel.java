package io.dioring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Test gate: io_uring must be usable, or the test is skipped with the cause printed. */
final class Kernel {
    private Kernel() {}

    static void assumeIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }
}
